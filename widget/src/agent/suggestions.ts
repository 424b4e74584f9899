// The suggestion panel beside the composer: the three canned answers the gateway finds most
// likely for the customer's last message, each with a preview and why it was suggested.
// A click or Alt+1/2/3 puts one into the composer (placeholders filled, as canned answers are).

import { h } from "../shared/dom";
import type { Conversation, Suggestion } from "./types";
import { t } from "./strings";

const SHOWN = 3;
const PREVIEW_CHARS = 110;

const clip = (text: string, n: number) => (text.length > n ? `${text.slice(0, n - 1).trimEnd()}…` : text);

/** Why a suggestion came up, in words ("" when the gateway said nothing). */
function whyText(s: Suggestion): string {
  const why = (s.why ?? "").trim();
  if (!why) return "";
  const quoted = `“${clip(why, 80)}”`;
  if (s.why_kind === "agent") return t.assist.whyAgent(quoted);
  if (s.why_kind === "snippet") return t.assist.whySnippet(clip(why, 80));
  return t.assist.whyExample(quoted);
}

export class SuggestionPanel {
  readonly el = h("section", { class: "suggestions", "aria-labelledby": "suggestions-title", hidden: true });
  private shown: Suggestion[] = [];

  constructor(
    /** What a suggestion's text becomes in the composer (placeholders filled). */
    private readonly fill: (text: string) => string,
    private readonly insert: (s: Suggestion) => void,
  ) {
    // Alt+1..3 anywhere in the console (the composer has the focus while typing); the console's
    // other shortcuts never use Alt. `code`, not `key`: Option+1 on a Mac types "¡".
    document.addEventListener("keydown", (ev) => {
      if (!ev.altKey || ev.ctrlKey || ev.metaKey || ev.shiftKey || ev.isComposing) return;
      const n = /^(?:Digit|Numpad)([1-9])$/.exec(ev.code)?.[1];
      if (!n || document.querySelector("dialog[open]")) return;
      if (this.pick(Number(n) - 1)) ev.preventDefault();
    });
  }

  /** Show ``conv``'s suggestions (hidden when there are none or the conversation has ended). */
  show(conv: Conversation | null): void {
    this.shown = conv && !conv.closed ? (conv.suggestions ?? []).slice(0, SHOWN) : [];
    this.el.hidden = !this.shown.length;
    if (!this.shown.length) {
      this.el.replaceChildren();
      return;
    }
    this.el.dataset.afterSeq = String(conv?.suggestionsAfter ?? "");
    this.el.replaceChildren(
      h("h3", { id: "suggestions-title" }, t.assist.suggestions),
      h("ol", { class: "suggestion-list" }, this.shown.map((s, i) => {
        const why = whyText(s);
        const button = h("button", { type: "button", class: "suggestion", "data-canned-id": s.canned_id, "aria-keyshortcuts": `Alt+${i + 1}` },
          h("span", { class: "suggestion-head" },
            h("kbd", { "aria-hidden": "true" }, `Alt+${i + 1}`),
            h("strong", { class: "suggestion-title" }, s.title || s.canned_id),
          ),
          h("span", { class: "suggestion-text" }, clip(this.fill(s.text).replace(/\s+/g, " "), PREVIEW_CHARS)),
          why ? h("span", { class: "suggestion-why" }, why) : null,
        );
        // mousedown, not click: the composer keeps the focus (and the caret where it was).
        button.addEventListener("mousedown", (ev) => {
          ev.preventDefault();
          this.pick(i);
        });
        button.addEventListener("click", (ev) => {
          if (ev.detail === 0) this.pick(i); // Enter or Space on the focused button
        });
        return h("li", null, button);
      })),
    );
  }

  /** Insert suggestion ``i`` (from 0); false when there is none. */
  pick(i: number): boolean {
    const s = this.shown[i];
    if (!s || this.el.hidden) return false;
    this.insert(s);
    return true;
  }
}
