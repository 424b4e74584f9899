// A conversation opened from another one (a reply to our mail from a different sender becomes its
// own conversation, linked — never merged silently into someone else's): the agent sees the link
// and reads the other conversation in the transcript dialog.

import { ApiError } from "../shared/api";
import { h } from "../shared/dom";
import { dateTime } from "../shared/format";
import { transcriptDialog } from "./dialogs";
import { allMessages } from "./history";
import type { Conversation } from "./types";

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
            h("span", null, "Linked to an earlier conversation"),
            h("button", { class: "btn small", type: "button", "data-action": "open-linked", "data-conversation-id": target, onclick: () => this.open(target) }, "Open transcript"),
          ]
        : []),
    );
  }

  private async open(id: string): Promise<void> {
    try {
      const messages = await allMessages(id, this.token);
      const first = messages[0];
      transcriptDialog(`Linked conversation${first ? ` · ${dateTime(first.ts)}` : ""}`, messages);
    } catch (err) {
      const denied = err instanceof ApiError && (err.status === 403 || err.status === 404);
      transcriptDialog("Linked conversation", [], denied ? "You may not read that conversation, or it no longer exists." : "The transcript could not be loaded. Please try again.");
    }
  }
}
