// Form parts of the assist settings (issue 14): example messages per language, one per line
// (topics), and a group of checkboxes (queues for automatic use, excluded topics).

import { h } from "../shared/dom";
import type { Form } from "./form";
import { T } from "./strings";

const MAX_EXAMPLES_CHARS = 20_000;

/** The non-empty lines of a textarea, trimmed. */
export function lines(text: string): string[] {
  return text.split("\n").map((line) => line.trim()).filter(Boolean);
}

export interface ExamplesInput {
  /** The fields, one labelled textarea per language. */
  el: HTMLElement;
  /** The examples of the languages that have any. */
  read(): Record<string, string[]>;
}

/** One textarea per language (``key``.``lang`` for errors), filled from ``current``. */
export function examplesInput(form: Form, key: string, langs: string[], current: Record<string, string[]>, label: (lang: string) => string): ExamplesInput {
  const t = T();
  const areas = langs.map((lang) => {
    const area = h("textarea", { rows: 4, maxlength: MAX_EXAMPLES_CHARS, class: "examples", "data-lang": lang });
    area.value = (current[lang] ?? []).join("\n");
    return { lang, area, field: form.field(`${key}.${lang}`, label(t.language(lang)), area, t.examplesHint) };
  });
  return {
    el: h("div", { class: "form-grid examples-grid" }, areas.map((a) => a.field)),
    read() {
      const out: Record<string, string[]> = {};
      for (const a of areas) {
        const list = lines(a.area.value);
        if (list.length) out[a.lang] = list;
      }
      return out;
    },
  };
}

/** Checkboxes under a legend (``key`` for errors); ``values`` reads the checked ones. */
export function checkGroup(form: Form, key: string, legend: string, options: { id: string; name: string }[], checked: string[], hint = "") {
  const boxes = options.map((o) => ({ id: o.id, box: h("input", { type: "checkbox", value: o.id, checked: checked.includes(o.id) }) }));
  const el = form.group(key, legend,
    hint ? h("p", { class: "hint" }, hint) : null,
    options.length
      ? h("div", { class: "checks" }, boxes.map(({ box }, i) => h("label", { class: "inline" }, box, " ", options[i].name)))
      : h("p", { class: "muted" }, T().none),
  );
  return { el, values: () => boxes.filter((b) => b.box.checked).map((b) => b.id) };
}
