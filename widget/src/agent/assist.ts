// The detected topic and language in the conversation header ("Billing · 92 %", "Deutsch · 99 %",
// or "Topic unclear"): one click opens a small menu of the tenant's topics (or languages), and a
// pick corrects it (`assist_correct`), which teaches the classifier and may move the conversation.

import { h } from "../shared/dom";
import type { AgentConnection } from "./connection";
import { errorSentence } from "./errors";
import type { AssistInfo, Conversation } from "./types";
import { t } from "./strings";

export interface AssistTargets {
  /** The tenant's topics (id and name in the console's language). */
  topics(): { id: string; name: string }[];
  /** The tenant's languages (codes). */
  languages(): string[];
  topicName(id: string): string;
  /** A correction moved the conversation to another queue (it leaves this agent). */
  moved(conv: Conversation, queue: string): void;
  say(text: string): void;
}

type Kind = "topic" | "language";

/** "92 %" (a confidence of 0–1), or "" when there is none. */
export function percentText(confidence: number | undefined): string {
  return typeof confidence === "number" && Number.isFinite(confidence) ? `${Math.round(Math.max(0, Math.min(1, confidence)) * 100)} %` : "";
}

/** A language's own name ("Deutsch", "English"), else its code. */
export function languageName(code: string): string {
  try {
    const name = new Intl.DisplayNames([code], { type: "language" }).of(code) ?? code;
    return name.charAt(0).toLocaleUpperCase(code) + name.slice(1);
  } catch {
    return code.toUpperCase();
  }
}

export class AssistChips {
  readonly el = h("span", { class: "assist-chips" });
  private conv: Conversation | null = null;
  private menu: { kind: Kind; el: HTMLElement; button: HTMLButtonElement } | null = null;

  constructor(
    private readonly conn: AgentConnection,
    private readonly targets: AssistTargets,
  ) {
    document.addEventListener("mousedown", (ev) => {
      if (this.menu && !this.el.contains(ev.target as Node)) this.closeMenu(false);
    });
  }

  /** Draw the chips of ``conv`` (none without assist data: the header shows topic and language as before). */
  show(conv: Conversation | null): void {
    const reopen = this.menu && conv === this.conv ? this.menu.kind : null;
    this.conv = conv;
    this.menu = null;
    const a = conv?.assist;
    if (!conv || !a) {
      this.el.replaceChildren();
      return;
    }
    const topicText = a.abstained || !a.topic
      ? t.assist.topicUnclear
      : [this.targets.topicName(a.topic), percentText(a.topic_confidence)].filter(Boolean).join(" · ");
    const language = a.language || conv.language;
    const languageText = [languageName(language), a.language ? percentText(a.language_confidence) : ""].filter(Boolean).join(" · ");
    this.el.replaceChildren(
      this.chip("topic", topicText, a.abstained || !a.topic),
      language ? this.chip("language", languageText, false) : "",
      a.auto_answered ? h("span", { class: "pill auto-pill", "data-assist": "auto" }, t.assist.answeredAutomatically) : "",
    );
    if (reopen && !conv.closed) this.openMenu(reopen, false);
  }

  private chip(kind: Kind, text: string, unclear: boolean): HTMLElement {
    const button = h("button", {
      class: `assist-chip${unclear ? " unclear" : ""}`, type: "button", "data-assist": kind,
      "aria-haspopup": "menu", "aria-expanded": "false", title: kind === "topic" ? t.assist.correctTopic : t.assist.correctLanguage,
      disabled: !!this.conv?.closed,
    },
      h("span", { class: "sr-only" }, kind === "topic" ? t.assist.topicPrefix : t.assist.languagePrefix),
      text,
    );
    button.addEventListener("click", () => (this.menu?.kind === kind ? this.closeMenu(true) : this.openMenu(kind, true)));
    return h("span", { class: "assist-chip-wrap" }, button);
  }

  private openMenu(kind: Kind, focus: boolean): void {
    this.closeMenu(false);
    const conv = this.conv;
    const a = conv?.assist;
    const button = this.el.querySelector<HTMLButtonElement>(`[data-assist=${kind}]`);
    if (!conv || !a || !button) return;
    const current = kind === "topic" ? (a.abstained ? "" : a.topic ?? "") : a.language || conv.language;
    const choices = kind === "topic"
      ? this.targets.topics()
      : this.targets.languages().map((code) => ({ id: code, name: languageName(code) }));
    const items = choices.map((c) =>
      h("button", {
        type: "button", role: "menuitemradio", "aria-checked": String(c.id === current), "data-value": c.id, tabindex: "-1",
        onclick: () => void this.correct(conv, kind, c.id),
      }, c.name),
    );
    const menu = h("div", { class: "assist-menu", role: "menu", "aria-label": kind === "topic" ? t.assist.correctTopic : t.assist.correctLanguage }, items);
    menu.addEventListener("keydown", (ev) => {
      const at = items.indexOf(document.activeElement as HTMLButtonElement);
      if (ev.key === "Escape") {
        ev.preventDefault();
        ev.stopPropagation();
        this.closeMenu(true);
      } else if (ev.key === "ArrowDown" || ev.key === "ArrowUp") {
        ev.preventDefault();
        items[(at + (ev.key === "ArrowDown" ? 1 : -1) + items.length) % items.length]?.focus();
      }
    });
    button.setAttribute("aria-expanded", "true");
    button.parentElement?.append(menu);
    this.menu = { kind, el: menu, button };
    if (focus) (items.find((i) => i.getAttribute("aria-checked") === "true") ?? items[0])?.focus();
  }

  private closeMenu(focusButton: boolean): void {
    if (!this.menu) return;
    const { el, button } = this.menu;
    this.menu = null;
    el.remove();
    button.setAttribute("aria-expanded", "false");
    if (focusButton) button.focus();
  }

  private async correct(conv: Conversation, kind: Kind, value: string): Promise<void> {
    this.closeMenu(true);
    const ack = await this.conn.assistCorrect(conv.conversation_id, { [kind]: value });
    if (ack.error) {
      this.targets.say(t.assist.correctFailed(errorSentence(ack.error)));
      return;
    }
    if (ack.transferred) {
      const queue = typeof ack.queue_name === "string" && ack.queue_name ? ack.queue_name
        : typeof ack.queue === "string" && ack.queue ? ack.queue : this.targets.topicName(value);
      this.targets.moved(conv, queue);
      return;
    }
    // Taken as said: the agent's word is certain (the gateway's conversation_assist may follow).
    const corrected: AssistInfo = kind === "topic"
      ? { ...conv.assist, topic: value, topic_confidence: 1, abstained: false }
      : { ...conv.assist, language: value, language_confidence: 1 };
    conv.assist = corrected;
    if (kind === "language") conv.language = value;
    if (this.conv === conv) this.show(conv);
    this.targets.say(kind === "topic" ? t.assist.topicCorrected(this.targets.topicName(value)) : t.assist.languageCorrected(languageName(value)));
  }
}
