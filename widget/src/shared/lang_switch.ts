// The language switch of the agent console and the supervisor dashboard (header and login form):
// English or Deutsch, remembered in this browser. The page reloads to redraw every text; the login
// lives in sessionStorage, so it survives the reload.

import { h } from "./dom";
import { CONSOLE_LANGS, consoleLang, setConsoleLang, type ConsoleLang } from "./i18n";
import { sharedTexts } from "./strings";

/** A labelled <select> with the two languages, each named in its own language. */
export function langSwitch(id = "console-lang"): HTMLElement {
  const t = sharedTexts();
  const current = consoleLang();
  const select = h(
    "select",
    { id, class: "lang-switch", "data-action": "language", "aria-label": t.language },
    CONSOLE_LANGS.map((lang) => h("option", { value: lang, lang, selected: lang === current }, t.languageNames[lang])),
  );
  select.addEventListener("change", () => {
    const chosen = select.value as ConsoleLang;
    if (chosen === current) return;
    setConsoleLang(chosen);
    location.reload();
  });
  return h("label", { class: "lang-field", for: id, title: t.language }, select);
}
