// The tenant's event webhooks (/api/v1/admin/webhooks…, docs/webhooks.md): subscriptions (create with
// address, event types and retry window; the signing secret shown once; pause and resume; a new
// secret; delete), and per subscription its recent attempts, its dead letters with "send again",
// and "send test event" with the receiver's answer. Subscriptions live in Redis, not in the
// settings' revisions: a change holds at once on every gateway. A subscription from the config file
// is marked as such and can only be paused here.

import { h, replace } from "../shared/dom";
import { Form } from "./form";
import { adminCall, AdminError } from "./store";
import { T } from "./strings";
import { card, openEditor, showSecretOnce, table, when, type Ui } from "./ui";

interface Subscription {
  id: string;
  name: string;
  url: string;
  events: string[];
  enabled: boolean;
  retry_window_s: number;
  secret_hint: string;
  origin: "admin" | "config" | string;
}

interface Attempt {
  delivery_id: string;
  type?: string;
  status?: number;
  error?: string;
  latency_ms?: number;
  attempts?: number;
  at?: number;
  outcome: string;
}

interface DeadLetter {
  id: string;
  type: string | null;
  attempts: number;
  last_status: number;
  last_error: string | null;
  dead_at: string | null;
}

interface Deliveries {
  recent: Attempt[];
  pending: { id: string }[];
}

const BASE = "/api/v1/admin/webhooks";
const UNITS: Record<string, number> = { s: 1, min: 60, h: 3600, d: 86400 };
const WINDOW = [1, 7 * 86400];
const POLL_MS = 1500;
const TEST_PATIENCE_MS = 30_000;

/** One call of the webhook API; a refusal becomes an AdminError with the server's code and field. */
async function call<R>(token: string, method: string, path = "", body?: unknown): Promise<R> {
  return (await adminCall(token, method, BASE + path, body)).data as R;
}

/** Seconds in the largest whole unit: 86400 -> [1, "d"], 90 -> [90, "s"]. */
function inUnits(seconds: number): [number, string] {
  for (const unit of ["d", "h", "min"]) if (seconds >= UNITS[unit] && seconds % UNITS[unit] === 0) return [seconds / UNITS[unit], unit];
  return [seconds, "s"];
}

export function webhooksSection(ui: Ui, token: string): HTMLElement {
  const t = T();
  const w = t.webhooks;
  const api = <R>(method: string, path = "", body?: unknown) => call<R>(token, method, path, body);
  const label = (s: Subscription) => s.name || s.url;
  const typeName = (type: string | null | undefined) => (type ? w.eventNames[type] ?? type : "");
  const windowText = (seconds: number) => {
    const [n, unit] = inUnits(seconds);
    return `${n} ${w.units[unit]}`;
  };

  const shown = h("div", { class: "webhook-shown" });
  const detail = h("div", { class: "webhook-detail-slot" });
  const close = () => replace(editor, null);
  const { el, table: list, editor } = card("webhooks", w.title, w.add, () => openEditor(editor, createForm()));
  el.insertBefore(h("p", { class: "muted" }, w.intro), list);
  el.insertBefore(shown, list);
  el.appendChild(detail);

  let subs: Subscription[] = [];
  let types: string[] = [];
  let opened: string | null = null; // the subscription whose deliveries are shown
  let timer = 0;

  const load = async () => {
    try {
      const got = await api<{ subscriptions: Subscription[]; event_types: string[] }>("GET");
      subs = got.subscriptions;
      types = got.event_types;
      draw();
    } catch (err) {
      replace(list, h("p", { class: "problem", role: "alert" }, w.loadFailed(err instanceof Error ? err.message || String((err as AdminError).status) : String(err))));
    }
  };

  const draw = () => {
    const rows = subs.map((s) =>
      h("tr", { "data-webhook": s.id, "data-origin": s.origin, class: s.enabled ? "" : "disabled" },
        h("th", { scope: "row", class: "wrap" },
          s.name ? h("div", null, s.name) : null,
          h("div", { class: s.name ? "muted" : "", "data-cell": "url" }, s.url),
          s.origin === "config" ? h("div", { class: "source", "data-source": "config", title: w.fromConfigHint }, w.fromConfig) : null),
        h("td", { class: "wrap" }, s.events.includes("*") ? w.allTypes : s.events.map(typeName).join(", ")),
        h("td", null, windowText(s.retry_window_s)),
        h("td", { "data-cell": "state" }, s.enabled ? w.on : w.off),
        h("td", { class: "actions" },
          h("button", {
            class: "btn small", type: "button", "data-action": "deliveries", "aria-expanded": opened === s.id ? "true" : "false",
            "aria-label": `${opened === s.id ? w.hide : w.show}: ${label(s)}`, onclick: () => (opened === s.id ? hideDetail() : showDetail(s.id)),
          }, opened === s.id ? w.hide : w.show),
          h("button", { class: "btn small", type: "button", "data-action": "test", "aria-label": `${w.test}: ${label(s)}`, onclick: () => void sendTest(s) }, w.test),
          h("button", {
            class: "btn small", type: "button", "data-action": "toggle", "aria-label": `${s.enabled ? w.disable : w.enable}: ${label(s)}`,
            onclick: () => void toggle(s),
          }, s.enabled ? w.disable : w.enable),
          s.origin === "config" ? null : h("button", { class: "btn small", type: "button", "data-action": "rotate", "aria-label": `${w.rotate}: ${label(s)}`, onclick: () => void rotate(s) }, w.rotate),
          s.origin === "config" ? null : h("button", { class: "btn small danger", type: "button", "data-action": "delete", "aria-label": `${w.remove}: ${label(s)}`, onclick: () => void remove(s) }, w.remove),
        ),
      ),
    );
    replace(list, table(w.title, [w.receiver, w.events, w.window, w.state, t.actions], rows, w.none));
    if (opened && !subs.some((s) => s.id === opened)) hideDetail();
  };

  // --- the secret, shown once ------------------------------------------------------------------
  const showOnce = (title: string, secret: string) => showSecretOnce(ui, shown, {
    cls: "webhook", title, secret,
    texts: { label: w.secretLabel, copy: w.copy, done: w.done, copied: w.copied, copyFailed: w.copyFailed, warning: w.warning },
  });

  // --- actions on a subscription --------------------------------------------------------------
  const toggle = async (s: Subscription) => {
    try {
      await api("PATCH", `/${encodeURIComponent(s.id)}`, { enabled: !s.enabled });
      ui.say(s.enabled ? w.disabled(label(s)) : w.enabled(label(s)));
    } catch (err) {
      ui.say(t.failed(err));
    }
    await load();
  };

  const rotate = async (s: Subscription) => {
    if (!(await ui.confirm(w.rotateConfirm(label(s)), w.rotate))) return;
    try {
      const got = await api<{ secret: string }>("POST", `/${encodeURIComponent(s.id)}/rotate`);
      showOnce(w.rotatedTitle(label(s)), got.secret);
    } catch (err) {
      ui.say(t.failed(err));
    }
    await load();
  };

  const remove = async (s: Subscription) => {
    if (!(await ui.confirm(w.removeConfirm(label(s)), w.remove))) return;
    try {
      await api("DELETE", `/${encodeURIComponent(s.id)}`);
      ui.say(w.removed(label(s)));
    } catch (err) {
      ui.say(t.failed(err));
    }
    await load();
  };

  // --- deliveries, dead letters and the test event -------------------------------------------
  let test: { sid: string; delivery: string; since: number } | null = null;
  let testText = "";
  let drawn = "";

  const hideDetail = () => {
    opened = null;
    test = null;
    window.clearInterval(timer);
    replace(detail, null);
    drawn = "";
    draw();
  };

  const showDetail = (sid: string, keepTest = false) => {
    if (!keepTest) {
      test = null;
      testText = "";
    }
    opened = sid;
    drawn = "";
    window.clearInterval(timer);
    timer = window.setInterval(() => void refresh(), POLL_MS);
    draw();
    void refresh();
  };

  const sendTest = async (s: Subscription) => {
    try {
      const got = await api<{ delivery_id: string }>("POST", `/${encodeURIComponent(s.id)}/test`);
      test = { sid: s.id, delivery: got.delivery_id, since: Date.now() };
      testText = w.testQueued;
      showDetail(s.id, true);
    } catch (err) {
      ui.say(t.failed(err));
    }
  };

  const replayOne = async (sid: string, letter: DeadLetter) => {
    try {
      const got = await api<{ replayed: string[] }>("POST", `/${encodeURIComponent(sid)}/dead-letters/${encodeURIComponent(letter.id)}/replay`);
      ui.say(w.replayed(got.replayed.length));
    } catch (err) {
      ui.say(t.failed(err));
    }
    await refresh();
  };

  const replayAll = async (sid: string) => {
    try {
      const got = await api<{ replayed: string[] }>("POST", `/${encodeURIComponent(sid)}/dead-letters/replay`);
      ui.say(w.replayed(got.replayed.length));
    } catch (err) {
      ui.say(t.failed(err));
    }
    await refresh();
  };

  const testOutcome = (recent: Attempt[]) => {
    if (!test || test.sid !== opened) return;
    const attempt = recent.find((a) => a.delivery_id === test?.delivery);
    if (attempt) {
      const ms = w.ms(attempt.latency_ms ?? 0);
      testText = attempt.outcome === "delivered"
        ? w.testDelivered(attempt.status ?? 0, ms)
        : w.testFailed(attempt.status ? `HTTP ${attempt.status}` : attempt.error || w.noAnswer, ms);
      test = null;
    } else if (Date.now() - test.since > TEST_PATIENCE_MS) {
      testText = w.testWaiting;
      test = null;
    }
  };

  const refresh = async () => {
    const sid = opened;
    if (!sid || !el.isConnected) {
      if (!el.isConnected) window.clearInterval(timer);
      return;
    }
    let got: [Deliveries, { dead_letters: DeadLetter[] }];
    try {
      got = await Promise.all([
        api<Deliveries>("GET", `/${encodeURIComponent(sid)}/deliveries`),
        api<{ dead_letters: DeadLetter[] }>("GET", `/${encodeURIComponent(sid)}/dead-letters`),
      ]);
    } catch (err) {
      if (err instanceof AdminError && err.status === 404) await load(); // deleted meanwhile (another admin)
      return;
    }
    if (opened !== sid) return;
    const [deliveries, dead] = got;
    testOutcome(deliveries.recent);
    // redrawn only when something changed, so a button being clicked stays where it is
    const key = JSON.stringify([deliveries, dead.dead_letters.map((d) => [d.id, d.attempts, d.last_status, d.dead_at]), testText]);
    if (key === drawn) return;
    drawn = key;
    drawDetail(sid, deliveries, dead.dead_letters);
  };

  const drawDetail = (sid: string, deliveries: Deliveries, dead: DeadLetter[]) => {
    const sub = subs.find((s) => s.id === sid);
    if (!sub) return;
    const recentRows = deliveries.recent.map((a) =>
      h("tr", { "data-delivery": a.delivery_id, "data-outcome": a.outcome },
        h("td", null, typeName(a.type), h("div", { class: "muted" }, a.type ?? "")),
        h("td", { class: "num", "data-cell": "status" }, a.status ? String(a.status) : w.noAnswer,
          a.error ? h("div", { class: "muted" }, a.error) : null),
        h("td", { class: "num", "data-cell": "latency" }, a.latency_ms !== undefined ? w.ms(a.latency_ms) : ""),
        h("td", { class: "num", "data-cell": "attempts" }, a.attempts ?? ""),
        h("td", { "data-cell": "outcome" }, w.outcomes[a.outcome] ?? a.outcome),
        h("td", null, when(a.at))));
    const deadRows = dead.map((d) =>
      h("tr", { "data-dead": d.id },
        h("td", null, typeName(d.type), h("div", { class: "muted" }, d.type ?? "")),
        h("td", { class: "num" }, d.last_status ? String(d.last_status) : w.noAnswer),
        h("td", { class: "wrap" }, d.last_error ?? ""),
        h("td", { class: "num" }, d.attempts),
        h("td", null, when(d.dead_at ? Number(d.dead_at) : null)),
        h("td", { class: "actions" },
          h("button", { class: "btn small", type: "button", "data-action": "replay", "aria-label": `${w.replay}: ${typeName(d.type)}, ${when(d.dead_at ? Number(d.dead_at) : null)}`, onclick: () => void replayOne(sid, d) }, w.replay))));
    const headingId = `webhook-detail-${sid}`;
    replace(detail,
      h("section", { class: "webhook-detail", "data-webhook-detail": sid, "aria-labelledby": headingId },
        h("div", { class: "card-head" },
          h("h3", { id: headingId }, w.deliveriesOf(label(sub))),
          h("button", { class: "btn small", type: "button", "data-action": "refresh", onclick: () => { drawn = ""; void refresh(); } }, w.refresh),
          h("button", { class: "btn small", type: "button", "data-action": "close", onclick: hideDetail }, w.close)),
        h("p", { class: "webhook-test-result", role: "status", "aria-live": "polite" }, testText),
        h("h4", null, w.recent),
        h("p", { class: "muted", "data-cell": "pending" }, w.pending(deliveries.pending.length)),
        table(w.recent, [w.eventType, w.status, w.latency, w.attempts, w.outcome, w.at], recentRows, w.recentNone),
        h("div", { class: "card-head" },
          h("h4", null, w.dead),
          dead.length ? h("button", { class: "btn small", type: "button", "data-action": "replay-all", onclick: () => void replayAll(sid) }, w.replayAll) : null),
        table(w.dead, [w.eventType, w.status, w.error, w.attempts, w.deadSince, t.actions], deadRows, w.deadNone)));
  };

  // --- creating a subscription ------------------------------------------------------------------
  const createForm = (): HTMLFormElement => {
    const form = new Form("webhook", w.add, () => save());
    const url = h("input", { type: "url", autocomplete: "off", maxlength: 2048, size: 48, placeholder: "https://" });
    const name = h("input", { autocomplete: "off", maxlength: 200 });
    const all = h("input", { type: "checkbox", value: "*", checked: true, "data-event": "*" });
    const boxes = types.map((type) => h("input", { type: "checkbox", value: type, "data-event": type, disabled: true }));
    const sync = () => boxes.forEach((b) => (b.disabled = all.checked));
    all.addEventListener("change", sync);
    const amount = h("input", { type: "number", min: 1, step: 1, value: 24, class: "window-amount" });
    const unit = h("select", { "aria-label": w.windowUnit, "data-unit": "" }, Object.keys(UNITS).map((u) => h("option", { value: u }, w.units[u])));
    unit.value = "h";
    form.add(
      h("div", { class: "form-grid" }, form.field("url", w.url, url, w.urlHint), form.field("name", w.name, name, w.nameHint)),
      form.group("events", w.events,
        h("label", { class: "inline" }, all, " ", w.allEvents),
        h("div", { class: "checks" }, types.map((type, i) =>
          h("label", { class: "inline" }, boxes[i], " ", typeName(type), " ", h("code", { class: "muted" }, type))))),
      h("div", { class: "row-item" }, form.field("retry_window_s", w.window, amount, w.windowHint), unit),
    ).buttons(w.create, close);
    const save = async () => {
      const address = url.value.trim();
      if (!/^https?:\/\/[^\s/?#]+/i.test(address)) form.fail("url", w.badUrl);
      const events = all.checked ? ["*"] : boxes.filter((b) => b.checked).map((b) => b.value);
      if (!events.length) form.fail("events", w.pickEvents);
      const seconds = Number(amount.value) * UNITS[unit.value];
      if (!Number.isFinite(seconds) || seconds < WINDOW[0] || seconds > WINDOW[1]) form.fail("retry_window_s", w.badWindow);
      if (!form.ok) return;
      try {
        const made = await api<{ subscription: Subscription; secret: string }>("POST", "", {
          url: address, name: name.value.trim(), events, retry_window_s: seconds,
        });
        close();
        showOnce(w.createdTitle(label(made.subscription)), made.secret);
        await load();
      } catch (err) {
        form.refused(err, () => load());
      }
    };
    return form.el;
  };

  void load();
  return el;
}
