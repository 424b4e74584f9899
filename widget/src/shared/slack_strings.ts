// The texts of the Slack links (docs/slack.md) in the agent console and the admin screens, in
// English and German (shared/i18n.ts). One feature, one table, for both pages.

import { texts } from "./i18n";

const en = {
  lang: "en" as "en" | "de",
  // agent console
  button: "Slack",
  buttonTitle: "Your Slack account: link it to answer customers from Slack threads",
  title: "Your Slack account",
  linkedTo: "Linked to the Slack account",
  notLinked: "Not linked. Replies you write in Slack threads are refused until you link your account.",
  how: "omnirelay finds your Slack account by your email address; Slack must have confirmed that address.",
  linkMine: "Link my Slack account",
  unlinkMine: "Remove the link",
  linkedSaid: (name: string) => `Linked to the Slack account ${name}.`,
  unlinkedSaid: "The Slack link is removed: replies from that account are refused from now on.",
  close: "Close",
  // admin screens
  section: "Slack",
  intro: "Agents answer customers from Slack threads only with a linked account. A link is found by the agent's email address, confirmed in Slack.",
  notConfigured: "No Slack app is configured for this tenant.",
  notReady: "Slack is not connected right now: links can be made once it is.",
  agent: "Agent",
  email: "Email",
  account: "Slack account",
  actions: "Actions",
  none: "No agents.",
  noEmail: "no email configured",
  notLinkedCell: "not linked",
  link: "Link",
  unlink: "Remove link",
  linkNamed: (agent: string) => `Link ${agent}'s Slack account`,
  unlinkNamed: (agent: string) => `Remove link for ${agent}`,
  unlinkConfirm: (agent: string, account: string) => `Remove the link between ${agent} and the Slack account ${account}? Replies from that account are refused from then on.`,
  adminLinked: (agent: string, account: string) => `${agent} is linked to the Slack account ${account}.`,
  adminUnlinked: (agent: string) => `${agent}'s Slack link is removed.`,
  failed: "That did not work. Try again.",
  errors: {
    no_email: "This agent has no email address configured, so its Slack account cannot be found.",
    slack_unavailable: "Slack is not connected right now. Try again later.",
    slack_refused: "Slack refused to look the account up. Check the Slack app's permissions.",
    slack_user_not_found: "Slack knows nobody with this email address.",
    email_unverified: "The Slack account with this email has not confirmed it, so it cannot be linked.",
    not_found: "There is no such link or agent any more.",
    forbidden: "You may not change this link.",
    network: "The server could not be reached. Try again.",
  } as Record<string, string>,
};

export type SlackTexts = typeof en;

const de: SlackTexts = {
  lang: "de",
  button: "Slack",
  buttonTitle: "Ihr Slack-Konto: verknüpfen, um Kunden aus Slack-Threads zu antworten",
  title: "Ihr Slack-Konto",
  linkedTo: "Verknüpft mit dem Slack-Konto",
  notLinked: "Nicht verknüpft. Antworten, die Sie in Slack-Threads schreiben, werden abgewiesen, bis Sie Ihr Konto verknüpfen.",
  how: "omnirelay findet Ihr Slack-Konto über Ihre E-Mail-Adresse; Slack muss diese Adresse bestätigt haben.",
  linkMine: "Mein Slack-Konto verknüpfen",
  unlinkMine: "Verknüpfung entfernen",
  linkedSaid: (name: string) => `Mit dem Slack-Konto ${name} verknüpft.`,
  unlinkedSaid: "Die Slack-Verknüpfung ist entfernt: Antworten von diesem Konto werden ab jetzt abgewiesen.",
  close: "Schließen",
  section: "Slack",
  intro: "Agenten antworten Kunden aus Slack-Threads nur mit einem verknüpften Konto. Es wird über die E-Mail-Adresse des Agenten gefunden, die in Slack bestätigt ist.",
  notConfigured: "Für diesen Mandanten ist keine Slack-App eingerichtet.",
  notReady: "Slack ist gerade nicht verbunden: Verknüpfungen sind möglich, sobald es verbunden ist.",
  agent: "Agent",
  email: "E-Mail",
  account: "Slack-Konto",
  actions: "Aktionen",
  none: "Keine Agenten.",
  noEmail: "keine E-Mail-Adresse eingetragen",
  notLinkedCell: "nicht verknüpft",
  link: "Verknüpfen",
  unlink: "Verknüpfung entfernen",
  linkNamed: (agent: string) => `Verknüpfen: Slack-Konto von ${agent}`,
  unlinkNamed: (agent: string) => `Verknüpfung entfernen: ${agent}`,
  unlinkConfirm: (agent: string, account: string) => `Die Verknüpfung zwischen ${agent} und dem Slack-Konto ${account} entfernen? Antworten von diesem Konto werden danach abgewiesen.`,
  adminLinked: (agent: string, account: string) => `${agent} ist mit dem Slack-Konto ${account} verknüpft.`,
  adminUnlinked: (agent: string) => `Die Slack-Verknüpfung von ${agent} ist entfernt.`,
  failed: "Das hat nicht geklappt. Bitte erneut versuchen.",
  errors: {
    no_email: "Für diesen Agenten ist keine E-Mail-Adresse eingetragen, daher lässt sich sein Slack-Konto nicht finden.",
    slack_unavailable: "Slack ist gerade nicht verbunden. Bitte später erneut versuchen.",
    slack_refused: "Slack hat die Suche nach dem Konto abgelehnt. Prüfen Sie die Berechtigungen der Slack-App.",
    slack_user_not_found: "Slack kennt niemanden mit dieser E-Mail-Adresse.",
    email_unverified: "Das Slack-Konto mit dieser E-Mail-Adresse hat sie nicht bestätigt, daher lässt es sich nicht verknüpfen.",
    not_found: "Diese Verknüpfung oder diesen Agenten gibt es nicht mehr.",
    forbidden: "Sie dürfen diese Verknüpfung nicht ändern.",
    network: "Der Server war nicht erreichbar. Bitte erneut versuchen.",
  },
};

/** The table for the page's current language. */
export function st(): SlackTexts {
  return texts({ en, de });
}
