// How a mail shows in the console's log: who wrote to whom, the new text only, and the whole
// original behind "Show quoted text" (quoted history clutters the view, yet the agent must be able
// to read what the customer answered to). Everything here is text: a mail's HTML never reaches
// the DOM, and the quoted original is shown in a <pre> as the customer's client wrote it.

import { h } from "../shared/dom";
import type { MailAddress, MailDetails, Message } from "../shared/messages";
import { t } from "./strings";


// Reply and forward prefixes of the common clients (English, German, Nordic, Outlook's [n] counter).
const PREFIX = /^\s*(re|aw|antw|fw|fwd|wg|sv|vs)(\s*\[\d+\])?\s*:\s*/i;

/** A subject without its "Re:", "AW:", "Fwd:" … prefixes: what the thread is about. */
export function baseSubject(subject: string | undefined): string {
  let s = (subject ?? "").trim();
  for (let guard = 0; guard < 10 && PREFIX.test(s); guard++) s = s.replace(PREFIX, "");
  return s;
}

/** "Name <address>" (or whichever of the two is known). */
export function addressText(a: MailAddress | null | undefined): string {
  if (!a) return "";
  if (typeof a === "string") return a.trim();
  const address = (a.address ?? a.email ?? "").trim();
  const name = (a.name ?? "").trim();
  return name && address ? `${name} <${address}>` : name || address;
}

function addressList(v: MailAddress[] | MailAddress | null | undefined): string {
  const list = Array.isArray(v) ? v : v ? [v] : [];
  return list.map(addressText).filter(Boolean).join(", ");
}

/** True for an out-of-office reply, a mailer daemon's note and the like. */
export function isAutomatic(m: Message): boolean {
  return !!m.email?.auto;
}

/** "Automatic reply (out of office)". */
export function autoLabel(mail: MailDetails): HTMLElement {
  const why = t.autoWords[mail.auto ?? ""];
  return h("span", { class: "auto-label", "data-auto": mail.auto ?? "" }, t.automaticReply(why ?? ""));
}

/** From, To and Cc of one mail; its subject too when it is not the thread's. */
export function mailHeader(mail: MailDetails, threadSubject: string): HTMLElement {
  const rows: [string, string, string][] = [
    ["from", t.mailFrom, addressText(mail.from)],
    ["to", t.mailTo, addressList(mail.to)],
    ["cc", t.mailCc, addressList(mail.cc)],
  ];
  const subject = (mail.subject ?? "").trim();
  if (subject && baseSubject(subject) !== threadSubject) rows.push(["subject", t.mailSubject, subject]);
  return h(
    "dl",
    { class: "mail-head" },
    rows
      .filter(([, , value]) => value)
      .map(([key, label, value]) => h("div", { class: `mail-${key}` }, h("dt", null, `${label}:`), h("dd", null, value))),
  );
}

// Which mails the agent opened, by message id: a status change redraws a message, and the
// quoted text the agent is reading must not snap shut then.
const opened = new Set<string>();

/** The "Show quoted text" button and the original it reveals; null when nothing was cut. */
export function quotedToggle(m: Message): HTMLElement | null {
  const quoted = (m.email?.quoted ?? "").trim();
  if (!quoted || quoted === m.text.trim()) return null;
  const key = m.id || `seq:${m.seq}`;
  const id = `quoted-${m.seq}`;
  const pre = h("pre", { class: "quoted", id, hidden: !opened.has(key) }, quoted);
  const button = h("button", { class: "btn small quoted-toggle", type: "button", "aria-controls": id });
  const draw = () => {
    const open = opened.has(key);
    pre.hidden = !open;
    button.setAttribute("aria-expanded", String(open));
    button.textContent = open ? t.hideQuoted : t.showQuoted;
  };
  button.addEventListener("click", () => {
    if (opened.has(key)) opened.delete(key);
    else opened.add(key);
    draw();
  });
  draw();
  return h("div", { class: "quoted-part" }, button, pre);
}
