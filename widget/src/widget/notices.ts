// System lines of the widget that come from events, not stored messages ("Anna has joined",
// "you are being transferred", "this conversation has ended"). Each sits after the seq that was
// the conversation's latest when its event arrived, and that place is kept in localStorage: after
// a reload the server repeats `assigned` before the history is in, and the line must not jump
// above the messages it followed.

import type { MessageLog } from "../shared/messages";
import type { TenantStorage } from "./storage";

export interface Notice {
  key: string;
  conversationId: string;
  /** Shown after this seq; null until the conversation's history is in (then shown last). */
  afterSeq: number | null;
  text: string;
}

const KEEP = 50;

export class NoticeBook {
  private readonly items: Notice[];
  private readonly loaded = new Set<string>();

  constructor(private readonly storage: TenantStorage) {
    const saved = storage.get<Notice[]>("notices");
    this.items = Array.isArray(saved) ? saved.filter((n) => n && typeof n.key === "string" && typeof n.afterSeq === "number") : [];
  }

  has(key: string): boolean {
    return this.items.some((n) => n.key === key);
  }

  /** Record a notice once; false when its key is known (its first place stays). */
  add(key: string, conversationId: string, text: string, log: MessageLog | undefined): boolean {
    if (this.has(key)) return false;
    // Right after a page load the log is empty until the history answer: place it then.
    const known = (log?.size ?? 0) > 0 || this.loaded.has(conversationId);
    this.items.push({ key, conversationId, afterSeq: known ? log?.maxSeq ?? 0 : null, text });
    this.save();
    return true;
  }

  /** The conversation's history is in: notices waiting for it go after its latest seq. */
  historyLoaded(conversationId: string, log: MessageLog | undefined): boolean {
    this.loaded.add(conversationId);
    let changed = false;
    for (const n of this.items) {
      if (n.conversationId === conversationId && n.afterSeq === null) {
        n.afterSeq = log?.maxSeq ?? 0;
        changed = true;
      }
    }
    if (changed) this.save();
    return changed;
  }

  /** A conversation's notices in display order (stable for equal places). */
  of(conversationId: string): Notice[] {
    const place = (n: Notice) => (n.afterSeq === null ? Infinity : n.afterSeq);
    return this.items.filter((n) => n.conversationId === conversationId).sort((a, b) => place(a) - place(b));
  }

  private save(): void {
    this.storage.set("notices", this.items.filter((n) => n.afterSeq !== null).slice(-KEEP));
  }
}
