// The list of the agent's conversations: channel icon, customer, topic, unread count.

import { h, setText } from "../shared/dom";
import { duration } from "../shared/format";
import { channelIcon, channelName } from "../shared/icons";
import { KeyedList } from "../shared/keyedlist";
import { titleUnread } from "./announce";
import type { AgentConnection } from "./connection";
import { presenceOf } from "./presence";
import type { Conversation } from "./types";
import { t } from "./strings";

export class ConversationList {
  readonly el = h("nav", { class: "conversations", "aria-labelledby": "conv-title" });
  private readonly ul = h("ul", { class: "conv-list", role: "list" });
  private readonly list = new KeyedList(this.ul);
  private readonly empty = h("p", { class: "muted empty" }, t.noConversations);

  constructor(
    private readonly conn: AgentConnection,
    private readonly topicName: (id: string) => string,
    private readonly active: () => string | null,
    private readonly select: (id: string) => void,
  ) {
    this.el.append(h("h2", { id: "conv-title", class: "section-title" }, t.conversations), this.ul, this.empty);
    setInterval(() => this.render(), 1000); // the waiting times run
  }

  render(): void {
    const convs = [...this.conn.conversations.values()];
    this.empty.hidden = convs.length > 0;
    this.list.sync(
      convs.map((c) => ({
        key: c.conversation_id,
        render: () => this.item(c),
        update: (li) => this.fill(li, c),
      })),
    );
    const total = convs.reduce((n, c) => n + c.unread, 0);
    titleUnread(total); // the tab's title (a pending offer goes first: announce.ts)
  }

  // The button stays the same element across updates, so keyboard focus is not lost.
  private item(c: Conversation): HTMLElement {
    const type = c.channel_type || c.channel;
    const button = h(
      "button",
      { type: "button", class: "conv-item", "data-conversation-id": c.conversation_id, onclick: () => this.select(c.conversation_id) },
      channelIcon(type, true),
      h("span", { class: "conv-text" }, h("span", { class: "conv-name" }), h("span", { class: "conv-sub" })),
      h("span", { class: "conv-wait", title: t.waitTitle }),
      h("span", { class: "unread" }),
    );
    const li = h("li", null, button);
    this.fill(li, c);
    return li;
  }

  private fill(li: HTMLElement, c: Conversation): void {
    const type = c.channel_type || c.channel;
    const isActive = this.active() === c.conversation_id;
    const button = li.firstElementChild as HTMLButtonElement;
    button.className = `conv-item${isActive ? " active" : ""}${c.closed ? " closed" : ""}`;
    if (isActive) button.setAttribute("aria-current", "true");
    else button.removeAttribute("aria-current");
    const messages = c.log.list();
    const last = messages[messages.length - 1];
    const away = { left: t.leftShort, unreachable: t.unreachableShort }[presenceOf(c) as string] ?? "";
    setText(button.querySelector(".conv-name")!, c.contact?.name || t.customer);
    setText(
      button.querySelector(".conv-sub")!,
      c.typing ? t.typingShort : c.closed ? t.closedShort : away ? away : last ? last.text : `${channelName(type)} · ${this.topicName(c.topic)}`,
    );
    const wait = button.querySelector(".conv-wait") as HTMLElement;
    const since = c.closed ? null : waitingSince(c);
    wait.hidden = since === null;
    setText(wait, since === null ? null : duration(Math.max(0, Date.now() / 1000 - since)));
    wait.setAttribute("aria-label", since === null ? "" : t.waitingFor(wait.textContent ?? ""));
    const unread = button.querySelector(".unread") as HTMLElement;
    unread.hidden = !c.unread;
    setText(unread, c.unread || null);
    unread.setAttribute("aria-label", t.unread(c.unread));
  }
}

/** When the customer's unanswered messages began (epoch s), or null when the last word is ours. */
export function waitingSince(c: Conversation): number | null {
  let since: number | null = null;
  for (const m of c.log.list()) {
    const kind = m.author?.kind;
    if (kind === "agent") since = null;
    else if (kind === "visitor" && since === null) since = m.ts;
  }
  return since;
}
