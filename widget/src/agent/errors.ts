// What the console says when the server refuses something. Acks carry {error: {code, message}};
// known codes get a sentence written for agents (the raw message can be as bare as an agent id),
// anything else falls back to the server's message, made a sentence.

export interface AckError {
  code?: string;
  message?: string;
}

const SENTENCES: Record<string, string> = {
  offline: "You are not connected. Try again once the console shows Connected.",
  timeout: "The server did not answer in time. Please try again.",
  unauthorized: "Your session has ended. Please log in again.",
  agent_unavailable: "That agent is not available right now. Choose an agent who is online, or a queue.",
  unknown_agent: "That agent does not exist (any more). Choose another agent or a queue.",
  unknown_queue: "That queue does not exist (any more). Choose another queue.",
  unknown_task: "This conversation no longer exists.",
  not_found: "It was not found; it may have been removed meanwhile. Reload the console if this persists.",
  forbidden: "This conversation is no longer assigned to you.",
  not_your_task: "This conversation is no longer assigned to you.",
  not_your_offer: "This offer was meant for another agent.",
  offer_gone: "This offer is no longer available: it expired or went to another agent.",
  over_capacity: "You have no free slot for this channel. Finish a conversation first.",
  invalid_state: "That is not possible in the conversation's current state.",
  closed: "The conversation has already ended.",
  rate_limited: "Too many requests in a short time. Wait a few seconds and try again.",
  unavailable: "The server cannot store anything right now; nothing was changed. Try again in a moment.",
  window_closed:
    "The reply window has closed: the platform takes no free text until the customer writes again. Send the template or continue by email.",
  too_large: "The file is too large to send.",
  unsupported_type: "Files of this type cannot be sent.",
  bad_email: "Enter a valid email address.",
  bad_phone: "Enter a valid phone number, e.g. +49 30 1234567.",
};

/** A sentence for an ack's error; `fallback` when it has neither a known code nor a message. */
export function errorSentence(error: AckError | null | undefined, fallback = "That did not work. Please try again."): string {
  const known = error?.code ? SENTENCES[error.code] : undefined;
  if (known) return known;
  return sentence(error?.message ?? "") || fallback;
}

function sentence(text: string): string {
  const t = text.trim();
  if (!t) return "";
  const first = t.charAt(0).toUpperCase() + t.slice(1);
  return /[.!?]$/.test(first) ? first : `${first}.`;
}
