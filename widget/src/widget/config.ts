// The tenant's public widget settings (topics, languages, long-wait threshold, message length).

import { api } from "../shared/api";

export interface Topic {
  id: string;
  label: Record<string, string>;
}

/** The tenant's look; checked again here, since it goes into the customer's page. */
export interface Look {
  colour: string | null;
  logo_url: string | null;
  position: "right" | "left";
  launcher_text: Record<string, string>;
  privacy_notice: Record<string, string>;
}

const COLOUR = /^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/;

function texts(value: unknown, limit: number): Record<string, string> {
  const out: Record<string, string> = {};
  if (value && typeof value === "object") {
    for (const [lang, text] of Object.entries(value as Record<string, unknown>)) {
      if (typeof text === "string") out[lang] = text.slice(0, limit);
    }
  }
  return out;
}

function httpUrl(value: unknown): string | null {
  if (typeof value !== "string" || !value) return null;
  try {
    const url = new URL(value);
    return url.protocol === "https:" || url.protocol === "http:" ? url.href : null;
  } catch {
    return null;
  }
}

export function parseLook(raw: unknown): Look {
  const l = (raw && typeof raw === "object" ? raw : {}) as Record<string, unknown>;
  return {
    colour: typeof l.colour === "string" && COLOUR.test(l.colour) ? l.colour : null,
    logo_url: httpUrl(l.logo_url),
    position: l.position === "left" ? "left" : "right",
    launcher_text: texts(l.launcher_text, 40),
    privacy_notice: texts(l.privacy_notice, 300),
  };
}

export interface WidgetConfig {
  tenant: string;
  name: string;
  languages: string[];
  topics: Topic[];
  long_wait_s: number;
  agents_online: number;
  greeting?: Record<string, string>;
  /** Longest message the gateway accepts, in characters. */
  message_chars: number;
  /** Largest file a visitor may send (bytes; 0 = the server decides) and the accepted types. */
  upload_bytes: number;
  upload_types: string[];
  /** Inside business hours; outside them the widget offers email and callback instead of the chat. */
  open: boolean;
  /** When it opens again (ISO time), null while open or when no opening is scheduled. */
  next_open: string | null;
  look: Look;
}

export const DEFAULT_MESSAGE_CHARS = 4096;

export async function loadConfig(origin: string, tenant: string): Promise<WidgetConfig> {
  const c = await api<Partial<WidgetConfig>>(`/api/v1/widget/config?tenant=${encodeURIComponent(tenant)}`, {
    base: origin,
  });
  return {
    tenant,
    name: c.name ?? "",
    languages: c.languages?.length ? c.languages : ["de", "en"],
    topics: c.topics ?? [],
    long_wait_s: c.long_wait_s ?? 120,
    agents_online: c.agents_online ?? 1,
    greeting: c.greeting,
    message_chars: typeof c.message_chars === "number" && c.message_chars > 0 ? c.message_chars : DEFAULT_MESSAGE_CHARS,
    upload_bytes: typeof c.upload_bytes === "number" && c.upload_bytes > 0 ? c.upload_bytes : 0,
    upload_types: Array.isArray(c.upload_types) ? c.upload_types.filter((t) => typeof t === "string") : [],
    open: c.open !== false, // an older gateway does not say: treat it as open
    next_open: typeof c.next_open === "string" ? c.next_open : null,
    look: parseLook(c.look),
  };
}

/** A topic's label in the visitor's language (falling back to any label, then the id). */
export function topicLabel(topic: Topic, lang: string): string {
  return topic.label?.[lang] ?? topic.label?.en ?? Object.values(topic.label ?? {})[0] ?? topic.id;
}
