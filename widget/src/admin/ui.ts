// What every admin section shares: where an item's version comes from (config file or a change in
// the admin, with the "config file differs" badge and the revert button), a confirmation dialog,
// the polite status line, and the card a section lives in.

import { consoleLang } from "../shared/i18n";
import { h, replace, type Child } from "../shared/dom";
import { Admin, AdminError, type Meta, type Settings } from "./store";
import { T } from "./strings";

export interface Ui {
  admin: Admin;
  /** Announce in the page's polite live region. */
  say(message: string): void;
  /** A modal yes/no question; resolves true on ``ok``. */
  confirm(message: string, ok: string): Promise<boolean>;
}

/** A time from the server (ISO text or epoch seconds) in the admin's language. */
export function when(value: string | number | null | undefined): string {
  if (value === null || value === undefined || value === "") return "";
  const ms = typeof value === "number" ? (value > 1e12 ? value : value * 1000) : Date.parse(value);
  if (Number.isNaN(ms)) return String(value);
  return new Date(ms).toLocaleString(consoleLang() === "de" ? "de-DE" : "en-GB", { dateStyle: "medium", timeStyle: "short" });
}

/** Kinds of DELETE /api/v1/admin/overrides/{kind}/{id}. */
export type Kind = "agent" | "queue" | "topic" | "canned" | "label" | "hours" | "widget";

/** The source of ``item``, its "config file differs" badge with the revert button, and its problem. */
export function source(ui: Ui, kind: Kind, id: string, item: Meta | null | undefined): HTMLElement {
  const t = T();
  const parts: Child[] = [];
  if (!item || item.source !== "admin") parts.push(h("span", { class: "source", "data-source": "config" }, t.fromConfig));
  else parts.push(h("span", { class: "source", "data-source": "admin" }, t.changedInAdmin(item.changed_by ?? "", when(item.changed_at))));
  if (item?.config_differs) {
    parts.push(
      " ",
      h("span", { class: "badge-differs" }, t.configDiffers),
      " ",
      h("button", {
        class: "btn small revert",
        type: "button",
        onclick: async () => {
          if (!(await ui.confirm(t.revertConfirm, t.useConfig))) return;
          try {
            await ui.admin.write("DELETE", `overrides/${kind}/${encodeURIComponent(id)}`);
            ui.say(t.reverted);
          } catch (err) {
            ui.say(t.failed(err));
          }
        },
      }, t.useConfig),
    );
  }
  if (item?.problem) parts.push(h("p", { class: "problem", role: "note" }, "⚠ ", item.problem));
  return h("div", { class: "source-cell" }, parts);
}

/** Items of ``kind`` the admin deleted from the config file's set, each with its restore button. */
/** The card of a setting the tenant has one of (business hours, widget look): where its version comes
 * from, and its form — redrawn when the settings reload, unless the admin has typed into it. */
export function singleItemSection(
  ui: Ui, id: string, title: string, kind: Kind, meta: (s: Settings) => Meta | null | undefined,
  form: (s: Settings, changed: () => void, saved: () => void) => HTMLElement,
): HTMLElement {
  const origin = h("div", { class: "origin" });
  const slot = h("div");
  let dirty = false; // the admin's unsaved input survives a reload of the settings
  const draw = (force = false) => {
    const s = ui.admin.settings;
    if (!s) return;
    replace(origin, source(ui, kind, "-", meta(s)));
    if (dirty && !force) return;
    dirty = false;
    replace(slot, form(s, () => (dirty = true), () => draw(true)));
  };
  ui.admin.onChange(() => draw());
  return h("section", { class: "card admin-section", id, "aria-labelledby": `${id}-title` },
    h("div", { class: "card-head" }, h("h2", { id: `${id}-title` }, title)), origin, slot);
}

export function deleted(ui: Ui, kind: Kind): HTMLElement | null {
  const t = T();
  const gone = (ui.admin.settings?.deleted ?? []).filter((d) => d.kind === kind);
  if (!gone.length) return null;
  return h("div", { class: "deleted-items" },
    h("p", { class: "muted" }, t.deletedItems),
    h("ul", null, gone.map((d) => h("li", { "data-deleted": d.id },
      t.deletedBy(d.id, d.changed_by ?? "", when(d.changed_at)), " ",
      h("button", {
        class: "btn small revert",
        type: "button",
        "aria-label": t.restoreNamed(d.id),
        onclick: async () => {
          try {
            await ui.admin.write("DELETE", `overrides/${kind}/${encodeURIComponent(d.id)}`);
            ui.say(t.reverted);
          } catch (err) {
            ui.say(t.failed(err));
          }
        },
      }, t.useConfig),
      d.problem ? h("p", { class: "problem", role: "note" }, "⚠ ", d.problem) : null,
    ))),
  );
}

/** A section card: heading, an "add" button (if any), the table and the form area. */
export function card(id: string, title: string, addLabel: string | null, onAdd: () => void): {
  el: HTMLElement;
  table: HTMLElement;
  editor: HTMLElement;
} {
  const table = h("div", { class: "table-wrap" });
  const editor = h("div", { class: "editor" });
  const add = addLabel ? h("button", { class: "btn", type: "button", "data-add": id, onclick: onAdd }, addLabel) : null;
  const el = h(
    "section",
    { class: "card admin-section", id, "aria-labelledby": `${id}-title` },
    h("div", { class: "card-head" }, h("h2", { id: `${id}-title` }, title), add),
    table,
    editor,
  );
  return { el, table, editor };
}

/** A table with column headings; rows come from ``row``. */
export function table(label: string, head: string[], rows: HTMLTableRowElement[], empty: string): HTMLElement {
  if (!rows.length) return h("p", { class: "muted" }, empty);
  return h(
    "table",
    { class: "grid-table", "aria-label": label },
    h("thead", null, h("tr", null, head.map((c) => h("th", { scope: "col" }, c)))),
    h("tbody", null, rows),
  );
}

/** Put ``form`` into ``editor`` and move focus into it. */
export function openEditor(editor: HTMLElement, form: HTMLFormElement): void {
  replace(editor, form);
  form.scrollIntoView({ block: "nearest" });
  form.querySelector<HTMLElement>("input:not([type=hidden]):not([disabled]), select, textarea")?.focus();
}

/** Delete an item after a confirmation, saying what happened (409 in_use keeps it). */
export async function remove(ui: Ui, path: string, name: string): Promise<void> {
  const t = T();
  if (!(await ui.confirm(t.deleteConfirm(name), t.delete))) return;
  try {
    await ui.admin.write("DELETE", path);
    ui.say(t.deleted(name));
  } catch (err) {
    ui.say(err instanceof AdminError && err.code === "in_use" ? t.inUse(name, err.message) : t.failed(err));
  }
}

/** A <dialog> asking a yes/no question (no window.confirm: it blocks the page and its tests). */
export function confirmDialog(root: HTMLElement): (message: string, ok: string) => Promise<boolean> {
  const text = h("p", { id: "confirm-text" });
  const okButton = h("button", { class: "btn primary", value: "ok", type: "submit" });
  const dialog = h(
    "dialog",
    { class: "confirm", "aria-labelledby": "confirm-text" },
    h("form", { method: "dialog" }, text, h("div", { class: "row" }, h("button", { class: "btn", value: "cancel", type: "submit" }, T().cancel), okButton)),
  );
  root.appendChild(dialog);
  return (message, ok) =>
    new Promise((resolve) => {
      const opener = document.activeElement as HTMLElement | null;
      text.textContent = message;
      okButton.textContent = ok;
      dialog.returnValue = "";
      dialog.addEventListener(
        "close",
        () => {
          resolve(dialog.returnValue === "ok");
          opener?.focus();
        },
        { once: true },
      );
      dialog.showModal();
    });
}

/** The texts of a secret shown once (an API key, a webhook secret). */
export interface OnceTexts {
  label: string; // the field's accessible name
  copy: string;
  done: string;
  copied: string;
  copyFailed: string;
  warning: string;
}

/** Show a secret once in `into`: the value selected in a read-only field, a copy button, a warning, and
 * "done", after which it is gone from the page (the server never shows it again either). */
export function showSecretOnce(ui: Ui, into: HTMLElement, o: { cls: string; title: string; secret: string; texts: OnceTexts }): void {
  const x = o.texts;
  const field = h("input", { class: `${o.cls}-value`, size: 56, readonly: true, value: o.secret, "aria-label": x.label, spellcheck: "false", autocomplete: "off" });
  const copy = h("button", { class: "btn", type: "button", "data-action": "copy" }, x.copy);
  const done = h("button", { class: "btn primary", type: "button", "data-action": "done" }, x.done);
  copy.addEventListener("click", async () => {
    field.select();
    try {
      await navigator.clipboard.writeText(o.secret);
      ui.say(x.copied);
    } catch {
      ui.say(x.copyFailed);
    }
  });
  done.addEventListener("click", () => replace(into, null));
  replace(into,
    h("div", { class: `card ${o.cls}-once`, role: "alert" },
      h("h3", null, o.title),
      h("p", { class: "problem" }, "⚠ ", x.warning),
      h("div", { class: "row" }, field, copy),
      h("div", { class: "row" }, done)));
  field.focus();
  field.select();
}
