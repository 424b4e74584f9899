// The customer panel: contact details and the customer's earlier conversations on every channel.

import { api } from "../shared/api";
import { h, replace } from "../shared/dom";
import { dateTime } from "../shared/format";
import { channelIcon, channelName } from "../shared/icons";
import type { Message } from "../shared/messages";
import { crmSection, fetchCrm, type CrmCard } from "./crm";
import { transcriptDialog } from "./dialogs";
import { allMessages } from "./history";
import type { Contact, Conversation } from "./types";
import { t, word } from "./strings";

interface PastConversation {
  id: string;
  channel: string;
  channel_type: string;
  state: string;
  topic: string;
  created_at: number;
  closed_at?: number | null;
  last_message?: Message | string | null;
}

export class CustomerPanel {
  readonly el = h("aside", { class: "customer", "aria-labelledby": "customer-title" });
  private shownFor: string | null = null;
  private contact: Contact | null = null;
  // what is drawn now, so a CRM answer arriving later redraws the same panel
  private drawn: { conv: Conversation; past: PastConversation[] | null } | null = null;
  private crm: CrmCard | null = null;

  constructor(
    private readonly token: string,
    private readonly topicName: (id: string) => string,
  ) {
    this.clear();
  }

  get current(): Contact | null {
    return this.contact;
  }

  clear(): void {
    this.shownFor = null;
    this.contact = null;
    this.drawn = null;
    this.crm = null;
    replace(this.el, h("h2", { id: "customer-title", class: "section-title" }, t.customer), h("p", { class: "muted" }, t.openToSee));
  }

  async show(conv: Conversation, force = false): Promise<void> {
    const contactId = conv.contact?.id;
    const key = `${conv.conversation_id}:${contactId}`;
    if (!force && this.shownFor === key) return;
    this.shownFor = key;
    this.contact = conv.contact ?? null;
    this.crm = null;
    this.draw(conv, conv.contact ?? null, null);
    // the CRM card comes on its own: a slow CRM never holds back the rest of the panel
    void fetchCrm(conv.conversation_id, this.token).then((card) => {
      if (this.shownFor === key && !(card.status === "pending" && this.crm)) this.crmArrived(conv.conversation_id, card);
    });
    if (!contactId) return;
    const id = encodeURIComponent(contactId);
    const [contact, past] = await Promise.all([
      api<Contact>(`/api/v1/contacts/${id}`, { token: this.token }).catch(() => null),
      api<PastConversation[]>(`/api/v1/contacts/${id}/conversations`, { token: this.token }).catch(() => null),
    ]);
    if (this.shownFor !== key) return;
    if (contact) this.contact = contact;
    this.draw(conv, this.contact, past);
  }

  /** The CRM's card for a conversation (REST, or the `crm` event when the answer came later). */
  crmArrived(conversationId: string, card: CrmCard): void {
    if (!this.drawn || this.drawn.conv.conversation_id !== conversationId) return;
    this.crm = card;
    this.draw(this.drawn.conv, this.contact, this.drawn.past);
  }

  private draw(conv: Conversation, contact: Contact | null, past: PastConversation[] | null): void {
    this.drawn = { conv, past };
    const rows: [string, string | undefined, HTMLElement | null][] = [
      [t.name, contact?.name, null],
      [t.email, contact?.email, contact?.email_verified ? null : unverified()],
      [t.phone, contact?.phone, contact?.phone_verified ? null : unverified()],
      [t.language, conv.language?.toUpperCase(), null],
      [t.topic, this.topicName(conv.topic), null],
    ];
    const identities = (contact?.identities ?? []).map(identityText).filter(Boolean);
    const earlier = (past ?? []).filter((p) => p.id !== conv.conversation_id);
    replace(
      this.el,
      h("h2", { id: "customer-title", class: "section-title" }, t.customer),
      h("dl", { class: "details" }, rows.filter(([, v]) => v).flatMap(([k, v, marker]) => [h("dt", null, k), h("dd", null, v!, marker ? [" ", marker] : null)])),
      crmSection(this.crm),
      identities.length
        ? [h("h3", null, t.knownAs), h("ul", { class: "identities" }, identities.map((i) => h("li", null, i)))]
        : null,
      h("h3", null, t.earlier),
      past === null
        ? h("p", { class: "muted" }, t.loading)
        : earlier.length
          ? h("ul", { class: "history", role: "list" }, earlier.map((p) => this.pastItem(p)))
          : h("p", { class: "muted" }, t.noneFound),
    );
  }

  private pastItem(p: PastConversation): HTMLElement {
    const type = p.channel_type || p.channel;
    const last = typeof p.last_message === "string" ? p.last_message : p.last_message?.text ?? "";
    const button = h(
      "button",
      { type: "button", class: "history-item", "data-conversation-id": p.id },
      h("span", { class: "history-head" }, channelIcon(type, true), h("span", null, `${channelName(type)} · ${this.topicName(p.topic)}`)),
      h("span", { class: "muted" }, `${p.created_at ? dateTime(p.created_at, t.lang) : ""} · ${word(t.convStates, p.state)}`),
      last ? h("span", { class: "history-last" }, last) : null,
    );
    button.addEventListener("click", async () => {
      try {
        transcriptDialog(`${channelName(type)} · ${p.created_at ? dateTime(p.created_at, t.lang) : ""}`, await allMessages(p.id, this.token));
      } catch {
        transcriptDialog(t.conversation, []);
      }
    });
    return h("li", null, button);
  }
}

// Typed emails and phone numbers are claims: anyone can type any address into the widget, so the
// agent must not take them as proof of who the customer is.
function unverified(): HTMLElement {
  return h("span", { class: "unverified", title: t.unverifiedTitle }, t.unverified);
}

function identityText(identity: unknown): string {
  if (typeof identity === "string") return identity;
  if (identity && typeof identity === "object") {
    const o = identity as Record<string, unknown>;
    const kind = o.kind ?? o.type ?? o.channel ?? "";
    const value = o.value ?? o.id ?? o.address ?? "";
    return [kind, value].filter(Boolean).join(": ");
  }
  return "";
}
