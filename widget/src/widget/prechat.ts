// The pre-chat form: name, optional email, topic and language. Changing the language redraws
// the form in that language at once.

import { h } from "../shared/dom";
import { topicLabel, type WidgetConfig } from "./config";
import { TEXTS, type Lang } from "./i18n";
import type { Profile } from "./storage";

export interface PrechatHandlers {
  language(lang: Lang, draft: Profile): void;
  submit(profile: Profile): void;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** ``offline``: outside business hours, the notice shown instead of the intro (the form then leads
 * to the email / callback offer, not to a chat). */
export function prechatForm(config: WidgetConfig, draft: Profile, on: PrechatHandlers, offline = ""): HTMLFormElement {
  const lang = draft.language as Lang;
  const t = TEXTS[lang];
  const name = h("input", { id: "or-name", name: "name", autocomplete: "name", required: true, value: draft.name });
  const email = h("input", { id: "or-email", name: "email", type: "email", autocomplete: "email", value: draft.email });
  const topic = h(
    "select",
    { id: "or-topic", name: "topic" },
    config.topics.map((tp) => h("option", { value: tp.id, selected: tp.id === draft.topic }, topicLabel(tp, lang))),
  );
  const language = h(
    "select",
    { id: "or-language", name: "language" },
    config.languages
      .filter((l) => l === "de" || l === "en")
      .map((l) => h("option", { value: l, selected: l === lang, lang: l }, l === "de" ? "Deutsch" : "English")),
  );
  const nameError = h("div", { class: "error", id: "or-name-error", role: "alert" });
  const emailError = h("div", { class: "error", id: "or-email-error", role: "alert" });

  const current = (): Profile => ({
    name: name.value.trim(),
    email: email.value.trim(),
    topic: topic.value,
    language: language.value,
  });
  language.addEventListener("change", () => on.language(language.value as Lang, current()));

  const form = h(
    "form",
    { class: "prechat", novalidate: true, "aria-label": t.start },
    offline ? h("p", { class: "offline", role: "status", "data-offline": "" }, offline) : h("p", null, t.prechatIntro),
    h("div", { class: "field" }, h("label", { for: "or-name" }, t.name), name, nameError),
    h("div", { class: "field" }, h("label", { for: "or-email" }, t.email), email, emailError),
    config.topics.length ? h("div", { class: "field" }, h("label", { for: "or-topic" }, t.topic), topic) : null,
    h("div", { class: "field" }, h("label", { for: "or-language" }, t.language), language),
    h("button", { class: "primary", type: "submit" }, offline ? t.closedStart : t.start),
  );
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const profile = current();
    const nameBad = !profile.name;
    const emailBad = !!profile.email && !EMAIL.test(profile.email);
    nameError.textContent = nameBad ? t.nameRequired : "";
    emailError.textContent = emailBad ? t.emailInvalid : "";
    name.setAttribute("aria-invalid", String(nameBad));
    email.setAttribute("aria-invalid", String(emailBad));
    if (nameBad) name.setAttribute("aria-describedby", "or-name-error");
    if (emailBad) email.setAttribute("aria-describedby", "or-email-error");
    if (nameBad) return name.focus();
    if (emailBad) return email.focus();
    on.submit(profile);
  });
  return form;
}
