// Small formatting helpers shared by the three front ends.

/** Wall-clock time of an epoch-seconds timestamp, e.g. "14:05". */
export function clockTime(ts: number, lang = "en"): string {
  return new Date(ts * 1000).toLocaleTimeString(lang === "de" ? "de-DE" : "en-GB", {
    hour: "2-digit",
    minute: "2-digit",
  });
}

/** A date and time, for earlier conversations. */
export function dateTime(ts: number, lang = "en"): string {
  return new Date(ts * 1000).toLocaleString(lang === "de" ? "de-DE" : "en-GB", {
    day: "2-digit",
    month: "short",
    hour: "2-digit",
    minute: "2-digit",
  });
}

/** Seconds as "m:ss" (or "h:mm:ss"), for timers and waits. */
export function duration(totalSeconds: number): string {
  const s = Math.max(0, Math.floor(totalSeconds));
  const hours = Math.floor(s / 3600);
  const minutes = Math.floor((s % 3600) / 60);
  const seconds = String(s % 60).padStart(2, "0");
  return hours > 0 ? `${hours}:${String(minutes).padStart(2, "0")}:${seconds}` : `${minutes}:${seconds}`;
}

/** Percentage of a 0..1 ratio, or "–" when unknown. */
export function percent(ratio: number | null | undefined): string {
  return ratio === null || ratio === undefined || Number.isNaN(ratio) ? "–" : `${Math.round(ratio * 100)} %`;
}

/** A random id for a message the client sends (the server dedupes resends by it). */
export function clientId(): string {
  if (typeof crypto !== "undefined" && typeof crypto.randomUUID === "function") return crypto.randomUUID();
  return `c-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 12)}`;
}

/** A file size in words people read: "512 B", "1.4 MB". */
export function fileSize(bytes: number | null | undefined, lang = "en"): string {
  if (bytes === null || bytes === undefined || !(bytes >= 0)) return "";
  const units = ["B", "KB", "MB", "GB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const digits = unit === 0 || value >= 10 ? 0 : 1;
  return `${value.toLocaleString(lang === "de" ? "de-DE" : "en-GB", { maximumFractionDigits: digits })} ${units[unit]}`;
}

export function nowSeconds(): number {
  return Date.now() / 1000;
}
