// Outside business hours: the line that tells the visitor the team is offline and when it is back,
// in the visitor's language and their own time zone (the gateway sends an absolute ISO time).

import type { Lang, Texts } from "./i18n";

/** "Our team is offline right now. We are back Monday, 30 November, 08:00." (no time: first part only) */
export function offlineNotice(t: Texts, lang: Lang, nextOpen: string | null): string {
  const at = nextOpen ? new Date(nextOpen) : null;
  if (!at || Number.isNaN(at.getTime())) return t.closedNow;
  const when = at.toLocaleString(lang === "de" ? "de-DE" : "en-GB", {
    weekday: "long", day: "numeric", month: "long", hour: "2-digit", minute: "2-digit",
  });
  return `${t.closedNow} ${t.opensAt(when)}`;
}
