// Offers told without sound: each new offer is announced to screen readers (an assertive live
// region, text only), and while one is pending the tab's title says so ("(1) New offer —
// omnirelay"); without offers the title shows the unread count again.

import { h } from "../shared/dom";
import { t } from "./strings";

const KEEP = 3; // the last few announcements stay in the region (an offer arriving mid-sentence is not lost)

let unread = 0;
let offers = 0;

function drawTitle(): void {
  document.title = offers ? t.offerTitle(offers) : t.pageTitle(unread);
}

/** The number of unread messages over all conversations (the conversation list keeps it). */
export function titleUnread(n: number): void {
  unread = n;
  drawTitle();
}

/** The number of offers waiting for the agent's answer. */
export function titleOffers(n: number): void {
  offers = n;
  drawTitle();
}

export class OfferAnnouncer {
  readonly el = h("div", { class: "sr-only", id: "offer-announcer", "aria-live": "assertive", "aria-relevant": "additions" });

  announce(text: string): void {
    this.el.append(h("p", null, text));
    while (this.el.childElementCount > KEEP) this.el.firstElementChild?.remove();
  }
}
