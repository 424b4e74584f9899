// The Data protection card of the supervisor dashboard: export everything about one contact (a zip,
// fetched with the token, never a token in a URL) or erase it everywhere, after a confirmation.
// POST /api/v1/contacts/{id}/erase and GET /api/v1/contacts/{id}/export (gateway/api/privacy.py).

import { api, ApiError } from "../shared/api";
import { h, setText } from "../shared/dom";
import { t } from "./strings";

interface Erasure {
  contact_id: string;
  already_erased: boolean;
  conversations: number;
  files: number;
}

const CONTACT_ID = /^k_[0-9a-f]{16}$/;

async function download(token: string, contactId: string): Promise<string> {
  const response = await fetch(`/api/v1/contacts/${encodeURIComponent(contactId)}/export`, {
    headers: { Authorization: `Bearer ${token}` },
    credentials: "same-origin",
  });
  if (!response.ok) {
    let message = response.statusText;
    try {
      message = (await response.json())?.error?.message ?? message;
    } catch {
      /* not JSON */
    }
    throw new ApiError(response.status, message);
  }
  const name = /filename="([^"]+)"/.exec(response.headers.get("Content-Disposition") ?? "")?.[1] ?? `contact-${contactId}.zip`;
  const url = URL.createObjectURL(await response.blob());
  const link = h("a", { href: url, download: name });
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
  return name;
}

/** The card: a contact id field, Export and Erase buttons, and what came of the last action. */
export function privacyCard(token: string): HTMLElement {
  const input = h("input", { id: "privacy-contact", name: "contact", placeholder: "k_…", autocomplete: "off", spellcheck: "false", maxlength: 18 });
  const status = h("p", { class: "privacy-status", role: "status", "aria-live": "polite" });
  const contactId = (): string | null => {
    const value = input.value.trim();
    if (!CONTACT_ID.test(value)) {
      setText(status, t.contactIdHint);
      return null;
    }
    return value;
  };
  const run = async (what: () => Promise<string>) => {
    setText(status, t.working);
    try {
      setText(status, await what());
    } catch (err) {
      setText(status, err instanceof ApiError && err.status === 404 ? t.noSuchContact : t.failed((err as Error).message));
    }
  };
  const exportButton = h("button", {
    type: "button",
    class: "privacy-export",
    onclick: () => {
      const id = contactId();
      if (id) void run(async () => t.downloaded(await download(token, id)));
    },
  }, t.exportZip);
  const eraseButton = h("button", {
    type: "button",
    class: "privacy-erase danger",
    onclick: () => {
      const id = contactId();
      if (!id) return;
      if (!window.confirm(t.eraseConfirm(id))) return;
      void run(async () => {
        const done = await api<Erasure>(`/api/v1/contacts/${encodeURIComponent(id)}/erase`, { method: "POST", token });
        return done.already_erased
          ? t.alreadyErased(done.contact_id)
          : t.erased(done.contact_id, done.conversations, done.files);
      });
    },
  }, t.erase);
  return h(
    "section",
    { class: "card privacy-card", "aria-labelledby": "p-title" },
    h("h2", { id: "p-title" }, t.dataProtection),
    h("div", { class: "privacy-form" }, h("label", { for: "privacy-contact" }, t.contactId), input, exportButton, eraseButton),
    status,
  );
}
