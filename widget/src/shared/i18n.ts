// The language of the agent console, the supervisor dashboard and the admin screens: the person's
// own choice (remembered in this browser), else the browser's language; German and English.
// Each page keeps its own table of texts (agent/strings.ts, supervisor/strings.ts, admin/strings.ts)
// with the same keys in both languages, and reads it through texts().

export type ConsoleLang = "en" | "de";
export const CONSOLE_LANGS: readonly ConsoleLang[] = ["en", "de"];

const STORAGE_KEY = "omnirelay.console.lang";

function stored(): ConsoleLang | null {
  try {
    const v = localStorage.getItem(STORAGE_KEY);
    return v === "de" || v === "en" ? v : null;
  } catch {
    return null; // storage blocked: fall back to the browser's language
  }
}

/** The language texts are shown in now. */
export function consoleLang(): ConsoleLang {
  const chosen = stored();
  if (chosen) return chosen;
  const nav = (navigator.languages?.[0] || navigator.language || "en").toLowerCase();
  return nav.startsWith("de") ? "de" : "en";
}

/** Remember the person's choice; the page re-renders its texts by reloading. */
export function setConsoleLang(lang: ConsoleLang): void {
  try {
    localStorage.setItem(STORAGE_KEY, lang);
  } catch {
    // storage blocked: the choice lasts for this page only
  }
  document.documentElement.lang = lang;
}

/** The table of texts for the current language (``tables.en`` fixes the keys ``de`` must have). */
export function texts<T>(tables: { en: T; de: T }): T {
  const lang = consoleLang();
  document.documentElement.lang = lang;
  return tables[lang];
}
