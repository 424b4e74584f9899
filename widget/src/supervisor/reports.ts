// The Reports card of the supervisor dashboard: historical figures per interval from
// GET /api/v1/reports/{queues|agents} (the archived ACD event log), charts over time, and tables
// per queue and per agent, each downloadable as CSV (fetched with the token, never in a URL).

import { api, ApiError } from "../shared/api";
import { h, replace, setText } from "../shared/dom";
import { duration, percent } from "../shared/format";
import { seriesChart } from "./reports_chart";

interface Bucket {
  start: number;
  end: number;
  label: string;
  complete: boolean;
}

type Figures = Record<string, number | null | string | Record<string, number> | boolean | undefined>;

interface ReportBody {
  interval: string;
  timezone: string;
  buckets: Bucket[];
  rows: Figures[];
  totals: Figures[];
}

const INTERVALS: [string, string][] = [["15min", "15 minutes"], ["hour", "Hour"], ["day", "Day"], ["week", "Week"]];

function isoDay(d: Date): string {
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
}

const n = (v: unknown): number => (typeof v === "number" ? v : 0);
const secs = (v: unknown) => (typeof v === "number" ? duration(v) : "–");
const ratio = (v: unknown) => percent(typeof v === "number" ? v : null);

function codes(v: unknown): string {
  const c = (v ?? {}) as Record<string, number>;
  return Object.entries(c).map(([code, count]) => `${code}: ${count}`).join(", ") || "–";
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

function queueTable(totals: Figures[]): HTMLElement {
  const head = ["Queue", "Offered", "Answered", "Abandoned", "of them short", "Service level", "ASA", "AHT", "Transfers", "Escalations", "Wrap-up codes"];
  const rows = totals.map((r) => [
    String(r.name ?? r.queue), n(r.offered), n(r.answered), n(r.abandoned), n(r.short_abandoned), ratio(r.service_level),
    secs(r.asa_s), secs(r.aht_s), n(r.transfers), n(r.escalations), codes(r.wrapup_codes),
  ]);
  return table("Queues over the chosen range", head, rows, "data-queue", totals.map((r) => String(r.queue)));
}

function agentTable(totals: Figures[]): HTMLElement {
  const head = ["Agent", "Offered", "Accepted", "Declined", "Missed", "Handled", "AHT", "Logged in", "Occupancy", "Transfers", "Wrap-up codes"];
  const rows = totals.map((r) => [
    String(r.name ?? r.agent), n(r.offered), n(r.accepted), n(r.declined), n(r.missed), n(r.handled), secs(r.aht_s),
    secs(r.logged_in_s), ratio(r.occupancy), n(r.transfers), codes(r.wrapup_codes),
  ]);
  return table("Agents over the chosen range", head, rows, "data-agent", totals.map((r) => String(r.agent)));
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
    setText(status, `The CSV could not be made (${response.status}).`);
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
    h("label", { for: "report-from" }, "From"), from,
    h("label", { for: "report-to" }, "To"), to,
    h("label", { for: "report-interval" }, "Interval"), interval,
    h("button", { class: "btn primary", type: "submit" }, "Show"),
  );

  const show = async () => {
    const query = new URLSearchParams({ from: from.value, to: to.value, interval: interval.value }).toString();
    setText(status, "Loading…");
    try {
      const [queues, agents] = await Promise.all([
        api<ReportBody>(`/api/v1/reports/queues?${query}`, { token }),
        api<ReportBody>(`/api/v1/reports/agents?${query}`, { token }),
      ]);
      const labels = queues.buckets.map((b) => tick(b.label, queues.interval));
      const open = queues.buckets.some((b) => !b.complete);
      setText(status, `${queues.buckets.length} intervals, times in ${queues.timezone}${open ? "; the last interval is not over yet" : ""}.`);
      replace(
        charts,
        h("figure", { class: "report-chart", "data-chart": "volume" }, h("figcaption", null, "Offered, answered and abandoned"),
          seriesChart("Offered, answered and abandoned per interval", labels, [
            { id: "offered", label: "Offered", points: summed(queues, "offered") },
            { id: "answered", label: "Answered", points: summed(queues, "answered") },
            { id: "abandoned", label: "Abandoned", points: summed(queues, "abandoned") },
          ], (v) => String(Math.round(v * 10) / 10))),
        h("figure", { class: "report-chart", "data-chart": "service-level" }, h("figcaption", null, "Service level per queue"),
          seriesChart("Service level per queue and interval", labels, serviceLevels(queues), (v) => percent(v), 1)),
      );
      const csvButton = (dimension: string, label: string) =>
        h("button", { class: "btn small", type: "button", "data-csv": dimension, onclick: () => void downloadCsv(token, dimension, query, status) }, label);
      replace(
        tables,
        h("div", { class: "report-table-head" }, h("h3", null, "Queues"), csvButton("queues", "Download CSV")),
        queueTable(queues.totals),
        h("div", { class: "report-table-head" }, h("h3", null, "Agents"), csvButton("agents", "Download CSV")),
        agentTable(agents.totals),
      );
    } catch (err) {
      replace(charts);
      replace(tables);
      setText(status, err instanceof ApiError ? err.message : "The reports could not be loaded.");
    }
  };
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    void show();
  });
  return h("section", { class: "card reports-card", "aria-labelledby": "r-title" }, h("h2", { id: "r-title" }, "Reports"), form, status, charts, tables);
}
