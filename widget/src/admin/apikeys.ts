// The tenant's API keys (GET/POST /api/v1/admin/apikeys, DELETE …/{id}): list, create (the key is
// shown once, with a copy button and a warning), revoke. Not part of the settings' revisions: keys
// live in Redis, and a revocation holds at once on every gateway.

import { h, replace } from "../shared/dom";
import { Form } from "./form";
import { adminCall } from "./store";
import { T } from "./strings";
import { card, openEditor, showSecretOnce, table, when, type Ui } from "./ui";

interface ApiKey {
  id: string;
  name: string;
  scopes: string[];
  state: "active" | "revoked" | "expired" | string;
  created_by: string;
  created_at: number;
  expires_at: number | null;
  revoked_at: number | null;
  last_used_at: number | null;
  calls: number;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$/;

export function apikeysSection(ui: Ui, token: string): HTMLElement {
  const t = T();
  const k = t.apikeys;
  // a refusal is an AdminError, as the admin screens show refusals (Form.refused, t.failed)
  const call = async <R>(method: string, path = "", body?: unknown) =>
    (await adminCall(token, method, `/api/v1/admin/apikeys${path}`, body)).data as R;
  const shown = h("div", { class: "apikey-shown" });
  const close = () => replace(editor, null);
  const { el, table: list, editor } = card("apikeys", k.title, k.add, () => openEditor(editor, createForm()));
  el.insertBefore(h("p", { class: "muted" }, k.intro), list);
  el.insertBefore(shown, list);

  const load = async () => {
    try {
      draw(await call<ApiKey[]>("GET"));
    } catch (err) {
      replace(list, h("p", { class: "problem", role: "alert" }, t.failed(err)));
    }
  };

  const draw = (keys: ApiKey[]) => {
    const rows = keys.map((key) =>
      h("tr", { "data-apikey": key.name, "data-state": key.state },
        h("th", { scope: "row" }, key.name, h("div", { class: "muted" }, k.by(key.created_by))),
        h("td", null, key.scopes[key.scopes.length - 1] ? k.scopes[key.scopes[key.scopes.length - 1]] : ""),
        h("td", { "data-cell": "state" }, k.states[key.state] ?? key.state),
        h("td", null, when(key.created_at)),
        h("td", null, key.expires_at ? when(key.expires_at) : k.never),
        h("td", null, key.last_used_at ? `${when(key.last_used_at)} · ${k.calls(key.calls)}` : k.unused),
        h("td", { class: "actions" },
          key.state === "active"
            ? h("button", { class: "btn small danger", type: "button", "data-action": "revoke", "aria-label": k.revokeNamed(key.name), onclick: () => void revoke(key) }, k.revoke)
            : null),
      ),
    );
    replace(list, table(k.title, [k.name, k.scope, k.state, k.created, k.expires, k.lastUsed, t.actions], rows, k.none));
  };

  const revoke = async (key: ApiKey) => {
    if (!(await ui.confirm(k.revokeConfirm(key.name), k.revoke))) return;
    try {
      await call("DELETE", `/${encodeURIComponent(key.id)}`);
      ui.say(k.revoked(key.name));
    } catch (err) {
      ui.say(t.failed(err));
    }
    await load();
  };

  // once dismissed, the key is gone from the page: the server cannot show it again either
  const showOnce = (name: string, secret: string) => showSecretOnce(ui, shown, {
    cls: "apikey", title: k.createdTitle(name), secret,
    texts: { label: k.keyLabel, copy: k.copy, done: k.done, copied: k.copied, copyFailed: k.copyFailed, warning: k.warning },
  });

  const createForm = (): HTMLFormElement => {
    const form = new Form("apikey", k.add, () => save());
    const name = h("input", { autocomplete: "off", maxlength: 64 });
    const scope = h("select", null, ["read", "write", "admin"].map((s) => h("option", { value: s }, k.scopes[s])));
    const expiry = h("select", null, ["", "30", "90", "365"].map((d) => h("option", { value: d }, k.expiryOptions[d])));
    form.add(h("div", { class: "form-grid" },
      form.field("name", k.name, name, k.nameHint), form.field("scopes", k.scope, scope), form.field("expires_at", k.expiry, expiry)))
      .buttons(k.create, close);
    const save = async () => {
      const chosen = name.value.trim();
      if (!NAME.test(chosen)) form.fail("name", k.nameHint);
      if (!form.ok) return;
      try {
        const made = await call<ApiKey & { key: string }>("POST", "", {
          name: chosen, scopes: [scope.value], ...(expiry.value ? { expires_in_days: Number(expiry.value) } : {}),
        });
        close();
        showOnce(made.name, made.key);
        await load();
      } catch (err) {
        form.refused(err, () => load());
      }
    };
    return form.el;
  };

  void load();
  return el;
}
