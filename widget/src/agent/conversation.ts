// The open conversation: header with the customer and channel, the full history, the typing
// indicator, and the composer with canned answers and suggestions; actions transfer, escalate and close.

import { MediaCache } from "../shared/attachments";
import { h, setText } from "../shared/dom";
import { channelIcon, channelName } from "../shared/icons";
import { atBottom, KeyedList, type Entry } from "../shared/keyedlist";
import { LengthGuard } from "../shared/length";
import type { UploadLimits } from "../shared/upload";
import { AssistChips, type AssistTargets } from "./assist";
import { AttachButton } from "./attach";
import { CannedPicker, fillPlaceholders } from "./canned";
import { CannedBrowser } from "./canned_browser";
import { LabelBar } from "./labels";
import type { AgentConnection } from "./connection";
import { EmailBars, isEmail, threadSubject } from "./email_conversation";
import { errorSentence } from "./errors";
import { LinkedNote } from "./linked";
import { messageEntry, type MessageContext } from "./message_view";
import { SuggestionPanel } from "./suggestions";
import type { Canned, Conversation, Pending, Suggestion } from "./types";
import { ReplyWindow } from "./window";
import { t, word } from "./strings";
import { presenceOf, presenceSentence } from "./presence";

const TYPING_IDLE_MS = 2500;

export interface ConversationActions {
  transfer(conv: Conversation): void | Promise<void>;
  escalate(conv: Conversation): void;
  close(conv: Conversation): void;
  dismiss(conv: Conversation): void;
}

export class ConversationView {
  readonly el = h("section", { class: "conversation", "aria-labelledby": "conv-heading" });
  private readonly heading = h("h2", { id: "conv-heading" });
  private readonly meta = h("div", { class: "conv-meta" });
  private readonly actionsBar = h("div", { class: "conv-actions" });
  private readonly banner = h("div", { class: "conv-banner", role: "status" });
  private readonly logEl = h("div", { class: "log", role: "log", "aria-live": "polite", "aria-label": t.messages, tabindex: "0" });
  private readonly list = new KeyedList(this.logEl);
  private readonly typingEl = h("div", { class: "typing", "aria-live": "polite" });
  private readonly presenceEl = h("div", { class: "presence", "aria-live": "polite" }); // the customer left, is back, unreachable
  private readonly input = h("textarea", { id: "composer-input", rows: 3, "aria-label": t.reply, placeholder: t.replyPlaceholder });
  private readonly picker: CannedPicker;
  private readonly cannedBrowser: CannedBrowser;
  private readonly composer: HTMLFormElement;
  private readonly length: LengthGuard;
  private readonly drafts = new Map<string, string>();
  // The canned answer the composer's text came from (sent with it as canned_id), per conversation.
  private readonly draftCanned = new Map<string, string>();
  private cannedId = "";
  private readonly chips: AssistChips;
  private readonly suggestions: SuggestionPanel;
  private readonly media: MediaCache;
  private readonly window: ReplyWindow;
  private readonly attach: AttachButton;
  private readonly email = new EmailBars();
  private readonly linked: LinkedNote;
  readonly labels: LabelBar;
  // Internal note mode: what is typed goes to the staff only (never the customer, no typing signal).
  private readonly noteMode = h("input", { type: "checkbox", id: "note-mode", "data-action": "note-mode" });
  private readonly noteError = h("p", { class: "form-error", role: "alert" });
  private conv: Conversation | null = null;
  private ownTyping = false;
  private typingTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly conn: AgentConnection,
    private readonly selfId: () => string | null,
    canned: () => Canned[],
    private readonly topicName: (id: string) => string,
    private readonly actions: ConversationActions,
    messageChars: () => number,
    token: string,
    uploadLimits: () => UploadLimits,
    assist: AssistTargets,
  ) {
    this.media = new MediaCache("", () => ({ Authorization: `Bearer ${token}` }));
    this.linked = new LinkedNote(token);
    this.window = new ReplyWindow(
      {
        sendTemplate: async (c) => {
          const ack = await this.conn.sendTemplate(c.conversation_id);
          return ack.error ? errorSentence(ack.error, t.templateFailed) : null;
        },
        escalate: (c) => this.actions.escalate(c),
      },
      () => this.refresh(),
    );
    this.attach = new AttachButton(token, uploadLimits, () => {
      const c = this.conv;
      if (!c || c.closed) return null;
      return {
        conversationId: c.conversation_id,
        caption: () => this.input.value.trim(),
        sent: () => {
          this.input.value = "";
          this.length.update();
          void this.conn.resync(c.conversation_id);
        },
      };
    });
    this.length = new LengthGuard(this.input, messageChars, {
      counter: t.counter,
      tooLong: t.tooLong,
    });
    this.picker = new CannedPicker(this.input, canned, () => this.conv?.language ?? "", () => {
      this.length.update();
      this.typed();
    });
    const fill = (text: string) => fillPlaceholders(text, {
      "customer.name": this.conv?.contact?.name || "", "agent.name": this.conn.agentName,
    });
    this.picker.fill = fill;
    this.picker.chosen = (c) => (this.cannedId = c.id);
    this.cannedBrowser = new CannedBrowser({
      answers: canned,
      language: () => this.conv?.language ?? "",
      topicName: this.topicName,
      fill,
      // the same path as the "/" picker: filled, at the caret, sent with its canned_id
      choose: (c) => (this.composer.hidden ? this.focusComposer() : this.picker.insertAtCaret(c)),
      cancelled: () => this.focusComposer(),
    });
    this.chips = new AssistChips(conn, assist);
    this.suggestions = new SuggestionPanel(fill, (s) => this.insertSuggestion(s, fill(s.text)));
    this.labels = new LabelBar(conn, (text) => this.noteError.replaceChildren(text));
    this.noteMode.addEventListener("change", () => {
      this.composer.classList.toggle("note-mode", this.noteMode.checked);
      this.input.setAttribute("aria-label", this.noteMode.checked ? t.internalNote : t.reply);
      this.input.placeholder = this.noteMode.checked ? t.notePlaceholder : t.replyPlaceholder;
      if (this.noteMode.checked) this.stopTyping();
    });
    this.input.addEventListener("keydown", (ev) => {
      if (this.picker.key(ev)) {
        ev.preventDefault();
        return;
      }
      if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) {
        ev.preventDefault();
        this.composer.requestSubmit();
      }
    });
    this.input.addEventListener("input", () => {
      if (!this.input.value.trim()) this.cannedId = "";
      this.typed();
    });
    this.composer = h(
      "form",
      { class: "composer" },
      ...this.attach.elements,
      h("div", { class: "composer-field" }, this.picker.el, this.input, this.length.counter),
      this.cannedBrowser.button,
      h("label", { class: "note-switch", for: "note-mode", title: t.noteSwitchTitle }, this.noteMode, t.noteSwitch),
      h("button", { class: "btn primary", type: "submit" }, t.send),
    );
    this.composer.addEventListener("submit", (ev) => {
      ev.preventDefault();
      const text = this.input.value.trim();
      if (!text || !this.conv || !this.length.allows(text)) return;
      this.input.value = "";
      this.length.update();
      this.drafts.delete(this.conv.conversation_id);
      this.draftCanned.delete(this.conv.conversation_id);
      const cannedId = this.cannedId;
      this.cannedId = "";
      this.stopTyping();
      this.noteError.replaceChildren();
      if (this.noteMode.checked) {
        const cid = this.conv.conversation_id;
        void this.conn.note(cid, text).then((ack) => {
          if (!ack.error) return;
          this.noteError.replaceChildren(t.noteNotSaved(errorSentence(ack.error)));
          if (this.conv?.conversation_id === cid && !this.input.value) this.input.value = text;
        });
        return;
      }
      this.conn.send(this.conv.conversation_id, text, cannedId || undefined);
    });
    this.el.append(
      h("header", { class: "conv-header" }, h("div", { class: "conv-title" }, this.heading, this.email.subject, this.meta, this.labels.el), this.actionsBar),
      this.linked.el,
      this.banner,
      this.logEl,
      this.typingEl,
      this.presenceEl,
      this.window.bar,
      this.length.error,
      this.attach.note,
      this.noteError,
      this.email.composeNote,
      this.suggestions.el,
      this.composer,
      this.window.closedPanel,
    );
    this.show(null);
  }

  get id(): string | null {
    return this.conv?.conversation_id ?? null;
  }

  show(conv: Conversation | null): void {
    if (this.conv && this.conv !== conv) {
      this.drafts.set(this.conv.conversation_id, this.input.value);
      if (this.cannedId) this.draftCanned.set(this.conv.conversation_id, this.cannedId);
      else this.draftCanned.delete(this.conv.conversation_id);
      this.stopTyping();
    }
    const switched = this.conv !== conv;
    this.conv = conv;
    this.labels.show(conv);
    this.el.classList.toggle("empty", !conv);
    if (switched) {
      this.list.clear();
      this.input.value = conv ? this.drafts.get(conv.conversation_id) ?? "" : "";
      this.cannedId = conv ? this.draftCanned.get(conv.conversation_id) ?? "" : "";
      this.length.update();
      this.picker.hide();
      this.suggestions.show(conv);
      // Opened before any suggestion arrived (a reload, an accepted offer): ask for them.
      if (conv && !conv.closed && conv.suggestions === undefined) void this.conn.assistSuggest(conv.conversation_id);
    }
    this.drawHeader();
    this.refresh();
    if (switched) this.logEl.scrollTop = this.logEl.scrollHeight;
  }

  focusComposer(): void {
    if (this.conv && !this.conv.closed) this.input.focus();
  }

  /** The "/" shortcut: into the composer with the canned answers open. */
  startCanned(): void {
    if (!this.conv || this.conv.closed || this.composer.hidden) return;
    this.input.focus();
    const at = this.input.value.length;
    this.input.value += at && !/\s$/.test(this.input.value) ? " /" : "/";
    this.input.setSelectionRange(this.input.value.length, this.input.value.length);
    this.input.dispatchEvent(new Event("input"));
  }

  /** The gateway's topic/language or suggestions for the open conversation changed. */
  assistChanged(): void {
    this.chips.show(this.conv);
    this.suggestions.show(this.conv);
  }

  /** A suggestion into the composer: at the caret (replacing a selection), then sent with its canned_id. */
  private insertSuggestion(s: Suggestion, text: string): void {
    if (!this.conv || this.conv.closed || this.composer.hidden) return;
    this.picker.hide();
    const value = this.input.value;
    const focused = document.activeElement === this.input;
    const start = focused ? this.input.selectionStart ?? value.length : value.length;
    const end = focused ? this.input.selectionEnd ?? start : start;
    const before = value.slice(0, start);
    const gap = before && !/\s$/.test(before) ? " " : "";
    this.input.value = before + gap + text + value.slice(end);
    const at = before.length + gap.length + text.length;
    this.input.focus();
    this.input.setSelectionRange(at, at);
    this.cannedId = s.canned_id;
    this.length.update();
    this.typed();
  }

  /** The open conversation, if any (the shortcuts act on it). */
  get current(): Conversation | null {
    return this.conv;
  }

  private drawHeader(): void {
    const c = this.conv;
    this.actionsBar.replaceChildren();
    if (!c) {
      setText(this.heading, t.noConversation);
      setText(this.meta, null);
      this.chips.show(null);
      return;
    }
    const type = c.channel_type || c.channel;
    setText(this.heading, c.contact?.name || t.customer);
    this.chips.show(c);
    this.meta.replaceChildren(
      channelIcon(type),
      h("span", null, channelName(type)),
      ...(c.assist ? [this.chips.el] : [h("span", null, this.topicName(c.topic)), h("span", { class: "pill" }, (c.language || "").toUpperCase())]),
    );
    const button = (label: string, action: string, fn: () => void, cls = "btn") =>
      h("button", { class: cls, type: "button", "data-action": action, onclick: fn }, label);
    if (c.closed) {
      this.actionsBar.append(
        button(t.wrapUp, "wrapup", () => this.actions.close(c)),
        button(t.dismiss, "dismiss", () => this.actions.dismiss(c)),
      );
    } else {
      this.actionsBar.append(
        button(t.transfer, "transfer", () => this.actions.transfer(c)),
        button(t.escalate, "escalate", () => this.actions.escalate(c)),
        button(t.close, "close", () => this.actions.close(c), "btn danger"),
      );
    }
  }

  /** Redraw the open conversation's messages (called on every change to it). */
  refresh(): void {
    const c = this.conv;
    if (!c) {
      this.list.clear();
      setText(this.typingEl, null);
      setText(this.presenceEl, null);
      setText(this.banner, null);
      this.composer.hidden = true;
      this.window.show(null);
      this.email.show(null, false);
      this.linked.show(null);
      return;
    }
    const stick = atBottom(this.logEl);
    const ctx: MessageContext = {
      selfId: this.selfId(),
      statuses: c.channel === "messaging" || !!c.window_kind || isEmail(c),
      threadSubject: threadSubject(c),
      media: this.media,
      lookup: (seq) => c.log.get(seq),
      reveal: (seq) => this.reveal(seq),
    };
    const entries: Entry[] = c.log.list().map((m) => messageEntry(m, ctx));
    for (const p of c.outbox) entries.push(this.pendingEntry(c, p));
    const added = this.list.sync(entries);
    if (added && stick) this.logEl.scrollTop = this.logEl.scrollHeight;
    setText(this.typingEl, c.typing ? t.typing(c.contact?.name || t.customer) : null);
    const presence = presenceSentence(c);
    setText(this.presenceEl, presence);
    this.presenceEl.dataset.presence = presence ? presenceOf(c) : "";
    setText(this.banner, c.closed ? t.ended(word(t.closeReasons, c.closeReason)) : null);
    const wasHidden = this.composer.hidden;
    this.window.show(c);
    this.composer.hidden = c.closed || this.window.shut;
    this.email.show(c, !this.composer.hidden);
    this.linked.show(c);
    if (wasHidden !== this.composer.hidden) {
      this.drawHeader();
      this.suggestions.show(c);
    }
  }

  /** Scroll to an earlier message and mark it for a moment (an edit's "edited" link). */
  private reveal(seq: number): void {
    const el = this.logEl.querySelector<HTMLElement>(`[data-seq="${seq}"]`);
    if (!el) return;
    el.scrollIntoView({ block: "center", behavior: "smooth" });
    el.classList.add("flash");
    setTimeout(() => el.classList.remove("flash"), 2000);
  }

  private pendingEntry(c: Conversation, p: Pending): Entry {
    const state = (el: HTMLElement) => {
      el.dataset.state = p.state;
      const line = el.querySelector(".state") as HTMLElement;
      line.replaceChildren(p.state === "failed" ? t.notSent(p.error ?? "") : t.sending);
      if (p.state === "failed") {
        line.append(h("button", { class: "btn small", type: "button", onclick: () => this.conn.retry(c.conversation_id, p.client_id) }, t.retry));
      }
    };
    return {
      key: `p:${p.client_id}`,
      render: () => {
        const el = h("div", { class: "msg own pending" }, h("div", { class: "text" }, p.text), h("div", { class: "state" }));
        state(el);
        return el;
      },
      update: (el) => {
        if (el.dataset.state !== p.state) state(el);
      },
    };
  }

  private typed(): void {
    if (!this.conv || this.conv.closed || this.noteMode.checked) return;
    if (!this.ownTyping && this.input.value) {
      this.ownTyping = true;
      this.conn.typing(this.conv.conversation_id, true);
    }
    clearTimeout(this.typingTimer);
    this.typingTimer = setTimeout(() => this.stopTyping(), TYPING_IDLE_MS);
  }

  private stopTyping(): void {
    clearTimeout(this.typingTimer);
    if (this.ownTyping && this.conv) this.conn.typing(this.conv.conversation_id, false);
    this.ownTyping = false;
  }
}
