// Accepted callbacks as voice items: the number to call (a tel: link), the conversation so far,
// and how the call went. An item closes once the attempt is settled, by the agent or the dialer.

import { h, replace, setText } from "../shared/dom";
import { clockTime } from "../shared/format";
import { channelIcon } from "../shared/icons";
import type { Message } from "../shared/messages";
import type { AgentConnection } from "./connection";
import { errorSentence } from "./errors";
import { allMessages } from "./history";
import type { CallbackItem, CallbackOutcome } from "./types";
import { t } from "./strings";

const OUTCOMES: [CallbackOutcome, string][] = (["reached", "no_answer", "busy", "wrong_number"] as CallbackOutcome[]).map((o) => [o, t.outcomes[o]]);

export class CallbackList {
  readonly el = h("section", { class: "callbacks", "aria-labelledby": "callbacks-title" });
  private readonly list = h("ul", { class: "callback-list", role: "list" });
  /** Cards by conversation id, with the callback attempt they show. */
  private readonly cards = new Map<string, { el: HTMLElement; key: string }>();

  constructor(
    private readonly conn: AgentConnection,
    private readonly token: string,
    private readonly toast: (text: string) => void,
  ) {
    this.el.append(h("h2", { id: "callbacks-title", class: "section-title" }, t.callbacks), this.list);
    this.el.hidden = true;
  }

  render(): void {
    for (const [id, card] of this.cards) {
      const item = this.conn.callbacks.get(id);
      if (!item || keyOf(item) !== card.key) {
        card.el.remove();
        this.cards.delete(id);
      }
    }
    for (const item of this.conn.callbacks.values()) {
      if (this.cards.has(item.conversation_id)) continue;
      const el = this.card(item);
      this.cards.set(item.conversation_id, { el, key: keyOf(item) });
      this.list.append(el);
    }
    this.el.hidden = this.cards.size === 0;
  }

  private card(item: CallbackItem): HTMLElement {
    const { phone, attempt } = item.callback;
    const transcript = h("ol", { class: "callback-transcript", "aria-label": t.soFar }, h("li", { class: "muted" }, t.loadingConversation));
    const error = h("p", { class: "callback-error", role: "alert" });
    const buttons = OUTCOMES.map(([outcome, label]) =>
      h("button", { class: `btn small${outcome === "reached" ? " primary" : ""}`, type: "button", "data-outcome": outcome }, label),
    );
    for (const button of buttons) {
      button.addEventListener("click", async () => {
        for (const b of buttons) b.disabled = true;
        setText(error, null);
        const outcome = button.dataset.outcome as CallbackOutcome;
        const ack = await this.conn.callbackOutcome(item.conversation_id, outcome);
        if (ack.error) {
          setText(error, errorSentence(ack.error, t.outcomeFailed));
          for (const b of buttons) b.disabled = false;
        } else {
          this.toast(ack.settled === false ? t.alreadySettled : t.callMarked(button.textContent ?? outcome));
        }
      });
    }
    const el = h(
      "li",
      { class: "callback-item", "data-callback-id": item.callback.id, "data-conversation-id": item.conversation_id, "aria-label": t.callbackToLabel(phone) },
      h(
        "div",
        { class: "callback-head" },
        channelIcon("voice"),
        h("a", { class: "callback-phone", href: `tel:${phone.replace(/[^+\d]/g, "")}` }, phone),
        h("span", { class: "callback-attempt muted" }, t.attempt(attempt)),
      ),
      transcript,
      h("div", { class: "callback-actions", role: "group", "aria-label": t.howDidItGo }, ...buttons),
      error,
    );
    void this.load(item.conversation_id, transcript);
    return el;
  }

  private async load(conversationId: string, transcript: HTMLElement): Promise<void> {
    try {
      const messages = await allMessages(conversationId, this.token);
      replace(transcript, ...(messages.length ? messages.map(line) : [h("li", { class: "muted" }, t.noMessagesYet)]));
    } catch {
      replace(transcript, h("li", { class: "muted" }, t.conversationNotLoaded));
    }
  }
}

function keyOf(item: CallbackItem): string {
  return `${item.callback.id}:${item.callback.attempt}`;
}

function line(m: Message): HTMLElement {
  const who = m.author?.kind === "system" ? "" : `${m.author?.name || (m.author?.kind === "visitor" ? t.customer : t.agent)}: `;
  return h(
    "li",
    { class: `callback-line by-${m.author?.kind ?? "system"}` },
    h("time", { class: "muted" }, m.ts ? clockTime(m.ts, t.lang) : ""),
    " ",
    who ? h("strong", null, who) : null,
    m.text || (m.attachments?.length ? t.attachmentMark : ""),
  );
}
