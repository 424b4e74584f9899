// The supervisor's actions over the /supervisor socket (each acked `{ok: true, ...}` or
// `{error: {code, message}}`), and the controls the drill-down shows for one conversation.

import type { Socket } from "socket.io-client";
import { h } from "../shared/dom";
import { clientId } from "../shared/format";
import type { Message } from "../shared/messages";
import type { LiveConversation, Snapshot } from "./types";
import { t, word } from "./strings";

export interface Ack {
  ok?: boolean;
  error?: { code: string; message: string };
  [key: string]: unknown;
}

const TIMEOUT_MS = 8000;

/** Emit one action and wait for its ack (a lost connection is an error ack too, never a hang). */
export function act(socket: Socket, event: string, data: Record<string, unknown>): Promise<Ack> {
  return new Promise((resolve) => {
    socket.timeout(TIMEOUT_MS).emit(event, data, (err: Error | null, ack: Ack) => {
      resolve(err ? { error: { code: "timeout", message: t.noAnswer } } : ack ?? {});
    });
  });
}

export interface ActionContext {
  socket: Socket;
  snapshot: () => Snapshot | null;
  /** Show a short message (what happened, or why not). */
  say: (text: string, problem?: boolean) => void;
}

const WAITING = new Set(["queued", "offered"]);

/** The server's refusal: its own sentence in English, ours in German (the server writes English). */
function problemText(error: { message?: string }): string {
  return (t.lang === "en" && error.message) || t.didNotWork;
}

function choice(label: string, name: string, options: [string, string][]): HTMLLabelElement {
  return h("label", { class: "act-field" }, h("span", null, label), h("select", { name }, options.map(([v, t]) => h("option", { value: v }, t))));
}

/** The buttons for one conversation: assign / pick up / move while it waits; monitor, whisper and
 * barge while an agent serves it. `onMonitor` receives the ack of monitor or barge (the transcript). */
export function conversationActions(
  ctx: ActionContext,
  conv: LiveConversation,
  onJoined: (messages: Message[], canWrite: boolean) => void,
): HTMLElement {
  const snap = ctx.snapshot();
  const box = h("div", { class: "act-row", "data-actions-for": conv.id });
  const run = async (event: string, data: Record<string, unknown>, done: string, button?: HTMLButtonElement): Promise<Ack> => {
    if (button) button.disabled = true;
    const ack = await act(ctx.socket, event, { conversation_id: conv.id, ...data });
    if (button) button.disabled = false;
    if (ack.error) ctx.say(problemText(ack.error), true);
    else ctx.say(done);
    return ack;
  };
  if (WAITING.has(conv.state ?? "")) {
    const agents = (snap?.agents ?? []).map((a): [string, string] => [a.id, `${a.name || a.id} (${stateLabel(a.state, a.connected)})`]);
    const agentSel = choice(t.agent, "agent_id", agents);
    const assign = h("button", { class: "btn small primary", type: "button", "data-action": "assign" }, t.assign);
    assign.addEventListener("click", () => {
      const agent = agentSel.querySelector("select")!.value;
      const name = agents.find(([id]) => id === agent)?.[1] ?? agent;
      void run("assign", { agent_id: agent }, t.assigned(name.replace(/ \(.*$/, "")), assign);
    });
    const pick = h("button", { class: "btn small", type: "button", "data-action": "pick_up" }, t.pickUp);
    pick.addEventListener("click", () => void run("pick_up", {}, t.yours, pick));
    const queues = (snap?.queues ?? []).filter((q) => q.id !== conv.queue).map((q): [string, string] => [q.id, q.name || q.id]);
    const queueSel = choice(t.queue, "queue", queues);
    const move = h("button", { class: "btn small", type: "button", "data-action": "move" }, t.move);
    move.addEventListener("click", () => void run("move", { queue: queueSel.querySelector("select")!.value }, t.moved, move));
    box.append(h("div", { class: "act-group" }, agentSel, assign, pick), h("div", { class: "act-group" }, queueSel, move));
  }
  if (conv.state === "assigned") {
    const monitor = h("button", { class: "btn small", type: "button", "data-action": "monitor" }, t.monitor);
    monitor.addEventListener("click", async () => {
      const ack = await run("monitor", {}, t.monitoring, monitor);
      if (!ack.error) onJoined((ack.messages as Message[]) ?? [], false);
    });
    const barge = h("button", { class: "btn small", type: "button", "data-action": "barge" }, t.barge);
    barge.addEventListener("click", async () => {
      const ack = await run("barge", {}, t.joined, barge);
      if (!ack.error) onJoined((ack.messages as Message[]) ?? [], true);
    });
    const text = h("input", { type: "text", name: "whisper", maxlength: 4000, placeholder: t.whisperPlaceholder, "aria-label": t.whisperPlaceholder, autocomplete: "off" });
    const whisper = h("form", { class: "act-group whisper-form", "data-action": "whisper" }, text, h("button", { class: "btn small", type: "submit" }, t.whisper));
    whisper.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      if (!text.value.trim()) return;
      const ack = await run("whisper", { text: text.value, client_id: clientId() }, t.whispered);
      if (!ack.error) text.value = "";
    });
    box.append(h("div", { class: "act-group" }, monitor, barge), whisper);
  }
  if (!box.childElementCount) box.append(h("p", { class: "muted" }, t.nothingToDo(word(t.convStates, conv.state || "closed"))));
  return box;
}

/** "available", "away · logged in", "logged in, not available", "not logged in". */
export function stateLabel(state: string, connected?: boolean): string {
  if (state === "available") return t.stateAvailable;
  if (state === "away") return t.stateAway;
  return connected ? t.stateLoggedIn : t.stateNotLoggedIn;
}

/** The agent's buttons: force away / offline (with a reason the agent reads), log out. */
export function agentActions(ctx: ActionContext, agentId: string, after: () => void): HTMLElement {
  const reason = h("input", { type: "text", name: "reason", maxlength: 140, placeholder: t.reasonPlaceholder, "aria-label": t.reason, autocomplete: "off" });
  const run = async (event: string, data: Record<string, unknown>, done: string, button: HTMLButtonElement) => {
    button.disabled = true;
    const ack = await act(ctx.socket, event, { agent_id: agentId, ...data });
    button.disabled = false;
    if (ack.error) ctx.say(problemText(ack.error), true);
    else {
      ctx.say(done);
      after();
    }
  };
  const away = h("button", { class: "btn small", type: "button", "data-action": "force-away" }, t.setAway);
  away.addEventListener("click", () => void run("agent_state", { state: "away", reason: reason.value }, t.setAwayDone, away));
  const offline = h("button", { class: "btn small", type: "button", "data-action": "force-offline" }, t.setOffline);
  offline.addEventListener("click", () => void run("agent_state", { state: "offline", reason: reason.value }, t.setOfflineDone, offline));
  const out = h("button", { class: "btn small danger", type: "button", "data-action": "logout-agent" }, t.logout);
  out.addEventListener("click", () => {
    if (confirm(t.logoutConfirm)) {
      void run("logout_agent", {}, t.loggedOutAgent, out);
    }
  });
  return h("div", { class: "act-row" }, h("div", { class: "act-group" }, reason, away, offline, out));
}
