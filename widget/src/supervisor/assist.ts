// The "Automatic answers" card of the dashboard: each canned answer approved for automatic use,
// how often it was sent, how often the customer still asked for a person or came back, and
// whether it was switched off (and why). GET /api/v1/assist/snippets; a switch-off arrives live.

import { api, ApiError } from "../shared/api";
import { h, replace, setText } from "../shared/dom";
import { percent } from "../shared/format";
import { t } from "./strings";

export interface SnippetFigures {
  canned_id: string;
  title?: string;
  language?: string;
  auto_queues?: string[];
  threshold?: number | null;
  sent?: number;
  escalated?: number;
  returned?: number;
  escalation_rate?: number | null;
  disabled?: boolean;
  disabled_reason?: string | null;
}

const REFRESH_MS = 60_000;

/** The reason the gateway gives for a switch-off (a code), in words, with the figures it was judged on. */
function reasonText(reason: string | null | undefined, escalated?: number, sent?: number): string {
  if (!reason) return "";
  const words = t.assistReasons[reason] ?? reason.replace(/_/g, " ");
  return reason === "escalation_rate" && typeof sent === "number" && sent > 0 && typeof escalated === "number"
    ? `${words} (${t.ofSent(escalated, sent)})` : words;
}

function row(s: SnippetFigures, queueName: (id: string) => string, enable: (s: SnippetFigures) => void): HTMLElement {
  const reason = reasonText(s.disabled_reason, s.escalated, s.sent);
  const again = s.disabled
    ? h("button", { type: "button", class: "btn small", "aria-label": t.switchOnAgain(s.title || s.canned_id),
                    onclick: () => enable(s) }, t.switchOnAgainShort)
    : null;
  return h("tr", { "data-canned-id": s.canned_id, "data-disabled": s.disabled ? "true" : "false" },
    h("th", { scope: "row" }, s.title || s.canned_id, s.language ? h("span", { class: "muted" }, ` (${s.language.toUpperCase()})`) : null),
    h("td", null, (s.auto_queues ?? []).map(queueName).join(", ")),
    h("td", { class: "num" }, String(s.sent ?? 0)),
    h("td", { class: "num" }, String(s.escalated ?? 0)),
    h("td", { class: "num" }, String(s.returned ?? 0)),
    h("td", { class: "num" }, typeof s.escalation_rate === "number" ? percent(s.escalation_rate) : "–"),
    h("td", { class: "snippet-state" }, s.disabled
      ? [h("span", { class: "pill off" }, reason ? t.switchedOffWhy(reason) : t.switchedOff), " ", again]
      : h("span", { class: "pill on" }, t.active)),
  );
}

export interface AssistCard {
  el: HTMLElement;
  /** Load the figures again (after a switch-off). */
  load(): Promise<void>;
  /** The sentence a switch-off is told with. */
  disabledText(e: { canned_id?: string; title?: string; reason?: string; escalated?: number; sent?: number }): string;
}

/** The card; hidden while the tenant has no answer approved for automatic use (or no assist). */
export function assistCard(token: string, queueName: (id: string) => string): AssistCard {
  const body = h("tbody");
  const status = h("p", { class: "muted", role: "status" });
  const el = h("section", { class: "card assist-card", "aria-labelledby": "assist-title", hidden: true },
    h("h2", { id: "assist-title" }, t.automaticAnswers),
    h("table", { class: "grid-table", "aria-labelledby": "assist-title" },
      h("thead", null, h("tr", null, t.assistHead.map((label) => h("th", { scope: "col" }, label)))),
      body),
    status,
  );
  let known: SnippetFigures[] = [];
  const load = async () => {
    try {
      const list = await api<SnippetFigures[]>("/api/v1/assist/snippets", { token });
      // (the gateway lists every canned answer: those approved for automatic use, or sent so, count here)
      known = Array.isArray(list)
        ? list.filter((s) => s && typeof s.canned_id === "string" && ((s.auto_queues ?? []).length > 0 || (s.sent ?? 0) > 0))
        : [];
      el.hidden = !known.length;
      replace(body, known.map((s) => row(s, queueName, enable)));
      setText(status, null);
    } catch (err) {
      // 404: this gateway has no assist; otherwise say so where the table is (when it is shown).
      if (err instanceof ApiError && err.status === 404) el.hidden = true;
      else setText(status, t.assistFailed);
    }
  };
  const enable = async (s: SnippetFigures) => {
    try {
      await api(`/api/v1/assist/snippets/${encodeURIComponent(s.canned_id)}/enable`, { method: "POST", token, body: {} });
    } catch {
      setText(status, t.assistFailed);
    }
    await load();
  };
  void load();
  setInterval(() => void load(), REFRESH_MS);
  return {
    el,
    load,
    disabledText: (e) => {
      const title = e.title || known.find((s) => s.canned_id === e.canned_id)?.title || e.canned_id || "";
      return t.snippetDisabled(title, reasonText(e.reason, e.escalated, e.sent));
    },
  };
}
