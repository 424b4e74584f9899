// The login of an agent or supervisor: a form posting to /api/v1/login, the token kept in
// sessionStorage (per tab, gone with the tab), and logout.

import { api, ApiError } from "./api";
import { h, replace } from "./dom";
import { langSwitch } from "./lang_switch";
import { sharedTexts } from "./strings";

export interface Login {
  token: string;
  role: "agent" | "supervisor" | string;
  agent_id?: string | null;
  tenant?: string;
  name?: string;
  expires_at?: number;
  admin?: boolean; // a supervisor who may open the admin screens (/admin)
}

const KEY = (role: string) => `omnirelay:${role}:login`;

/** The stored login for this role, unless it has expired. */
export function storedLogin(role: string): Login | null {
  try {
    const login = JSON.parse(sessionStorage.getItem(KEY(role)) ?? "null") as Login | null;
    if (!login?.token) return null;
    if (login.expires_at && login.expires_at * 1000 < Date.now()) return null;
    return login;
  } catch {
    return null;
  }
}

export function forgetLogin(role: string): void {
  sessionStorage.removeItem(KEY(role));
}

export async function logout(role: string, login: Login | null): Promise<void> {
  forgetLogin(role);
  if (login) await api("/api/v1/logout", { method: "POST", token: login.token, body: {} }).catch(() => undefined);
}

/** Show the login form in `root`; resolves once a login with the wanted role succeeded. */
export function loginForm(root: HTMLElement, role: "agent" | "supervisor", title: string, notice = ""): Promise<Login> {
  const t = sharedTexts();
  return new Promise((resolve) => {
    const username = h("input", { id: "login-username", name: "username", autocomplete: "username", required: true });
    const password = h("input", { id: "login-password", name: "password", type: "password", autocomplete: "current-password", required: true });
    const error = h("p", { class: "form-error", role: "alert", id: "login-error" }, notice);
    const submit = h("button", { class: "btn primary", type: "submit" }, t.login);
    const form = h(
      "form",
      { class: "login-card", "aria-labelledby": "login-title" },
      h("div", { class: "login-head" }, h("h1", { id: "login-title" }, title), langSwitch("login-lang")),
      h("label", { for: "login-username" }, t.username),
      username,
      h("label", { for: "login-password" }, t.password),
      password,
      error,
      submit,
    );
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      error.textContent = "";
      submit.disabled = true;
      try {
        const login = await api<Login>("/api/v1/login", {
          body: { username: username.value.trim(), password: password.value },
        });
        if (login.role !== role) {
          error.textContent = role === "supervisor" ? t.notSupervisor : t.notAgent;
          return;
        }
        sessionStorage.setItem(KEY(role), JSON.stringify(login));
        resolve(login);
      } catch (err) {
        error.textContent =
          err instanceof ApiError && err.status === 401
            ? t.wrongLogin
            : err instanceof ApiError && err.status === 429
              ? t.tooManyAttempts
              : t.unreachable;
      } finally {
        submit.disabled = false;
      }
    });
    replace(root, h("main", { class: "login-page" }, form));
    username.focus();
  });
}
