// Canned answers in the composer: typing "/" followed by a few letters opens a searchable list;
// arrows pick, Enter or Tab inserts, Escape closes. Answers in the conversation's language first.

import { h, replace } from "../shared/dom";
import type { Canned } from "./types";
import { t } from "./strings";

const TOKEN = /(^|\s)\/([^\s/]*)$/;
const MAX_SHOWN = 8;

/** ``{{customer.name}}``, ``{{agent.name}}``… replaced by their values (unknown ones stay as typed). */
export function fillPlaceholders(text: string, values: Record<string, string>): string {
  return text.replace(/\{\{\s*([\w.]+)\s*\}\}/g, (whole, key: string) => (key in values ? values[key] : whole));
}

export class CannedPicker {
  /** What an answer's placeholders become on insert (set by the conversation view). */
  fill: (text: string) => string = (text) => text;
  /** Told which answer was inserted (its id goes with the message as canned_id). */
  chosen: (c: Canned) => void = () => undefined;
  readonly el = h("ul", { class: "canned", id: "canned-list", role: "listbox", "aria-label": t.cannedAnswers, hidden: true });
  private matches: Canned[] = [];
  private index = 0;
  private tokenStart = -1;

  constructor(
    private readonly input: HTMLTextAreaElement,
    private readonly answers: () => Canned[],
    private readonly language: () => string,
    private readonly inserted: () => void,
  ) {
    input.setAttribute("aria-autocomplete", "list");
    // (no aria-expanded: a textarea is a textbox, which has none; the active option is announced
    // through aria-activedescendant and the list is hidden when closed)
    input.setAttribute("aria-controls", "canned-list");
    input.addEventListener("input", () => this.update());
    input.addEventListener("click", () => this.update());
    // (not when the composer has the focus again by then, e.g. the "/" shortcut put it back)
    input.addEventListener("blur", () => setTimeout(() => document.activeElement !== input && this.hide(), 150));
  }

  get open(): boolean {
    return !this.el.hidden;
  }

  /** Handle a key in the composer; true when the picker used it. */
  key(ev: KeyboardEvent): boolean {
    if (!this.open) return false;
    if (ev.key === "ArrowDown" || ev.key === "ArrowUp") {
      const step = ev.key === "ArrowDown" ? 1 : -1;
      this.index = (this.index + step + this.matches.length) % this.matches.length;
      this.draw();
      return true;
    }
    if (ev.key === "Enter" || ev.key === "Tab") {
      this.insert(this.matches[this.index]);
      return true;
    }
    if (ev.key === "Escape") {
      this.hide();
      return true;
    }
    return false;
  }

  private update(): void {
    const caret = this.input.selectionStart ?? this.input.value.length;
    const before = this.input.value.slice(0, caret);
    const match = TOKEN.exec(before);
    if (!match) return this.hide();
    const query = match[2].toLowerCase();
    this.tokenStart = caret - match[2].length - 1;
    const lang = this.language();
    this.matches = this.answers()
      .filter((c) => !query || [c.id, c.title, c.text].some((s) => s.toLowerCase().includes(query)))
      .sort((a, b) => Number(b.language === lang) - Number(a.language === lang))
      .slice(0, MAX_SHOWN);
    if (!this.matches.length) return this.hide();
    this.index = Math.min(this.index, this.matches.length - 1);
    this.el.hidden = false;
    this.draw();
  }

  private draw(): void {
    replace(
      this.el,
      this.matches.map((c, i) => {
        const li = h(
          "li",
          { id: `canned-${i}`, role: "option", "aria-selected": String(i === this.index), "data-canned-id": c.id },
          h("strong", null, c.title),
          c.language ? h("span", { class: "pill" }, c.language.toUpperCase()) : null,
          h("span", { class: "canned-text" }, c.text),
        );
        // mousedown, not click: the composer must keep focus.
        li.addEventListener("mousedown", (ev) => {
          ev.preventDefault();
          this.insert(c);
        });
        return li;
      }),
    );
    this.input.setAttribute("aria-activedescendant", `canned-${this.index}`);
  }

  private insert(c: Canned | undefined): void {
    if (!c || this.tokenStart < 0) return this.hide();
    this.put(c, this.tokenStart, this.input.selectionStart ?? this.input.value.length, "");
  }

  /** Insert ``c`` at the caret (replacing a selection), as chosen from the canned-answer browser. */
  insertAtCaret(c: Canned): void {
    const value = this.input.value;
    const start = this.input.selectionStart ?? value.length;
    const end = this.input.selectionEnd ?? start;
    this.put(c, start, end, start && !/\s/.test(value[start - 1]) ? " " : "");
  }

  /** ``c``'s filled text in place of ``start``…``end``, the caret after it; then the same steps for both ways in. */
  private put(c: Canned, start: number, end: number, gap: string): void {
    const value = this.input.value;
    const text = gap + this.fill(c.text);
    this.input.value = value.slice(0, start) + text + value.slice(end);
    const at = start + text.length;
    this.hide();
    this.input.focus();
    this.input.setSelectionRange(at, at);
    this.chosen(c);
    this.inserted();
  }

  hide(): void {
    this.el.hidden = true;
    this.index = 0;
    this.input.removeAttribute("aria-activedescendant");
  }
}
