// One message in the console's log: text, files, what the platform did with the agent's reply,
// the customer's special messages (a type we cannot show, an edit, a reaction), and a mail's
// addresses and quoted original (email_message.ts).

import { attachmentsKey, attachmentView, type AttachmentTexts, type MediaCache } from "../shared/attachments";
import { h } from "../shared/dom";
import { autoLabel, isAutomatic, mailHeader, quotedToggle } from "./email_message";
import { clockTime } from "../shared/format";
import type { Entry } from "../shared/keyedlist";
import { linkified } from "../shared/links";
import type { Message } from "../shared/messages";
import { sharedTexts } from "../shared/strings";
import { t } from "./strings";

export const ATTACHMENT_TEXTS: AttachmentTexts = sharedTexts().attachments;

export interface MessageContext {
  selfId: string | null;
  /** A messenger or email conversation: the agent's replies show what became of them (sent,
   * delivered, read, failed with the reason — a bounced mail among them). */
  statuses: boolean;
  /** Email conversations: the thread's subject without "Re:" (a mail shows its own only when it differs). */
  threadSubject: string;
  media: MediaCache;
  /** Another message of the conversation (for edits and reactions). */
  lookup(seq: number): Message | undefined;
  /** Bring an earlier message into view. */
  reveal(seq: number): void;
}

const STATUS: Record<string, { mark: string; words: string }> = {
  sent: { mark: "✓", words: t.statusWords.sent },
  delivered: { mark: "✓✓", words: t.statusWords.delivered },
  read: { mark: "✓✓", words: t.statusWords.read },
  held: { mark: "", words: t.statusWords.held },
};

const snippet = (m: Message | undefined) => {
  if (!m) return t.earlierMessage;
  const text = m.text || m.attachments?.[0]?.name || t.aFile;
  return `“${text.length > 40 ? `${text.slice(0, 39)}…` : text}”`;
};

function statusLine(m: Message): HTMLElement | null {
  if (!m.status) return null;
  if (m.status === "failed") {
    return h("div", { class: "status", "data-status": "failed", role: "note" }, t.notDelivered(m.status_reason ?? ""));
  }
  const s = STATUS[m.status];
  if (!s) return null;
  return h(
    "div",
    { class: "status", "data-status": m.status, title: s.words },
    s.mark ? h("span", { class: "ticks", "aria-hidden": "true" }, s.mark) : null,
    h("span", { class: s.mark ? "sr-only" : "words" }, s.words),
  );
}

function textPart(m: Message, ctx: MessageContext): HTMLElement {
  if (m.unsupported) return h("div", { class: "text unsupported" }, t.unsupported(m.unsupported));
  if (typeof m.edit_of === "number") {
    const target = m.edit_of;
    const link = h("a", { class: "edit-of", href: `#msg-${target}`, title: t.changes(snippet(ctx.lookup(target))) }, t.edited);
    link.addEventListener("click", (ev) => {
      ev.preventDefault();
      ctx.reveal(target);
    });
    return h("div", { class: "text" }, link, ": ", linkified(m.text));
  }
  return h("div", { class: "text" }, linkified(m.text));
}

function draw(m: Message, ctx: MessageContext): HTMLElement {
  const kind = m.author?.kind ?? "system";
  const autoAnswer = !!m.auto; // the gateway's automatic answer: never "own", always marked
  if (kind === "system" && !autoAnswer) {
    return h("div", { class: "msg system", "data-seq": m.seq, "data-author": kind }, h("span", { class: "text" }, m.text));
  }
  const name = m.author?.name || (autoAnswer ? t.assist.automaticAnswer : kind === "visitor" ? t.customer : t.agent);
  if (m.reaction) {
    const { emoji, target_seq } = m.reaction;
    const words = emoji ? t.reacted(name, emoji, snippet(ctx.lookup(target_seq))) : t.unreacted(name, snippet(ctx.lookup(target_seq)));
    return h("div", { class: "msg reaction", "data-seq": m.seq, "data-author": kind }, h("span", { class: "text" }, words));
  }
  const authorId = (m.author as { id?: string } | undefined)?.id;
  const own = kind === "agent" && !autoAnswer && (!authorId || authorId === ctx.selfId);
  const mail = m.email;
  const files = m.attachments?.length
    ? h("div", { class: "attachments" }, m.attachments.map((a) => attachmentView(a, ctx.media, ATTACHMENT_TEXTS)))
    : null;
  return h(
    "div",
    {
      class: `msg ${own ? "own" : kind}${mail ? " mail" : ""}${isAutomatic(m) ? " auto" : ""}${autoAnswer ? " auto-answer" : ""}`,
      id: `msg-${m.seq}`,
      "data-seq": m.seq,
      "data-author": kind,
      "data-status": m.status ?? null,
    },
    h(
      "div",
      { class: "meta" },
      h("span", { class: "author" }, name),
      kind === "note"
        ? h("span", { class: "note-tag", title: t.staffOnly },
            (m as { whisper?: boolean }).whisper ? t.whisper : t.noteTag)
        : null,
      h("time", { datetime: new Date(m.ts * 1000).toISOString() }, clockTime(m.ts, t.lang)),
      mail?.auto ? autoLabel(mail) : null,
      autoAnswer && name !== t.assist.automaticAnswer ? h("span", { class: "auto-tag" }, t.assist.automaticAnswer) : null,
    ),
    mail ? mailHeader(mail, ctx.threadSubject) : null,
    textPart(m, ctx),
    mail ? quotedToggle(m) : null,
    files,
    own && ctx.statuses ? statusLine(m) : null,
  );
}

// Redrawn only when something shown changes, so an image is not fetched and laid out again.
// (A mail's per-message subject line depends on the thread's subject, known once history loaded.)
const version = (m: Message, ctx: MessageContext) =>
  `${m.status ?? ""}|${m.status_reason ?? ""}|${attachmentsKey(m.attachments)}|${m.email ? ctx.threadSubject : ""}`;

/** The keyed-list entry of a stored message. */
export function messageEntry(m: Message, ctx: MessageContext): Entry {
  return {
    key: `m:${m.seq}`,
    render: () => {
      const el = draw(m, ctx);
      el.dataset.version = version(m, ctx);
      return el;
    },
    update: (el) => {
      if (el.dataset.version === version(m, ctx)) return;
      const fresh = draw(m, ctx);
      fresh.dataset.version = version(m, ctx);
      el.replaceChildren(...fresh.childNodes);
      for (const attr of ["class", "data-status"]) {
        const value = fresh.getAttribute(attr);
        if (value === null) el.removeAttribute(attr);
        else el.setAttribute(attr, value);
      }
      el.dataset.version = version(m, ctx);
    },
  };
}
