// A conversation opened from another one (a reply to our mail from a different sender becomes its
// own conversation, linked — never merged silently into someone else's): the agent sees the link
// and reads the other conversation in the transcript dialog.

import { ApiError } from "../shared/api";
import { h } from "../shared/dom";
import { dateTime } from "../shared/format";
import { transcriptDialog } from "./dialogs";
import { allMessages } from "./history";
import type { Conversation } from "./types";
import { t } from "./strings";

export class LinkedNote {
  readonly el = h("div", { class: "linked", role: "note", hidden: true });
  private shownFor = "";

  constructor(private readonly token: string) {}

  show(c: Conversation | null): void {
    const target = c?.linked_to || "";
    this.el.hidden = !target;
    if (target === this.shownFor) return;
    this.shownFor = target;
    this.el.replaceChildren(
      ...(target
        ? [
            h("span", null, t.linkedNote),
            h("button", { class: "btn small", type: "button", "data-action": "open-linked", "data-conversation-id": target, onclick: () => this.open(target) }, t.openTranscript),
          ]
        : []),
    );
  }

  private async open(id: string): Promise<void> {
    try {
      const messages = await allMessages(id, this.token);
      const first = messages[0];
      transcriptDialog(`${t.linkedConversation}${first ? ` · ${dateTime(first.ts, t.lang)}` : ""}`, messages);
    } catch (err) {
      const denied = err instanceof ApiError && (err.status === 403 || err.status === 404);
      transcriptDialog(t.linkedConversation, [], denied ? t.linkedDenied : t.linkedFailed);
    }
  }
}
