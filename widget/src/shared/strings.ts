// The texts of the shared parts of the agent console and the supervisor dashboard (the login form,
// channel names, the language switch, files and uploads), in English and German. The widget has
// its own table (widget/i18n.ts) and passes its own texts to the shared modules it uses.

import type { AttachmentTexts } from "./attachments";
import { texts } from "./i18n";
import type { UploadTexts } from "./upload";

interface SharedTexts {
  lang: "en" | "de";
  locale: string;
  login: string;
  username: string;
  password: string;
  notSupervisor: string;
  notAgent: string;
  wrongLogin: string;
  tooManyAttempts: string;
  unreachable: string;
  /** The switch's label; each language's name is written in that language. */
  language: string;
  languageNames: Record<"en" | "de", string>;
  channels: Record<string, string>;
  attachments: AttachmentTexts;
  upload: UploadTexts;
}

const en: SharedTexts = {
  lang: "en",
  locale: "en-GB",
  login: "Log in",
  username: "Username",
  password: "Password",
  notSupervisor: "This login is not a supervisor.",
  notAgent: "This login is not an agent.",
  wrongLogin: "Wrong username or password.",
  tooManyAttempts: "Too many attempts. Wait a minute.",
  unreachable: "The server cannot be reached.",
  language: "Language",
  languageNames: { en: "English", de: "Deutsch" },
  channels: {
    widget: "Web chat",
    chat: "Chat",
    telegram: "Telegram",
    whatsapp: "WhatsApp",
    messenger: "Messenger",
    slack: "Slack",
    email: "Email",
    voice: "Phone",
    messaging: "Messaging",
    webhook: "Webhook",
  },
  attachments: {
    loading: "Loading file…",
    unavailable: (reason) => `File unavailable: ${reason}`,
    tooLarge: (name, size) => `${name}${size ? ` (${size})` : ""} is too large to fetch`,
    fetchFailed: "the gateway could not serve it",
    openImage: (name) => `Open image ${name}`,
    fallbackName: "file",
    lang: "en",
  },
  upload: {
    tooLarge: (name, limit) => `${name} is too large to send${limit ? `; files up to ${limit} are accepted` : ""}.`,
    typeNotAllowed: (name) => `Files of this type cannot be sent (${name}). Send an image, a PDF or another accepted type.`,
    failed: "The file could not be uploaded. Please try again.",
    lang: "en",
  },
};

const de: SharedTexts = {
  lang: "de",
  locale: "de-DE",
  login: "Anmelden",
  username: "Benutzername",
  password: "Passwort",
  notSupervisor: "Diese Anmeldung gehört zu keinem Supervisor.",
  notAgent: "Diese Anmeldung gehört zu keinem Agenten.",
  wrongLogin: "Benutzername oder Passwort ist falsch.",
  tooManyAttempts: "Zu viele Versuche. Warten Sie eine Minute.",
  unreachable: "Der Server ist nicht erreichbar.",
  language: "Sprache",
  languageNames: { en: "English", de: "Deutsch" },
  channels: {
    widget: "Web-Chat",
    chat: "Chat",
    telegram: "Telegram",
    whatsapp: "WhatsApp",
    messenger: "Messenger",
    slack: "Slack",
    email: "E-Mail",
    voice: "Telefon",
    messaging: "Messenger",
    webhook: "Webhook",
  },
  attachments: {
    loading: "Datei wird geladen…",
    unavailable: (reason) => `Datei nicht verfügbar: ${reason}`,
    tooLarge: (name, size) => `${name}${size ? ` (${size})` : ""} ist zu groß zum Abrufen`,
    fetchFailed: "das Gateway konnte sie nicht liefern",
    openImage: (name) => `Bild ${name} öffnen`,
    fallbackName: "Datei",
    lang: "de",
  },
  upload: {
    tooLarge: (name, limit) => `${name} ist zu groß zum Senden${limit ? `; erlaubt sind Dateien bis ${limit}` : ""}.`,
    typeNotAllowed: (name) =>
      `Dateien dieses Typs können nicht gesendet werden (${name}). Senden Sie ein Bild, ein PDF oder einen anderen erlaubten Typ.`,
    failed: "Die Datei konnte nicht hochgeladen werden. Bitte versuchen Sie es erneut.",
    lang: "de",
  },
};

/** The shared texts in the person's language (read when drawn: only the consoles call this). */
export function sharedTexts(): SharedTexts {
  return texts({ en, de });
}
