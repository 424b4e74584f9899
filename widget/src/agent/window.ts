// Messenger reply windows: WhatsApp and Messenger take free text only within 24 hours of the
// customer's last message. The console shows the time left, and once it is over, says so in
// place of the composer and offers what still works: the channel's approved template, or
// continuing by email. (Typing into a closed window and seeing "sent" is what agents must never get.)

import { h, setText } from "../shared/dom";
import { nowSeconds } from "../shared/format";
import { channelName } from "../shared/icons";
import type { Conversation } from "./types";
import { t } from "./strings";

const DAY_S = 24 * 3600;
const TICK_MS = 15_000;

/** True when the conversation has a reply window and it is over. */
export function windowShut(c: Conversation, now = nowSeconds()): boolean {
  return !!c.window_kind && typeof c.window_closes_at === "number" && c.window_closes_at <= now;
}

/** The customer wrote: the window runs 24 h from their message (the server's figure may be later). */
export function reopenWindow(c: Conversation, ts: number): void {
  if (!c.window_kind) return;
  c.window_closes_at = Math.max(c.window_closes_at ?? 0, ts + DAY_S);
}

/** The server refused a reply because the window is over (its clock and ours may differ). */
export function shutWindow(c: Conversation): void {
  c.window_kind = c.window_kind || "unknown";
  c.window_closes_at = Math.min(c.window_closes_at ?? Infinity, nowSeconds());
}

/** "3 h 12 min", "12 min", "less than a minute". */
export function timeLeft(seconds: number): string {
  const minutes = Math.floor(seconds / 60);
  if (minutes < 1) return t.lessThanMinute;
  const hours = Math.floor(minutes / 60);
  return hours ? t.hoursMinutes(hours, minutes % 60) : t.minutes(minutes);
}

const platform = (c: Conversation) =>
  c.window_kind === "whatsapp_24h" ? "WhatsApp" : c.window_kind === "messenger_24h" ? "Messenger" : channelName(c.channel_type || c.channel);

export interface WindowActions {
  /** Send the approved template; resolves to an error sentence, or null when sent. */
  sendTemplate(c: Conversation): Promise<string | null>;
  escalate(c: Conversation): void;
}

export class ReplyWindow {
  /** The countdown, above the composer. */
  readonly bar = h("div", { class: "reply-window", role: "status", hidden: true });
  /** In place of the composer once the window is over. */
  readonly closedPanel = h("div", { class: "window-closed", hidden: true });
  private conv: Conversation | null = null;
  private wasShut = false;

  constructor(
    private readonly actions: WindowActions,
    /** Called when the window closes (or reopens) with time passing, to swap the composer. */
    private readonly flipped: () => void,
  ) {
    setInterval(() => {
      if (this.draw(false)) this.flipped();
    }, TICK_MS);
  }

  show(c: Conversation | null): void {
    const changed = c !== this.conv;
    this.conv = c;
    this.draw(changed);
  }

  /** True when the composer must give way to the closed-window panel. */
  get shut(): boolean {
    return this.wasShut;
  }

  /** Redraw; true when the window closed or reopened since the last drawing. */
  private draw(redrawPanel: boolean): boolean {
    const c = this.conv;
    const active = !!c && !c.closed && !!c.window_kind && typeof c.window_closes_at === "number";
    const shut = active && windowShut(c!);
    this.bar.hidden = !active || shut;
    if (active && !shut) {
      setText(this.bar, t.windowLeft(timeLeft(c!.window_closes_at! - nowSeconds())));
      this.bar.classList.toggle("ending", c!.window_closes_at! - nowSeconds() < 3600);
    }
    this.closedPanel.hidden = !shut;
    const flip = shut !== this.wasShut;
    this.wasShut = shut;
    if (shut && (flip || redrawPanel)) this.drawClosed(c!);
    return flip;
  }

  private drawClosed(c: Conversation): void {
    const error = h("p", { class: "form-error", role: "alert" });
    const templates = c.templates ?? [];
    const template = h("button", { class: "btn primary", type: "button", "data-action": "send-template" }, t.sendTemplate);
    template.addEventListener("click", async () => {
      template.disabled = true;
      setText(error, null);
      const problem = await this.actions.sendTemplate(c);
      template.disabled = false;
      setText(error, problem);
    });
    const escalate = h("button", { class: "btn", type: "button", "data-action": "window-escalate", onclick: () => this.actions.escalate(c) }, t.escalateToEmail);
    this.closedPanel.replaceChildren(
      h(
        "p",
        { class: "window-sentence" },
        t.windowClosed(platform(c)),
        templates.length ? t.windowTemplates(templates.map((l) => l.toUpperCase()).join(", ")) : t.windowNoTemplate,
      ),
      h("div", { class: "row" }, templates.length ? template : null, escalate),
      error,
    );
  }
}
