// Sending a file: checked against the tenant's limits before a byte leaves (a 30 MB video should
// not upload for a minute only to be refused), then one multipart POST. The server's refusals
// (413 too large, 415 type not allowed) become sentences in the sender's language.

import { fileSize } from "./format";

export interface UploadLimits {
  /** Largest file the gateway takes, in bytes (0 = unknown: the server decides). */
  bytes: number;
  /** Accepted types: MIME types ("image/png"), families ("image/*") or extensions (".pdf"); empty = any. */
  types: string[];
}

export interface UploadTexts {
  /** `limit` is "" when the console does not know it. */
  tooLarge(name: string, limit: string): string;
  typeNotAllowed(name: string): string;
  failed: string;
  lang: string;
}

export type UploadResult = { ok: true; data: Record<string, any> } | { ok: false; error: string };

/** The `accept` attribute of a file input for these limits. */
export function acceptAttribute(limits: UploadLimits): string {
  return limits.types.join(",");
}

function typeAllowed(file: File, types: string[]): boolean {
  if (!types.length) return true;
  const mime = (file.type || "").toLowerCase();
  const name = file.name.toLowerCase();
  return types.some((raw) => {
    const t = raw.trim().toLowerCase();
    if (t.startsWith(".")) return name.endsWith(t);
    if (t.endsWith("/*")) return mime.startsWith(t.slice(0, -1));
    return mime === t;
  });
}

/** Why `file` cannot be sent, or null when it may. */
export function refusal(file: File, limits: UploadLimits, t: UploadTexts): string | null {
  if (limits.bytes > 0 && file.size > limits.bytes) return t.tooLarge(file.name, fileSize(limits.bytes, t.lang));
  if (!typeAllowed(file, limits.types)) return t.typeNotAllowed(file.name);
  return null;
}

/** POST `file` (with an optional caption) as multipart; the answer's JSON, or a sentence why not. */
export async function uploadFile(
  url: string,
  headers: Record<string, string>,
  file: File,
  fields: Record<string, string>,
  limits: UploadLimits,
  t: UploadTexts,
): Promise<UploadResult> {
  const body = new FormData();
  body.append("file", file, file.name);
  for (const [key, value] of Object.entries(fields)) body.append(key, value);
  let response: Response;
  try {
    response = await fetch(url, { method: "POST", headers: { Accept: "application/json", ...headers }, body, credentials: "omit" });
  } catch {
    return { ok: false, error: t.failed };
  }
  let data: any = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  if (response.ok) return { ok: true, data: data ?? {} };
  // Our own words for the refusals people can act on; the server's sentence for the rest.
  if (response.status === 413) return { ok: false, error: t.tooLarge(file.name, limits.bytes > 0 ? fileSize(limits.bytes, t.lang) : "") };
  if (response.status === 415) return { ok: false, error: t.typeNotAllowed(file.name) };
  const message = data?.error?.message;
  return { ok: false, error: typeof message === "string" && message && t.lang === "en" ? message : t.failed };
}
