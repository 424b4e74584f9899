// A conversation read through REST, page by page (`?after_seq=N` answers with `next_after_seq`
// while more messages remain): the first load of an assigned conversation and the transcripts of
// a customer's earlier conversations.

import { api } from "../shared/api";
import { followPages, type HistoryPage } from "../shared/history";
import type { Message } from "../shared/messages";

export interface ConversationPage extends HistoryPage {
  state?: string;
  created_at?: number;
  linked_to?: string | null;
  subject?: string;
}

/** One page of a conversation: its fields and the messages after `afterSeq`. */
export function fetchConversation(id: string, token: string, afterSeq = 0): Promise<ConversationPage> {
  const query = afterSeq > 0 ? `?after_seq=${afterSeq}` : "";
  return api<ConversationPage>(`/api/v1/conversations/${encodeURIComponent(id)}${query}`, { token });
}

/** Every message of a conversation, following the pages to the end. */
export async function allMessages(id: string, token: string): Promise<Message[]> {
  const out: Message[] = [];
  await followPages(0, (after) => fetchConversation(id, token, after), (messages) => out.push(...messages));
  return out;
}
