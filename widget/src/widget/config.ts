// The tenant's public widget settings (topics, languages, long-wait threshold, message length).

import { api } from "../shared/api";

export interface Topic {
  id: string;
  label: Record<string, string>;
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
  };
}

/** A topic's label in the visitor's language (falling back to any label, then the id). */
export function topicLabel(topic: Topic, lang: string): string {
  return topic.label?.[lang] ?? topic.label?.en ?? Object.values(topic.label ?? {})[0] ?? topic.id;
}
