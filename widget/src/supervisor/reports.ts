// The Reports card of the supervisor dashboard: historical figures per interval from
// GET /api/v1/reports/{queues|agents} (the archived ACD event log), charts over time, and tables
// per queue and per agent, each downloadable as CSV (fetched with the token, never in a URL).
// Labels and wrap-up codes show by their configured names; one no longer configured by its id.

import { api, ApiError } from "../shared/api";
import { h, replace, setText } from "../shared/dom";
import { duration, percent } from "../shared/format";
import { seriesChart } from "./reports_chart";
import { t } from "./strings";

interface Bucket {
  start: number;
  end: number;
  label: string;
  complete: boolean;
}

type Figures = Record<string, number | null | string | Record<string, number> | boolean | undefined>;

interface Names {
  labels: Record<string, string>;
  wrapup_codes: Record<string, Record<string, string>>; // queue -> code -> name
}

interface ReportBody {
  interval: string;
  timezone: string;
  buckets: Bucket[];
  rows: Figures[];
  totals: Figures[];
  overall?: { rows: Figures[]; totals: Figures };
  names?: Names;
}

/** A JSON object's own entries as a Map (an id such as "constructor" never reads Object.prototype). */
const entries = <V>(v: unknown): Map<string, V> => new Map(Object.entries((v ?? {}) as Record<string, V>));

/** The configured names of label and wrap-up code ids; an id without one (no longer configured) is its own name. */
class Namer {
  private readonly labels: Map<string, string>;
  private readonly codes: Map<string, Map<string, string>>;
  private readonly anyQueue = new Map<string, string>();

  constructor(names: Names | undefined) {
    this.labels = entries<string>(names?.labels);
    this.codes = new Map([...entries<Record<string, string>>(names?.wrapup_codes)].map(([q, c]) => [q, entries<string>(c)]));
    for (const codes of this.codes.values()) for (const [id, name] of codes) if (!this.anyQueue.has(id)) this.anyQueue.set(id, name);
  }

  label = (id: string): string => this.labels.get(id) ?? id;

  /** The queue's own name for the code, else the first queue's that has one. */
  code = (id: string, queue?: string): string => (queue ? this.codes.get(queue)?.get(id) : undefined) ?? this.anyQueue.get(id) ?? id;
}

const INTERVALS: [string, string][] = t.intervals;

function isoDay(d: Date): string {
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
}

const n = (v: unknown): number => (typeof v === "number" ? v : 0);
const secs = (v: unknown) => (typeof v === "number" ? duration(v) : "–");
const ratio = (v: unknown) => percent(typeof v === "number" ? v : null);
/** The customers' average rating (1–5), "–" without any. */
const score = (v: unknown) => (typeof v === "number" ? `${v.toFixed(1)} / 5` : "–");

/** `{id: count}` as "Name: count, …" ("–" when empty). */
function counted(v: unknown, name: (id: string) => string): string {
  return [...entries<number>(v)].map(([id, count]) => `${name(id)}: ${count}`).join(", ") || "–";
}

/** The x-axis label of an interval: its local time, or its day for days and weeks. */
function tick(label: string, interval: string): string {
  return interval === "day" || interval === "week" ? label.slice(5, 10) : label.slice(11, 16);
}

function table(caption: string, head: string[], rows: (string | number)[][], keyAttr: string, keys: string[]): HTMLElement {
  return h(
    "table",
    { class: "grid-table", "aria-label": caption },
    h("thead", null, h("tr", null, head.map((t) => h("th", { scope: "col" }, t)))),
    h(
      "tbody",
      null,
      rows.map((cells, i) =>
        h("tr", { [keyAttr]: keys[i] }, h("th", { scope: "row" }, String(cells[0])), cells.slice(1).map((c) => h("td", { class: "num" }, String(c)))),
      ),
    ),
  );
}

function queueTable(totals: Figures[], names: Namer): HTMLElement {
  const head = t.reportQueueHead;
  const rows = totals.map((r) => [
    String(r.name ?? r.queue), n(r.offered), n(r.answered), n(r.abandoned), n(r.short_abandoned), ratio(r.service_level),
    secs(r.asa_s), secs(r.aht_s), n(r.transfers), n(r.escalations), n(r.ratings), score(r.satisfaction),
    counted(r.wrapup_codes, (id) => names.code(id, String(r.queue))), counted(r.labels, names.label),
  ]);
  return table(t.queuesRange, head, rows, "data-queue", totals.map((r) => String(r.queue)));
}

function agentTable(totals: Figures[], names: Namer): HTMLElement {
  const head = t.reportAgentHead;
  const rows = totals.map((r) => [
    String(r.name ?? r.agent), n(r.offered), n(r.accepted), n(r.declined), n(r.missed), n(r.handled), secs(r.aht_s),
    secs(r.logged_in_s), ratio(r.occupancy), n(r.transfers), n(r.ratings), score(r.satisfaction),
    counted(r.wrapup_codes, (id) => names.code(id)), counted(r.labels, names.label),
  ]);
  return table(t.agentsRange, head, rows, "data-agent", totals.map((r) => String(r.agent)));
}

/** Ids by count, most first (then by name). */
function byCount(counts: Map<string, number>, name: (id: string) => string): string[] {
  return [...counts.keys()].sort((a, b) => counts.get(b)! - counts.get(a)! || name(a).localeCompare(name(b), t.locale));
}

/** All queues over the range: one row per label (closed conversations, rated, satisfaction). */
function labelTable(totals: Figures, names: Namer): HTMLElement {
  const closed = entries<number>(totals.labels);
  if (!closed.size) return h("p", { class: "report-none", "data-none": "labels" }, t.noneInRange);
  const rated = entries<number>(totals.label_ratings);
  const sat = entries<number>(totals.label_satisfaction);
  const ids = byCount(closed, names.label);
  const rows = ids.map((id) => [names.label(id), closed.get(id) ?? 0, rated.get(id) ?? 0, score(sat.get(id))]);
  return table(t.labelsRange, t.reportLabelHead, rows, "data-label", ids);
}

/** All queues over the range: one row per wrap-up code. */
function codeTable(totals: Figures, names: Namer): HTMLElement {
  const closed = entries<number>(totals.wrapup_codes);
  if (!closed.size) return h("p", { class: "report-none", "data-none": "codes" }, t.noneInRange);
  const name = (id: string) => names.code(id);
  const ids = byCount(closed, name);
  return table(t.codesRange, t.reportCodeHead, ids.map((id) => [name(id), closed.get(id) ?? 0]), "data-code", ids);
}

/** Per interval: the sum of a figure over the rows (queues) of that interval. */
function summed(body: ReportBody, key: string): number[] {
  const out = body.buckets.map(() => 0);
  const index = new Map(body.buckets.map((b, i) => [b.start, i]));
  for (const r of body.rows) out[index.get(r.start as number) ?? 0] += n(r[key]);
  return out;
}

function serviceLevels(body: ReportBody): { id: string; label: string; points: (number | null)[] }[] {
  const index = new Map(body.buckets.map((b, i) => [b.start, i]));
  const byQueue = new Map<string, { label: string; points: (number | null)[] }>();
  for (const r of body.rows) {
    const id = String(r.queue);
    if (!byQueue.has(id)) byQueue.set(id, { label: String(r.name ?? id), points: body.buckets.map(() => null) });
    byQueue.get(id)!.points[index.get(r.start as number) ?? 0] = typeof r.service_level === "number" ? r.service_level : null;
  }
  return [...byQueue.entries()].filter(([, s]) => s.points.some((v) => v !== null)).map(([id, s]) => ({ id, ...s }));
}

async function downloadCsv(token: string, dimension: string, query: string, status: HTMLElement): Promise<void> {
  const response = await fetch(`/api/v1/reports/${dimension}?${query}&format=csv`, { headers: { Authorization: `Bearer ${token}` } });
  if (!response.ok) {
    setText(status, t.csvFailed(response.status));
    return;
  }
  const name = /filename="([^"]+)"/.exec(response.headers.get("Content-Disposition") ?? "")?.[1] ?? `${dimension}.csv`;
  const url = URL.createObjectURL(await response.blob());
  const link = h("a", { href: url, download: name, hidden: true });
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** The Reports card: a range and interval, then charts and tables for it. */
export function reportsCard(token: string): HTMLElement {
  const today = isoDay(new Date());
  const from = h("input", { type: "date", id: "report-from", value: today, required: true });
  const to = h("input", { type: "date", id: "report-to", value: today, required: true });
  const interval = h("select", { id: "report-interval" }, INTERVALS.map(([v, label]) => h("option", { value: v, selected: v === "hour" }, label)));
  const status = h("p", { class: "report-status", role: "status" });
  const charts = h("div", { class: "report-charts" });
  const tables = h("div", { class: "report-tables" });
  const form = h(
    "form",
    { class: "report-form" },
    h("label", { for: "report-from" }, t.from), from,
    h("label", { for: "report-to" }, t.to), to,
    h("label", { for: "report-interval" }, t.interval), interval,
    h("button", { class: "btn primary", type: "submit" }, t.show),
  );

  const show = async () => {
    const query = new URLSearchParams({ from: from.value, to: to.value, interval: interval.value }).toString();
    setText(status, t.loading);
    try {
      const [queues, agents] = await Promise.all([
        api<ReportBody>(`/api/v1/reports/queues?${query}`, { token }),
        api<ReportBody>(`/api/v1/reports/agents?${query}`, { token }),
      ]);
      const labels = queues.buckets.map((b) => tick(b.label, queues.interval));
      const open = queues.buckets.some((b) => !b.complete);
      setText(status, t.intervalsInfo(queues.buckets.length, queues.timezone, open));
      replace(
        charts,
        h("figure", { class: "report-chart", "data-chart": "volume" }, h("figcaption", null, t.volume),
          seriesChart(t.volumeTitle, labels, [
            { id: "offered", label: t.offered, points: summed(queues, "offered") },
            { id: "answered", label: t.answered, points: summed(queues, "answered") },
            { id: "abandoned", label: t.abandoned, points: summed(queues, "abandoned") },
          ], (v) => (Math.round(v * 10) / 10).toLocaleString(t.locale))),
        h("figure", { class: "report-chart", "data-chart": "service-level" }, h("figcaption", null, t.slPerQueue),
          seriesChart(t.slPerQueueTitle, labels, serviceLevels(queues), (v) => percent(v), 1)),
      );
      const csvButton = (dimension: string, label: string) =>
        h("button", { class: "btn small", type: "button", "data-csv": dimension, onclick: () => void downloadCsv(token, dimension, query, status) }, label);
      const names = new Namer(queues.names);
      const overall = queues.overall?.totals ?? {};
      replace(
        tables,
        h("div", { class: "report-table-head" }, h("h3", null, t.queues), csvButton("queues", t.downloadCsv)),
        h("div", { class: "report-scroll" }, queueTable(queues.totals, names)),
        h("div", { class: "report-table-head" }, h("h3", null, t.agents), csvButton("agents", t.downloadCsv)),
        h("div", { class: "report-scroll" }, agentTable(agents.totals, names)),
        h(
          "div",
          { class: "report-named" },
          h("section", { class: "report-labels", "aria-label": t.labelsRange }, h("h3", null, t.labelsTitle), labelTable(overall, names)),
          h("section", { class: "report-codes", "aria-label": t.codesRange }, h("h3", null, t.codesTitle), codeTable(overall, names)),
        ),
      );
    } catch (err) {
      replace(charts);
      replace(tables);
      setText(status, err instanceof ApiError && t.lang === "en" ? err.message : t.reportsFailed);
    }
  };
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    void show();
  });
  return h("section", { class: "card reports-card", "aria-labelledby": "r-title" }, h("h2", { id: "r-title" }, t.reports), form, status, charts, tables);
}
