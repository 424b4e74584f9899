// The widget itself: launcher button and chat panel in a shadow root, wiring the pre-chat form,
// the conversation view and the connection together.

import { h, replace, setText, svg } from "../shared/dom";
import { ChatView } from "./chat";
import { DEFAULT_MESSAGE_CHARS, loadConfig, type WidgetConfig } from "./config";
import { slotSource } from "./escalation";
import { offlineNotice } from "./hours";
import { browserLanguage, TEXTS, type Lang, type Texts } from "./i18n";
import { NoticeBook } from "./notices";
import type { ScriptInfo } from "./origin";
import { prechatForm } from "./prechat";
import { VisitorConnection, type ConnectionStatus } from "./reconnect";
import { TenantStorage, type Profile } from "./storage";
import { CSS } from "./styles";
import { followVisualViewport } from "./viewport";

const CHAT_ICON = "M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8l-4 4V6a2 2 0 0 1 2-2z";

export class Widget {
  private readonly storage: TenantStorage;
  private readonly conn: VisitorConnection;
  private config: WidgetConfig | null = null;
  private configError = false;
  private lang: Lang;
  private draft: Profile;
  private chat: ChatView | null = null;
  private status: ConnectionStatus = "idle";
  private isOpen = false;

  private readonly launcher: HTMLButtonElement;
  private readonly badge = h("span", { class: "badge", hidden: true, "aria-hidden": "true" });
  private readonly panel: HTMLElement;
  private readonly title = h("h2", { id: "or-title" });
  private readonly sub = h("div", { class: "sub" });
  private readonly closeButton: HTMLButtonElement;
  private readonly banner = h("div", { class: "banner", role: "status" });
  private readonly slot = h("div", { class: "body" });
  // the tenant's look (config.look): hidden until the config says otherwise
  private readonly root = h("div", { class: "root" });
  private readonly logo = h("img", { class: "logo", alt: "", hidden: true, referrerpolicy: "no-referrer" }) as HTMLImageElement;
  private readonly launcherLabel = h("span", { class: "launcher-text", hidden: true });
  private readonly privacy = h("p", { class: "privacy", hidden: true });

  constructor(private readonly info: ScriptInfo) {
    this.storage = new TenantStorage(info.tenant);
    const saved = this.storage.profile;
    this.lang = ((saved?.language || info.lang) as Lang) || browserLanguage();
    if (this.lang !== "de" && this.lang !== "en") this.lang = browserLanguage();
    this.draft = saved ?? { name: "", email: "", topic: "", language: this.lang };
    this.conn = new VisitorConnection(info.origin, info.tenant, this.storage, () => this.storage.profile, {
      status: (s) => this.setStatus(s),
      changed: () => this.changed(),
      conversation: (id) => {
        this.chat?.conversationChanged(id);
        this.changed();
      },
      queue: (q) => this.chat?.setQueue(q, this.config?.long_wait_s ?? 120),
      assigned: (id, name) => {
        this.chat?.setAssigned(id, name);
        this.updateHeader();
      },
      requeued: (id, reason) => {
        this.chat?.setRequeued(id, reason);
        this.updateHeader();
      },
      typing: (id, on) => this.chat?.setTyping(id, on),
      closed: (id) => {
        this.chat?.setClosed(id);
        this.updateHeader();
      },
      escalationOffer: (_id, options) => this.chat?.offer.show("server", options),
      historyLoaded: (id) => this.chat?.historyLoaded(id),
    }, info.user);
    this.launcher = h("button", { class: "launcher", type: "button", "aria-expanded": "false", "aria-controls": "or-panel" },
      svg("svg", { viewBox: "0 0 24 24", "aria-hidden": "true" }, svg("path", { d: CHAT_ICON })),
      this.launcherLabel,
      this.badge,
    );
    this.launcher.addEventListener("click", () => this.toggle());
    this.closeButton = h("button", { class: "icon-btn", type: "button", onclick: () => this.close() }, "×");
    this.panel = h(
      "section",
      { class: "panel", id: "or-panel", role: "dialog", "aria-labelledby": "or-title", hidden: true },
      h("div", { class: "head" }, this.logo, h("div", { class: "titles" }, this.title, this.sub), this.closeButton),
      this.banner,
      this.slot,
      this.privacy,
    );
    this.panel.addEventListener("keydown", (ev) => {
      if (ev.key === "Escape") {
        ev.stopPropagation();
        this.close();
      }
    });
  }

  private get t(): Texts {
    return TEXTS[this.lang];
  }

  mount(): void {
    const host = document.createElement("div");
    host.id = "omnirelay-widget";
    host.setAttribute("data-tenant", this.info.tenant);
    const shadow = host.attachShadow({ mode: "open" });
    // A constructed sheet is not subject to the host page's style-src CSP; <style> is the fallback.
    try {
      const sheet = new CSSStyleSheet();
      sheet.replaceSync(CSS);
      shadow.adoptedStyleSheets = [sheet];
    } catch {
      shadow.appendChild(h("style", null, CSS));
    }
    const root = this.root;
    root.setAttribute("lang", this.lang);
    root.append(this.panel, this.launcher);
    shadow.appendChild(root);
    followVisualViewport(root);
    document.body.appendChild(host);
    this.updateTexts();
    // A returning visitor resumes at once, so messages that came meanwhile show up (and count).
    if (this.storage.visitorToken && this.storage.profile) {
      this.conn.start();
      this.renderBody(); // the chat view must exist before queue / assigned / closed events arrive
    }
    void this.fetchConfig();
    if (this.storage.open) this.open(false);
  }

  private async fetchConfig(): Promise<void> {
    try {
      this.config = await loadConfig(this.info.origin, this.info.tenant);
      this.configError = false;
      if (!this.draft.topic && this.config.topics[0]) this.draft.topic = this.config.topics[0].id;
      if (!this.config.languages.includes(this.lang) && !this.storage.profile) {
        this.lang = browserLanguage(this.config.languages);
        this.draft.language = this.lang;
      }
    } catch {
      this.configError = true;
    }
    this.updateTexts();
    if (this.isOpen || this.conn.started) this.renderBody();
  }

  toggle(): void {
    if (this.isOpen) this.close();
    else this.open(true);
  }

  open(focus = true): void {
    this.isOpen = true;
    this.storage.open = true;
    this.panel.hidden = false;
    this.panel.parentElement?.classList.add("open");
    this.launcher.setAttribute("aria-expanded", "true");
    this.updateTexts();
    this.renderBody();
    this.markRead();
    if (focus) this.focusBody();
  }

  close(): void {
    this.isOpen = false;
    this.storage.open = false;
    this.panel.hidden = true;
    this.panel.parentElement?.classList.remove("open");
    this.launcher.setAttribute("aria-expanded", "false");
    this.updateTexts();
    this.launcher.focus();
  }

  private focusBody(): void {
    if (this.chat && this.slot.contains(this.chat.el)) this.chat.focus();
    else (this.slot.querySelector("input, button") as HTMLElement | null)?.focus();
  }

  private renderBody(): void {
    if (this.conn.started) {
      if (!this.chat) {
        const greeting = () => this.config?.greeting?.[this.lang] ?? "";
        const messageChars = () => this.config?.message_chars ?? DEFAULT_MESSAGE_CHARS;
        this.chat = new ChatView(
          this.t, this.lang, this.conn, () => this.storage.profile?.email ?? "", () => this.newChat(), greeting,
          new NoticeBook(this.storage), messageChars, this.info.origin,
          () => ({ bytes: this.config?.upload_bytes ?? 0, types: this.config?.upload_types ?? [] }),
          slotSource(this.info.origin, this.info.tenant, () => this.storage.profile?.topic || this.draft.topic, () => this.lang),
        );
      }
      if (!this.slot.contains(this.chat.el)) replace(this.slot, this.chat.el);
      this.chat.refresh();
      if (this.config && !this.config.open && !this.chat.agent && !this.conn.conversationId) {
        this.chat.setOffline(offlineNotice(this.t, this.lang, this.config.next_open));
      } else if (this.config && this.config.agents_online === 0 && !this.chat.agent) this.chat.offer.show("none");
      return;
    }
    if (!this.isOpen) return;
    if (!this.config) {
      replace(
        this.slot,
        this.configError
          ? h("div", { class: "ended" }, h("p", { role: "alert" }, this.t.connectFailed),
              h("button", { class: "secondary", type: "button", onclick: () => this.fetchConfig() }, this.t.retry))
          : h("div", { class: "ended", "aria-busy": "true" }, "…"),
      );
      return;
    }
    replace(
      this.slot,
      prechatForm(this.config, { ...this.draft, language: this.lang }, {
        language: (lang, draft) => {
          this.lang = lang;
          this.draft = draft;
          this.updateTexts();
          this.renderBody();
          (this.slot.querySelector("#or-language") as HTMLElement | null)?.focus();
        },
        submit: (profile) => {
          this.lang = profile.language as Lang;
          this.draft = profile;
          this.storage.profile = profile;
          this.updateTexts();
          this.conn.start();
          this.renderBody();
          this.focusBody();
        },
      }, this.config.open ? "" : offlineNotice(this.t, this.lang, this.config.next_open)),
    );
  }

  private newChat(): void {
    this.conn.startNewConversation();
    this.chat?.reopen();
    this.updateHeader();
  }

  private changed(): void {
    this.chat?.refresh();
    if (this.isOpen) this.markRead();
    this.updateBadge();
  }

  private setStatus(status: ConnectionStatus): void {
    this.status = status;
    const t = this.t;
    const text = { offline: t.offline, reconnecting: t.reconnecting, failed: t.connectFailed }[status as string] ?? "";
    setText(this.banner, text || null);
    this.panel.dataset.status = status;
  }

  private updateTexts(): void {
    const t = this.t;
    (this.panel.parentElement as HTMLElement | null)?.setAttribute("lang", this.lang);
    this.launcher.setAttribute("aria-label", this.isOpen ? t.launcherClose : t.launcherOpen);
    this.launcher.title = t.launcherOpen;
    this.closeButton.setAttribute("aria-label", t.close);
    this.setStatus(this.status);
    this.updateHeader();
    this.applyLook();
  }

  /** The tenant's colour, logo, corner, launcher label and privacy line (all checked in config.ts;
   * texts go in as text, the logo only as an http(s) image address). */
  private applyLook(): void {
    const look = this.config?.look;
    if (!look) return;
    if (look.colour) {
      this.root.style.setProperty("--accent", look.colour);
      this.root.style.setProperty("--accent-dark", `color-mix(in srgb, ${look.colour} 80%, black)`);
    }
    this.root.classList.toggle("left", look.position === "left");
    if (look.logo_url) {
      this.logo.src = look.logo_url;
      this.logo.alt = this.config?.name ?? "";
      this.logo.hidden = false;
    }
    const label = look.launcher_text[this.lang] ?? "";
    setText(this.launcherLabel, label || null);
    this.launcherLabel.hidden = !label;
    this.launcher.classList.toggle("with-text", Boolean(label));
    const notice = look.privacy_notice[this.lang] ?? "";
    setText(this.privacy, notice || null);
    this.privacy.hidden = !notice;
  }

  private updateHeader(): void {
    setText(this.title, this.t.title);
    setText(this.sub, this.chat?.agent || this.config?.name || null);
  }

  // Unread = messages from others after the last seq the visitor had in view (kept per conversation).
  private markRead(): void {
    const id = this.conn.conversationId;
    const log = id ? this.conn.logs.get(id) : null;
    if (!id || !log) return;
    const read = this.storage.get<Record<string, number>>("read") ?? {};
    if ((read[id] ?? 0) < log.maxSeq) this.storage.set("read", { [id]: log.maxSeq });
    this.updateBadge();
  }

  private updateBadge(): void {
    const id = this.conn.conversationId;
    const log = id ? this.conn.logs.get(id) : null;
    const read = (id && this.storage.get<Record<string, number>>("read")?.[id]) || 0;
    const unread = this.isOpen || !log ? 0 : log.list().filter((m) => m.seq > read && m.author?.kind === "agent").length;
    this.badge.hidden = unread === 0;
    setText(this.badge, unread || null);
    this.launcher.setAttribute("aria-label", (this.isOpen ? this.t.launcherClose : this.t.launcherOpen) + (unread ? ` (${this.t.unread(unread)})` : ""));
  }
}
