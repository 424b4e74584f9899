// Whether the customer is still there, as the agent sees it: left the chat (their last tab
// closed), back again, or unreachable (the messenger platform refused to deliver a reply).
// "left" shows after a short pause: a reload closes the tab and opens it again within a second,
// and that is not leaving. A message from the customer proves they are there.

import { t } from "./strings";
import type { Conversation } from "./types";

export type Presence = "" | "left" | "back" | "unreachable";

/** `customer_presence {conversation_id, present, reason: left|back|unreachable, detail?}`. */
export interface PresenceEvent {
  conversation_id: string;
  present: boolean;
  reason: string;
  detail?: string;
}

const LEFT_AFTER_MS = 2000;

/** What the console shows of the customer's presence now. */
export function presenceOf(c: Conversation): Presence {
  if (c.closed) return "";
  return c.presence ?? (c.customer_present === false ? "left" : "");
}

export class PresenceBook {
  private readonly pending = new Map<string, ReturnType<typeof setTimeout>>();

  constructor(private readonly changed: (conversationId: string) => void) {}

  apply(c: Conversation, e: PresenceEvent): void {
    const id = c.conversation_id;
    clearTimeout(this.pending.get(id));
    this.pending.delete(id);
    if (e.reason === "left") {
      this.pending.set(id, setTimeout(() => {
        this.pending.delete(id);
        this.set(c, "left");
      }, LEFT_AFTER_MS));
    } else if (e.reason === "back") {
      // back after a reload that never showed "left": nothing to say
      this.set(c, presenceOf(c) === "left" ? "back" : "");
    } else if (e.reason === "unreachable") {
      this.set(c, "unreachable", typeof e.detail === "string" ? e.detail : "");
    }
  }

  /** The customer wrote: whatever was said about their absence is over. */
  customerWrote(c: Conversation): void {
    if (presenceOf(c)) this.set(c, "");
  }

  /** A fresh summary from the server (reconnect): its customer_present counts again. */
  reset(c: Conversation): void {
    clearTimeout(this.pending.get(c.conversation_id));
    this.pending.delete(c.conversation_id);
    delete c.presence;
    delete c.presenceDetail;
  }

  private set(c: Conversation, presence: Presence, detail = ""): void {
    if (c.presence === presence && (c.presenceDetail ?? "") === detail) return;
    c.presence = presence;
    c.presenceDetail = detail;
    this.changed(c.conversation_id);
  }
}

/** The sentence the open conversation shows (and screen readers hear), or null. */
export function presenceSentence(c: Conversation): string | null {
  const name = c.contact?.name || t.customer;
  switch (presenceOf(c)) {
    case "left":
      return t.customerLeft(name);
    case "back":
      return t.customerBack(name);
    case "unreachable":
      return t.customerUnreachable(name, c.presenceDetail ?? "");
    default:
      return null;
  }
}
