// The CRM section of the customer panel: what the tenant's CRM says of the customer
// (GET /api/v1/conversations/{id}/crm, then the /agent event `crm` when the answer comes later).
// Values are text nodes, never HTML; a link field becomes an <a> only for an http(s) address.

import { api } from "../shared/api";
import { h } from "../shared/dom";
import { tc } from "./crm_strings";
import { t } from "./strings";

export type CrmValue = string | number | boolean | (string | number | boolean)[];

export interface CrmField {
  key: string;
  label?: Record<string, string>;
  type?: "text" | "link" | string;
  value: CrmValue;
}

export interface CrmCard {
  status: "ok" | "not_found" | "unavailable" | "pending" | "off" | string;
  fields?: CrmField[];
  reason?: string;
  priority?: number;
}

/** The conversation's CRM card; a refused or failed request reads as unavailable. */
export function fetchCrm(conversationId: string, token: string): Promise<CrmCard> {
  return api<CrmCard>(`/api/v1/conversations/${encodeURIComponent(conversationId)}/crm`, { token }).catch(
    () => ({ status: "unavailable", reason: "" }),
  );
}

/** The address when it is http(s), else null (no javascript:, data:, mailto: …). */
export function httpHref(raw: unknown): string | null {
  if (typeof raw !== "string") return null;
  try {
    const url = new URL(raw);
    return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
  } catch {
    return null;
  }
}

function label(field: CrmField): string {
  const labels = field.label ?? {};
  return labels[t.lang] || labels.en || Object.values(labels)[0] || field.key;
}

function valueText(value: CrmValue): string {
  const one = (v: string | number | boolean) =>
    typeof v === "boolean" ? (v ? tc.yes : tc.no) : typeof v === "number" ? v.toLocaleString(t.locale) : String(v);
  return Array.isArray(value) ? value.map(one).join(", ") : one(value);
}

function valueNode(field: CrmField): Node {
  const href = field.type === "link" ? httpHref(field.value) : null;
  if (href) {
    return h("a", { href, target: "_blank", rel: "noopener noreferrer", class: "link crm-link", title: tc.openTitle(href) }, tc.open);
  }
  return document.createTextNode(valueText(field.value));
}

/** The section for a card (null: not asked yet, or the tenant has no CRM lookup). */
export function crmSection(card: CrmCard | null): HTMLElement | null {
  if (!card || card.status === "off") return null;
  const body: (Node | null)[] = [];
  if (card.status === "pending") {
    body.push(h("p", { class: "muted" }, tc.loading));
  } else if (card.status === "unavailable") {
    const why = tc.reasons[card.reason ?? ""] ?? card.reason ?? "";
    body.push(h("p", { class: "crm-unavailable", role: "status", title: tc.unavailableTitle(why) }, tc.unavailable));
  } else if (card.status === "not_found") {
    body.push(h("p", { class: "muted" }, tc.notFound));
  } else {
    const fields = (card.fields ?? []).filter((f) => f && typeof f.key === "string" && f.value !== null && f.value !== undefined);
    body.push(
      fields.length
        ? h("dl", { class: "details crm-fields" }, fields.flatMap((f) => [h("dt", null, label(f)), h("dd", { "data-crm-key": f.key }, valueNode(f))]))
        : h("p", { class: "muted" }, tc.nothing),
    );
    if (card.priority && card.priority > 0) body.push(h("p", { class: "crm-priority" }, tc.priority(card.priority)));
  }
  return h("section", { class: "crm", "aria-labelledby": "crm-title", "data-status": card.status },
    h("h3", { id: "crm-title" }, tc.title), ...body);
}
