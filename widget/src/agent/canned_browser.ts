// The canned-answer browser: a dialog listing all the tenant's canned answers, grouped by topic,
// the conversation's language first (a switch shows the others), with a search over title and
// text. Choosing one inserts it at the composer's caret the way the "/" picker does; Escape
// closes and the composer has the focus again.

import { h, replace } from "../shared/dom";
import type { Canned } from "./types";
import { t } from "./strings";

/** A canned answer as /api/v1/canned may send it: with the topic it answers, when it has one. */
type Answer = Canned & { topic?: string };

const PREVIEW_CHARS = 110;

/** The first ``PREVIEW_CHARS`` characters of ``text`` on one line, cut at a word. */
function preview(text: string): string {
  const line = text.replace(/\s+/g, " ").trim();
  if (line.length <= PREVIEW_CHARS) return line;
  const cut = line.slice(0, PREVIEW_CHARS);
  const space = cut.lastIndexOf(" ");
  return `${(space > PREVIEW_CHARS / 2 ? cut.slice(0, space) : cut).replace(/[\s.,;:!?–-]+$/, "")}…`;
}

export interface CannedBrowserTargets {
  /** The tenant's canned answers (loaded by the console). */
  answers(): Canned[];
  /** The open conversation's language ("" when unknown: all languages are shown). */
  language(): string;
  /** A topic's name in the agent's language (its id when the console does not know it). */
  topicName(id: string): string;
  /** An answer's text with its placeholders filled for the open conversation. */
  fill(text: string): string;
  /** Put the chosen answer into the composer (called once the dialog is closed). */
  choose(c: Canned): void;
  /** Closed without a choice: back to the composer. */
  cancelled(): void;
}

export class CannedBrowser {
  /** The button beside the composer that opens the browser. */
  readonly button = h(
    "button",
    { class: "btn canned-open", type: "button", "data-action": "canned-browser", "aria-haspopup": "dialog" },
    t.cannedAnswers,
  );

  constructor(private readonly targets: CannedBrowserTargets) {
    this.button.addEventListener("click", () => this.open());
  }

  /** Open the dialog with the search box focused. */
  open(): void {
    const lang = this.targets.language();
    const search = h("input", { id: "canned-search", type: "search", autocomplete: "off", placeholder: t.cannedSearchPlaceholder });
    const all = h("input", { id: "canned-all-languages", type: "checkbox", "data-action": "canned-all-languages" });
    const count = h("p", { class: "canned-count muted", role: "status" });
    const results = h("div", { class: "canned-groups" });
    const dialog = h("dialog", { class: "canned-browser", "aria-labelledby": "canned-browser-title" });
    let chosen: Canned | null = null;

    const pick = (c: Canned) => {
      chosen = c;
      dialog.close();
    };
    const draw = () => {
      const query = search.value.trim().toLowerCase();
      const shown = (this.targets.answers() as Answer[])
        .filter((c) => all.checked || !lang || !c.language || c.language === lang)
        .filter((c) => !query || c.title.toLowerCase().includes(query) || c.text.toLowerCase().includes(query));
      count.textContent = t.cannedCount(shown.length);
      replace(results, shown.length ? this.groups(shown, lang, pick) : h("p", { class: "muted" }, t.cannedNoMatch));
    };
    search.addEventListener("input", draw);
    all.addEventListener("change", draw);
    // Enter in the search box takes the first answer shown; the arrows walk the list.
    search.addEventListener("keydown", (ev) => {
      if (ev.key === "Enter") {
        ev.preventDefault();
        results.querySelector<HTMLButtonElement>(".canned-entry")?.click();
      } else if (ev.key === "ArrowDown") {
        ev.preventDefault();
        results.querySelector<HTMLButtonElement>(".canned-entry")?.focus();
      }
    });
    results.addEventListener("keydown", (ev) => arrows(ev, results, search));

    dialog.append(
      h("h2", { id: "canned-browser-title" }, t.cannedAnswers),
      h(
        "div",
        { class: "canned-tools" },
        h("label", { for: "canned-search" }, t.cannedSearch),
        search,
        lang ? h("label", { class: "canned-all", for: "canned-all-languages" }, all, t.cannedAllLanguages(lang.toUpperCase())) : null,
      ),
      count,
      results,
      h("div", { class: "row" }, h("button", { class: "btn", type: "button", onclick: () => dialog.close() }, t.close)),
    );
    dialog.addEventListener("close", () => {
      dialog.remove();
      if (chosen) this.targets.choose(chosen);
      else this.targets.cancelled();
    });
    if (!lang) all.checked = true;
    draw();
    document.body.append(dialog);
    dialog.showModal();
    search.focus();
  }

  /** One section per topic (by name, "Other" last), the conversation's language first in each. */
  private groups(shown: Answer[], lang: string, pick: (c: Canned) => void): HTMLElement[] {
    const byTopic = new Map<string, Answer[]>();
    for (const c of shown) {
      const topic = c.topic || "";
      byTopic.set(topic, [...(byTopic.get(topic) ?? []), c]);
    }
    const name = (topic: string) => (topic ? this.targets.topicName(topic) : t.cannedOther);
    const topics = [...byTopic.keys()].sort((a, b) =>
      Number(!a) - Number(!b) || name(a).localeCompare(name(b), t.locale));
    return topics.map((topic, i) => {
      const entries = byTopic.get(topic)!
        .slice()
        .sort((a, b) => Number(b.language === lang) - Number(a.language === lang) || a.title.localeCompare(b.title, t.locale));
      return h(
        "section",
        { class: "canned-group", "aria-labelledby": `canned-group-${i}`, "data-topic": topic },
        h("h3", { id: `canned-group-${i}` }, name(topic)),
        h("ul", null, entries.map((c) => h("li", null, this.entry(c, pick)))),
      );
    });
  }

  private entry(c: Canned, pick: (c: Canned) => void): HTMLButtonElement {
    return h(
      "button",
      { class: "canned-entry", type: "button", "data-canned-id": c.id, onclick: () => pick(c) },
      h("span", { class: "canned-entry-head" },
        h("strong", { class: "canned-title" }, c.title),
        c.language ? h("span", { class: "pill" }, c.language.toUpperCase()) : null),
      h("span", { class: "canned-preview" }, preview(this.targets.fill(c.text))),
    );
  }
}

/** Up and down between the answers; up from the first goes back to the search box. */
function arrows(ev: KeyboardEvent, results: HTMLElement, search: HTMLInputElement): void {
  if (ev.key !== "ArrowDown" && ev.key !== "ArrowUp") return;
  const entries = [...results.querySelectorAll<HTMLButtonElement>(".canned-entry")];
  const at = entries.indexOf(document.activeElement as HTMLButtonElement);
  if (at < 0) return;
  ev.preventDefault();
  const next = at + (ev.key === "ArrowDown" ? 1 : -1);
  if (next < 0) search.focus();
  else entries[Math.min(next, entries.length - 1)].focus();
}
