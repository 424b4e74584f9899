// The customer panel: contact details and the customer's earlier conversations on every channel.

import { api } from "../shared/api";
import { h, replace } from "../shared/dom";
import { dateTime } from "../shared/format";
import { channelIcon, channelName } from "../shared/icons";
import type { Message } from "../shared/messages";
import { transcriptDialog } from "./dialogs";
import { allMessages } from "./history";
import type { Contact, Conversation } from "./types";

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
    replace(this.el, h("h3", { id: "customer-title" }, "Customer"), h("p", { class: "muted" }, "Open a conversation to see the customer."));
  }

  async show(conv: Conversation, force = false): Promise<void> {
    const contactId = conv.contact?.id;
    const key = `${conv.conversation_id}:${contactId}`;
    if (!force && this.shownFor === key) return;
    this.shownFor = key;
    this.contact = conv.contact ?? null;
    this.draw(conv, conv.contact ?? null, null);
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

  private draw(conv: Conversation, contact: Contact | null, past: PastConversation[] | null): void {
    const rows: [string, string | undefined, HTMLElement | null][] = [
      ["Name", contact?.name, null],
      ["Email", contact?.email, contact?.email_verified ? null : unverified()],
      ["Phone", contact?.phone, contact?.phone_verified ? null : unverified()],
      ["Language", conv.language?.toUpperCase(), null],
      ["Topic", this.topicName(conv.topic), null],
    ];
    const identities = (contact?.identities ?? []).map(identityText).filter(Boolean);
    const earlier = (past ?? []).filter((p) => p.id !== conv.conversation_id);
    replace(
      this.el,
      h("h3", { id: "customer-title" }, "Customer"),
      h("dl", { class: "details" }, rows.filter(([, v]) => v).flatMap(([k, v, marker]) => [h("dt", null, k), h("dd", null, v!, marker ? [" ", marker] : null)])),
      identities.length
        ? [h("h3", null, "Known as"), h("ul", { class: "identities" }, identities.map((i) => h("li", null, i)))]
        : null,
      h("h3", null, "Earlier conversations"),
      past === null
        ? h("p", { class: "muted" }, "Loading…")
        : earlier.length
          ? h("ul", { class: "history", role: "list" }, earlier.map((p) => this.pastItem(p)))
          : h("p", { class: "muted" }, "None."),
    );
  }

  private pastItem(p: PastConversation): HTMLElement {
    const type = p.channel_type || p.channel;
    const last = typeof p.last_message === "string" ? p.last_message : p.last_message?.text ?? "";
    const button = h(
      "button",
      { type: "button", class: "history-item", "data-conversation-id": p.id },
      h("span", { class: "history-head" }, channelIcon(type, true), h("span", null, `${channelName(type)} · ${this.topicName(p.topic)}`)),
      h("span", { class: "muted" }, `${p.created_at ? dateTime(p.created_at) : ""} · ${p.state}`),
      last ? h("span", { class: "history-last" }, last) : null,
    );
    button.addEventListener("click", async () => {
      try {
        transcriptDialog(`${channelName(type)} · ${p.created_at ? dateTime(p.created_at) : ""}`, await allMessages(p.id, this.token));
      } catch {
        transcriptDialog("Conversation", []);
      }
    });
    return h("li", null, button);
  }
}

// Typed emails and phone numbers are claims: anyone can type any address into the widget, so the
// agent must not take them as proof of who the customer is.
function unverified(): HTMLElement {
  return h("span", { class: "unverified", title: "Typed by the customer; not verified." }, "unverified");
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
