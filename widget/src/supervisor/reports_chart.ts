// A line chart over a report's intervals (one point per interval, gaps where a figure is unknown),
// drawn like the live waiting chart (chart.ts) and sharing its colours and scale.

import { h, svg } from "../shared/dom";
import { COLORS, niceMax } from "./chart";

const W = 640;
const H = 200;
const PAD = { left: 40, right: 12, top: 10, bottom: 24 };

export interface Series {
  id: string;
  label: string;
  points: (number | null)[];
}

/** `labels`: one per interval (shown thinned out on the x axis); `max`: a fixed top (1 for ratios). */
export function seriesChart(title: string, labels: string[], series: Series[], format: (v: number) => string, max?: number): HTMLElement {
  const n = Math.max(1, labels.length);
  let highest = 0;
  for (const s of series) for (const v of s.points) if (v !== null) highest = Math.max(highest, v);
  const top = max ?? niceMax(highest);
  const x = (i: number) => PAD.left + (n === 1 ? 0.5 : i / (n - 1)) * (W - PAD.left - PAD.right);
  const y = (v: number) => H - PAD.bottom - (v / top) * (H - PAD.top - PAD.bottom);

  const grid: SVGElement[] = [];
  for (let i = 0; i <= 4; i++) {
    const v = (top / 4) * i;
    grid.push(svg("line", { x1: PAD.left, x2: W - PAD.right, y1: y(v), y2: y(v), class: "grid" }));
    grid.push(svg("text", { x: PAD.left - 6, y: y(v) + 4, class: "tick", "text-anchor": "end" }, format(v)));
  }
  const every = Math.max(1, Math.ceil(n / 8));
  labels.forEach((label, i) => {
    if (i % every === 0) grid.push(svg("text", { x: x(i), y: H - 6, class: "tick", "text-anchor": "middle" }, label));
  });

  const lines = series.map((s, k) => {
    // an unknown figure (no contact in that interval) breaks the line
    let d = "";
    let pen = false;
    s.points.forEach((v, i) => {
      if (v === null) {
        pen = false;
        return;
      }
      d += `${pen ? "L" : "M"}${x(i).toFixed(1)},${y(v).toFixed(1)} `;
      pen = true;
    });
    const dots = s.points.map((v, i) => (v === null ? null : svg("circle", { cx: x(i), cy: y(v), r: 2, fill: COLORS[k % COLORS.length] })));
    return svg("g", { "data-series": s.id }, svg("path", { d: d.trim(), fill: "none", stroke: COLORS[k % COLORS.length], "stroke-width": 2 }), dots);
  });

  const chart = svg("svg", { viewBox: `0 0 ${W} ${H}`, class: "chart", role: "img", "aria-label": title }, svg("title", null, title), grid, lines);
  const legend = h(
    "ul",
    { class: "legend" },
    series.map((s, k) => h("li", null, h("span", { class: "swatch", style: `background:${COLORS[k % COLORS.length]}` }), s.label)),
  );
  return h("div", { class: "chart-box" }, chart, legend);
}
