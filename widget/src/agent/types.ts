// Shapes the agent console receives from the gateway (see /work/shared/CONTRACT.md).

import type { MessageLog } from "../shared/messages";

export interface Contact {
  id: string;
  name: string;
  email?: string;
  phone?: string;
  /** Absent = false: a typed address is a claim until verified. */
  email_verified?: boolean;
  phone_verified?: boolean;
  identities?: unknown[];
}

export interface ConversationSummary {
  conversation_id: string;
  channel: string; // work channel: chat | messaging | email | voice
  channel_type: string; // widget | telegram | whatsapp | …
  channel_id?: string;
  topic: string;
  language: string;
  queue?: string;
  state?: string;
  last_seq?: number;
  created_at?: number;
  contact: Contact;
  /** Messenger conversations: when free text stops being accepted (epoch s), and by which rule. */
  window_closes_at?: number | null;
  window_kind?: "whatsapp_24h" | "messenger_24h" | string | null;
  /** Languages with an approved template for this channel (what a closed window still takes). */
  templates?: string[];
  /** Another conversation this one came from (e.g. a reply from a different sender). */
  linked_to?: string | null;
  /** Email conversations: the subject of the thread, when the gateway names it. */
  subject?: string;
  /** Label ids on the conversation (names in Workspace.labels). */
  labels?: string[];
  /** Widget conversations: whether the visitor had a tab open when this summary was made. */
  customer_present?: boolean;
  /** What the gateway's classifier made of the conversation (agent/assist.ts). */
  assist?: AssistInfo;
}

/** The detected language and topic with their confidences (0–1); abstained = topic unclear. */
export interface AssistInfo {
  language?: string;
  language_confidence?: number;
  topic?: string | null;
  topic_confidence?: number;
  abstained?: boolean;
  auto_answered?: boolean;
}

/** A canned answer suggested for the customer's last message (text still has its placeholders). */
export interface Suggestion {
  canned_id: string;
  title: string;
  text: string;
  score?: number;
  confidence?: number;
  /** The example phrasing or words it matched. */
  why?: string;
  why_kind?: string;
}

/** The callback a voice offer/item is about (attempt counts from 1). */
export interface CallbackInfo {
  id: string;
  phone: string;
  attempt: number;
}

/** An accepted callback attempt: the voice item, open while `state` is "dialling". */
export interface CallbackItem {
  conversation_id: string;
  callback: CallbackInfo;
  state: string; // dialling | reached | no_answer | busy | wrong_number | failed
}

export type CallbackOutcome = "reached" | "no_answer" | "busy" | "wrong_number";

export interface Offer {
  offer_id: string;
  conversation_id: string;
  channel: string;
  /** Voice offers of a callback. */
  callback?: CallbackInfo;
  channel_type?: string;
  language: string;
  topic: string;
  waited_s: number;
  expires_in_s: number;
  contact: Contact;
  /** The customer's first message, bounded (shown as text). */
  preview?: string;
  /** The handover note of a transfer ("" = none). */
  note?: string;
  /** performance.now() when it arrived: countdowns run from there. */
  received: number;
}

export interface Pending {
  client_id: string;
  text: string;
  /** The canned answer (or suggestion) the text came from: a learning signal for the gateway. */
  canned_id?: string;
  created: number;
  state: "sending" | "failed";
  error?: string;
}

export interface Conversation extends ConversationSummary {
  log: MessageLog;
  outbox: Pending[];
  unread: number;
  typing: boolean;
  closed: boolean;
  closeReason: string;
  loaded: boolean;
  notes: string[];
  /** What the gateway said since of the customer's presence (agent/presence.ts). */
  presence?: "" | "left" | "back" | "unreachable";
  presenceDetail?: string;
  /** The latest suggestions and the seq of the customer message they answer. */
  suggestions?: Suggestion[];
  suggestionsAfter?: number;
}

export interface Directory {
  queues: { id: string; name: string }[];
  agents: { id: string; name: string; state?: string }[];
  wrapup_codes: (string | { id: string; name?: string; label?: string })[];
}

export interface Canned {
  id: string;
  title: string;
  text: string;
  language: string;
}

export type AgentState = "available" | "away" | "offline";

/** The tenant's labels and each queue's wrap-up codes, from `hello`. */
export interface Workspace {
  labels: { id: string; name: string }[];
  wrapup: Record<string, { required: boolean; codes: { id: string; name: string }[] }>;
}
