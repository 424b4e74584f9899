// Every text the visitor sees, in German and English.

export type Lang = "de" | "en";

const en = {
  launcherOpen: "Chat with us",
  launcherClose: "Close chat",
  title: "Customer service",
  close: "Close",
  prechatIntro: "Tell us who you are and what it is about; an agent will be with you shortly.",
  name: "Your name",
  email: "Email (optional)",
  topic: "Topic",
  language: "Language",
  start: "Start chat",
  nameRequired: "Please enter your name.",
  emailInvalid: "Please enter a valid email address.",
  composerLabel: "Your message",
  composerPlaceholder: "Write a message…",
  charCounter: (n: number, limit: number) => `${n.toLocaleString("en-GB")} / ${limit.toLocaleString("en-GB")}`,
  tooLong: (n: number, limit: number) =>
    `Your message has ${n.toLocaleString("en-GB")} characters; the limit is ${limit.toLocaleString("en-GB")}. Please shorten it or send it in parts.`,
  send: "Send",
  messages: "Messages",
  sending: "Sending…",
  sent: "Sent",
  failed: "Not sent",
  retry: "Retry",
  you: "You",
  typing: (name: string) => `${name} is typing…`,
  agentFallback: "Agent",
  queuePosition: (n: number) => `You are number ${n} in line.`,
  ewt: (text: string) => `Estimated wait: ${text}.`,
  lessThanMinute: "less than a minute",
  minutes: (n: number) => (n === 1 ? "about 1 minute" : `about ${n} minutes`),
  waitingFirst: "Send a message to start; we will connect you with an agent.",
  assigned: (name: string) => `${name} has joined the conversation.`,
  closed: "This conversation has ended.",
  requeued: "Your agent was disconnected. You are back in line and the next free agent will continue.",
  transferred: "You are being transferred. The next free agent will continue the conversation.",
  newChat: "Start a new chat",
  longWait: "The wait is longer than usual. Would you rather continue another way?",
  noAgents: "No agent is online right now. We can answer by email or call you back.",
  byEmail: "Continue by email",
  callback: "Request a callback",
  phone: "Phone number",
  callbackAt: "Preferred time (optional)",
  submitEmail: "Answer me by email",
  submitCallback: "Call me back",
  cancel: "Cancel",
  escalatedEmail: (email: string) => `Thank you. We will answer by email to ${email}. We have sent the transcript of this chat there.`,
  escalatedCallback: (phone: string) => `Thank you. We will call you back at ${phone}.`,
  escalateFailed: "That did not work. Please try again.",
  phoneRequired: "Please enter a phone number.",
  offline: "You are offline. Messages will be sent when the connection is back.",
  reconnecting: "Connection lost. Reconnecting…",
  connectFailed: "The chat cannot connect right now.",
  unread: (n: number) => `${n} new`,
  attach: "Attach a file",
  uploading: (name: string) => `Sending ${name}…`,
  uploadTooLarge: (name: string, limit: string) => `${name} is too large to send${limit ? `; files up to ${limit} are accepted` : ""}.`,
  uploadType: (name: string) => `Files of this type cannot be sent (${name}). Please send an image or a PDF.`,
  uploadFailed: "The file could not be sent. Please try again.",
  fileLoading: "Loading file…",
  fileUnavailable: (reason: string) => `File unavailable: ${reason}`,
  fileTooLarge: (name: string, size: string) => `${name}${size ? ` (${size})` : ""} is too large to fetch`,
  fileFetchFailed: "it could not be loaded",
  openImage: (name: string) => `Open image ${name}`,
  fileFallback: "file",
};

export type Texts = typeof en;

const de: Texts = {
  launcherOpen: "Chatten Sie mit uns",
  launcherClose: "Chat schließen",
  title: "Kundenservice",
  close: "Schließen",
  prechatIntro: "Sagen Sie uns, wer Sie sind und worum es geht; gleich ist jemand für Sie da.",
  name: "Ihr Name",
  email: "E-Mail (optional)",
  topic: "Thema",
  language: "Sprache",
  start: "Chat starten",
  nameRequired: "Bitte geben Sie Ihren Namen ein.",
  emailInvalid: "Bitte geben Sie eine gültige E-Mail-Adresse ein.",
  composerLabel: "Ihre Nachricht",
  composerPlaceholder: "Nachricht schreiben…",
  charCounter: (n: number, limit: number) => `${n.toLocaleString("de-DE")} / ${limit.toLocaleString("de-DE")}`,
  tooLong: (n: number, limit: number) =>
    `Ihre Nachricht hat ${n.toLocaleString("de-DE")} Zeichen; erlaubt sind ${limit.toLocaleString("de-DE")}. Bitte kürzen Sie sie oder senden Sie sie in Teilen.`,
  send: "Senden",
  messages: "Nachrichten",
  sending: "Wird gesendet…",
  sent: "Gesendet",
  failed: "Nicht gesendet",
  retry: "Erneut senden",
  you: "Sie",
  typing: (name: string) => `${name} schreibt…`,
  agentFallback: "Mitarbeiter",
  queuePosition: (n: number) => `Sie sind an Position ${n} der Warteschlange.`,
  ewt: (text: string) => `Geschätzte Wartezeit: ${text}.`,
  lessThanMinute: "weniger als eine Minute",
  minutes: (n: number) => (n === 1 ? "etwa 1 Minute" : `etwa ${n} Minuten`),
  waitingFirst: "Schreiben Sie eine Nachricht; wir verbinden Sie dann mit jemandem aus dem Team.",
  assigned: (name: string) => `${name} ist dem Gespräch beigetreten.`,
  closed: "Dieses Gespräch wurde beendet.",
  requeued: "Die Verbindung zu Ihrem Ansprechpartner ist abgerissen. Sie sind wieder in der Warteschlange; gleich übernimmt jemand anderes.",
  transferred: "Sie werden weitergeleitet. Gleich übernimmt jemand anderes das Gespräch.",
  newChat: "Neuen Chat starten",
  longWait: "Die Wartezeit ist länger als üblich. Möchten Sie lieber anders weitermachen?",
  noAgents: "Gerade ist niemand online. Wir können per E-Mail antworten oder Sie zurückrufen.",
  byEmail: "Per E-Mail weiter",
  callback: "Rückruf anfordern",
  phone: "Telefonnummer",
  callbackAt: "Wunschzeit (optional)",
  submitEmail: "Per E-Mail antworten",
  submitCallback: "Bitte zurückrufen",
  cancel: "Abbrechen",
  escalatedEmail: (email: string) => `Danke. Wir antworten per E-Mail an ${email}. Den bisherigen Chatverlauf haben wir Ihnen dorthin geschickt.`,
  escalatedCallback: (phone: string) => `Danke. Wir rufen Sie unter ${phone} zurück.`,
  escalateFailed: "Das hat nicht geklappt. Bitte versuchen Sie es noch einmal.",
  phoneRequired: "Bitte geben Sie eine Telefonnummer ein.",
  offline: "Sie sind offline. Nachrichten werden gesendet, sobald die Verbindung wieder steht.",
  reconnecting: "Verbindung unterbrochen. Neuer Versuch…",
  connectFailed: "Der Chat kann gerade keine Verbindung herstellen.",
  unread: (n: number) => `${n} neu`,
  attach: "Datei anhängen",
  uploading: (name: string) => `${name} wird gesendet…`,
  uploadTooLarge: (name: string, limit: string) => `${name} ist zu groß zum Senden${limit ? `; erlaubt sind Dateien bis ${limit}` : ""}.`,
  uploadType: (name: string) => `Dateien dieser Art können nicht gesendet werden (${name}). Bitte senden Sie ein Bild oder ein PDF.`,
  uploadFailed: "Die Datei konnte nicht gesendet werden. Bitte versuchen Sie es noch einmal.",
  fileLoading: "Datei wird geladen…",
  fileUnavailable: (reason: string) => `Datei nicht verfügbar: ${reason}`,
  fileTooLarge: (name: string, size: string) => `${name}${size ? ` (${size})` : ""} ist zu groß zum Abrufen`,
  fileFetchFailed: "sie konnte nicht geladen werden",
  openImage: (name: string) => `Bild ${name} öffnen`,
  fileFallback: "Datei",
};

export const TEXTS: Record<Lang, Texts> = { de, en };

/** The visitor's language from the browser: German when it prefers German, else English. */
export function browserLanguage(available: string[] = ["de", "en"]): Lang {
  const preferred = [...(navigator.languages ?? []), navigator.language].filter(Boolean);
  for (const tag of preferred) {
    const base = tag.toLowerCase().slice(0, 2);
    if ((base === "de" || base === "en") && available.includes(base)) return base;
  }
  return available.includes("en") ? "en" : ((available[0] as Lang) ?? "en");
}

/** A wait in seconds as words ("about 3 minutes"). */
export function waitText(t: Texts, seconds: number): string {
  if (seconds < 60) return t.lessThanMinute;
  return t.minutes(Math.round(seconds / 60));
}
