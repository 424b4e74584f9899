// What became of the agent's replies in messenger conversations (`message_status`; files are
// pending_files.ts). Statuses only move forward (sent < delivered < read;
// failed is final; held becomes sent once the channel is fixed): events can arrive out of order,
// and a status can arrive before the ack that tells the console the message's id and seq.

import type { Message, MessageLog } from "../shared/messages";

export interface StatusEvent {
  conversation_id: string;
  message_id?: string;
  client_id?: string;
  seq?: number;
  status: string;
  reason?: string;
}

const RANK: Record<string, number> = { held: 0, sent: 1, delivered: 2, read: 3, failed: 4 };

/** True when `next` may replace `current`. */
export function advances(current: string | undefined, next: string): boolean {
  if (!(next in RANK)) return false;
  if (!current || !(current in RANK)) return true;
  if (current === "failed") return false;
  return RANK[next] > RANK[current] || (current === "held" && next !== "held");
}

/** Statuses waiting for their message (by message id and by client id). */
export class StatusBook {
  private readonly early = new Map<string, StatusEvent>();

  /** Apply to the message in `log`; kept for later when the message is not there yet. */
  apply(log: MessageLog, e: StatusEvent): boolean {
    const target =
      (typeof e.seq === "number" ? log.get(e.seq) : undefined) ??
      log.list().find((m) => (e.message_id && m.id === e.message_id) || (e.client_id && m.client_id === e.client_id));
    if (!target) {
      for (const key of [e.message_id, e.client_id]) {
        if (key && advances(this.early.get(key)?.status, e.status)) this.early.set(key, e);
      }
      return false;
    }
    return set(target, e.status, e.reason);
  }

  /** A message just entered the log: give it the status that came before it. */
  adopt(m: Message): void {
    for (const key of [m.id, m.client_id]) {
      const e = key ? this.early.get(key) : undefined;
      if (!e) continue;
      this.early.delete(key!);
      set(m, e.status, e.reason);
    }
  }
}

function set(m: Message, status: string, reason = ""): boolean {
  if (!advances(m.status, status)) return false;
  m.status = status;
  m.status_reason = reason;
  return true;
}
