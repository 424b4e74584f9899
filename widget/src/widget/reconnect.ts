// The visitor's connection: one Socket.IO socket that survives reloads, second tabs and network
// loss. The visitor token lives in localStorage (per tenant); after every (re)connect the server
// sends `session`, and the widget asks `history {after_seq}` for whatever it has not seen and
// merges by seq. Unacknowledged messages stay in an outbox (also in localStorage) and are resent
// with the same client_id, which the server dedupes.
//
// A lost connection is retried here, not by socket.io-client: its back-off jitters before it caps,
// so once at the cap nine waits in ten are exactly 5 s and the 10,000 widgets of a restarted gateway
// keep coming back in step. retryDelay caps first, then jitters.
//
// Transports: a websocket first (one request for the gateway instead of long-polling's handshake, poll
// and upgrade, and less memory per idle visitor there), falling back to long-polling at once
// when the websocket fails (socket.io-client's `tryAllTransports`). A browser whose network refused the
// websocket (a connect that fell back, or connect time-outs in a row: some proxies never answer one)
// connects long-polling first for a day, remembered per tenant; an upgrade that works there ends that.

import { io, type Socket } from "socket.io-client";
import { nowSeconds, clientId } from "../shared/format";
import { followPages } from "../shared/history";
import { MessageLog, type Message } from "../shared/messages";
import type { PendingMessage, Profile, TenantStorage } from "./storage";
import type { SignedUser } from "./origin";

export type ConnectionStatus = "idle" | "connecting" | "online" | "reconnecting" | "offline" | "failed";

export interface QueueInfo {
  conversation_id: string;
  position: number;
  ewt_s: number;
}

export interface EscalationRequest {
  to: "email" | "callback";
  email?: string;
  phone?: string;
  at?: string;
}

export interface ConnectionListener {
  status(status: ConnectionStatus): void;
  /** Messages or the outbox changed: redraw the conversation. */
  changed(): void;
  conversation(conversationId: string | null): void;
  queue(info: QueueInfo): void;
  assigned(conversationId: string, agentName: string): void;
  /** The agent dropped out (went offline, or transferred it): the visitor waits in line again. */
  requeued(conversationId: string, reason: string): void;
  typing(conversationId: string, on: boolean): void;
  closed(conversationId: string, reason: string): void;
  escalationOffer(conversationId: string, options: string[]): void;
  /** A resync finished: the conversation's stored messages are all known up to now. */
  historyLoaded(conversationId: string): void;
}

const ACK_TIMEOUT_MS = 10_000;
// A broadcast without client_id is taken for our pending message only if it is this recent.
const MATCH_WINDOW_S = 60;
const CONNECT_TIMEOUT_MS = 10_000;
const RETRY_FIRST_MS = 500;
const RETRY_MAX_MS = 5_000;
const RETRY_JITTER = 0.5;
const POLLING_FIRST = { transports: ["polling", "websocket"], tryAllTransports: false };
const WEBSOCKET_FIRST = { transports: ["websocket", "polling"], tryAllTransports: true };
// Connect time-outs in a row after which the websocket is not tried first any more (some proxies
// never answer one); a single one is what a busy, just restarted gateway gives many widgets.
const TIMEOUTS_BEFORE_POLLING = 3;
// How long a browser whose network refused a websocket connects long-polling first.
const POLLING_FIRST_MS = 24 * 3600 * 1000;

/** The wait before reconnect attempt `attempt` (0, 1, …): 250-750 ms, 0.5-1.5 s, 1-3 s, 2-6 s, then 2.5-7.5 s. */
export function retryDelay(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(RETRY_MAX_MS, RETRY_FIRST_MS * 2 ** attempt);
  return Math.round(base * (1 - RETRY_JITTER + 2 * RETRY_JITTER * random()));
}

export class VisitorConnection {
  readonly logs = new Map<string, MessageLog>();
  conversationId: string | null = null;
  outbox: PendingMessage[];
  private socket: Socket | null = null;
  private sessionReady = false;
  private readonly timers = new Map<string, ReturnType<typeof setTimeout>>();
  private historyBusy = false;
  private historyAgain = false;
  private wentOffline = false;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private retries = 0;
  private timeouts = 0;

  constructor(
    private readonly origin: string,
    private readonly tenant: string,
    private readonly storage: TenantStorage,
    private readonly profile: () => Profile | null,
    private readonly listener: ConnectionListener,
    private readonly user: SignedUser | null = null,
  ) {
    this.outbox = storage.outbox.map((p) => ({ ...p, state: "sending" as const }));
  }

  get connected(): boolean {
    return !!this.socket?.connected && this.sessionReady;
  }

  /** The visitor's credential, for REST calls (uploads, files) made beside the socket. */
  get visitorToken(): string | null {
    return this.storage.visitorToken;
  }

  get started(): boolean {
    return this.socket !== null;
  }

  /** Open the socket (once the visitor has a token or has filled in the pre-chat form). */
  start(): void {
    if (this.socket) return;
    this.listener.status("connecting");
    const socket = io(`${this.origin}/visitor`, {
      path: "/socket.io/",
      auth: (cb) => cb(this.authPayload()),
      reconnection: false, // retried by scheduleRetry
      timeout: CONNECT_TIMEOUT_MS,
      ...(this.storage.pollingFirstUntil > Date.now() ? POLLING_FIRST : WEBSOCKET_FIRST),
    });
    this.socket = socket;
    socket.on("connect", () => this.onConnect());
    socket.on("session", (s) => this.onSession(s ?? {}));
    socket.on("disconnect", (reason) => this.onDisconnect(reason));
    socket.on("connect_error", (err) => this.onConnectError(err));
    socket.on("message", (m: Message) => this.receive(m));
    // the gateway lost Redis for a moment and may not have passed on everything meanwhile
    socket.on("resync", (r: { conversation_id?: string } | null) => {
      if (typeof r?.conversation_id === "string" && r.conversation_id) this.setConversation(r.conversation_id);
      void this.resync();
    });
    socket.on("queue", (q: QueueInfo) => this.listener.queue(q));
    socket.on("assigned", (a: { conversation_id: string; agent?: { name?: string } }) =>
      this.listener.assigned(a.conversation_id, a.agent?.name ?? ""),
    );
    socket.on("requeued", (r: { conversation_id: string; reason?: string }) =>
      this.listener.requeued(r.conversation_id, r.reason ?? ""),
    );
    socket.on("typing", (t: { conversation_id: string; on: boolean }) =>
      this.listener.typing(t.conversation_id, !!t.on),
    );
    socket.on("closed", (c: { conversation_id: string; reason: string }) =>
      this.listener.closed(c.conversation_id, c.reason),
    );
    socket.on("escalation_offer", (o: { conversation_id: string; options?: string[] }) =>
      this.listener.escalationOffer(o.conversation_id, o.options ?? ["email", "callback"]),
    );
    window.addEventListener("offline", this.onBrowserOffline);
    window.addEventListener("online", this.onBrowserOnline);
  }

  private authPayload(): Record<string, string> {
    const auth: Record<string, string> = { tenant: this.tenant };
    const token = this.storage.visitorToken;
    if (token) auth.visitor_token = token;
    if (this.user) Object.assign(auth, this.user);
    const p = this.profile();
    if (p) {
      for (const key of ["name", "email", "language", "topic"] as const) if (p[key]) auth[key] = p[key];
    }
    return auth;
  }

  /** `session` with a token starts a connection; without one it announces a new conversation. */
  private onSession(s: { visitor_token?: string; conversation_id: string | null }): void {
    if (s.conversation_id) this.setConversation(s.conversation_id);
    if (!s.visitor_token) return;
    this.storage.visitorToken = s.visitor_token;
    this.sessionReady = true;
    void this.resync();
    this.flush();
  }

  private onConnect(): void {
    this.retries = 0;
    this.timeouts = 0;
    this.listener.status("online");
    const engine = this.socket?.io.engine;
    if (!engine) return;
    if (engine.transport?.name === "websocket") {
      this.transportsFirst(true);
      return;
    }
    // on long-polling: the websocket failed (or is not tried first here); an upgrade shows it works
    if (this.socket?.io.opts.transports?.[0] === "websocket") this.transportsFirst(false);
    engine.once("upgrade", () => this.transportsFirst(true));
  }

  /** Which transport the next connects try first; remembered, so the next page load does the same. */
  private transportsFirst(websocket: boolean): void {
    if (this.socket) Object.assign(this.socket.io.opts, websocket ? WEBSOCKET_FIRST : POLLING_FIRST);
    this.storage.pollingFirstUntil = websocket ? 0 : Date.now() + POLLING_FIRST_MS;
  }

  /** The next attempt after a jittered wait (retryDelay); one pending at a time. */
  private scheduleRetry(): void {
    if (this.retryTimer !== null || !this.socket) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.socket?.connect();
    }, retryDelay(this.retries++));
  }

  private onDisconnect(reason: string): void {
    this.sessionReady = false;
    this.listener.status(navigator.onLine === false ? "offline" : "reconnecting");
    if (reason !== "io client disconnect") this.scheduleRetry();
  }

  private onConnectError(err?: Error): void {
    const socket = this.socket;
    if (!socket) return;
    if (socket.active) {
      if (err?.message === "timeout" && ++this.timeouts >= TIMEOUTS_BEFORE_POLLING) this.transportsFirst(false);
      this.listener.status(navigator.onLine === false ? "offline" : "reconnecting");
      this.scheduleRetry();
      return;
    }
    // Refused by the server: a stale or foreign token. Start over as a new visitor once.
    if (this.storage.visitorToken) {
      this.storage.visitorToken = null;
      socket.connect();
    } else {
      this.listener.status("failed");
    }
  }

  private readonly onBrowserOffline = (): void => {
    this.wentOffline = true;
    this.listener.status("offline");
  };

  private readonly onBrowserOnline = (): void => {
    if (!this.socket) return;
    // The old transport may be half-dead after a network change: reconnect now, not after
    // the ping timeout or the backoff, then resync by seq.
    if (this.wentOffline || !this.socket.connected) {
      this.wentOffline = false;
      this.sessionReady = false;
      this.listener.status("reconnecting");
      if (this.retryTimer !== null) clearTimeout(this.retryTimer);
      this.retryTimer = null;
      this.retries = 0;
      this.socket.disconnect().connect();
    }
  };

  private setConversation(id: string): void {
    if (this.conversationId === id) return;
    this.conversationId = id;
    this.logFor(id);
    this.listener.conversation(id);
  }

  private logFor(id: string): MessageLog {
    let log = this.logs.get(id);
    if (!log) {
      log = new MessageLog();
      this.logs.set(id, log);
    }
    return log;
  }

  /** Merge one message from any source (broadcast, history, ack). */
  private receive(m: Message, fromHistory = false): void {
    if (!m || !m.conversation_id) return;
    if (!this.conversationId) this.setConversation(m.conversation_id);
    const log = this.logFor(m.conversation_id);
    if (m.author?.kind === "visitor") this.matchPending(m);
    if (log.add(m)) this.listener.changed();
    if (!fromHistory && m.conversation_id === this.conversationId && log.hasGap) void this.resync();
  }

  /** Our own message came back (broadcast or history) before its ack: drop the pending copy. */
  private matchPending(m: Message): void {
    const index = this.outbox.findIndex((p) =>
      m.client_id ? p.client_id === m.client_id : p.text === m.text && m.ts >= p.created - MATCH_WINDOW_S,
    );
    if (index < 0) return;
    const [p] = this.outbox.splice(index, 1);
    this.clearTimer(p.client_id);
    this.saveOutbox();
  }

  /** Ask the server for everything after the last seq seen without gaps. */
  async resync(): Promise<void> {
    if (!this.connected || !this.conversationId) return;
    if (this.historyBusy) {
      this.historyAgain = true;
      return;
    }
    this.historyBusy = true;
    try {
      const id = this.conversationId;
      const log = this.logFor(id);
      await followPages(
        log.lastSeq,
        (after) => this.socket!.timeout(ACK_TIMEOUT_MS).emitWithAck("history", { after_seq: after }),
        (messages) => {
          for (const m of messages) this.receive({ ...m, conversation_id: m.conversation_id ?? id }, true);
        },
      );
      this.listener.historyLoaded(id);
    } catch {
      /* disconnected or timed out: the next session resyncs */
    } finally {
      this.historyBusy = false;
      if (this.historyAgain) {
        this.historyAgain = false;
        void this.resync();
      }
    }
  }

  /** Queue a message for sending; it shows as "sending" until acknowledged. */
  send(text: string): void {
    const p: PendingMessage = { client_id: clientId(), text, created: nowSeconds(), state: "sending" };
    this.outbox.push(p);
    this.saveOutbox();
    this.listener.changed();
    this.deliver(p);
  }

  retry(clientIdToRetry: string): void {
    const p = this.outbox.find((x) => x.client_id === clientIdToRetry);
    if (p) this.deliver(p);
  }

  private flush(): void {
    for (const p of [...this.outbox]) this.deliver(p);
  }

  private deliver(p: PendingMessage): void {
    p.state = "sending";
    p.error = undefined;
    this.listener.changed();
    this.clearTimer(p.client_id);
    if (!this.connected) {
      // Not connected: show "sending" for a while; the next session resends it anyway.
      this.timers.set(p.client_id, setTimeout(() => this.fail(p, ""), ACK_TIMEOUT_MS));
      return;
    }
    this.socket!.timeout(ACK_TIMEOUT_MS).emit(
      "message",
      { text: p.text, client_id: p.client_id },
      (err: Error | null, ack: any) => {
        if (err) this.fail(p, "");
        else if (!ack || ack.error) this.fail(p, ack?.error?.message ?? "");
        else this.acknowledged(p, ack);
      },
    );
  }

  private acknowledged(p: PendingMessage, ack: { id: string; conversation_id?: string; seq: number; ts: number }): void {
    const index = this.outbox.indexOf(p);
    if (index >= 0) this.outbox.splice(index, 1);
    this.clearTimer(p.client_id);
    this.saveOutbox();
    const conversationId = ack.conversation_id ?? this.conversationId;
    if (!conversationId) return;
    if (!this.conversationId || this.conversationId !== conversationId) this.setConversation(conversationId);
    const name = this.profile()?.name ?? "";
    this.receive({
      id: ack.id,
      conversation_id: conversationId,
      seq: ack.seq,
      ts: ack.ts ?? nowSeconds(),
      text: p.text,
      author: { kind: "visitor", name },
    });
    this.listener.changed();
  }

  private fail(p: PendingMessage, error: string): void {
    this.clearTimer(p.client_id);
    if (!this.outbox.includes(p)) return;
    p.state = "failed";
    p.error = error;
    this.saveOutbox();
    this.listener.changed();
  }

  private clearTimer(id: string): void {
    const timer = this.timers.get(id);
    if (timer !== undefined) clearTimeout(timer);
    this.timers.delete(id);
  }

  private saveOutbox(): void {
    this.storage.outbox = this.outbox;
  }

  typing(on: boolean): void {
    if (this.connected) this.socket!.emit("typing", { on });
  }

  /** Ask to continue by email or be called back; resolves to true when the server agreed. */
  async escalate(request: EscalationRequest): Promise<boolean> {
    if (!this.connected) return false;
    try {
      const ack = await this.socket!.timeout(ACK_TIMEOUT_MS).emitWithAck("escalate", request);
      return !!ack && !ack.error && ack.ok !== false;
    } catch {
      return false;
    }
  }

  /** Any acknowledged request ("end_chat", "rate", "transcript"): the server's ack, or an error. */
  async request(event: string, data: object): Promise<{ ok?: boolean; error?: { code: string; message: string } }> {
    if (!this.connected) return { error: { code: "offline", message: "" } };
    try {
      return (await this.socket!.timeout(ACK_TIMEOUT_MS).emitWithAck(event, data)) ?? {};
    } catch {
      return { error: { code: "timeout", message: "" } };
    }
  }

  /** After a closed conversation: the next message opens a new one. */
  startNewConversation(): void {
    this.conversationId = null;
    this.listener.conversation(null);
  }
}
