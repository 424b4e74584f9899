// The conversation view: message log (an ARIA live log), queue position and wait, the email /
// callback offer, the typing indicator and the composer. An automatic answer is marked as one and
// offers "Talk to a person" while it is the conversation's last word (after it, the gateway's
// "one of us will take over" line and the queue position follow).

import { attachmentView, type AttachmentTexts, type MediaCache } from "../shared/attachments";
import { h, setText } from "../shared/dom";
import { clockTime } from "../shared/format";
import { atBottom, KeyedList, type Entry } from "../shared/keyedlist";
import { LengthGuard } from "../shared/length";
import type { Message } from "../shared/messages";
import type { UploadLimits } from "../shared/upload";
import { Aftercare } from "./aftercare";
import { attachmentTexts, VisitorAttach, visitorMedia } from "./attach";
import { EscalationOffer, type SlotSource } from "./escalation";
import { waitText, type Lang, type Texts } from "./i18n";
import type { Notice, NoticeBook } from "./notices";
import type { QueueInfo, VisitorConnection } from "./reconnect";
import type { PendingMessage } from "./storage";
import { linkified } from "../shared/links";

const TYPING_IDLE_MS = 2500;
const TYPING_SHOW_MS = 8000;

export class ChatView {
  readonly el: HTMLElement;
  readonly offer: EscalationOffer;
  readonly aftercare: Aftercare;
  private readonly log = h("div", { class: "log", role: "log", "aria-live": "polite", "aria-relevant": "additions", tabindex: "0" });
  private readonly list = new KeyedList(this.log);
  private readonly queueBox = h("div", { class: "queue", role: "status", "aria-live": "polite" });
  private readonly typingBox = h("div", { class: "typing", "aria-live": "polite" });
  private readonly input: HTMLTextAreaElement;
  private readonly composer: HTMLFormElement;
  private readonly endedBox: HTMLElement;
  private readonly length: LengthGuard;
  private readonly attach: VisitorAttach;
  private readonly media: MediaCache;
  private readonly fileTexts: AttachmentTexts;
  private agentName = "";
  private typingTimer: ReturnType<typeof setTimeout> | undefined;
  private ownTypingTimer: ReturnType<typeof setTimeout> | undefined;
  private ownTyping = false;
  private readonly askedPerson = new Set<string>();

  constructor(
    private readonly t: Texts,
    private readonly lang: Lang,
    private readonly conn: VisitorConnection,
    visitorEmail: () => string,
    private readonly onNewChat: () => void,
    private readonly greeting: () => string,
    private readonly notices: NoticeBook,
    messageChars: () => number,
    origin: string,
    uploadLimits: () => UploadLimits,
    callbackSlots: SlotSource | null = null,
  ) {
    this.log.setAttribute("aria-label", t.messages);
    this.offer = new EscalationOffer(t, visitorEmail, (r) => conn.escalate(r), callbackSlots, lang);
    this.input = h("textarea", { id: "or-input", rows: 1, placeholder: t.composerPlaceholder, "aria-label": t.composerLabel });
    this.length = new LengthGuard(this.input, messageChars, { counter: t.charCounter, tooLong: t.tooLong });
    this.input.addEventListener("keydown", (ev) => {
      if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) {
        ev.preventDefault();
        this.composer.requestSubmit();
      }
    });
    this.input.addEventListener("input", () => this.typed());
    this.media = visitorMedia(origin, conn);
    this.fileTexts = attachmentTexts(t, lang);
    this.attach = new VisitorAttach(t, lang, origin, conn, uploadLimits, {
      take: () => this.input.value.trim(),
      clear: () => {
        this.input.value = "";
        this.length.update();
      },
    });
    this.composer = h(
      "form",
      { class: "composer" },
      this.attach.button,
      this.attach.input,
      h("div", { class: "composer-field" }, this.input, this.length.counter),
      h("button", { class: "primary", type: "submit" }, t.send),
    );
    this.composer.addEventListener("submit", (ev) => {
      ev.preventDefault();
      const text = this.input.value.trim();
      if (!text || !this.length.allows(text)) return;
      this.input.value = "";
      this.length.update();
      this.stopTyping();
      this.conn.send(text);
      this.input.focus();
    });
    this.endedBox = h(
      "div",
      { class: "ended", hidden: true },
      h("p", { role: "status" }, t.closed),
      h("button", { class: "secondary", type: "button", onclick: () => this.onNewChat() }, t.newChat),
    );
    this.aftercare = new Aftercare(lang, conn, visitorEmail);
    this.aftercare.opened(!!conn.conversationId);
    this.endedBox.appendChild(this.aftercare.el);
    this.composer.appendChild(this.aftercare.endButton);
    this.el = h("div", { class: "body" }, this.log, this.typingBox, this.queueBox, this.offer.el, this.endedBox, this.length.error, this.attach.note, this.composer);
  }

  /** Outside business hours: no composer, the offline notice and the email / callback offer. */
  setOffline(notice: string): void {
    this.composer.hidden = true;
    setText(this.queueBox, notice);
    this.queueBox.dataset.offline = "";
    this.offer.show("closed");
  }

  focus(): void {
    (this.endedBox.hidden ? this.input : (this.endedBox.querySelector("button") as HTMLElement)).focus();
  }

  /** Redraw messages, notices and pending messages from the connection's state. */
  refresh(): void {
    const stick = atBottom(this.log);
    const entries: Entry[] = [];
    const greeting = this.greeting();
    if (greeting) entries.push({ key: "n:greeting", render: () => h("div", { class: "notice greeting" }, greeting) });
    for (const [conversationId, log] of this.conn.logs) {
      const notices = this.notices.of(conversationId);
      const messages = log.list();
      const person = this.personChoice(conversationId, messages);
      let ni = 0;
      for (const m of messages) {
        while (ni < notices.length && (notices[ni].afterSeq ?? Infinity) < m.seq) entries.push(this.noticeEntry(notices[ni++]));
        entries.push(this.messageEntry(m));
        if (m === person) entries.push(this.personEntry(conversationId, m.seq));
      }
      while (ni < notices.length) entries.push(this.noticeEntry(notices[ni++]));
    }
    for (const p of this.conn.outbox) entries.push(this.pendingEntry(p));
    this.attach.setOpen(!!this.conn.conversationId && (this.conn.logs.get(this.conn.conversationId)?.size ?? 0) > 0);
    const added = this.list.sync(entries);
    if (added && stick) this.log.scrollTop = this.log.scrollHeight;
  }

  /** The automatic answer to offer "Talk to a person" under: the open conversation's last message
   * (whatever follows it, the visitor writing again among it, hands the conversation to a person). */
  private personChoice(conversationId: string, messages: Message[]): Message | null {
    if (conversationId !== this.conn.conversationId || this.agentName || !this.endedBox.hidden) return null;
    const last = messages[messages.length - 1];
    if (!last?.auto || this.askedPerson.has(conversationId) || this.conn.outbox.length) return null;
    return last;
  }

  private personEntry(conversationId: string, seq: number): Entry {
    return {
      key: `n:person-choice:${conversationId}:${seq}`,
      render: () => {
        const error = h("span", { class: "person-error", role: "alert" });
        const button = h("button", { class: "secondary person", type: "button" }, this.t.talkToPerson);
        button.addEventListener("click", async () => {
          button.disabled = true;
          setText(error, null);
          const ack = await this.conn.request("talk_to_person", { conversation_id: conversationId });
          button.disabled = false;
          if (ack.error || ack.ok === false) {
            setText(error, this.t.escalateFailed);
            return;
          }
          this.askedPerson.add(conversationId);
          this.refresh();
          this.input.focus();
        });
        return h("div", { class: "person-choice" }, button, error);
      },
    };
  }

  private messageEntry(m: Message): Entry {
    const kind = m.author?.kind ?? "system";
    const own = kind === "visitor";
    return {
      key: `m:${m.conversation_id}:${m.seq}`,
      render: () => {
        if (m.auto) {
          const name = m.author?.name || this.t.autoAnswer;
          return h(
            "div",
            { class: "msg auto", "data-seq": m.seq, "data-author": kind, "data-auto": "" },
            h(
              "div",
              { class: "meta" },
              h("span", { class: "author" }, name),
              name === this.t.autoAnswer ? null : h("span", { class: "auto-tag" }, this.t.autoAnswer),
              h("time", { datetime: new Date(m.ts * 1000).toISOString() }, clockTime(m.ts, this.lang)),
            ),
            h("div", { class: "text" }, linkified(m.text)),
          );
        }
        if (kind === "system") {
          return h("div", { class: "notice system", "data-seq": m.seq, "data-author": kind }, m.text);
        }
        return h(
          "div",
          { class: own ? "msg own" : "msg", "data-seq": m.seq, "data-author": kind, "data-state": own ? "sent" : null },
          h(
            "div",
            { class: "meta" },
            h("span", { class: "author" }, own ? this.t.you : m.author?.name || this.t.agentFallback),
            h("time", { datetime: new Date(m.ts * 1000).toISOString() }, clockTime(m.ts, this.lang)),
          ),
          h("div", { class: "text" }, linkified(m.text)),
          m.attachments?.length
            ? h("div", { class: "attachments" }, m.attachments.map((a) => attachmentView(a, this.media, this.fileTexts)))
            : null,
          own ? h("div", { class: "state" }, this.t.sent) : null,
        );
      },
    };
  }

  private pendingEntry(p: PendingMessage): Entry {
    const stateLine = (el: HTMLElement): void => {
      el.dataset.state = p.state;
      const line = el.querySelector(".state") as HTMLElement;
      line.replaceChildren(p.state === "failed" ? this.t.failed : this.t.sending);
      if (p.state === "failed") {
        line.append(h("button", { class: "link-btn", type: "button", onclick: () => this.conn.retry(p.client_id) }, this.t.retry));
      }
    };
    return {
      key: `p:${p.client_id}`,
      render: () => {
        const el = h(
          "div",
          { class: "msg own", "data-author": "visitor", "data-client-id": p.client_id },
          h("div", { class: "meta" }, h("span", { class: "author" }, this.t.you)),
          h("div", { class: "text" }, p.text),
          h("div", { class: "state", "aria-live": "polite" }),
        );
        stateLine(el);
        return el;
      },
      update: (el) => {
        if (el.dataset.state !== p.state) stateLine(el);
      },
    };
  }

  private noticeEntry(n: Notice): Entry {
    return { key: n.key, render: () => h("div", { class: "notice" }, n.text) };
  }

  private addNotice(key: string, conversationId: string, text: string): void {
    if (this.notices.add(key, conversationId, text, this.conn.logs.get(conversationId))) this.refresh();
  }

  /** The connection has the conversation's history: notices that waited for it take their place. */
  historyLoaded(conversationId: string): void {
    if (this.notices.historyLoaded(conversationId, this.conn.logs.get(conversationId))) this.refresh();
  }

  setQueue(q: QueueInfo, longWaitS: number): void {
    if (q.conversation_id !== this.conn.conversationId || this.agentName) return;
    const parts = [];
    if (q.position > 0) parts.push(this.t.queuePosition(q.position));
    if (q.ewt_s !== null && q.ewt_s !== undefined && q.ewt_s >= 0) parts.push(this.t.ewt(waitText(this.t, q.ewt_s)));
    setText(this.queueBox, parts.join(" "));
    this.queueBox.dataset.position = String(q.position);
    if (q.ewt_s > longWaitS) this.offer.show("long");
  }

  setAssigned(conversationId: string, name: string): void {
    this.agentName = name || this.t.agentFallback;
    setText(this.queueBox, null);
    this.offer.hide();
    this.addNotice(`n:assigned:${conversationId}:${name}`, conversationId, this.t.assigned(this.agentName));
  }

  setRequeued(conversationId: string, reason: string): void {
    if (conversationId !== this.conn.conversationId) return;
    this.agentName = "";
    setText(this.typingBox, null);
    const key = `n:requeued:${conversationId}:${this.conn.logs.get(conversationId)?.maxSeq ?? 0}`;
    this.addNotice(key, conversationId, reason === "transferred" ? this.t.transferred : this.t.requeued);
  }

  get agent(): string {
    return this.agentName;
  }

  setTyping(conversationId: string, on: boolean): void {
    if (conversationId !== this.conn.conversationId) return;
    clearTimeout(this.typingTimer);
    setText(this.typingBox, on ? this.t.typing(this.agentName || this.t.agentFallback) : null);
    // A lost "off" must not leave the indicator on for ever.
    if (on) this.typingTimer = setTimeout(() => setText(this.typingBox, null), TYPING_SHOW_MS);
  }

  setClosed(conversationId: string): void {
    if (conversationId !== this.conn.conversationId) return;
    this.addNotice(`n:closed:${conversationId}`, conversationId, this.t.closed);
    setText(this.queueBox, null);
    setText(this.typingBox, null);
    this.offer.hide();
    this.endedBox.hidden = false;
    this.composer.hidden = true;
    this.aftercare.closed(conversationId);
  }

  /** The server moved this visitor to another conversation (e.g. another tab started one). */
  conversationChanged(conversationId: string | null): void {
    if (conversationId && !this.endedBox.hidden && !this.notices.has(`n:closed:${conversationId}`)) {
      this.reopen(false);
    }
    if (this.endedBox.hidden) this.aftercare.opened(!!conversationId);
  }

  /** After "start a new chat": the composer comes back, the old messages stay above. */
  reopen(focus = true): void {
    this.agentName = "";
    this.endedBox.hidden = true;
    this.composer.hidden = false;
    this.aftercare.opened(false);
    if (focus) this.input.focus();
  }

  private typed(): void {
    if (!this.ownTyping && this.input.value) {
      this.ownTyping = true;
      this.conn.typing(true);
    }
    clearTimeout(this.ownTypingTimer);
    this.ownTypingTimer = setTimeout(() => this.stopTyping(), TYPING_IDLE_MS);
  }

  private stopTyping(): void {
    clearTimeout(this.ownTypingTimer);
    if (this.ownTyping) {
      this.ownTyping = false;
      this.conn.typing(false);
    }
  }
}
