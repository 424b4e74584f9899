// Modal dialogs for transfer, escalation, closing with a wrap-up code, and reading an earlier
// conversation. Native <dialog>: focus moves in, Escape closes, focus returns.

import { h, replace } from "../shared/dom";
import { clockTime } from "../shared/format";
import type { Message } from "../shared/messages";
import type { Contact, Directory } from "./types";
import { t, word } from "./strings";

type Submit = (form: HTMLFormElement) => Promise<string | null>; // error text, or null when done

function modal(title: string, body: (HTMLElement | null)[], submitLabel: string, onSubmit: Submit): HTMLDialogElement {
  const error = h("p", { class: "form-error", role: "alert" });
  const submit = h("button", { class: "btn primary", type: "submit" }, submitLabel);
  const dialog = h("dialog", { "aria-labelledby": "dialog-title" });
  const form = h(
    "form",
    null,
    h("h2", { id: "dialog-title" }, title),
    ...body,
    error,
    h("div", { class: "row" }, h("button", { class: "btn", type: "button", onclick: () => dialog.close() }, t.cancel), submit),
  );
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    submit.disabled = true;
    error.textContent = "";
    try {
      const problem = await onSubmit(form);
      if (problem) error.textContent = problem;
      else dialog.close();
    } finally {
      submit.disabled = false;
    }
  });
  dialog.append(form);
  dialog.addEventListener("close", () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
  return dialog;
}

const value = (form: HTMLFormElement, name: string): string =>
  ((form.elements.namedItem(name) as HTMLInputElement | HTMLSelectElement | null)?.value ?? "").trim();

export function transferDialog(directory: Directory, selfId: string | null | undefined, onTransfer: (target: { queue?: string; agent?: string; note?: string }) => Promise<string | null>): void {
  const select = h(
    "select",
    { id: "transfer-target", name: "target", required: true },
    h("optgroup", { label: t.queues }, directory.queues.map((q) => h("option", { value: `queue:${q.id}` }, q.name || q.id))),
    h(
      "optgroup",
      { label: t.agents },
      directory.agents
        .filter((a) => a.id !== selfId)
        .map((a) => h("option", { value: `agent:${a.id}` }, `${a.name || a.id}${a.state ? ` (${word(t.stateWords, a.state)})` : ""}`)),
    ),
  );
  const note = h("textarea", { id: "transfer-note", name: "note", rows: 3, maxlength: 4096, placeholder: t.transferNotePlaceholder });
  modal(t.transferTitle, [h("label", { for: "transfer-target" }, t.to), select,
    h("label", { for: "transfer-note" }, t.handoverNote), note], t.transfer, (form) => {
    const [kind, id] = value(form, "target").split(/:(.*)/s);
    const text = value(form, "note").trim();
    return onTransfer({ ...(kind === "agent" ? { agent: id } : { queue: id }), ...(text ? { note: text } : {}) });
  });
}

// The same shape the widget accepts; the gateway checks again.
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export type EscalateRequest = { to: "email" | "callback" | "callback_offer"; email?: string; phone?: string; at?: string };

/** Continue by email (the address asked for when the contact has none) or by a callback; an
 * email conversation offers only the callback (it is already answered by email). On a messenger
 * conversation (`messaging`) the callback is offered to the customer, who confirms it with a button
 * there; the number is only a proposal (on WhatsApp their own, when none is typed). */
export function escalateDialog(
  contact: Contact | null,
  onEscalate: (r: EscalateRequest) => Promise<string | null>,
  emailAllowed = true,
  messaging: { channelType: string } | null = null,
): void {
  const to = h(
    "select",
    { id: "esc-to", name: "to" },
    emailAllowed ? h("option", { value: "email" }, t.continueByEmail) : null,
    messaging ? h("option", { value: "callback_offer" }, t.offerCallback) : h("option", { value: "callback" }, t.callBack),
  );
  const known = contact?.email ?? "";
  const email = h("input", { id: "esc-email", name: "email", type: "email", value: known, placeholder: "name@example.com", autocomplete: "off" });
  // WhatsApp's verified number comes without the "+": shown as the international number it is.
  const own = contact?.phone && /^\d{6,}$/.test(contact.phone) ? `+${contact.phone}` : (contact?.phone ?? "");
  const whatsapp = messaging?.channelType === "whatsapp";
  const phone = h("input", { id: "esc-phone", name: "phone", type: "tel", value: messaging && !whatsapp ? "" : own });
  const at = h("input", { id: "esc-at", name: "at", type: "datetime-local" });
  const ask = known ? null : h("p", { class: "field-hint", id: "esc-email-hint" }, t.askForEmail);
  if (ask) email.setAttribute("aria-describedby", "esc-email-hint");
  const emailRow = h("div", { class: "field" }, h("label", { for: "esc-email" }, t.email), email, ask);
  let phoneRow: HTMLElement;
  if (messaging) {
    const hint = whatsapp
      ? t.whatsappHint
      : t.offerHint;
    phone.setAttribute("aria-describedby", "esc-offer-hint");
    phoneRow = h("div", { class: "field" }, h("label", { for: "esc-phone" }, t.numberToPropose), phone, h("p", { class: "field-hint", id: "esc-offer-hint" }, hint));
  } else {
    phoneRow = h("div", { class: "field" }, h("label", { for: "esc-phone" }, t.phone), phone, h("label", { for: "esc-at" }, t.whenOptional), at);
  }
  const sync = (): void => {
    emailRow.hidden = to.value !== "email";
    phoneRow.hidden = to.value === "email";
  };
  to.addEventListener("change", sync);
  sync();
  const dialog = modal(t.escalateTitle, [h("label", { for: "esc-to" }, t.how), to, emailRow, phoneRow], messaging ? t.send : t.escalate, (form) => {
    if (value(form, "to") === "email") {
      const address = value(form, "email");
      if (!address) return Promise.resolve(t.emailNeeded);
      if (!EMAIL.test(address)) return Promise.resolve(t.emailInvalid);
      return onEscalate({ to: "email", email: address });
    }
    if (value(form, "to") === "callback_offer") {
      const proposed = value(form, "phone");
      return onEscalate({ to: "callback_offer", ...(proposed ? { phone: proposed } : {}) });
    }
    if (!value(form, "phone")) return Promise.resolve(t.phoneNeeded);
    const when = value(form, "at");
    return onEscalate({ to: "callback", phone: value(form, "phone"), ...(when ? { at: new Date(when).toISOString() } : {}) });
  });
  // Our sentences instead of the browser's bubble (which a hidden field can also raise).
  dialog.querySelector("form")!.noValidate = true;
  if (emailAllowed && !known) email.focus();
}

export function closeDialog(codes: Directory["wrapup_codes"], onClose: (code: string | null) => Promise<string | null>, required = false): void {
  const select = h(
    "select",
    { id: "wrapup-code", name: "code", required },
    h("option", { value: "" }, codes.length ? t.choose : t.none),
    codes.map((c) =>
      typeof c === "string" ? h("option", { value: c }, word(t.wrapupCodes, c)) : h("option", { value: c.id }, c.label ?? c.name ?? c.id),
    ),
  );
  modal(t.closeTitle, [h("label", { for: "wrapup-code" }, t.wrapupCode), select], t.close, (form) =>
    onClose(value(form, "code") || null),
  );
}

/** Read-only transcript of an earlier conversation (`problem`: why there is none to show). */
export function transcriptDialog(title: string, messages: Message[], problem = ""): void {
  const dialog = h("dialog", { class: "transcript", "aria-labelledby": "transcript-title" });
  const list = h("ol", { class: "transcript-list" });
  replace(
    list,
    messages.map((m) =>
      h(
        "li",
        { class: `t-${m.author?.kind ?? "system"}` },
        h("span", { class: "t-meta" }, `${m.author?.name || m.author?.kind || ""} · ${clockTime(m.ts, t.lang)}`),
        h("span", { class: "t-text" }, m.text),
      ),
    ),
  );
  dialog.append(
    h(
      "div",
      { class: "transcript-body" },
      h("h2", { id: "transcript-title" }, title),
      messages.length ? list : problem ? h("p", { class: "form-error", role: "alert" }, problem) : h("p", { class: "muted" }, t.noMessages),
      h("div", { class: "row" }, h("button", { class: "btn", type: "button", onclick: () => dialog.close() }, t.close)),
    ),
  );
  dialog.addEventListener("close", () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
}

