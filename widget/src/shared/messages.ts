// One conversation's messages, merged by `seq`: whatever arrives twice (reconnect, history,
// a second tab) is stored once, and a gap in the numbering tells the client it missed some.

export interface Author {
  kind: "visitor" | "agent" | "system" | string;
  name: string;
}

/** An address as the gateway passes it: "Name <a@b>", or split into its parts. */
export type MailAddress = string | { name?: string; address?: string; email?: string };

/** What an email carried besides its new text (email conversations only). */
export interface MailDetails {
  subject?: string;
  from?: MailAddress;
  to?: MailAddress[] | MailAddress;
  cc?: MailAddress[] | MailAddress;
  /** The whole original text, quoted history and signature included (shown only as text). */
  quoted?: string;
  html_present?: boolean;
  /** "" for a person's mail; else why it counts as automatic (out_of_office, autoreply, …). */
  auto?: string;
}

/** A file on a message; its bytes come from the gateway's media route, never from the platform. */
export interface Attachment {
  id: string;
  kind: "image" | "audio" | "video" | "file" | "sticker" | string;
  name?: string;
  mime?: string;
  size?: number;
  state?: "pending" | "ready" | "failed" | "too_large" | string;
  reason?: string;
}

export interface Message {
  id: string;
  conversation_id: string;
  seq: number;
  author: Author;
  text: string;
  ts: number;
  client_id?: string;
  attachments?: Attachment[];
  /** An agent's reply in a messenger conversation: what the platform did with it. */
  status?: string;
  status_reason?: string;
  /** The platform's name of a message type the gateway cannot show. */
  unsupported?: string;
  /** The seq of the customer's message this one changes. */
  edit_of?: number;
  /** An emoji on an earlier message ("" = taken back). */
  reaction?: { emoji: string; target_seq: number };
  /** A mail: its subject, addresses and full original text. */
  email?: MailDetails;
  /** Sent by the gateway itself: an approved canned answer given automatically (issue 14). */
  auto?: boolean;
}

export class MessageLog {
  private readonly bySeq = new Map<number, Message>();
  private contiguous = 0;

  /** Add a message; false when this seq is already known. */
  add(message: Message): boolean {
    if (typeof message.seq !== "number" || this.bySeq.has(message.seq)) return false;
    this.bySeq.set(message.seq, message);
    // seq counts 1, 2, 3… (contract), so anything before the first arrival is a gap to fill.
    while (this.bySeq.has(this.contiguous + 1)) this.contiguous += 1;
    return true;
  }

  /** Add many; returns those that were new, in seq order. */
  merge(messages: Message[]): Message[] {
    return [...messages].sort((a, b) => a.seq - b.seq).filter((m) => this.add(m));
  }

  get(seq: number): Message | undefined {
    return this.bySeq.get(seq);
  }

  has(seq: number): boolean {
    return this.bySeq.has(seq);
  }

  hasId(id: string): boolean {
    for (const m of this.bySeq.values()) if (m.id === id) return true;
    return false;
  }

  /** Highest seq up to which nothing is missing: what `history {after_seq}` should ask after. */
  get lastSeq(): number {
    return this.contiguous;
  }

  get maxSeq(): number {
    let max = 0;
    for (const seq of this.bySeq.keys()) max = Math.max(max, seq);
    return max;
  }

  /** True when a later message arrived while an earlier one is missing. */
  get hasGap(): boolean {
    return this.maxSeq > this.contiguous;
  }

  get size(): number {
    return this.bySeq.size;
  }

  list(): Message[] {
    return [...this.bySeq.values()].sort((a, b) => a.seq - b.seq);
  }
}
