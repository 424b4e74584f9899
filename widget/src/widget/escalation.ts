// The offer to continue by email or be called back, shown when the wait is long, no agent is
// online, or the server sends `escalation_offer`. The callback form offers the times the gateway
// says the voice agents can take (GET /api/v1/widget/callback-slots), grouped by day and shown in
// the visitor's language and the queue's time zone, plus "as soon as possible" while it is open.

import { api } from "../shared/api";
import { h, replace } from "../shared/dom";
import type { Texts } from "./i18n";
import type { EscalationRequest } from "./reconnect";

export interface CallbackSlot {
  start: string;
  end: string;
  free: number;
}

export interface CallbackSlots {
  timezone: string;
  asap: boolean;
  slots: CallbackSlot[];
}

export type SlotSource = () => Promise<CallbackSlots>;

/** The offered callback times for the visitor's topic and language. */
export function slotSource(origin: string, tenant: string, topic: () => string, language: () => string): SlotSource {
  return async () => {
    const q = new URLSearchParams({ tenant, language: language() });
    if (topic()) q.set("topic", topic());
    const got = await api<Partial<CallbackSlots>>(`/api/v1/widget/callback-slots?${q}`, { base: origin });
    return {
      timezone: typeof got.timezone === "string" ? got.timezone : "UTC",
      asap: got.asap !== false,
      slots: Array.isArray(got.slots) ? got.slots.filter((s) => typeof s?.start === "string") : [],
    };
  };
}

/** Local day label and time of a slot start, in the visitor's language and the queue's zone. */
function slotLabels(start: string, lang: string, timeZone: string): { day: string; time: string; full: string } {
  const at = new Date(start);
  const fmt = (o: Intl.DateTimeFormatOptions) => {
    try {
      return new Intl.DateTimeFormat(lang, { ...o, timeZone }).format(at);
    } catch {
      return new Intl.DateTimeFormat(lang, o).format(at); // an unknown zone: the browser's own
    }
  };
  const day = fmt({ weekday: "long", day: "numeric", month: "long" });
  const time = fmt({ hour: "2-digit", minute: "2-digit" });
  return { day, time, full: `${day}, ${time}` };
}

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
    private readonly slots: SlotSource | null = null,
    private readonly lang: string = "en",
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
    const when = h("select", { id: "or-esc-slot", required: true, "aria-busy": "true" });
    const error = h("div", { class: "error", role: "alert" });
    let offered: CallbackSlots = { timezone: "UTC", asap: true, slots: [] };
    const fill = async (): Promise<void> => {
      if (this.slots) {
        try {
          offered = await this.slots();
        } catch {
          offered = { timezone: "UTC", asap: true, slots: [] }; // the gateway decides: ask for "as soon as possible"
        }
      }
      const keep = when.value;
      const groups = new Map<string, HTMLOptGroupElement>();
      const options: HTMLElement[] = offered.asap ? [h("option", { value: "" }, t.asap)] : [];
      for (const slot of offered.slots) {
        const label = slotLabels(slot.start, this.lang, offered.timezone);
        let group = groups.get(label.day);
        if (!group) {
          group = h("optgroup", { label: label.day });
          groups.set(label.day, group);
          options.push(group);
        }
        group.appendChild(h("option", { value: slot.start, "data-label": label.full }, label.time));
      }
      replace(when, ...options);
      if (keep && [...when.options].some((o) => o.value === keep)) when.value = keep;
      when.removeAttribute("aria-busy");
      when.disabled = !options.length;
      if (!options.length) error.textContent = t.noSlots;
    };
    const form = this.form(
      [
        h("div", { class: "field" }, h("label", { for: "or-esc-phone" }, t.phone), phone),
        h("div", { class: "field" }, h("label", { for: "or-esc-slot" }, t.callbackWhen), when),
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
        if (when.disabled) return;
        const request: EscalationRequest = { to: "callback", phone: number };
        const chosen = when.selectedOptions[0];
        if (when.value) request.at = when.value;
        const thanks = when.value
          ? t.escalatedCallbackAt(number, chosen?.dataset.label ?? when.value)
          : t.escalatedCallback(number);
        if (await this.submit(request, thanks, error)) return;
        if (!when.value) return;
        const tried = when.value;
        await fill(); // taken meanwhile? then say so and let the visitor pick again
        if (when.value !== tried) {
          error.textContent = t.slotTaken;
          when.focus();
        }
      },
    );
    replace(this.el, form);
    phone.focus();
    void fill();
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

  private async submit(request: EscalationRequest, thanks: string, error: HTMLElement): Promise<boolean> {
    if (await this.send(request)) {
      this.done = true;
      replace(this.el, h("p", { role: "status", "data-escalated": request.to }, thanks));
      return true;
    }
    error.textContent = this.t.escalateFailed;
    return false;
  }
}
