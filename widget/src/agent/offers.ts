// Incoming offers: who, on which channel, about what, how long they waited, and a live countdown
// until the offer passes to the next agent.

import { h, replace, setText } from "../shared/dom";
import { duration } from "../shared/format";
import { channelIcon, channelName } from "../shared/icons";
import type { AgentConnection } from "./connection";
import { errorSentence } from "./errors";
import type { Offer } from "./types";
import { t } from "./strings";

export class OfferList {
  readonly el = h("section", { class: "offers", "aria-labelledby": "offers-title" });
  private readonly list = h("ul", { class: "offer-list", role: "list" });
  private readonly count = h("span", { class: "count" });
  private readonly cards = new Map<string, { el: HTMLElement; wait: HTMLElement; left: HTMLElement; bar: HTMLElement }>();

  constructor(
    private readonly conn: AgentConnection,
    private readonly topicName: (id: string) => string,
    private readonly onAccepted: (conversationId: string) => void,
    private readonly toast: (text: string) => void,
  ) {
    this.el.append(h("h2", { id: "offers-title", class: "section-title" }, `${t.offers} `, this.count), this.list);
    setInterval(() => this.tick(), 250);
  }

  render(): void {
    const offers = [...this.conn.offers.values()];
    for (const [id, card] of this.cards) {
      if (!this.conn.offers.has(id)) {
        card.el.remove();
        this.cards.delete(id);
      }
    }
    for (const offer of offers) if (!this.cards.has(offer.offer_id)) this.list.append(this.card(offer));
    setText(this.count, offers.length ? `(${offers.length})` : null);
    this.el.hidden = offers.length === 0;
    this.tick();
  }

  private card(offer: Offer): HTMLElement {
    // A callback is offered as voice whatever channel the customer wrote on: shown as a phone call.
    const type = offer.channel === "voice" ? "voice" : offer.channel_type ?? offer.channel;
    const wait = h("span", { class: "waited" });
    const left = h("span", { class: "left" });
    const bar = h("span", { class: "bar" });
    const accept = h("button", { class: "btn primary small", type: "button", "data-action": "accept" }, t.accept);
    const decline = h("button", { class: "btn small", type: "button", "data-action": "decline" }, t.decline);
    const name = offer.contact?.name || t.customer;
    accept.addEventListener("click", async () => {
      accept.disabled = decline.disabled = true;
      const ack = await this.conn.accept(offer.offer_id);
      if (ack.error) this.toast(t.acceptFailed(errorSentence(ack.error)));
      // A callback becomes a voice item in the sidebar, not the open conversation.
      else if (offer.channel !== "voice" && (ack.conversation?.conversation_id || offer.conversation_id)) {
        this.onAccepted(ack.conversation?.conversation_id ?? offer.conversation_id);
      }
    });
    decline.addEventListener("click", async () => {
      accept.disabled = decline.disabled = true;
      await this.conn.decline(offer.offer_id);
    });
    const el = h(
      "li",
      { class: "offer-card", "data-offer-id": offer.offer_id, "aria-label": t.offerLabel(name) },
      h("div", { class: "offer-head" }, channelIcon(type), h("strong", { class: "offer-name" }, name)),
      h(
        "div",
        { class: "offer-meta" },
        h("span", null, channelName(type)),
        h("span", null, this.topicName(offer.topic)),
        h("span", { class: "lang" }, (offer.language || "").toUpperCase()),
      ),
      offer.callback ? h("div", { class: "offer-meta offer-callback" }, t.callbackTo(offer.callback.phone, offer.callback.attempt)) : null,
      offer.preview ? h("p", { class: "offer-preview", title: t.firstMessage }, offer.preview) : null,
      offer.note ? h("p", { class: "offer-note", title: t.handoverNoteTitle }, h("strong", null, t.notePrefix), offer.note) : null,
      h("div", { class: "offer-times" }, h("span", null, t.waited, wait), left),
      h("div", { class: "countdown", "aria-hidden": "true" }, bar),
      h("div", { class: "offer-actions" }, accept, decline),
    );
    this.cards.set(offer.offer_id, { el, wait, left, bar });
    replace(left);
    return el;
  }

  private tick(): void {
    const now = performance.now();
    for (const [id, card] of this.cards) {
      const offer = this.conn.offers.get(id);
      if (!offer) continue;
      const elapsed = (now - offer.received) / 1000;
      const remaining = Math.max(0, (offer.expires_in_s ?? 0) - elapsed);
      setText(card.wait, duration((offer.waited_s ?? 0) + elapsed));
      setText(card.left, t.secondsLeft(Math.ceil(remaining)));
      card.left.classList.toggle("urgent", remaining <= 5);
      card.bar.style.width = offer.expires_in_s ? `${(remaining / offer.expires_in_s) * 100}%` : "0";
      if (remaining <= 0) card.el.classList.add("expired");
    }
  }
}
