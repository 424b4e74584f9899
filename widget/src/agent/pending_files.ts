// Customers' files the gateway is still fetching from their platform ("Loading file…"), until the
// console knows what became of each. The `attachment` event tells at once, but it goes to whoever
// holds the conversation at that moment: a file that settled while the offer was being accepted,
// or while this agent's network was down, was announced to nobody. So, besides the event, the
// console asks the media route (`?meta=1`) about the files its logs still show as pending, at a
// slowing pace while any are, and never once they all have settled.

import type { Attachment, Message, MessageLog } from "../shared/messages";

export type FileMeta = Partial<Attachment> & { id: string };

const FIRST_CHECK_MS = 1_000; // then half as long again each time (a fetch usually settles within a second) …
const MAX_CHECK_MS = 15_000; // … up to this (the gateway gives a file up after about four minutes)
const KEEP_EARLY = 200; // events for messages not in a log yet, kept this many at most

/** `attachment {conversation_id, seq, media}`: one attachment of a stored message changed. */
export function updateAttachment(log: MessageLog, seq: number | null, media: FileMeta): boolean {
  // seq is null when the file settled before its message was numbered: look for it by id.
  const m = typeof seq === "number" ? log.get(seq) : log.list().find((x) => x.attachments?.some((y) => y.id === media.id));
  const a = m?.attachments?.find((x) => x.id === media.id);
  if (!m || !a) return false;
  const before = JSON.stringify(a);
  Object.assign(a, media);
  if (a.state !== "failed" && !media.reason) delete a.reason;
  return JSON.stringify(a) !== before;
}

function pendingIn(log: MessageLog): Message[] {
  return log.list().filter((m) => m.attachments?.some((a) => a.state === "pending"));
}

/** Keeps each conversation's pending files moving: news that came early, and checks that slow down. */
export class PendingFiles {
  private readonly early = new Map<string, FileMeta>();
  private readonly timers = new Map<string, { timer: ReturnType<typeof setTimeout>; delay: number }>();

  constructor(
    private readonly logOf: (conversationId: string) => MessageLog | undefined,
    private readonly meta: (id: string) => Promise<FileMeta>,
    private readonly changed: (conversationId: string) => void,
  ) {}

  /** The `attachment` event. Kept for later when its message is not in the log yet. */
  event(conversationId: string, seq: number | null, media: FileMeta): void {
    const log = this.logOf(conversationId);
    if (log && updateAttachment(log, seq, media)) {
      this.changed(conversationId);
      return;
    }
    if (media.state && media.state !== "pending") {
      this.early.set(media.id, media);
      if (this.early.size > KEEP_EARLY) this.early.delete(this.early.keys().next().value as string);
    }
  }

  /** Messages were merged into a conversation's log (its copy wins over theirs for a known seq):
   * apply what came before them, and look after whatever they left pending. */
  merged(conversationId: string, messages: Message[]): void {
    const log = this.logOf(conversationId);
    if (!log) return;
    let changed = false;
    for (const m of messages) {
      const logged = log.get(m.seq);
      for (const a of logged?.attachments ?? []) {
        if (a.state !== "pending") continue;
        // the news came first, or this copy (a later read) knows better than the one kept
        const known = this.early.get(a.id) ?? m.attachments?.find((x) => x.id === a.id && x.state !== "pending");
        this.early.delete(a.id);
        if (known) changed = updateAttachment(log, logged!.seq, known) || changed;
      }
    }
    if (changed) this.changed(conversationId);
    const pending = messages.some((m) => log.get(m.seq)?.attachments?.some((a) => a.state === "pending"));
    this.watch(conversationId, pending); // new pending files: asked about at once, then at the slowing pace
  }

  /** Check on the conversation's pending files now and then while it has any (`now`: first at once). */
  watch(conversationId: string, now = false): void {
    const log = this.logOf(conversationId);
    if (!log || !pendingIn(log).length) return this.forget(conversationId);
    if (this.timers.has(conversationId) && !now) return;
    this.schedule(conversationId, now ? 0 : FIRST_CHECK_MS);
  }

  forget(conversationId: string): void {
    clearTimeout(this.timers.get(conversationId)?.timer);
    this.timers.delete(conversationId);
  }

  private schedule(conversationId: string, delay: number): void {
    clearTimeout(this.timers.get(conversationId)?.timer);
    const entry = { timer: setTimeout(() => void this.check(conversationId, entry), delay), delay };
    this.timers.set(conversationId, entry);
  }

  private async check(conversationId: string, entry: { delay: number }): Promise<void> {
    const log = this.logOf(conversationId);
    if (!log) return this.forget(conversationId);
    let changed = false;
    for (const m of pendingIn(log)) {
      for (const a of m.attachments ?? []) {
        if (a.state !== "pending") continue;
        try {
          changed = updateAttachment(log, m.seq, { ...(await this.meta(a.id)), id: a.id }) || changed;
        } catch {
          /* offline or gone: the next check, or the event, tells */
        }
      }
    }
    if (changed) this.changed(conversationId);
    if (this.timers.get(conversationId) !== entry) return; // rescheduled or forgotten meanwhile
    if (!pendingIn(log).length) return this.forget(conversationId);
    this.schedule(conversationId, Math.min(MAX_CHECK_MS, Math.max(FIRST_CHECK_MS, entry.delay * 1.5)));
  }
}
