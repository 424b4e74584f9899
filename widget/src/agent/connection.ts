// The agent's live connection. It keeps every assigned conversation's messages in a MessageLog
// (merged by seq), re-fetches after each reconnect (`hello` lists what is still assigned; the
// first load goes through REST, later ones ask `history {after_seq}`), and keeps unacknowledged
// replies in an outbox resent with the same client_id.

import { io, type Socket } from "socket.io-client";
import { clientId, nowSeconds } from "../shared/format";
import { followPages } from "../shared/history";
import { MessageLog, type Message } from "../shared/messages";
import { reconnectWhenOnline } from "../shared/network";
import type { Login } from "../shared/session";
import type { CrmCard } from "./crm";
import { errorSentence } from "./errors";
import { fetchConversation } from "./history";
import { api } from "../shared/api";
import { PresenceBook, type PresenceEvent } from "./presence";
import { PendingFiles, type FileMeta } from "./pending_files";
import { StatusBook, type StatusEvent } from "./statuses";
import { reopenWindow, shutWindow } from "./window";
import type {
  AgentState, AssistInfo, CallbackItem, CallbackOutcome, Conversation, ConversationSummary, Offer, Pending, Suggestion, Workspace,
} from "./types";
import { t } from "./strings";

export type Status = "connecting" | "online" | "reconnecting" | "failed";
type Ack = { ok?: boolean; error?: { code?: string; message?: string } } & Record<string, any>;

export interface AgentListener {
  status(status: Status): void;
  hello(): void;
  conversations(): void;
  messages(conversationId: string): void;
  offers(): void;
  /** The accepted callbacks (voice items) changed. */
  callbacks(): void;
  newOffer(offer: Offer): void;
  state(state: AgentState, reason: string): void;
  unauthorized(message: string): void;
  /** The conversation was taken away (transfer, agent went offline …). */
  unassigned(conversationId: string, reason: string): void;
  /** A customer rated a conversation this agent served (1–5, with their comment, as text). */
  rated(conversationId: string, customer: string, score: number, comment: string): void;
  isActive(conversationId: string): boolean;
  /** The detected topic/language (conv.assist) or the suggestions (conv.suggestions) changed. */
  assist?(conversationId: string): void;
  /** The CRM's answer for a conversation this agent holds or is offered came (agent/crm.ts). */
  crm?(conversationId: string, card: CrmCard): void;
}

const ACK_TIMEOUT_MS = 10_000;
const TYPING_SHOW_MS = 8000;

export class AgentConnection {
  readonly conversations = new Map<string, Conversation>();
  readonly offers = new Map<string, Offer>();
  /** Accepted callback attempts being dialled, by conversation id. */
  readonly callbacks = new Map<string, CallbackItem>();
  state: AgentState = "offline";
  agentName = "";
  private socket: Socket | null = null;
  private readonly typingTimers = new Map<string, ReturnType<typeof setTimeout>>();
  private readonly inFlight = new Set<string>();
  private wantedState: AgentState | null = null;
  private helloSeen = false; // a later hello (a reconnect, or the gateway caught up after losing Redis) announces new offers
  private readonly statuses = new StatusBook();
  private readonly files = new PendingFiles(
    (id) => this.conversations.get(id)?.log,
    (id) => api<FileMeta>(`/api/v1/media/${encodeURIComponent(id)}?meta=1`, { token: this.login.token }),
    (id) => this.listener.messages(id),
  );
  private readonly presence = new PresenceBook((id) => {
    this.listener.messages(id);
    this.listener.conversations();
  });
  /** The tenant's labels and each queue's wrap-up codes (from hello). */
  workspace: Workspace = { labels: [], wrapup: {} };

  constructor(
    private readonly login: Login,
    private readonly listener: AgentListener,
  ) {
    this.agentName = login.name ?? "";
  }

  get connected(): boolean {
    return !!this.socket?.connected;
  }

  start(): void {
    const socket = io("/agent", {
      path: "/socket.io/",
      auth: { token: this.login.token },
      reconnectionDelay: 500,
      reconnectionDelayMax: 5000,
    });
    this.socket = socket;
    this.listener.status("connecting");
    reconnectWhenOnline(() => this.socket, () => this.listener.status("reconnecting"));
    socket.on("connect", () => this.listener.status("online"));
    socket.on("disconnect", (reason) => {
      this.listener.status("reconnecting");
      if (reason === "io server disconnect") setTimeout(() => socket.connect(), 1000);
    });
    socket.on("connect_error", (err: Error & { data?: any }) => {
      if (socket.active) return this.listener.status("reconnecting");
      this.listener.status("failed");
      this.listener.unauthorized(err.data?.message ?? err.message ?? "refused");
    });
    // logout elsewhere or an expired login: back to the login form, not a reconnect loop
    socket.on("session_ended", (e: { reason?: string }) => {
      socket.disconnect();
      this.listener.status("failed");
      this.listener.unauthorized(e?.reason === "expired" ? t.sessionExpired : t.loggedOut);
    });
    socket.on("hello", (hello) => this.onHello(hello));
    socket.on("state", (s: { state: AgentState; reason?: string }) => {
      this.state = s.state;
      this.listener.state(s.state, s.reason ?? "");
    });
    socket.on("offer", (o: Omit<Offer, "received">) => this.addOffer(o, true));
    socket.on("offer_revoked", (o: { offer_id: string }) => {
      if (this.offers.delete(o.offer_id)) this.listener.offers();
    });
    socket.on("assigned", (c: ConversationSummary) => {
      this.upsert(c);
      void this.resync(c.conversation_id);
    });
    socket.on("unassigned", (u: { conversation_id: string; reason?: string }) => {
      if (!this.conversations.has(u.conversation_id)) return;
      this.remove(u.conversation_id);
      this.listener.unassigned(u.conversation_id, u.reason ?? "");
    });
    socket.on("callback", (e: CallbackItem) => this.onCallback(e));
    socket.on("rated", (e: { conversation_id: string; rating?: { score?: number; comment?: string } }) => {
      const score = Number(e.rating?.score);
      if (!Number.isInteger(score) || score < 1 || score > 5) return;
      const name = this.conversations.get(e.conversation_id)?.contact?.name || "A customer";
      this.listener.rated(e.conversation_id, name, score, String(e.rating?.comment ?? ""));
    });
    socket.on("message", (m: Message) => this.receive(m, true));
    socket.on("typing", (t: { conversation_id: string; on: boolean }) => this.setTyping(t.conversation_id, !!t.on));
    socket.on("customer_presence", (e: PresenceEvent) => {
      const conv = this.conversations.get(e?.conversation_id);
      if (conv) this.presence.apply(conv, e);
    });
    socket.on("message_status", (e: StatusEvent) => {
      const conv = this.conversations.get(e?.conversation_id);
      if (conv && this.statuses.apply(conv.log, e)) this.listener.messages(conv.conversation_id);
    });
    socket.on("attachment", (e: { conversation_id: string; seq: number | null; media: FileMeta }) => {
      if (typeof e?.conversation_id === "string" && typeof e.media?.id === "string") {
        this.files.event(e.conversation_id, typeof e.seq === "number" ? e.seq : null, e.media);
      }
    });
    socket.on("conversation_assist", (e: { conversation_id: string; assist?: AssistInfo }) => {
      const conv = this.conversations.get(e?.conversation_id);
      if (!conv || !e.assist || typeof e.assist !== "object") return;
      conv.assist = e.assist;
      this.listener.assist?.(conv.conversation_id);
    });
    socket.on("assist_suggestions", (e: { conversation_id: string; after_seq?: number; suggestions?: Suggestion[] }) => {
      const conv = this.conversations.get(e?.conversation_id);
      if (conv) this.setSuggestions(conv, e.suggestions, e.after_seq);
    });
    socket.on("crm", (e: { conversation_id?: string; crm?: CrmCard }) => {
      if (typeof e?.conversation_id === "string" && e.crm && typeof e.crm === "object") this.listener.crm?.(e.conversation_id, e.crm);
    });
    socket.on("closed", (c: { conversation_id: string; reason?: string }) => {
      const conv = this.conversations.get(c.conversation_id);
      if (!conv) return;
      conv.closed = true;
      conv.closeReason = c.reason ?? "";
      conv.typing = false;
      this.listener.conversations();
      this.listener.messages(conv.conversation_id);
    });
  }

  stop(): void {
    this.socket?.disconnect();
    this.socket = null;
  }

  private onHello(hello: {
    agent?: { name?: string }; state?: AgentState; conversations?: ConversationSummary[]; offers?: unknown[];
    callbacks?: CallbackItem[];
  } & Partial<Workspace>): void {
    if (hello.agent?.name) this.agentName = hello.agent.name;
    const later = this.helloSeen;
    this.helloSeen = true;
    this.workspace = { labels: hello.labels ?? [], wrapup: hello.wrapup ?? {} };
    this.state = hello.state ?? this.state;
    // The callbacks this agent is dialling (a reload or reconnect finds them again).
    this.callbacks.clear();
    for (const item of hello.callbacks ?? []) {
      if (item?.conversation_id && item.callback?.id) this.callbacks.set(item.conversation_id, item);
    }
    this.listener.callbacks();
    const current = new Set<string>();
    for (const summary of hello.conversations ?? []) {
      current.add(summary.conversation_id);
      this.upsert(summary);
    }
    // Whatever is no longer assigned was closed or moved while we were away.
    for (const conv of this.conversations.values()) {
      if (!current.has(conv.conversation_id) && !conv.closed) {
        conv.closed = true;
        conv.closeReason = conv.closeReason || "ended";
      }
    }
    const listed = (hello.offers ?? []).filter((o): o is Offer => !!o && typeof o === "object" && "offer_id" in o);
    if (listed.length) {
      // an offer this console never heard of (made while the gateway's fan-out was catching up after a
      // Redis failover, or during a reconnect) is announced like a live one; the first hello's are not
      const known = later ? new Set(this.offers.keys()) : null;
      this.offers.clear();
      for (const offer of listed) this.addOffer(offer, !!known && !known.has(offer.offer_id));
    } else {
      // No list from the server: keep the offers that are still running (a short reconnect
      // should not hide them); an offer gone meanwhile fails politely on accept.
      const now = performance.now();
      for (const [id, o] of this.offers) if (now - o.received > (o.expires_in_s ?? 0) * 1000) this.offers.delete(id);
    }
    this.listener.state(this.state, "");
    this.listener.hello();
    if (this.wantedState) {
      const wanted = this.wantedState;
      this.wantedState = null;
      if (wanted !== this.state) void this.setState(wanted);
    }
    this.listener.offers();
    this.listener.conversations();
    for (const id of current) {
      this.files.watch(id, true); // a file may have settled while we were away: its event went to nobody
      void this.resync(id);
    }
  }

  /** `dialling` opens a voice item; any other state (the attempt's outcome) closes it. */
  private onCallback(e: CallbackItem): void {
    if (!e?.conversation_id || !e.callback?.id) return;
    if (e.state === "dialling") {
      this.callbacks.set(e.conversation_id, { conversation_id: e.conversation_id, callback: e.callback, state: e.state });
    } else {
      const item = this.callbacks.get(e.conversation_id);
      if (!item || item.callback.id !== e.callback.id || item.callback.attempt > e.callback.attempt) return;
      this.callbacks.delete(e.conversation_id);
    }
    this.listener.callbacks();
  }

  private addOffer(o: Omit<Offer, "received">, announce: boolean): void {
    const offer: Offer = { ...o, received: performance.now() };
    const isNew = !this.offers.has(offer.offer_id);
    this.offers.set(offer.offer_id, offer);
    this.listener.offers();
    if (announce && isNew) this.listener.newOffer(offer);
  }

  private upsert(summary: ConversationSummary): Conversation {
    const existing = this.conversations.get(summary.conversation_id);
    if (existing) {
      this.presence.reset(existing); // the summary's customer_present is the news now
      Object.assign(existing, summary, { closed: false, closeReason: "" });
      this.listener.conversations();
      return existing;
    }
    const conv: Conversation = {
      ...summary,
      log: new MessageLog(),
      outbox: [],
      unread: 0,
      typing: false,
      closed: false,
      closeReason: "",
      loaded: false,
      notes: [],
    };
    this.conversations.set(conv.conversation_id, conv);
    this.listener.conversations();
    return conv;
  }

  /** Forget a conversation (after close, transfer, or when the agent dismisses a closed one). */
  remove(conversationId: string): void {
    this.files.forget(conversationId);
    if (this.conversations.delete(conversationId)) this.listener.conversations();
  }

  /** Bring a conversation's messages up to date: all of them the first time, else what is new. */
  async resync(conversationId: string): Promise<void> {
    const conv = this.conversations.get(conversationId);
    if (!conv) return;
    try {
      if (!conv.loaded) {
        await followPages(
          0,
          async (after) => {
            const page = await fetchConversation(conversationId, this.login.token, after);
            if (page.state) conv.state = page.state;
            if (page.created_at) conv.created_at = page.created_at;
            if (page.linked_to) conv.linked_to = page.linked_to;
            if (page.subject) conv.subject = page.subject;
            return page;
          },
          (messages) => this.mergeMany(conv, messages, false),
        );
        conv.loaded = true;
      }
      const socket = this.socket;
      if (!socket?.connected) return;
      await followPages(
        conv.log.lastSeq,
        (after) => socket.timeout(ACK_TIMEOUT_MS).emitWithAck("history", { conversation_id: conversationId, after_seq: after }),
        (messages) => this.mergeMany(conv, messages, true),
      );
      conv.loaded = true;
    } catch {
      /* offline or refused: the next hello re-fetches */
    }
    this.flush(conv);
  }

  private mergeMany(conv: Conversation, messages: Message[], countUnread: boolean): void {
    let changed = false;
    for (const m of messages) changed = this.merge(conv, { ...m, conversation_id: m.conversation_id ?? conv.conversation_id }, countUnread) || changed;
    if (changed) {
      this.listener.messages(conv.conversation_id);
      this.listener.conversations();
    }
    this.files.merged(conv.conversation_id, messages);
  }

  private merge(conv: Conversation, m: Message, countUnread: boolean): boolean {
    if (m.author?.kind === "agent") this.matchPending(conv, m);
    this.statuses.adopt(m);
    if (!conv.log.add(m)) return false;
    // A customer's new message reopens a messenger's window (history's windows come from the server).
    if (countUnread && m.author?.kind === "visitor") {
      reopenWindow(conv, m.ts);
      this.presence.customerWrote(conv); // whoever writes is there
    }
    if (countUnread && m.author?.kind !== "agent" && (!this.listener.isActive(conv.conversation_id) || document.hidden)) {
      conv.unread += 1;
    }
    if (m.author?.kind === "visitor") conv.typing = false;
    return true;
  }

  private receive(m: Message, live: boolean): void {
    const conv = this.conversations.get(m.conversation_id);
    if (!conv) return;
    if (this.merge(conv, m, live)) {
      this.listener.messages(conv.conversation_id);
      this.listener.conversations();
    }
    this.files.merged(conv.conversation_id, [m]);
    if (conv.log.hasGap) void this.resync(conv.conversation_id);
  }

  private matchPending(conv: Conversation, m: Message): void {
    const i = conv.outbox.findIndex((p) =>
      m.client_id ? p.client_id === m.client_id : p.text === m.text && m.ts >= p.created - 60,
    );
    if (i >= 0) conv.outbox.splice(i, 1);
  }

  private setTyping(conversationId: string, on: boolean): void {
    const conv = this.conversations.get(conversationId);
    if (!conv) return;
    conv.typing = on;
    clearTimeout(this.typingTimers.get(conversationId));
    if (on) {
      this.typingTimers.set(conversationId, setTimeout(() => this.setTyping(conversationId, false), TYPING_SHOW_MS));
    }
    this.listener.messages(conversationId);
    this.listener.conversations();
  }

  markRead(conversationId: string): void {
    const conv = this.conversations.get(conversationId);
    if (conv && conv.unread) {
      conv.unread = 0;
      this.listener.conversations();
    }
  }

  // ---- replies -----------------------------------------------------------------------------

  /** ``cannedId``: the canned answer or suggestion the text came from (the gateway learns from it). */
  send(conversationId: string, text: string, cannedId?: string): void {
    const conv = this.conversations.get(conversationId);
    if (!conv) return;
    const p: Pending = { client_id: clientId(), text, created: nowSeconds(), state: "sending" };
    if (cannedId) p.canned_id = cannedId;
    conv.outbox.push(p);
    this.deliver(conv, p);
  }

  retry(conversationId: string, id: string): void {
    const conv = this.conversations.get(conversationId);
    const p = conv?.outbox.find((x) => x.client_id === id);
    if (conv && p) this.deliver(conv, p);
  }

  private flush(conv: Conversation): void {
    for (const p of [...conv.outbox]) this.deliver(conv, p);
  }

  private deliver(conv: Conversation, p: Pending): void {
    if (this.inFlight.has(p.client_id)) return;
    p.state = "sending";
    p.error = undefined;
    this.listener.messages(conv.conversation_id);
    if (!this.socket?.connected) {
      // Shown as sending for a moment; the next hello resends it with the same client_id.
      setTimeout(() => {
        if (conv.outbox.includes(p) && !this.inFlight.has(p.client_id)) this.failed(conv, p, errorSentence({ code: "offline" }));
      }, 3000);
      return;
    }
    this.inFlight.add(p.client_id);
    this.socket
      .timeout(ACK_TIMEOUT_MS)
      .emit("message", { conversation_id: conv.conversation_id, text: p.text, client_id: p.client_id, ...(p.canned_id ? { canned_id: p.canned_id } : {}) }, (err: Error | null, ack: Ack) => {
        this.inFlight.delete(p.client_id);
        if (err) return this.failed(conv, p, errorSentence({ code: "timeout" }));
        if (!ack || ack.error) {
          if (ack?.error?.code === "window_closed") shutWindow(conv);
          return this.failed(conv, p, errorSentence(ack?.error));
        }
        const i = conv.outbox.indexOf(p);
        if (i >= 0) conv.outbox.splice(i, 1);
        this.merge(
          conv,
          {
            id: ack.id,
            conversation_id: conv.conversation_id,
            seq: ack.seq,
            ts: ack.ts ?? nowSeconds(),
            text: p.text,
            client_id: p.client_id,
            author: { kind: "agent", name: this.agentName },
          },
          false,
        );
        this.listener.messages(conv.conversation_id);
        if (conv.log.hasGap) void this.resync(conv.conversation_id);
      });
  }

  private failed(conv: Conversation, p: Pending, error: string): void {
    if (!conv.outbox.includes(p)) return;
    p.state = "failed";
    p.error = error;
    this.listener.messages(conv.conversation_id);
  }

  // ---- actions -----------------------------------------------------------------------------

  private async call(event: string, payload: Record<string, unknown>): Promise<Ack> {
    if (!this.socket?.connected) return { error: { code: "offline", message: t.notConnected } };
    try {
      return ((await this.socket.timeout(ACK_TIMEOUT_MS).emitWithAck(event, payload)) ?? {}) as Ack;
    } catch {
      return { error: { code: "timeout", message: t.noAnswer } };
    }
  }

  /** Send the channel's approved template (the only thing a closed messenger window takes). */
  async sendTemplate(conversationId: string): Promise<Ack> {
    const ack = await this.call("message", { conversation_id: conversationId, template: true, client_id: clientId() });
    if (!ack.error) void this.resync(conversationId);
    return ack;
  }

  typing(conversationId: string, on: boolean): void {
    if (this.socket?.connected) this.socket.emit("typing", { conversation_id: conversationId, on });
  }

  /** `handBack`: going offline hands the open conversations back as a hand-over (never deferred:
   * it needs the server now). */
  async setState(state: AgentState, handBack = false): Promise<Ack> {
    if (!this.socket?.connected && !handBack) {
      // Chosen before the socket is up: applied right after the next hello.
      this.wantedState = state;
      this.listener.state(state, "");
      return { ok: true, state };
    }
    const ack = await this.call("state", handBack ? { state, hand_back: true } : { state });
    if (!ack.error && ack.state) {
      this.state = ack.state;
      this.listener.state(this.state, "");
    }
    return ack;
  }

  async accept(offerId: string): Promise<Ack> {
    const offer = this.offers.get(offerId);
    const ack = await this.call("accept", { offer_id: offerId });
    // An accepted callback is a voice item at once (the `callback` event confirms it).
    if (!ack.error && offer?.channel === "voice" && offer.callback && !this.callbacks.has(offer.conversation_id)) {
      this.callbacks.set(offer.conversation_id, { conversation_id: offer.conversation_id, callback: offer.callback, state: "dialling" });
      this.listener.callbacks();
    }
    if (!ack.error || ack.error.code !== "offline") this.offers.delete(offerId);
    this.listener.offers();
    if (ack.conversation?.conversation_id) {
      this.upsert(ack.conversation as ConversationSummary);
      void this.resync(ack.conversation.conversation_id);
    }
    return ack;
  }

  /** How the call went; an accepted answer (settled now or by the dialer before) closes the item. */
  async callbackOutcome(conversationId: string, outcome: CallbackOutcome): Promise<Ack> {
    const ack = await this.call("callback_outcome", { conversation_id: conversationId, outcome });
    if (!ack.error && this.callbacks.delete(conversationId)) this.listener.callbacks();
    return ack;
  }

  async decline(offerId: string): Promise<Ack> {
    const ack = await this.call("decline", { offer_id: offerId });
    this.offers.delete(offerId);
    this.listener.offers();
    return ack;
  }

  /** Close with a wrap-up code; for a conversation the customer already ended, only the code. */
  async close(conversationId: string, wrapupCode: string | null): Promise<Ack> {
    const conv = this.conversations.get(conversationId);
    if (conv?.closed) {
      return wrapupCode ? this.call("wrapup", { conversation_id: conversationId, wrapup_code: wrapupCode }) : { ok: true };
    }
    const payload: Record<string, unknown> = { conversation_id: conversationId };
    if (wrapupCode) payload.wrapup_code = wrapupCode;
    return this.call("close", payload);
  }

  /** An internal note: stored with the conversation, never sent to the customer (arrives as a message). */
  note(conversationId: string, text: string): Promise<Ack> {
    return this.call("note", { conversation_id: conversationId, text, client_id: clientId() });
  }

  /** Put a label on the conversation or take it off; the ack carries the labels after it. */
  async label(conversationId: string, change: { add?: string; remove?: string }): Promise<Ack> {
    const ack = await this.call("label", { conversation_id: conversationId, ...change });
    const conv = this.conversations.get(conversationId);
    if (conv && Array.isArray(ack.labels)) {
      conv.labels = ack.labels as string[];
      this.listener.conversations();
    }
    return ack;
  }

  transfer(conversationId: string, target: { queue?: string; agent?: string; note?: string }): Promise<Ack> {
    return this.call("transfer", { conversation_id: conversationId, ...target });
  }

  /** Correct the detected topic or language; the ack says whether the conversation moved queue. */
  assistCorrect(conversationId: string, change: { topic?: string; language?: string }): Promise<Ack> {
    return this.call("assist_correct", { conversation_id: conversationId, ...change });
  }

  /** Ask for the suggestions to the customer's last message (also pushed after each one). */
  async assistSuggest(conversationId: string): Promise<void> {
    const ack = await this.call("assist_suggest", { conversation_id: conversationId });
    const conv = this.conversations.get(conversationId);
    if (conv && !ack.error && Array.isArray(ack.suggestions)) this.setSuggestions(conv, ack.suggestions, ack.after_seq);
  }

  private setSuggestions(conv: Conversation, list: unknown, afterSeq: unknown): void {
    if (!Array.isArray(list)) return;
    const after = typeof afterSeq === "number" ? afterSeq : conv.log.maxSeq;
    if (conv.suggestionsAfter !== undefined && after < conv.suggestionsAfter) return; // an older answer, late
    conv.suggestions = list.filter((s): s is Suggestion => !!s && typeof s.canned_id === "string" && typeof s.text === "string");
    conv.suggestionsAfter = after;
    this.listener.assist?.(conv.conversation_id);
  }

  escalate(conversationId: string, request: { to: "email" | "callback" | "callback_offer"; email?: string; phone?: string; at?: string }): Promise<Ack> {
    return this.call("escalate", { conversation_id: conversationId, ...request });
  }
}
