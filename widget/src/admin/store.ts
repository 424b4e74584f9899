// The admin's view of the tenant's settings (GET /api/v1/admin/settings) and every write to them:
// each write carries the revision the admin saw (If-Match), and a success reloads the settings so
// every section shows what is now in effect.

import { ApiError, request } from "../shared/api";

/** A queue's wrap-up code; `topic` (optional) is what a conversation closed with it was about. */
export interface WrapupCode {
  id: string;
  name: string;
  topic?: string | null;
}

export interface Meta {
  source?: "config" | "admin" | string;
  changed_at?: string | number | null;
  changed_by?: string | null;
  config_differs?: boolean;
  problem?: string | null;
}

export interface Agent extends Meta {
  id: string;
  name: string;
  languages: string[];
  skills: Record<string, number>;
  capacity: Record<string, number>;
  auto_accept: boolean;
  email: string;
  phone: string;
  disabled: boolean;
}

export interface Step {
  timeout_s: number | null;
  min_proficiency: number;
  relax_language: boolean;
  overflow: string | null;
  escalate: string[];
}

export interface Hours {
  timezone: string;
  weekly: Record<string, string[]> | null;
  holidays: string[];
  closed: boolean;
  when_closed: "wait" | "escalate" | string;
}

export interface Queue extends Meta {
  id: string;
  name: string;
  skill: string;
  policy: string;
  priority: number;
  aging_per_min: number;
  sla_threshold_s: number;
  sla_target: number;
  wrapup_s: number;
  decline_cooldown_s: number;
  aht_s: number;
  offer_timeout_s: Record<string, number>;
  steps: Step[];
  wrapup_codes: WrapupCode[];
  wrapup_required: boolean;
  hours: Hours | null;
  /** Topics never answered automatically in this queue (complaints, cancellations…). */
  auto_exclude_topics?: string[];
}

export interface Topic extends Meta {
  id: string;
  queue: string;
  label: Record<string, string>;
  /** Example customer messages per language: what the topic classifier learns from. */
  examples?: Record<string, string[]>;
}

export interface Canned extends Meta {
  id: string;
  title: string;
  text: string;
  language: string;
  /** Queues in which it may be sent automatically. */
  auto_queues?: string[];
  /** Example customer phrasings it answers (in its language). */
  examples?: string[];
  topic?: string;
}

export interface Label extends Meta {
  id: string;
  name: string;
}

export interface Look extends Meta {
  colour: string;
  logo_url: string;
  position: "right" | "left" | string;
  launcher_text: Record<string, string>;
  privacy_notice: Record<string, string>;
  greeting: Record<string, string>;
}

export interface Settings {
  revision: number;
  work_channels: string[];
  languages: string[];
  skills: string[];
  policies: string[];
  agents: Agent[];
  queues: Queue[];
  topics: Topic[];
  canned: Canned[];
  labels: Label[];
  hours: (Hours & Meta) | null;
  hours_meta?: Meta; // where "no business hours" comes from, when hours is null
  widget: Look;
  deleted?: Deleted[]; // items of the config file deleted in the admin (revertable)
}

export interface Deleted {
  kind: string;
  id: string;
  changed_at?: string | number | null;
  changed_by?: string | null;
  problem?: string | null;
}

/** What the server said about a request it refused: status, machine code, the field it names. */
export class AdminError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field = "",
  ) {
    super(message);
  }
}

/** The fields every listed item carries about where it comes from; never sent back. */
export const META_KEYS = ["source", "changed_at", "changed_by", "config_differs", "problem"];

/** ``item`` without its source fields, as a PUT body. */
export function body<T extends object>(item: T): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(item)) if (!META_KEYS.includes(key)) out[key] = value;
  return out;
}

/** One call of an admin API as ``request`` (shared/api.ts) makes it, a refusal as an AdminError with the
 * server's code and field ("offline" when the server was not reached). */
export async function adminCall(token: string, method: string, path: string, body?: unknown,
                                headers?: Record<string, string>): Promise<{ data: any; response: Response }> {
  try {
    return await request(path, { method, body, token, headers });
  } catch (err) {
    if (err instanceof ApiError) throw new AdminError(err.status, err.code, err.status === 0 ? "" : err.message, err.field);
    throw err;
  }
}

export class Admin {
  settings: Settings | null = null;
  private readonly listeners: (() => void)[] = [];

  constructor(private readonly token: string) {}

  /** Call ``fn`` whenever the settings were (re)loaded. */
  onChange(fn: () => void): void {
    this.listeners.push(fn);
  }

  private async request(method: string, path: string, payload?: unknown, ifMatch = false): Promise<{ data: any; revision: string | null }> {
    const headers: Record<string, string> = ifMatch && this.settings ? { "If-Match": String(this.settings.revision) } : {};
    const { data, response } = await adminCall(this.token, method, path, payload, headers);
    return { data, revision: response.headers.get("X-Revision") };
  }

  /** Fetch the settings and tell every section. */
  async load(): Promise<Settings> {
    const { data } = await this.request("GET", "/api/v1/admin/settings");
    this.settings = data as Settings;
    this.notify();
    return this.settings;
  }

  /** Tell every section to draw the settings as they are. */
  notify(): void {
    for (const fn of this.listeners) fn();
  }

  /** A write under the revision the admin saw; then the settings are reloaded. */
  async write<T = unknown>(method: string, path: string, payload?: unknown): Promise<T> {
    const { data, revision } = await this.request(method, `/api/v1/admin/${path}`, payload, true);
    if (revision && this.settings) this.settings.revision = Number(revision);
    await this.load().catch(() => undefined); // the write stands even when the reload fails
    return data as T;
  }
}

/** An id as the server takes it: lower-case letters, digits, "_" and "-", at most 64. */
export const ID = /^[a-z0-9][a-z0-9_-]{0,63}$/;

/** Path segment for an id in a URL. */
export const seg = (id: string) => encodeURIComponent(id);
