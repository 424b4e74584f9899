// What the console says when the server refuses something. Acks carry {error: {code, message}};
// known codes get a sentence written for agents (the raw message can be as bare as an agent id),
// anything else falls back to the server's message, made a sentence.

import { t } from "./strings";

export interface AckError {
  code?: string;
  message?: string;
}


/** A sentence for an ack's error; `fallback` when it has neither a known code nor a message. */
export function errorSentence(error: AckError | null | undefined, fallback = t.didNotWork): string {
  const known = error?.code ? t.errors[error.code] : undefined;
  if (known) return known;
  // The server words its messages in English: a German console says its own sentence instead.
  return (t.lang === "en" ? sentence(error?.message ?? "") : "") || fallback;
}

function sentence(text: string): string {
  const t = text.trim();
  if (!t) return "";
  const first = t.charAt(0).toUpperCase() + t.slice(1);
  return /[.!?]$/.test(first) ? first : `${first}.`;
}
