// The Audit log card of the supervisor dashboard: who did what, newest first, filtered by actor,
// action and time range, a page at a time (GET /api/v1/audit; X-Next-Offset leads on).

import { ApiError } from "../shared/api";
import { h, replace, setText } from "../shared/dom";
import { t } from "./strings";

interface Entry {
  id: string;
  ts: number;
  actor: string;
  role: string;
  action: string;
  details: Record<string, unknown>;
}

// every action gateway/audit.py records ("" is any action)
const ACTIONS = ["", "login", "logout", "login.failed", "login.rate_limited", "agent.state", "conversation.close", "conversation.transfer", "conversation.read",
  "conversation.label", "conversation.note", "contact.merge", "contact.export", "contact.erase", "assist.correct", "assist.snippet_enable",
  "supervisor.agent_state", "supervisor.logout_agent", "supervisor.assign", "supervisor.move", "supervisor.monitor",
  "supervisor.whisper", "supervisor.barge",
  "admin.agent.create", "admin.agent.update", "admin.agent.password", "admin.queue.save", "admin.queue.delete",
  "admin.topic.save", "admin.topic.delete", "admin.canned.save", "admin.canned.delete", "admin.label.save",
  "admin.label.delete", "admin.hours.save", "admin.widget.save", "admin.revert",
  "apikey.create", "apikey.revoke", "api.write", "conversation.message", "contact.create", "contact.update",
  "webhook.create", "webhook.update", "webhook.delete", "webhook.rotate", "webhook.replay", "webhook.test"];
const PAGE = 50;

function detailsText(details: Record<string, unknown>): string {
  return Object.entries(details).map(([k, v]) => `${k}: ${typeof v === "string" ? v : JSON.stringify(v)}`).join(", ");
}

async function fetchPage(token: string, params: URLSearchParams): Promise<[Entry[], string | null]> {
  const response = await fetch(`/api/v1/audit?${params}`, { headers: { Authorization: `Bearer ${token}`, Accept: "application/json" } });
  const data = await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(response.status, data?.error?.message ?? response.statusText);
  return [data as Entry[], response.headers.get("X-Next-Offset")];
}

/** The card: filters, a table of entries, and "Older" while more remain. */
export function auditCard(token: string): HTMLElement {
  const actor = h("input", { name: "actor", placeholder: t.userId, autocomplete: "off", maxlength: 128 });
  const action = h("select", { name: "action" }, ACTIONS.map((a) => h("option", { value: a }, a ? t.auditActions[a] ?? a : t.anyAction)));
  const from = h("input", { name: "from", type: "datetime-local" });
  const to = h("input", { name: "to", type: "datetime-local" });
  const body = h("tbody");
  const status = h("p", { class: "audit-status", role: "status", "aria-live": "polite" });
  const older = h("button", { type: "button", class: "audit-older", hidden: true }, t.older);
  let next: string | null = null;

  const params = (offset: string): URLSearchParams => {
    const p = new URLSearchParams({ limit: String(PAGE), offset });
    if (actor.value.trim()) p.set("actor", actor.value.trim());
    if (action.value) p.set("action", action.value);
    if (from.value) p.set("from", new Date(from.value).toISOString());
    if (to.value) p.set("to", new Date(to.value).toISOString());
    return p;
  };
  const load = async (offset: string) => {
    setText(status, t.loading);
    try {
      const [entries, more] = await fetchPage(token, params(offset));
      if (offset === "0") replace(body);
      for (const e of entries) {
        body.appendChild(h("tr", { "data-id": e.id },
          h("td", null, new Date(e.ts * 1000).toLocaleString(t.locale)), h("td", null, e.actor), h("td", null, t.roles[e.role] ?? e.role),
          h("td", { "data-action": e.action }, t.auditActions[e.action] ?? e.action), h("td", { class: "audit-details" }, detailsText(e.details))));
      }
      next = more;
      older.hidden = !more;
      setText(status, body.children.length ? "" : t.noEntries);
    } catch (err) {
      setText(status, t.failed((err as Error).message));
    }
  };
  older.addEventListener("click", () => next && void load(next));
  const form = h("form", {
    class: "audit-filters",
    onsubmit: (ev: Event) => {
      ev.preventDefault();
      void load("0");
    },
  }, h("label", null, t.actor, actor), h("label", null, t.action, action), h("label", null, t.fromLabel, from),
    h("label", null, t.toLabel, to), h("button", { type: "submit" }, t.show));
  void load("0");
  return h(
    "section",
    { class: "card audit-card", "aria-labelledby": "audit-title" },
    h("h2", { id: "audit-title" }, t.auditLog),
    form,
    h("table", { class: "grid-table audit-table", "aria-label": t.auditLog },
      h("thead", null, h("tr", null, t.auditHead.map((t) => h("th", { scope: "col" }, t)))), body),
    older,
    status,
  );
}
