// The texts of the CRM section of the customer panel and of the deep link, in English and German
// (the console's language, shared/i18n.ts). Kept apart from strings.ts: one feature, one table.

import { texts } from "../shared/i18n";

const en = {
  title: "CRM",
  loading: "Looking the customer up…",
  unavailable: "CRM unavailable",
  unavailableTitle: (reason: string) => `The CRM lookup failed (${reason}). Try again later.`,
  notFound: "Not known in the CRM.",
  nothing: "The CRM has nothing to show.",
  open: "Open",
  openTitle: (url: string) => `Open ${url} in a new tab`,
  yes: "yes",
  no: "no",
  priority: (p: number) => `Priority +${p}`,
  reasons: {
    http_error: "the CRM answered with an error",
    not_json: "the answer was not JSON",
    wrong_shape: "the answer had the wrong shape",
    too_large: "the answer was too large",
    timeout: "the CRM did not answer in time",
    unreachable: "the CRM could not be reached",
    no_secret: "no signing secret is configured",
  } as Record<string, string>,
  // the deep link /agent#conversation=<id>
  linkOffered: "This conversation is offered to you: accept it to open it.",
  linkReadOnly: "This conversation is not assigned to you: shown read-only.",
  linkRefused: "This conversation cannot be opened: it does not exist, or you may not see it.",
};

export type CrmTexts = typeof en;

const de: CrmTexts = {
  title: "CRM",
  loading: "Kunde wird nachgeschlagen…",
  unavailable: "CRM nicht erreichbar",
  unavailableTitle: (reason: string) => `Die CRM-Abfrage ist fehlgeschlagen (${reason}). Versuchen Sie es später erneut.`,
  notFound: "Im CRM nicht bekannt.",
  nothing: "Das CRM hat nichts anzuzeigen.",
  open: "Öffnen",
  openTitle: (url: string) => `${url} in einem neuen Tab öffnen`,
  yes: "ja",
  no: "nein",
  priority: (p: number) => `Priorität +${p}`,
  reasons: {
    http_error: "das CRM hat mit einem Fehler geantwortet",
    not_json: "die Antwort war kein JSON",
    wrong_shape: "die Antwort hatte die falsche Form",
    too_large: "die Antwort war zu groß",
    timeout: "das CRM hat nicht rechtzeitig geantwortet",
    unreachable: "das CRM war nicht erreichbar",
    no_secret: "kein Signaturschlüssel konfiguriert",
  },
  linkOffered: "Dieses Gespräch wird Ihnen angeboten: Nehmen Sie es an, um es zu öffnen.",
  linkReadOnly: "Dieses Gespräch ist Ihnen nicht zugewiesen: nur zum Lesen angezeigt.",
  linkRefused: "Dieses Gespräch lässt sich nicht öffnen: Es existiert nicht, oder Sie dürfen es nicht sehen.",
};

/** The CRM texts in the console's language. */
export const tc: CrmTexts = texts({ en, de });
