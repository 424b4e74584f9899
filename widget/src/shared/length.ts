// The message length limit in the composers (widget and console). A `maxlength` attribute would
// cut a long paste silently; instead the text stays whole, a counter appears near the limit,
// and sending is refused with a sentence until the text is short enough.

import { h, setText } from "./dom";

export interface LengthTexts {
  /** The counter, e.g. "3,950 / 4,096". */
  counter(count: number, limit: number): string;
  /** Why the message was not sent. */
  tooLong(count: number, limit: number): string;
}

// The counter shows once this share of the limit is used.
const SHOW_FROM = 0.9;

/** Characters as the server counts them (code points, not UTF-16 units). */
export function charCount(text: string): number {
  return Array.from(text).length;
}

export class LengthGuard {
  readonly counter = h("span", { class: "char-counter", "aria-live": "polite", hidden: true });
  readonly error = h("p", { class: "length-error", role: "alert", hidden: true });

  constructor(
    private readonly input: HTMLTextAreaElement,
    private readonly limit: () => number,
    private readonly texts: LengthTexts,
  ) {
    input.addEventListener("input", () => this.update());
  }

  /** Redraw the counter; the error goes once the text fits again. */
  update(): void {
    const limit = this.limit();
    const count = charCount(this.input.value.trim());
    const over = count > limit;
    this.counter.hidden = count < limit * SHOW_FROM;
    this.counter.classList.toggle("over", over);
    setText(this.counter, this.counter.hidden ? null : this.texts.counter(count, limit));
    if (!over) this.showError(null);
    this.input.toggleAttribute("aria-invalid", over);
  }

  /** True when `text` may be sent; otherwise shows why not and keeps the text. */
  allows(text: string): boolean {
    const limit = this.limit();
    const count = charCount(text);
    if (count <= limit) return true;
    this.update();
    this.showError(this.texts.tooLong(count, limit));
    return false;
  }

  private showError(text: string | null): void {
    this.error.hidden = text === null;
    setText(this.error, text);
  }
}
