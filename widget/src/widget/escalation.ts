// The offer to continue by email or be called back, shown when the wait is long, no agent is
// online, or the server sends `escalation_offer`.

import { h, replace } from "../shared/dom";
import type { Texts } from "./i18n";
import type { EscalationRequest } from "./reconnect";

export type OfferReason = "long" | "none" | "server" | "closed";

export class EscalationOffer {
  readonly el = h("div", { class: "offer", role: "region", hidden: true });
  private done = false;
  private visible = false;
  private reason: OfferReason = "long";
  private options: string[] = ["email", "callback"];

  constructor(
    private readonly t: Texts,
    private readonly email: () => string,
    private readonly send: (request: EscalationRequest) => Promise<boolean>,
  ) {}

  get shown(): boolean {
    return this.visible;
  }

  show(reason: OfferReason, options: string[] = ["email", "callback"]): void {
    if (this.done || this.visible) return;
    this.visible = true;
    this.reason = reason;
    this.options = options;
    this.el.hidden = false;
    this.el.setAttribute("aria-label", this.t.byEmail + " / " + this.t.callback);
    const t = this.t;
    replace(
      this.el,
      h("p", null, reason === "closed" ? t.closedOffer : reason === "none" ? t.noAgents : t.longWait),
      h(
        "div",
        { class: "row" },
        options.includes("email")
          ? h("button", { class: "secondary", type: "button", "data-action": "email", onclick: () => this.emailForm() }, t.byEmail)
          : null,
        options.includes("callback")
          ? h("button", { class: "secondary", type: "button", "data-action": "callback", onclick: () => this.callbackForm() }, t.callback)
          : null,
      ),
    );
  }

  hide(): void {
    this.visible = false;
    this.el.hidden = true;
  }

  private emailForm(): void {
    const t = this.t;
    const input = h("input", { id: "or-esc-email", type: "email", required: true, autocomplete: "email", value: this.email() });
    const error = h("div", { class: "error", role: "alert" });
    const form = this.form(
      h("div", { class: "field" }, h("label", { for: "or-esc-email" }, t.email.replace(/ \(.*\)$/, "")), input, error),
      t.submitEmail,
      async () => {
        const email = input.value.trim();
        if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) {
          error.textContent = t.emailInvalid;
          input.focus();
          return;
        }
        await this.submit({ to: "email", email }, t.escalatedEmail(email), error);
      },
    );
    replace(this.el, form);
    input.focus();
  }

  private callbackForm(): void {
    const t = this.t;
    const phone = h("input", { id: "or-esc-phone", type: "tel", required: true, autocomplete: "tel" });
    const at = h("input", { id: "or-esc-at", type: "datetime-local" });
    const error = h("div", { class: "error", role: "alert" });
    const form = this.form(
      [
        h("div", { class: "field" }, h("label", { for: "or-esc-phone" }, t.phone), phone),
        h("div", { class: "field" }, h("label", { for: "or-esc-at" }, t.callbackAt), at),
        error,
      ],
      t.submitCallback,
      async () => {
        const number = phone.value.trim();
        if (!/[0-9]{4,}/.test(number.replace(/[\s()/-]/g, ""))) {
          error.textContent = t.phoneRequired;
          phone.focus();
          return;
        }
        const request: EscalationRequest = { to: "callback", phone: number };
        if (at.value) request.at = new Date(at.value).toISOString();
        await this.submit(request, t.escalatedCallback(number), error);
      },
    );
    replace(this.el, form);
    phone.focus();
  }

  private form(fields: HTMLElement | HTMLElement[], submitLabel: string, onSubmit: () => Promise<void>): HTMLFormElement {
    const submit = h("button", { class: "primary", type: "submit" }, submitLabel);
    const form = h(
      "form",
      { novalidate: true },
      fields,
      h(
        "div",
        { class: "row" },
        submit,
        h("button", { class: "secondary", type: "button", onclick: () => this.reshow() }, this.t.cancel),
      ),
    );
    form.style.display = "flex";
    form.style.flexDirection = "column";
    form.style.gap = "8px";
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      submit.disabled = true;
      try {
        await onSubmit();
      } finally {
        submit.disabled = false;
      }
    });
    return form;
  }

  private reshow(): void {
    this.visible = false;
    this.show(this.reason, this.options);
  }

  private async submit(request: EscalationRequest, thanks: string, error: HTMLElement): Promise<void> {
    if (await this.send(request)) {
      this.done = true;
      replace(this.el, h("p", { role: "status", "data-escalated": request.to }, thanks));
    } else {
      error.textContent = this.t.escalateFailed;
    }
  }
}
