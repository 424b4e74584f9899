// Keyboard shortcuts of the console: A accept, D decline (the oldest offer), J next unread
// conversation, C close the open one, / canned answers, ? this list. Never while typing in a field
// or with a dialog open, and never with Ctrl/Alt/Meta (the browser's own shortcuts stay).
// (Alt+1/2/3, listed here too, insert a suggestion even while typing: agent/suggestions.ts.)

import { h } from "../shared/dom";
import { t } from "./strings";

export interface ShortcutTargets {
  /** The next conversation with unread messages after the open one (cycling), if any. */
  nextUnread(): void;
  /** Into the composer with the canned answers open. */
  canned(): void;
}

const KEYS = ["A", "D", "J", "C", "/", "Alt+1…3", "?"];

function typing(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  if (!el || !(el instanceof HTMLElement)) return false;
  return el.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(el.tagName);
}

function clickFirst(selector: string): void {
  (document.querySelector(selector) as HTMLButtonElement | null)?.click();
}

/** The cheat sheet, a modal dialog listing the keys. */
function cheatSheet(): void {
  const dialog = h("dialog", { class: "shortcuts", "aria-labelledby": "shortcuts-title" },
    h("h2", { id: "shortcuts-title" }, t.shortcutsTitle),
    h("dl", null, KEYS.flatMap((key) => [h("dt", null, h("kbd", null, key)), h("dd", null, t.shortcuts[key])])),
    h("div", { class: "row" }, h("button", { class: "btn", type: "button", onclick: () => dialog.close() }, t.close)));
  dialog.addEventListener("close", () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
}

export function installShortcuts(targets: ShortcutTargets): void {
  document.addEventListener("keydown", (ev) => {
    if (ev.defaultPrevented || ev.ctrlKey || ev.altKey || ev.metaKey || ev.isComposing) return;
    if (typing(ev.target) || document.querySelector("dialog[open]")) return;
    const actions: Record<string, () => void> = {
      a: () => clickFirst(".offer-card:not(.expired) [data-action=accept]:not(:disabled)"),
      d: () => clickFirst(".offer-card:not(.expired) [data-action=decline]:not(:disabled)"),
      j: () => targets.nextUnread(),
      c: () => clickFirst(".conv-actions [data-action=close], .conv-actions [data-action=wrapup]"),
      "/": () => targets.canned(),
      "?": () => cheatSheet(),
    };
    const act = actions[ev.key.length === 1 ? ev.key.toLowerCase() : ""] ?? (ev.key === "?" ? actions["?"] : undefined);
    if (!act) return;
    ev.preventDefault();
    act();
  });
}
