// The dashboard's drill-down: click a queue (its waiting and live conversations), an agent (their
// conversations, state changes today, occupancy) or a conversation (its transcript, live while
// monitored, with the supervisor's actions). Opens one dialog at a time.

import { allMessages } from "../agent/history";
import { h, replace } from "../shared/dom";
import { clockTime, duration, percent } from "../shared/format";
import type { Message } from "../shared/messages";
import { act, agentActions, conversationActions, stateLabel, type ActionContext } from "./actions";
import type { LiveConversation } from "./types";
import { t, word } from "./strings";

interface StateChange {
  ts: number;
  state: string;
  from: string;
  reason: string;
}

function convRow(c: LiveConversation, open: (id: string) => void): HTMLElement {
  const who = c.agent ? (c.state === "offered" ? t.offeredTo(c.agent) : c.agent) : t.nobodyYet;
  const b = h(
    "button",
    { type: "button", class: "drill-item", "data-conversation-id": c.id },
    h("strong", null, c.contact_name || t.customer),
    h("span", { class: "muted" }, ` · ${word(t.convStates, c.state)} · ${who} · ${t.waited(duration(c.waited_s ?? 0))}`),
  );
  b.addEventListener("click", () => open(c.id));
  return h("li", null, b);
}

/** Mount the drill-down on `container` (rows with data-queue, data-agent, data-conversation-id). */
export function mountDrilldown(container: HTMLElement, ctx: ActionContext, token: string): void {
  let dialog: HTMLDialogElement | null = null;
  let monitored: string | null = null;
  let live: HTMLOListElement | null = null;
  const seen = new Set<string>();

  const status = h("p", { class: "drill-status", role: "status", "aria-live": "polite" });
  const say = (text: string, problem = false) => {
    status.textContent = text;
    status.classList.toggle("problem", problem);
  };
  const inner: ActionContext = { ...ctx, say };

  const show = (title: string, ...body: (Node | null)[]) => {
    dialog?.close();
    say("");
    const d = h("dialog", { class: "drill", "aria-labelledby": "drill-title" });
    d.append(
      h(
        "div",
        { class: "drill-body" },
        h("h2", { id: "drill-title" }, title),
        status,
        ...body.filter((n): n is Node => n !== null),
        h("div", { class: "row" }, h("button", { class: "btn", type: "button", "data-action": "close-drill", onclick: () => d.close() }, t.close)),
      ),
    );
    d.addEventListener("close", () => {
      if (monitored) void act(ctx.socket, "unmonitor", { conversation_id: monitored });
      monitored = null;
      live = null;
      d.remove();
      if (dialog === d) dialog = null;
    });
    document.body.append(d);
    d.showModal();
    dialog = d;
  };

  const line = (m: Message) =>
    h(
      "li",
      { class: `t-${m.author?.kind ?? "system"}`, "data-seq": m.seq },
      h("span", { class: "t-meta" }, `${m.author?.name || m.author?.kind || ""}${m.author?.kind === "note" ? t.noteMark : ""} · ${clockTime(m.ts, t.lang)}`),
      h("span", { class: "t-text" }, m.text),
    );
  const addMessages = (messages: Message[]) => {
    if (!live) return;
    for (const m of messages) {
      if (seen.has(m.id)) continue;
      seen.add(m.id);
      live.append(line(m));
    }
    live.scrollTop = live.scrollHeight;
  };
  ctx.socket.on("message", (m: Message) => {
    if (m && m.conversation_id === monitored) addMessages([m]);
  });

  const openConversation = (id: string) => {
    const conv = ctx.snapshot()?.conversations?.find((c) => c.id === id) ?? { id, state: "closed" };
    const list = h("ol", { class: "transcript-list drill-transcript", "aria-label": t.transcript });
    const writer = h("form", { class: "act-group drill-write", hidden: true },
      h("input", { type: "text", name: "text", maxlength: 4000, placeholder: t.writePlaceholder, "aria-label": t.writePlaceholder, autocomplete: "off" }),
      h("button", { class: "btn small primary", type: "submit" }, t.send));
    writer.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const input = writer.querySelector("input")!;
      if (!input.value.trim()) return;
      const ack = await act(ctx.socket, "message", { conversation_id: id, text: input.value, client_id: `s${Date.now()}` });
      if (ack.error) say(ack.error.message, true);
      else {
        addMessages([{ id: String(ack.id), conversation_id: id, seq: Number(ack.seq), ts: Number(ack.ts), text: input.value, author: { kind: "agent", name: t.you } } as Message]);
        input.value = "";
      }
    });
    const joined = (messages: Message[], canWrite: boolean) => {
      monitored = id;
      live = list;
      seen.clear();
      list.replaceChildren();
      addMessages(messages);
      if (canWrite) writer.hidden = false;
    };
    const who = conv.agent ? (conv.state === "offered" ? t.offeredTo(conv.agent) : t.withAgent(conv.agent)) : "";
    show(`${conv.contact_name || t.conversation} · ${word(t.convStates, conv.state)}${who ? ` · ${who}` : ""}`, conversationActions(inner, conv, joined), list, writer);
    allMessages(id, token)
      .then((messages) => {
        if (monitored !== id) replace(list, messages.map(line));
      })
      .catch(() => {
        if (monitored !== id) replace(list, h("li", { class: "muted" }, t.transcriptFailed));
      });
  };

  const openQueue = (id: string) => {
    const snap = ctx.snapshot();
    const q = snap?.queues.find((x) => x.id === id);
    const convs = (snap?.conversations ?? []).filter((c) => c.queue === id);
    const waiting = convs.filter((c) => c.state === "queued" || c.state === "offered");
    const serving = convs.filter((c) => c.state !== "queued" && c.state !== "offered");
    show(
      t.queueTitle(q?.name || id),
      h("p", { class: "muted" }, t.queueSummary(q?.waiting ?? 0, duration(q?.longest_wait_s ?? 0), String(q?.sla_threshold_s ?? "–"))),
      h("h3", null, t.waiting),
      waiting.length ? h("ul", { class: "drill-list" }, waiting.map((c) => convRow(c, openConversation))) : h("p", { class: "muted" }, t.nobodyWaits),
      h("h3", null, t.beingServed),
      serving.length ? h("ul", { class: "drill-list" }, serving.map((c) => convRow(c, openConversation))) : h("p", { class: "muted" }, t.none),
    );
  };

  const openAgent = async (id: string) => {
    const a = ctx.snapshot()?.agents.find((x) => x.id === id);
    const body = h("div", { class: "drill-agent" }, h("p", { class: "muted" }, t.loading));
    const refresh = async () => {
      const detail = await act(ctx.socket, "agent_detail", { agent_id: id });
      if (detail.error) {
        replace(body, h("p", { class: "form-error" }, detail.error.message));
        return;
      }
      const info = detail.agent as { state: string; occupancy: number; load: Record<string, number>; capacity: Record<string, number> };
      const convs = (detail.conversations as LiveConversation[]) ?? [];
      const states = (detail.states as StateChange[]) ?? [];
      const connected = ctx.snapshot()?.agents.find((x) => x.id === id)?.connected;
      replace(
        body,
        h("p", null, h("span", { class: `pill state-${info.state}` }, stateLabel(info.state, connected)), t.occupancy(percent(info.occupancy))),
        h("h3", null, t.conversations),
        convs.length ? h("ul", { class: "drill-list" }, convs.map((c) => convRow(c, openConversation))) : h("p", { class: "muted" }, t.none),
        h("h3", null, t.stateToday),
        states.length
          ? h("ol", { class: "drill-states" }, states.map((s) => h("li", null, `${clockTime(s.ts, t.lang)} ${word(t.agentStates, s.state)}`, s.reason && s.reason !== "requested" ? h("span", { class: "muted" }, ` (${word(t.reasons, s.reason)})`) : null)))
          : h("p", { class: "muted" }, t.noChanges),
      );
    };
    show(t.agentTitle(a?.name || id), agentActions(inner, id, () => void refresh()), body);
    await refresh();
  };

  container.addEventListener("click", (ev) => {
    const target = ev.target as HTMLElement;
    if (target.closest("button, a, input, select, form")) return;
    const row = target.closest<HTMLElement>("tr[data-conversation-id], tr[data-queue], tr[data-agent]");
    if (!row) return;
    if (row.dataset.conversationId) openConversation(row.dataset.conversationId);
    else if (row.dataset.queue) openQueue(row.dataset.queue);
    else if (row.dataset.agent) void openAgent(row.dataset.agent);
  });
}
