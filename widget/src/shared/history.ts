// History comes in pages: an answer with a numeric `next_after_seq` means more messages remain,
// so the client asks again from there until it is null. Stopping after the first page would
// silently drop the rest of a long conversation.

import type { Message } from "./messages";

export interface HistoryPage {
  messages?: Message[];
  next_after_seq?: number | null;
}

/** Ask `fetchPage(after_seq)` page by page from `afterSeq`, handing each page to `onPage`. */
export async function followPages(
  afterSeq: number,
  fetchPage: (afterSeq: number) => Promise<HistoryPage | null | undefined>,
  onPage: (messages: Message[]) => void,
): Promise<void> {
  let after = afterSeq;
  for (;;) {
    const page = await fetchPage(after);
    onPage(page?.messages ?? []);
    const next = page?.next_after_seq;
    // A cursor that does not move forward would loop for ever: treat it as the end.
    if (typeof next !== "number" || next <= after) return;
    after = next;
  }
}
