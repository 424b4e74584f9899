// One editing form of the admin screens: labelled fields, each with its own error line, so a
// client-side check or the server's 400 ({field: "a.b", message}) shows next to the field it names.

import { h, setText, type Child } from "../shared/dom";
import { AdminError } from "./store";
import { T } from "./strings";

interface Slot {
  focus: HTMLElement;
  error: HTMLElement;
}

export class Form {
  readonly el: HTMLFormElement;
  readonly status = h("p", { class: "form-error", role: "alert" });
  private readonly slots = new Map<string, Slot>();
  private readonly body = h("div", { class: "form-body" });
  private readonly actions = h("div", { class: "form-actions" });

  constructor(
    readonly prefix: string,
    title: string,
    onSubmit: () => Promise<void> | void,
  ) {
    const heading = h("h3", { id: `${prefix}-form-title` }, title);
    this.el = h("form", { class: "admin-form", novalidate: true, "aria-labelledby": `${prefix}-form-title`, "data-form": prefix }, heading, this.body, this.status, this.actions);
    this.el.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const submit = this.el.querySelector<HTMLButtonElement>("button[type=submit]");
      this.clear();
      if (submit) submit.disabled = true;
      try {
        await onSubmit();
      } finally {
        if (submit) submit.disabled = false;
      }
    });
  }

  /** The id an input of ``key`` gets (keys are dotted: "capacity.chat"). */
  id(key: string): string {
    return `${this.prefix}-${key.replace(/[^a-zA-Z0-9_-]/g, "-")}`;
  }

  /** A labelled input for ``key``; ``input`` gets the id, a hint and the error line are described by. */
  field(key: string, label: string, input: HTMLElement, hint = ""): HTMLElement {
    const id = this.id(key);
    input.id = id;
    const error = h("p", { class: "field-error", id: `${id}-error` });
    const hintEl = hint ? h("p", { class: "hint", id: `${id}-hint` }, hint) : null;
    input.setAttribute("aria-describedby", [hintEl ? `${id}-hint` : "", `${id}-error`].filter(Boolean).join(" "));
    this.slots.set(key, { focus: input, error });
    const check = input instanceof HTMLInputElement && input.type === "checkbox";
    return check
      ? h("div", { class: "field check", "data-field": key }, h("label", { for: id }, input, " ", label), hintEl, error)
      : h("div", { class: "field", "data-field": key }, h("label", { for: id }, label), input, hintEl, error);
  }

  /** A group of inputs (checkboxes, rows) under a legend, with one error line for ``key``. */
  group(key: string, legend: string, ...children: (Child | Child[])[]): HTMLFieldSetElement {
    const id = this.id(key);
    const error = h("p", { class: "field-error", id: `${id}-error` });
    const set = h("fieldset", { class: "group", id, "data-field": key, "aria-describedby": `${id}-error` }, h("legend", null, legend), ...children, error);
    this.slots.set(key, { focus: set, error });
    return set;
  }

  /** Add rows to the form body. */
  add(...children: (Child | Child[])[]): this {
    for (const child of children.flat()) if (child instanceof Node) this.body.appendChild(child);
    return this;
  }

  /** The buttons at the bottom: save (submit) and cancel. */
  buttons(saveLabel: string, onCancel: () => void, ...extra: HTMLElement[]): this {
    this.actions.replaceChildren(
      h("button", { class: "btn primary", type: "submit" }, saveLabel),
      h("button", { class: "btn", type: "button", onclick: onCancel }, T().cancel),
      ...extra,
    );
    return this;
  }

  clear(): void {
    setText(this.status, null);
    this.status.replaceChildren();
    for (const slot of this.slots.values()) {
      setText(slot.error, null);
      slot.focus.removeAttribute("aria-invalid");
    }
    for (const el of this.el.querySelectorAll("[aria-invalid]")) el.removeAttribute("aria-invalid");
  }

  /** The slot of a server's field path: the longest known key inside it ("tenants.demo.skills.x" -> "skills"). */
  private slotFor(field: string): Slot | null {
    const parts = field.replace(/\[(\d+)\]/g, ".$1").split(".").filter(Boolean);
    for (let i = 0; i < parts.length; i++) {
      for (let j = parts.length; j > i; j--) {
        const slot = this.slots.get(parts.slice(i, j).join("."));
        if (slot) return slot;
      }
    }
    return null;
  }

  /** Show ``message`` at ``key``'s field (or above the buttons); ``input`` is the one to mark. */
  fail(key: string, message: string, input?: HTMLElement): false {
    const slot = this.slotFor(key);
    if (!slot) {
      setText(this.status, message);
      return false;
    }
    if (!slot.error.textContent) setText(slot.error, message);
    (input ?? slot.focus).setAttribute("aria-invalid", "true");
    if (!this.el.querySelector("[aria-invalid]:focus")) (input ?? slot.focus).focus();
    return false;
  }

  /** True when no check failed since clear(). */
  get ok(): boolean {
    return !this.el.querySelector("[aria-invalid=true]") && !this.status.textContent;
  }

  /** The server refused: show its message where it belongs; a stale revision asks for a reload. */
  refused(err: unknown, reload: () => Promise<void>): void {
    if (!(err instanceof AdminError)) {
      setText(this.status, String(err));
      return;
    }
    const t = T();
    if (err.status === 409 && err.code === "stale") {
      const button = h("button", { class: "btn small", type: "button", onclick: () => void reload().then(() => setText(this.status, t.reloadedKeepInput)) }, t.reload);
      this.status.replaceChildren(t.stale, " ", button);
      return;
    }
    if ((err.status === 400 || err.status === 409) && err.field) {
      this.fail(err.field, err.message);
      return;
    }
    setText(this.status, t.failed(err));
  }
}

/** A number input's value, or null when empty or not a number. */
export function num(input: HTMLInputElement): number | null {
  if (input.value.trim() === "") return null;
  const value = Number(input.value);
  return Number.isFinite(value) ? value : null;
}

/** One row: its element, its value, and how it names its inputs as row ``n`` (after a removal too). */
export interface Row<T> {
  el: HTMLElement;
  read: () => T;
  number: (n: number) => void;
}

/** A list of rows the admin adds to and removes from (skills, steps, codes, times, holidays). */
export class Rows<T> {
  readonly list = h("div", { class: "rows" });
  private readonly rows: Row<T>[] = [];

  constructor(
    private readonly make: (item: T | null, remove: HTMLButtonElement) => Row<T>,
    private readonly removeLabel: (n: number) => string,
  ) {}

  push(item: T | null): void {
    const remove = h("button", { class: "btn small", type: "button" }, "×");
    const row = this.make(item, remove);
    remove.addEventListener("click", () => {
      const i = this.rows.indexOf(row);
      if (i >= 0) this.rows.splice(i, 1);
      row.el.remove();
      this.relabel();
    });
    this.rows.push(row);
    this.list.appendChild(row.el);
    this.relabel();
  }

  private relabel(): void {
    this.rows.forEach((row, i) => {
      row.el.dataset.row = String(i);
      row.number(i + 1);
      row.el.querySelector<HTMLButtonElement>(":scope > button:last-child")?.setAttribute("aria-label", this.removeLabel(i + 1));
    });
  }

  /** The rows' values, in order. */
  values(): T[] {
    return this.rows.map((r) => r.read());
  }

  /** The row elements, in order (to mark one as invalid). */
  elements(): HTMLElement[] {
    return this.rows.map((r) => r.el);
  }
}
