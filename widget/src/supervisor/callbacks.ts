// The voice callback figures per queue: today (tenant time zone) and the last 15 minutes.

import { h } from "../shared/dom";
import { duration } from "../shared/format";
import type { CallbackFigures, CallbackRow } from "./types";
import { t } from "./strings";

function pair(today: string, window: string): HTMLTableCellElement {
  return h("td", { class: "num" }, today, h("span", { class: "muted" }, ` / ${window}`));
}

function count(f: CallbackFigures, key: "requests" | "cancelled" | "reached" | "failed"): string {
  return String(f?.[key] ?? 0);
}

function secs(v: number | null | undefined): string {
  return v === null || v === undefined ? "–" : duration(v);
}

function ratio(v: number | null | undefined): string {
  return v === null || v === undefined ? "–" : v.toLocaleString(t.locale, { minimumFractionDigits: 1, maximumFractionDigits: 1 });
}

export function callbackTable(rows: CallbackRow[], queueNames: Record<string, string>): HTMLElement {
  const head = t.callbackHead;
  return h(
    "table",
    { class: "grid-table callbacks", "aria-label": t.callbackCaption },
    h("thead", null, h("tr", null, head.map((t) => h("th", { scope: "col" }, t)))),
    h(
      "tbody",
      null,
      rows.map((r) =>
        h(
          "tr",
          { "data-queue": r.queue },
          h("th", { scope: "row" }, queueNames[r.queue] ?? r.queue),
          h("td", { class: "num" }, String(r.open ?? 0)),
          pair(count(r.today, "requests"), count(r.last_15m, "requests")),
          pair(count(r.today, "cancelled"), count(r.last_15m, "cancelled")),
          pair(count(r.today, "reached"), count(r.last_15m, "reached")),
          pair(count(r.today, "failed"), count(r.last_15m, "failed")),
          pair(ratio(r.today?.attempts_per_reached), ratio(r.last_15m?.attempts_per_reached)),
          pair(secs(r.today?.first_attempt_median_s), secs(r.last_15m?.first_attempt_median_s)),
          pair(secs(r.today?.first_attempt_p90_s), secs(r.last_15m?.first_attempt_p90_s)),
        ),
      ),
    ),
  );
}
