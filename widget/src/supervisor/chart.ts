// Waiting contacts per queue over the last 30 minutes, as a small inline SVG line chart.

import { h, svg } from "../shared/dom";
import { t } from "./strings";

const WINDOW_S = 30 * 60;
const W = 640;
const H = 200;
const PAD = { left: 34, right: 12, top: 10, bottom: 24 };
export const COLORS = ["#1f5fbf", "#d9731a", "#2f9e5b", "#9c3fb8", "#c0392b", "#1a9aa8"];

export function niceMax(value: number): number {
  if (value <= 4) return 4;
  const step = 10 ** Math.floor(Math.log10(value));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * step >= value) return m * step;
  return 10 * step;
}

/** The chart plus its legend. `series` maps queue id to [ts, waiting] points. */
export function waitingChart(series: Record<string, [number, number][]>, names: Record<string, string>, now: number): HTMLElement {
  const start = now - WINDOW_S;
  const ids = Object.keys(series).sort();
  let max = 0;
  for (const id of ids) for (const [ts, n] of series[id]) if (ts >= start) max = Math.max(max, n);
  const top = niceMax(max);
  const x = (ts: number) => PAD.left + ((ts - start) / WINDOW_S) * (W - PAD.left - PAD.right);
  const y = (n: number) => H - PAD.bottom - (n / top) * (H - PAD.top - PAD.bottom);

  const grid: SVGElement[] = [];
  for (let i = 0; i <= 4; i++) {
    const v = (top / 4) * i;
    grid.push(svg("line", { x1: PAD.left, x2: W - PAD.right, y1: y(v), y2: y(v), class: "grid" }));
    grid.push(svg("text", { x: PAD.left - 6, y: y(v) + 4, class: "tick", "text-anchor": "end" }, (Math.round(v * 10) / 10).toLocaleString(t.locale)));
  }
  for (let m = 30; m >= 0; m -= 5) {
    const ts = now - m * 60;
    grid.push(svg("text", { x: x(ts), y: H - 6, class: "tick", "text-anchor": "middle" }, m ? t.minutesAgo(m) : t.now));
  }

  const lines = ids.map((id, i) => {
    const points = series[id].filter(([ts]) => ts >= start - 60).sort((a, b) => a[0] - b[0]);
    // Waiting counts hold until the next sample: draw steps.
    const coords: string[] = [];
    let previous: number | null = null;
    for (const [ts, n] of points) {
      const px = Math.max(PAD.left, x(ts));
      if (previous !== null) coords.push(`${px.toFixed(1)},${y(previous).toFixed(1)}`);
      coords.push(`${px.toFixed(1)},${y(n).toFixed(1)}`);
      previous = n;
    }
    if (previous !== null) coords.push(`${x(now).toFixed(1)},${y(previous).toFixed(1)}`);
    return svg("polyline", { points: coords.join(" "), fill: "none", stroke: COLORS[i % COLORS.length], "stroke-width": 2, "data-queue": id });
  });

  const label = ids.map((id) => t.waitingLabel(names[id] ?? id, lastValue(series[id]))).join(", ");
  const chart = svg(
    "svg",
    { viewBox: `0 0 ${W} ${H}`, class: "chart", role: "img", "aria-label": t.chartLabel(label) },
    svg("title", null, t.chartTitle),
    grid,
    lines,
  );
  const legend = h(
    "ul",
    { class: "legend" },
    ids.map((id, i) =>
      h("li", null, h("span", { class: "swatch", style: `background:${COLORS[i % COLORS.length]}` }), names[id] ?? id),
    ),
  );
  return h("div", { class: "chart-box" }, chart, legend);
}

function lastValue(points: [number, number][]): number {
  return points.length ? points[points.length - 1][1] : 0;
}
