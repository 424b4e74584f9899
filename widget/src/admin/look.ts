// The widget's look: colour, logo, corner, launcher text, privacy notice and greeting per language,
// with a live preview drawn by the widget's own stylesheet (in a shadow root, as on a customer's
// page) that follows every keystroke before anything is saved.

import { h, setText, svg } from "../shared/dom";
import { parseLook } from "../widget/config";
import { TEXTS } from "../widget/i18n";
import { CSS } from "../widget/styles";
import { Form } from "./form";
import type { Look, Settings } from "./store";
import { T } from "./strings";
import { singleItemSection, type Ui } from "./ui";
import { consoleLang } from "../shared/i18n";

const COLOUR = /^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/;
const LIMITS = { launcher_text: 40, privacy_notice: 300, greeting: 500 };
const DEFAULT_COLOUR = "#1f5fbf";
const CHAT_ICON = "M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8l-4 4V6a2 2 0 0 1 2-2z";
// The preview sits in a box on this page, not fixed to the window; the rest is the widget's CSS.
const PREVIEW_CSS = `${CSS}
.root { position: absolute; right: 16px; bottom: 16px; }
.root.left { left: 16px; right: auto; }
.panel { width: 300px; height: auto; }
.head .title { font-size: 16px; font-weight: 600; }
.log { min-height: 90px; }
.icon-btn { display: grid; place-items: center; }`;

/** ``#rgb``/``#rrggbb`` -> the contrast of white text on it (WCAG). */
function whiteContrast(colour: string): number {
  const hex = colour.length === 4 ? colour.slice(1).split("").map((c) => c + c).join("") : colour.slice(1);
  const [r, g, b] = [0, 2, 4].map((i) => {
    const c = parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 1.05 / (0.2126 * r + 0.7152 * g + 0.0722 * b + 0.05);
}

function httpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === "https:" || url.protocol === "http:") && Boolean(url.host);
  } catch {
    return false;
  }
}

/** The preview: launcher and panel header as the widget draws them. */
class Preview {
  readonly el: HTMLElement;
  private readonly root = h("div", { class: "root" });
  private readonly logo = h("img", { class: "logo", alt: "", hidden: true, referrerpolicy: "no-referrer" }) as HTMLImageElement;
  private readonly title = h("div", { class: "title" });
  private readonly sub = h("div", { class: "sub" });
  private readonly greeting = h("div", { class: "notice greeting" });
  private readonly privacy = h("p", { class: "privacy", hidden: true });
  private readonly launcher = h("div", { class: "launcher" });
  private readonly launcherText = h("span", { class: "launcher-text", hidden: true });

  constructor(private readonly tenantName: string) {
    const host = h("div", { class: "preview-stage", "data-preview": "" });
    const shadow = host.attachShadow({ mode: "open" });
    shadow.appendChild(h("style", null, PREVIEW_CSS));
    this.launcher.append(svg("svg", { viewBox: "0 0 24 24", "aria-hidden": "true" }, svg("path", { d: CHAT_ICON })), this.launcherText);
    this.root.append(
      h("div", { class: "panel" },
        h("div", { class: "head" }, this.logo, h("div", { class: "titles" }, this.title, this.sub), h("span", { class: "icon-btn", "aria-hidden": "true" }, "×")),
        h("div", { class: "body" }, h("div", { class: "log" }, this.greeting)),
        this.privacy,
      ),
      this.launcher,
    );
    shadow.appendChild(this.root);
    this.el = host;
  }

  /** Draw ``raw`` in ``lang`` the way the widget would (its own checks decide what shows). */
  show(raw: Record<string, unknown>, lang: string): void {
    const look = parseLook(raw);
    const colour = look.colour ?? DEFAULT_COLOUR;
    this.root.style.setProperty("--accent", colour);
    this.root.style.setProperty("--accent-dark", `color-mix(in srgb, ${colour} 80%, black)`);
    this.root.classList.toggle("left", look.position === "left");
    this.root.setAttribute("lang", lang);
    const texts = TEXTS[lang === "de" ? "de" : "en"];
    setText(this.title, texts.title);
    setText(this.sub, this.tenantName);
    if (look.logo_url) {
      if (this.logo.getAttribute("src") !== look.logo_url) this.logo.src = look.logo_url;
      this.logo.alt = this.tenantName;
      this.logo.hidden = false;
    } else {
      this.logo.removeAttribute("src");
      this.logo.hidden = true;
    }
    const label = look.launcher_text[lang] ?? "";
    setText(this.launcherText, label || null);
    this.launcherText.hidden = !label;
    this.launcher.classList.toggle("with-text", Boolean(label));
    this.launcher.setAttribute("title", texts.launcherOpen);
    const notice = look.privacy_notice[lang] ?? "";
    setText(this.privacy, notice || null);
    this.privacy.hidden = !notice;
    const greeting = (raw.greeting as Record<string, string> | undefined)?.[lang] ?? "";
    setText(this.greeting, greeting || null);
    this.greeting.hidden = !greeting;
  }
}

function lookForm(ui: Ui, s: Settings, tenantName: string, changed: () => void, done: () => void): HTMLElement {
  const t = T();
  const look: Look = s.widget;
  const form = new Form("look", t.lookEdit, () => save());
  const colour = h("input", { autocomplete: "off", maxlength: 7, placeholder: DEFAULT_COLOUR, value: look.colour ?? "" });
  const picker = h("input", { type: "color", value: COLOUR.test(look.colour ?? "") && look.colour.length === 7 ? look.colour : DEFAULT_COLOUR });
  const contrast = h("p", { class: "hint warn", role: "status" });
  const logo = h("input", { type: "url", autocomplete: "off", maxlength: 500, placeholder: "https://…", value: look.logo_url ?? "" });
  const position = h("select", null, ["right", "left"].map((p) => h("option", { value: p, selected: p === (look.position || "right") }, t.corner(p))));
  const perLang = (key: keyof typeof LIMITS, area: boolean) =>
    s.languages.map((lang) => {
      const input = area ? h("textarea", { rows: 2, maxlength: LIMITS[key] }) : h("input", { autocomplete: "off", maxlength: LIMITS[key] });
      input.value = (look[key] as Record<string, string> | undefined)?.[lang] ?? "";
      return { lang, key: `${key}.${lang}`, input };
    });
  const launcher = perLang("launcher_text", false);
  const privacy = perLang("privacy_notice", true);
  const greeting = perLang("greeting", true);
  const first = consoleLang();
  const previewLang = h("select", { id: "look-preview-lang" }, s.languages.map((lang) => h("option", { value: lang, selected: lang === first }, t.language(lang))));
  const preview = new Preview(tenantName);

  const texts = (items: { lang: string; input: HTMLInputElement | HTMLTextAreaElement }[]) =>
    Object.fromEntries(items.filter((i) => i.input.value.trim()).map((i) => [i.lang, i.input.value.trim()]));
  const current = () => ({
    colour: colour.value.trim(),
    logo_url: logo.value.trim(),
    position: position.value,
    launcher_text: texts(launcher),
    privacy_notice: texts(privacy),
    greeting: texts(greeting),
  });
  const redraw = () => {
    const value = current();
    preview.show(value, previewLang.value);
    const ratio = COLOUR.test(value.colour) ? whiteContrast(value.colour) : 21;
    setText(contrast, ratio < 4.5 ? t.lowContrast(ratio.toFixed(1)) : null);
  };
  colour.addEventListener("input", () => {
    if (COLOUR.test(colour.value.trim()) && colour.value.trim().length === 7) picker.value = colour.value.trim();
  });
  picker.addEventListener("input", () => {
    colour.value = picker.value;
  });
  form.el.addEventListener("input", () => {
    changed();
    redraw();
  });
  previewLang.addEventListener("change", redraw);

  const langFields = (items: ReturnType<typeof perLang>, label: (lang: string) => string) =>
    items.map((i) => form.field(i.key, label(t.language(i.lang)), i.input));
  form.add(
    h("div", { class: "form-grid" },
      form.field("colour", t.colour, colour, t.colourHint),
      form.field("picker", t.pickColour, picker),
      form.field("position", t.position, position),
    ),
    contrast,
    form.field("logo_url", t.logo, logo, t.logoHint),
    h("div", { class: "form-grid" }, langFields(launcher, t.launcherTextIn)),
    h("div", { class: "form-grid" }, langFields(privacy, t.privacyIn)),
    h("div", { class: "form-grid" }, langFields(greeting, t.greetingIn)),
  ).buttons(t.save, done);

  const save = async () => {
    const value = current();
    if (value.colour && !COLOUR.test(value.colour)) form.fail("colour", t.badColour);
    if (value.logo_url && !httpUrl(value.logo_url)) form.fail("logo_url", t.badLogo);
    for (const [key, limit] of Object.entries(LIMITS)) {
      for (const item of [...launcher, ...privacy, ...greeting].filter((i) => i.key.startsWith(`${key}.`))) {
        if (item.input.value.trim().length > limit) form.fail(item.key, t.tooLong(limit));
      }
    }
    if (!form.ok) return;
    try {
      await ui.admin.write("PUT", "widget", value);
      ui.say(t.lookSaved);
      done();
    } catch (err) {
      form.refused(err, () => ui.admin.load().then(() => undefined));
    }
  };
  redraw();
  return h("div", { class: "look-layout" },
    form.el,
    h("figure", { class: "look-preview" },
      h("figcaption", null, h("span", { id: "look-preview-title" }, t.preview), " ", h("label", { for: "look-preview-lang" }, t.previewLanguage), " ", previewLang),
      preview.el,
    ),
  );
}

export function lookSection(ui: Ui, tenantName: () => string): HTMLElement {
  return singleItemSection(ui, "look", T().look, "widget", (s) => s.widget,
    (s, changed, saved) => lookForm(ui, s, tenantName(), changed, saved));
}
