// Entry of the admin screens (/admin): a supervisor with the admin permission edits agents, queues,
// topics, canned answers, labels, business hours and the widget's look; each change is in effect
// at once (GET/PUT /api/v1/admin/*). The login is the dashboard's (same tab, sessionStorage).

import { api } from "../shared/api";
import { h, replace } from "../shared/dom";
import { langSwitch } from "../shared/lang_switch";
import { forgetLogin, loginForm, logout, storedLogin, type Login } from "../shared/session";
import { agentsSection } from "./agents";
import { apikeysSection } from "./apikeys";
import { cannedSection } from "./canned";
import { hoursSection } from "./hours";
import { labelsSection } from "./labels";
import { lookSection } from "./look";
import { queuesSection } from "./queues";
import { slackSection } from "./slack";
import { st } from "../shared/slack_strings";
import { Admin, AdminError } from "./store";
import { T } from "./strings";
import { topicsSection } from "./topics";
import { confirmDialog, type Ui } from "./ui";
import { webhooksSection } from "./webhooks";

const ROLE = "supervisor";
const root = document.getElementById("app") ?? document.body;

async function start(notice = ""): Promise<void> {
  const t = T();
  document.title = `omnirelay · ${t.pageTitle}`;
  const login = storedLogin(ROLE) ?? (await loginForm(root, ROLE, t.loginTitle, notice));
  await run(login);
}

async function run(login: Login): Promise<void> {
  const t = T();
  const admin = new Admin(login.token);
  const live = h("p", { class: "admin-status", role: "status", "aria-live": "polite" });
  const logoutButton = h("button", { class: "btn small", type: "button" }, t.logout);
  const main = h("main", { class: "admin-main", id: "admin-main" }, h("p", { class: "muted" }, t.loading));
  replace(
    root,
    h("div", { class: "admin-app" },
      h("header", { class: "topbar" },
        h("h1", { class: "brand" }, "omnirelay", h("small", null, t.pageTitle)),
        h("span", { class: "spacer" }),
        langSwitch("admin-lang"),
        h("a", { class: "btn small", href: "/supervisor" }, t.dashboard),
        h("span", { class: "agent-name" }, login.name ?? ""),
        logoutButton,
      ),
      main,
      live,
    ),
  );
  logoutButton.addEventListener("click", async () => {
    await logout(ROLE, login);
    location.reload();
  });

  let timer = 0;
  const ui: Ui = {
    admin,
    say: (message) => {
      // A new text node each time, so a repeated message is announced again.
      live.textContent = "";
      window.clearTimeout(timer);
      timer = window.setTimeout(() => (live.textContent = message), 50);
    },
    confirm: confirmDialog(root),
  };

  // The tenant's display name, for the preview's header as the widget shows it.
  let tenantName = login.tenant ?? "";
  const named = login.tenant
    ? api<{ name?: string }>(`/api/v1/widget/config?tenant=${encodeURIComponent(login.tenant)}`).then((c) => (tenantName = c?.name || tenantName)).catch(() => undefined)
    : null;
  try {
    await admin.load();
    await named;
  } catch (err) {
    if (err instanceof AdminError && err.status === 401) {
      forgetLogin(ROLE);
      await start();
      return;
    }
    const message = !(err instanceof AdminError)
      ? t.loadFailed(String(err))
      : err.status === 403
        ? t.notAdmin
        : err.status === 503
          ? t.unavailable
          : t.loadFailed(err.message || String(err.status));
    replace(main, h("div", { class: "card admin-refused", role: "alert", "data-refused": err instanceof AdminError ? err.code || String(err.status) : "" },
      h("p", null, message), h("a", { href: "/supervisor" }, t.backToDashboard)));
    return;
  }

  const sections = [
    ["agents", t.agents, agentsSection(ui)],
    ["queues", t.queues, queuesSection(ui)],
    ["topics", t.topics, topicsSection(ui)],
    ["canned", t.canned, cannedSection(ui)],
    ["labels", t.labels, labelsSection(ui)],
    ["hours", t.hours, hoursSection(ui)],
    ["look", t.look, lookSection(ui, () => tenantName)],
    ["apikeys", t.apikeys.title, apikeysSection(ui, login.token)],
    ["webhooks", t.webhooks.title, webhooksSection(ui, login.token)],
    ["slack", st().section, slackSection(ui, login.token)],
  ] as const;
  replace(main,
    h("nav", { class: "admin-nav", "aria-label": t.sections },
      h("ul", null, sections.map(([id, title]) => h("li", null, h("a", { href: `#${id}` }, title))))),
    h("p", { class: "muted live-note" }, t.liveNote),
    sections.map(([, , el]) => el),
  );
  admin.notify();
}

void start();
