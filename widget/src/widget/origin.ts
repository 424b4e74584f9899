// Where the widget was loaded from: its origin is the gateway it talks to.

/** A signed-in user of the embedding site, vouched for by its server (docs/identity.md). */
export interface SignedUser {
  user_id: string;
  user_email: string;
  user_hash: string;
}

export interface ScriptInfo {
  origin: string;
  tenant: string;
  lang: string | null;
  user: SignedUser | null;
}

/** Read the embedding <script> tag. Must run synchronously when widget.js executes. */
export function findScript(): ScriptInfo {
  const current = document.currentScript as HTMLScriptElement | null;
  const script =
    current && current.src
      ? current
      : document.querySelector<HTMLScriptElement>('script[src*="widget.js"][data-tenant]') ??
        document.querySelector<HTMLScriptElement>('script[src*="widget.js"]');
  const src = script?.src || location.href;
  return {
    origin: new URL(src, location.href).origin,
    tenant: script?.dataset.tenant || "demo",
    lang: script?.dataset.lang || null,
    user:
      script?.dataset.userId && script.dataset.userHash
        ? { user_id: script.dataset.userId, user_email: script.dataset.userEmail || "", user_hash: script.dataset.userHash }
        : null,
  };
}
