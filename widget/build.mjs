// Builds the front ends into ../gateway/static/, which the gateway serves:
//   widget.js (at /widget.js), demo.html (/demo), agent.html (/agent), supervisor.html
//   (/supervisor), admin.html (/admin), and the rest at /static/<name>. `--watch` rebuilds on change.
import { build, context } from "esbuild";
import { copyFile, mkdir, readdir, readFile, stat, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const here = dirname(fileURLToPath(import.meta.url));
const out = resolve(here, "../gateway/static");
const watch = process.argv.includes("--watch");
const WIDGET_BUDGET = 40 * 1024;

const common = {
  bundle: true,
  minify: !watch,
  sourcemap: watch ? "inline" : false,
  target: ["es2019", "chrome80", "firefox78", "safari13"],
  logLevel: "warning",
  legalComments: "none",
};

const bundles = [
  // The widget runs on other people's pages: one self-contained IIFE, CSS inside.
  { ...common, entryPoints: [join(here, "src/widget/index.ts")], outfile: join(out, "widget.js"), format: "iife" },
  { ...common, entryPoints: [join(here, "src/agent/main.ts")], outfile: join(out, "agent.js"), format: "iife" },
  { ...common, entryPoints: [join(here, "src/supervisor/main.ts")], outfile: join(out, "supervisor.js"), format: "iife" },
  { ...common, entryPoints: [join(here, "src/admin/main.ts")], outfile: join(out, "admin.js"), format: "iife" },
  {
    ...common,
    entryPoints: [join(here, "src/agent/agent.css"), join(here, "src/supervisor/supervisor.css"), join(here, "src/admin/admin.css")],
    outdir: out,
    entryNames: "[name]",
  },
].map((b) => ({ ...b, entryPoints: b.entryPoints.filter((p) => existsSync(p)) }))
  .filter((b) => b.entryPoints.length);

async function copyPages() {
  const pages = join(here, "pages");
  for (const name of await readdir(pages)) await copyFile(join(pages, name), join(out, name));
}

async function report() {
  const rows = [];
  for (const name of (await readdir(out)).sort()) {
    const path = join(out, name);
    if (!(await stat(path)).isFile() || name.startsWith(".")) continue;
    const data = await readFile(path);
    rows.push([name, data.length, gzipSync(data, { level: 9 }).length]);
  }
  const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
  console.log("built into gateway/static/:");
  for (const [name, raw, gz] of rows) console.log(`  ${name.padEnd(18)} ${kb(raw).padStart(9)}   gzip ${kb(gz).padStart(8)}`);
  const widget = rows.find(([name]) => name === "widget.js");
  if (widget) {
    const [, , gz] = widget;
    console.log(`widget.js gzipped: ${kb(gz)} (budget ${kb(WIDGET_BUDGET)})${gz > WIDGET_BUDGET ? "  OVER BUDGET" : ""}`);
  }
}

await mkdir(out, { recursive: true });
if (watch) {
  for (const options of bundles) await (await context(options)).watch();
  await copyPages();
  console.log("watching widget/src; pages are copied once (re-run for page changes)");
} else {
  await Promise.all(bundles.map((options) => build(options)));
  await copyPages();
  await writeFile(join(out, ".built"), new Date().toISOString() + "\n");
  await report();
}
