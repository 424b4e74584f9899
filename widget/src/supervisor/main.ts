// Entry of the supervisor dashboard (/supervisor): login, then a live view of agents and queues
// from the /supervisor socket's `snapshot` events (at least every 2 s).

import { io } from "socket.io-client";
import { h, replace, setText } from "../shared/dom";
import { duration, percent } from "../shared/format";
import { reconnectWhenOnline } from "../shared/network";
import { forgetLogin, loginForm, logout, storedLogin, type Login } from "../shared/session";
import { callbackTable } from "./callbacks";
import { reportsCard } from "./reports";
import { searchCard } from "./search";
import { auditCard } from "./audit";
import { assistCard } from "./assist";
import { privacyCard } from "./privacy";
import { waitingChart } from "./chart";
import { agentTable, channelBroken, channelTable, healthText, conversationTable, longWait, queueTable, slBreached, waitBreached } from "./tables";
import type { Snapshot } from "./types";
import { mountDrilldown } from "./drilldown";
import { langSwitch } from "../shared/lang_switch";
import { t } from "./strings";

const ROLE = "supervisor";
const root = document.getElementById("app") ?? document.body;
const STALE_S = 6;
const WINDOW_S = 30 * 60;

async function start(notice = ""): Promise<void> {
  document.title = `omnirelay · ${t.title}`;
  const login = storedLogin(ROLE) ?? (await loginForm(root, ROLE, t.title, notice));
  runDashboard(login);
}

function tile(label: string, value: string, breach = false, id = ""): HTMLElement {
  return h("div", { class: breach ? "tile breach" : "tile", "data-tile": id }, h("span", { class: "tile-label" }, label), h("strong", { class: "tile-value" }, value));
}

function runDashboard(login: Login): void {
  const connEl = h("span", { class: "conn", role: "status" }, t.connecting);
  const updated = h("span", { class: "updated", "aria-live": "off" });
  const tiles = h("section", { class: "tiles", "aria-label": t.summary });
  const queues = h("section", { class: "card", "aria-labelledby": "q-title" });
  const chart = h("section", { class: "card", "aria-labelledby": "c-title" });
  const agents = h("section", { class: "card", "aria-labelledby": "a-title" });
  const live = h("section", { class: "card", "aria-labelledby": "l-title", hidden: true });
  const channels = h("section", { class: "card", "aria-labelledby": "ch-title", hidden: true });
  const callbacks = h("section", { class: "card", "aria-labelledby": "cb-title", hidden: true });
  const alerts = h("div", { class: "alerts", role: "status", "aria-live": "polite" });
  const logoutButton = h("button", { class: "btn small", type: "button" }, t.logout);
  const toastEl = h("div", { class: "toast", role: "status", "aria-live": "polite" });
  let toastTimer: ReturnType<typeof setTimeout> | undefined;
  const toast = (text: string) => {
    setText(toastEl, text);
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => setText(toastEl, null), 10_000);
  };
  const assist = assistCard(login.token, (id) => last?.queues.find((q) => q.id === id)?.name || id);

  replace(
    root,
    h(
      "div",
      { class: "sup-app" },
      h(
        "header",
        { class: "topbar" },
        h("h1", { class: "brand" }, "omnirelay", h("small", null, t.title)),
        h("span", { class: "spacer" }),
        updated,
        connEl,
        langSwitch(),
        login.admin ? h("a", { class: "btn small admin-link", href: "/admin" }, t.admin) : null,
        h("span", { class: "agent-name" }, login.name ?? ""),
        logoutButton,
      ),
      h("main", { class: "sup-main" }, alerts, tiles, queues, h("div", { class: "two-col" }, agents, chart), live, callbacks, channels, assist.el, searchCard(login.token), reportsCard(login.token), privacyCard(login.token), auditCard(login.token)),
      toastEl,
    ),
  );

  let last: Snapshot | null = null;
  let receivedAt = 0; // performance.now() of the last snapshot
  let skew = 0; // server clock minus ours, seconds
  // Series collected from snapshots, used when the server sends none.
  const collected: Record<string, [number, number][]> = {};
  const serverNow = () => Date.now() / 1000 + skew;

  const draw = (s: Snapshot) => {
    const now = serverNow();
    const queueNames = Object.fromEntries(s.queues.map((q) => [q.id, q.name || q.id]));
    const agentNames = Object.fromEntries(s.agents.map((a) => [a.id, a.name || a.id]));
    const waiting = s.queues.reduce((n, q) => n + (q.waiting ?? 0), 0);
    const longest = Math.max(0, ...s.queues.map((q) => q.longest_wait_s ?? 0));
    const available = s.agents.filter((a) => a.state === "available").length;
    const online = s.agents.filter((a) => a.state !== "offline").length;
    const occ = online ? s.agents.filter((a) => a.state !== "offline").reduce((n, a) => n + (a.occupancy ?? 0), 0) / online : null;
    const slBreaches = s.queues.filter(slBreached);
    const waitBreaches = s.queues.filter(waitBreached);
    replace(
      tiles,
      tile(t.waiting, String(waiting), waitBreaches.length > 0, "waiting"),
      tile(t.longestWait, duration(longest), waitBreaches.length > 0, "longest"),
      tile(t.agentsAvailable, t.availableOnline(available, online), false, "agents"),
      tile(t.avgOccupancy, percent(occ), false, "occupancy"),
      tile(t.queuesUnderSl, String(slBreaches.length), slBreaches.length > 0, "sl"),
    );
    const messages = [
      ...slBreaches.map((q) => t.slAlert(q.name || q.id, percent(q.service_level), percent(q.sla_target))),
      ...waitBreaches.map((q) => t.waitAlert(q.name || q.id, duration(q.longest_wait_s), q.sla_threshold_s)),
    ];
    const thresholds = Object.fromEntries(s.queues.map((q) => [q.id, q.sla_threshold_s]));
    const longWaits = (s.conversations ?? []).filter((c) => longWait(c, thresholds)).length;
    for (const c of (s.channels ?? []).filter(channelBroken)) messages.push(t.channelAlert(c.id, healthText(c.health)));
    if (longWaits) messages.push(t.longWaitAlert(longWaits));
    replace(alerts, messages.map((m) => h("p", { class: "alert" }, m)));
    replace(queues, h("h2", { id: "q-title" }, t.queues), queueTable(s.queues));
    replace(agents, h("h2", { id: "a-title" }, t.agents), agentTable(s.agents, now));
    const series = s.series && Object.keys(s.series).length ? s.series : collected;
    replace(chart, h("h2", { id: "c-title" }, t.waitingChart), waitingChart(series, queueNames, now));
    if (s.channels) {
      channels.hidden = false;
      replace(channels, h("h2", { id: "ch-title" }, t.channels), channelTable(s.channels));
    }
    if (s.callbacks) {
      callbacks.hidden = false;
      replace(callbacks, h("h2", { id: "cb-title" }, t.callbacks, h("small", null, t.todayWindow)), callbackTable(s.callbacks, queueNames));
    }
    if (s.conversations) {
      live.hidden = false;
      replace(live, h("h2", { id: "l-title" }, t.liveConversations), conversationTable(s.conversations, queueNames, agentNames, thresholds));
    }
  };

  const socket = io("/supervisor", { path: "/socket.io/", auth: { token: login.token }, reconnectionDelay: 500, reconnectionDelayMax: 5000 });
  reconnectWhenOnline(() => socket);
  mountDrilldown(root, { socket, snapshot: () => last, say: () => {} }, login.token);
  socket.on("connect", () => {
    connEl.dataset.status = "online";
    setText(connEl, t.connected);
  });
  socket.on("disconnect", () => {
    connEl.dataset.status = "reconnecting";
    setText(connEl, t.reconnecting);
  });
  socket.on("connect_error", (err: Error & { data?: { message?: string } }) => {
    if (socket.active) {
      connEl.dataset.status = "reconnecting";
      setText(connEl, t.reconnecting);
      return;
    }
    forgetLogin(ROLE);
    socket.disconnect();
    void start(t.loginAgain(t.lang === "en" ? err.data?.message ?? "" : ""));
  });
  socket.on("session_ended", (e: { reason?: string }) => {
    forgetLogin(ROLE);
    socket.disconnect();
    void start(e?.reason === "expired" ? t.sessionExpired : t.loggedOut);
  });
  // An automatic answer whose customers too often still wanted a person was switched off.
  socket.on("assist_snippet_disabled", (e: { canned_id?: string; title?: string; reason?: string; escalated?: number; sent?: number }) => {
    toast(assist.disabledText(e ?? {}));
    void assist.load();
  });
  socket.on("snapshot", (s: Snapshot) => {
    if (!s || !Array.isArray(s.agents) || !Array.isArray(s.queues)) return;
    skew = (s.ts ?? Date.now() / 1000) - Date.now() / 1000;
    receivedAt = performance.now();
    for (const q of s.queues) {
      const points = (collected[q.id] ??= []);
      points.push([s.ts, q.waiting ?? 0]);
      while (points.length && points[0][0] < s.ts - WINDOW_S) points.shift();
    }
    last = s;
    draw(s);
    root.dataset.snapshots = String(Number(root.dataset.snapshots ?? 0) + 1);
  });

  // Between snapshots: keep "time in state" and the freshness note moving.
  setInterval(() => {
    if (!last) return;
    const age = (performance.now() - receivedAt) / 1000;
    setText(updated, age > STALE_S ? t.noUpdate(Math.round(age)) : t.live);
    updated.classList.toggle("stale", age > STALE_S);
    const now = serverNow();
    for (const td of agents.querySelectorAll<HTMLElement>("td.since")) {
      const since = Number(td.dataset.since);
      if (since) setText(td, duration(now - since));
    }
  }, 1000);

  logoutButton.addEventListener("click", async () => {
    socket.disconnect();
    await logout(ROLE, login);
    location.reload();
  });
}

void start();
