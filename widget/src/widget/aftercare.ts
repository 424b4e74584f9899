// The customer's side around the end of a chat: an "End chat" button while it is open, then the
// rating (1–5 and a comment, once) and the transcript by email. Everything typed is sent as text.

import { h, setText } from "../shared/dom";
import type { Lang } from "./i18n";
import type { VisitorConnection } from "./reconnect";

const TEXTS = {
  en: {
    end: "End chat", rateQ: "How satisfied were you?", star: (n: number) => `${n} of 5`,
    comment: "A comment (optional)", send: "Send rating", thanks: "Thank you for your rating.",
    already: "You have rated this conversation already.", failed: "That did not work. Please try again.",
    transcript: "Email me the transcript", email: "Your email address", sendMail: "Send",
    mailed: "The transcript is on its way.", badEmail: "Please enter a valid email address.",
    tooManyMails: "The transcript of this chat has been sent several times today. Please try again tomorrow.",
  },
  de: {
    end: "Chat beenden", rateQ: "Wie zufrieden waren Sie?", star: (n: number) => `${n} von 5`,
    comment: "Ein Kommentar (freiwillig)", send: "Bewertung senden", thanks: "Vielen Dank für Ihre Bewertung.",
    already: "Sie haben dieses Gespräch bereits bewertet.", failed: "Das hat nicht geklappt. Bitte versuchen Sie es erneut.",
    transcript: "Verlauf per E-Mail senden", email: "Ihre E-Mail-Adresse", sendMail: "Senden",
    mailed: "Der Verlauf ist unterwegs.", badEmail: "Bitte geben Sie eine gültige E-Mail-Adresse ein.",
    tooManyMails: "Der Verlauf dieses Chats wurde heute schon mehrmals verschickt. Bitte versuchen Sie es morgen erneut.",
  },
};

export class Aftercare {
  readonly endButton: HTMLButtonElement;
  readonly el: HTMLElement;
  private readonly t: (typeof TEXTS)["en"];
  private readonly rateForm: HTMLFormElement;
  private readonly rateStatus = h("p", { class: "after-status", role: "status" });
  private readonly mailForm: HTMLFormElement;
  private readonly mailStatus = h("p", { class: "after-status", role: "status" });
  private readonly comment: HTMLTextAreaElement;
  private readonly email: HTMLInputElement;
  private conversationId: string | null = null;
  private score = 0;

  constructor(lang: Lang, private readonly conn: VisitorConnection, visitorEmail: () => string) {
    this.t = TEXTS[lang] ?? TEXTS.en;
    const t = this.t;
    this.endButton = h("button", { class: "end-chat", type: "button" }, t.end);
    this.endButton.addEventListener("click", () => void this.end());
    const stars = h("div", { class: "stars", role: "radiogroup", "aria-label": t.rateQ });
    for (let n = 1; n <= 5; n++) {
      const b = h("button", { type: "button", class: "star", role: "radio", "aria-checked": "false", "aria-label": t.star(n), "data-score": String(n) }, "★");
      b.addEventListener("click", () => {
        this.score = n;
        for (const s of Array.from(stars.children)) {
          const v = Number((s as HTMLElement).dataset.score);
          s.setAttribute("aria-checked", String(v === n));
          s.classList.toggle("on", v <= n);
        }
      });
      stars.appendChild(b);
    }
    this.comment = h("textarea", { rows: 2, maxlength: 1000, "aria-label": t.comment, placeholder: t.comment });
    this.rateForm = h("form", { class: "rate" }, h("p", null, t.rateQ), stars, this.comment,
      h("button", { class: "primary", type: "submit" }, t.send));
    this.rateForm.addEventListener("submit", (ev) => {
      ev.preventDefault();
      void this.rate();
    });
    this.email = h("input", { type: "email", autocomplete: "email", "aria-label": t.email, placeholder: t.email });
    this.mailForm = h("form", { class: "transcript" }, h("label", null, t.transcript), h("div", { class: "row" }, this.email,
      h("button", { class: "secondary", type: "submit" }, t.sendMail)));
    this.mailForm.addEventListener("submit", (ev) => {
      ev.preventDefault();
      void this.mail();
    });
    this.email.value = visitorEmail();
    this.el = h("div", { class: "aftercare", hidden: true }, this.rateForm, this.rateStatus, this.mailForm, this.mailStatus);
  }

  /** The conversation ended: offer the rating and the transcript for it. */
  closed(conversationId: string): void {
    if (this.conversationId !== conversationId) {
      this.conversationId = conversationId;
      this.rateForm.hidden = false;
      setText(this.rateStatus, null);
      setText(this.mailStatus, null);
    }
    this.endButton.hidden = true;
    this.el.hidden = false;
  }

  /** A conversation is open (again): "End chat" is offered, the after-chat forms are not. */
  opened(hasConversation: boolean): void {
    this.endButton.hidden = !hasConversation;
    this.el.hidden = true;
  }

  private async end(): Promise<void> {
    this.endButton.disabled = true;
    await this.conn.request("end_chat", {});
    this.endButton.disabled = false;
  }

  private async rate(): Promise<void> {
    if (!this.score || !this.conversationId) return;
    const ack = await this.conn.request("rate", { conversation_id: this.conversationId, score: this.score, comment: this.comment.value });
    if (ack.error && ack.error.code !== "already_rated") {
      setText(this.rateStatus, this.t.failed);
      return;
    }
    this.rateForm.hidden = true;
    setText(this.rateStatus, ack.error ? this.t.already : this.t.thanks);
  }

  private async mail(): Promise<void> {
    const email = this.email.value.trim();
    if (!this.conversationId || !this.email.checkValidity() || !email) {
      setText(this.mailStatus, this.t.badEmail);
      return;
    }
    const ack = await this.conn.request("transcript", { conversation_id: this.conversationId, email });
    const refused: Record<string, string> = { bad_email: this.t.badEmail, too_many_transcripts: this.t.tooManyMails };
    setText(this.mailStatus, ack.error ? (refused[ack.error.code] ?? this.t.failed) : this.t.mailed);
  }
}
