// The dashboard's tables: queues (with breaches marked), agents (state, time in state, load per
// channel against capacity, occupancy) and, when sent, live conversations.

import { h } from "../shared/dom";
import { duration, percent } from "../shared/format";
import { channelIcon, channelName } from "../shared/icons";
import { stateLabel } from "./actions";
import type { AgentRow, ChannelRow, LiveConversation, QueueRow } from "./types";
import { t, word } from "./strings";

const secs = (s: number | null | undefined) => (s === null || s === undefined || Number.isNaN(s) ? "–" : duration(s));
const num = (n: number | null | undefined) => (n === null || n === undefined ? "–" : String(Math.round(n * 10) / 10));

export function slBreached(q: QueueRow): boolean {
  return q.service_level !== null && q.service_level !== undefined && q.sla_target !== undefined && q.service_level < q.sla_target;
}

export function waitBreached(q: QueueRow): boolean {
  return q.sla_threshold_s !== undefined && q.longest_wait_s > q.sla_threshold_s;
}

function cell(text: string, breach = false, note = ""): HTMLTableCellElement {
  return h("td", { class: breach ? "num breach" : "num", "data-breach": breach ? "true" : null }, text, breach && note ? h("span", { class: "sr-only" }, ` (${note})`) : null);
}

export function queueTable(queues: QueueRow[]): HTMLElement {
  const head = t.queueHead;
  return h(
    "table",
    { class: "grid-table queues", "aria-label": t.queues },
    h("thead", null, h("tr", null, head.map((t) => h("th", { scope: "col" }, t)))),
    h(
      "tbody",
      null,
      queues.map((q) => {
        const sl = slBreached(q);
        const lw = waitBreached(q);
        return h(
          "tr",
          { class: sl || lw ? "breached" : null, "data-queue": q.id },
          h("th", { scope: "row" }, q.name || q.id),
          cell(String(q.waiting ?? 0)),
          cell(secs(q.longest_wait_s), lw, t.overSeconds(q.sla_threshold_s)),
          cell(secs(q.ewt_s)),
          cell(`${percent(q.service_level)}${q.sla_target !== undefined ? ` / ${percent(q.sla_target)}` : ""}`, sl, t.belowTarget),
          cell(String(q.abandoned ?? 0)),
          cell(secs(q.asa_s)),
          cell(q.aht_measured === false ? "—" : secs(q.aht_s)),
          cell(num(q.agents_needed)),
        );
      }),
    ),
  );
}

function loadBars(a: AgentRow): HTMLElement {
  const channels = Object.keys({ ...a.capacity, ...a.load }).filter((c) => (a.capacity?.[c] ?? 0) > 0 || (a.load?.[c] ?? 0) > 0);
  return h(
    "div",
    { class: "loads" },
    channels.map((c) => {
      const load = a.load?.[c] ?? 0;
      const cap = a.capacity?.[c] ?? 0;
      const full = cap > 0 && load >= cap;
      return h(
        "div",
        { class: "load", title: t.loadTitle(channelName(c), load, cap), "data-channel": c, "data-load": load },
        channelIcon(c),
        h("span", { class: full ? "load-text full" : load ? "load-text busy" : "load-text" }, `${load}/${cap}`),
      );
    }),
  );
}

export function agentTable(agents: AgentRow[], now: number): HTMLElement {
  return h(
    "table",
    { class: "grid-table agents", "aria-label": t.agents },
    h("thead", null, h("tr", null, t.agentHead.map((t) => h("th", { scope: "col" }, t)))),
    h(
      "tbody",
      null,
      agents.map((a) =>
        h(
          "tr",
          { "data-agent": a.id },
          h("th", { scope: "row" }, a.name || a.id),
          h("td", null, h("span", { class: `pill state-${a.state}`, "data-connected": a.connected ? "true" : "false" }, stateLabel(a.state, a.connected))),
          h("td", { class: "num since", "data-since": a.state_since ?? "" }, a.state_since ? duration(now - a.state_since) : "–"),
          h("td", null, loadBars(a)),
          h(
            "td",
            { class: "num" },
            h("span", { class: "occ" }, percent(a.occupancy)),
            h("span", { class: "occ-track", "aria-hidden": "true" }, h("span", { class: "occ-fill", style: `width:${Math.min(100, (a.occupancy ?? 0) * 100)}%` })),
          ),
        ),
      ),
    ),
  );
}

// The states in which nothing reaches customers until someone acts (a token, a secret).
const BROKEN = new Set(["auth_failed", "disabled"]);

/** The health's state word ("disabled: token not configured" → "disabled"). */
export function healthState(health: string): string {
  return (health || "").split(":", 1)[0].trim();
}

/** The health in words: its state word translated, the detail after it as the server wrote it. */
export function healthText(health: string): string {
  const state = healthState(health);
  const rest = (health || "").slice((health || "").indexOf(state) + state.length);
  return `${word(t.health, state)}${rest}`;
}

export function channelBroken(c: ChannelRow): boolean {
  return BROKEN.has(healthState(c.health));
}

export function channelTable(channels: ChannelRow[]): HTMLElement {
  return h(
    "table",
    { class: "grid-table channels", "aria-label": t.channels },
    h("thead", null, h("tr", null, t.channelHead.map((t) => h("th", { scope: "col" }, t)))),
    h(
      "tbody",
      null,
      channels.map((c) => {
        const state = healthState(c.health);
        const broken = channelBroken(c);
        return h(
          "tr",
          { "data-channel-id": c.id, "data-health": state, class: broken ? "breached" : null },
          h("th", { scope: "row" }, c.id),
          h("td", null, channelIcon(c.type), " ", channelName(c.type)),
          h("td", null, h("span", { class: `health health-${broken ? "bad" : state === "ok" ? "ok" : "warn"}` }, healthText(c.health))),
        );
      }),
    ),
  );
}

const WAITING_STATES = new Set(["queued", "offered"]);

/** A conversation still waiting for an agent (queued or offered) past its queue's threshold. */
export function longWait(c: LiveConversation, thresholds: Record<string, number | undefined>): boolean {
  const limit = c.queue ? thresholds[c.queue] : undefined;
  return WAITING_STATES.has(c.state ?? "") && limit !== undefined && limit !== null && (c.waited_s ?? 0) > limit;
}

export function conversationTable(
  convs: LiveConversation[],
  queueNames: Record<string, string>,
  agentNames: Record<string, string>,
  thresholds: Record<string, number | undefined>,
): HTMLElement {
  return h(
    "table",
    { class: "grid-table live", "aria-label": t.liveConversations },
    h("thead", null, h("tr", null, t.liveHead.map((t) => h("th", { scope: "col" }, t)))),
    h(
      "tbody",
      null,
      convs.map((c) => {
        const long = longWait(c, thresholds);
        return h(
          "tr",
          { "data-conversation-id": c.id, "data-state": c.state ?? null, class: long ? "breached long-wait" : null, "data-long-wait": long ? "true" : null },
          h("td", { class: "customer-name" }, c.contact_name || "–"),
          h("td", null, c.channel_type ? [channelIcon(c.channel_type), " ", channelName(c.channel_type)] : "–"),
          h("td", null, (c.queue && queueNames[c.queue]) || c.queue || "–"),
          h("td", { class: "agent-cell" }, c.agent || (c.agent_id && agentNames[c.agent_id]) || c.agent_id || "–"),
          h("td", null, word(t.convStates, c.state) || "–"),
          cell(secs(c.waited_s), long, c.queue ? t.waitingOver(thresholds[c.queue]) : ""),
          h("td", { class: "last-message" }, c.last_message || ""),
        );
      }),
    ),
  );
}
