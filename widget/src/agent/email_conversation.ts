// What an email conversation adds to the open conversation: the thread's subject under the
// customer's name, and above the composer that the reply goes out as a threaded mail (so the
// agent knows the customer reads it in their mailbox, under the same subject).

import { h, setText } from "../shared/dom";
import { baseSubject } from "./email_message";
import type { Conversation } from "./types";
import { t } from "./strings";

/** True for a conversation held by email (the composer's reply becomes a mail). */
export function isEmail(c: Conversation | null): boolean {
  return !!c && (c.channel_type === "email" || (!c.channel_type && c.channel === "email"));
}

/** The thread's subject: the gateway's when it names one, else the first mail's, without "Re:". */
export function threadSubject(c: Conversation): string {
  if (c.subject) return baseSubject(c.subject);
  for (const m of c.log.list()) {
    const subject = baseSubject(m.email?.subject);
    if (subject) return subject;
  }
  return "";
}

export class EmailBars {
  /** Under the heading: the subject. */
  readonly subject = h("p", { class: "conv-subject", hidden: true });
  /** Above the composer: "Reply by email · Re: … · threaded". */
  readonly composeNote = h("p", { class: "email-compose", hidden: true });

  /** Redraw for the open conversation (`composing`: the composer is shown). */
  show(c: Conversation | null, composing: boolean): void {
    const email = isEmail(c);
    const subject = email ? threadSubject(c!) : "";
    this.subject.hidden = !subject;
    setText(this.subject, subject || null);
    if (subject) this.subject.title = subject;
    this.composeNote.hidden = !email || !composing;
    this.composeNote.replaceChildren(
      ...(email
        ? [
            h("span", { class: "how" }, t.replyByEmail),
            " · ",
            h("span", { class: "re" }, subject ? `Re: ${subject}` : t.noSubject),
            " · ",
            h("span", { class: "threaded", title: t.threadedTitle }, t.threaded),
          ]
        : []),
    );
  }
}
