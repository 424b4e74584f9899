// Files on messages, in the widget and the console alike. The bytes come from the gateway's
// media route with the credential in a header (a URL with a token in it would end up in
// histories, logs and Referer headers), and reach the page as a blob: URL.

import { h, setText } from "./dom";
import { fileSize } from "./format";
import type { Attachment } from "./messages";

export interface AttachmentTexts {
  loading: string;
  unavailable(reason: string): string;
  tooLarge(name: string, size: string): string;
  /** Why a fetch failed when the server said nothing better. */
  fetchFailed: string;
  openImage(name: string): string;
  fallbackName: string;
  lang: string;
}

// Blob URLs hold their bytes until revoked: keep the most recent ones only.
const KEEP = 150;

/** Fetches each attachment once and hands out its blob: URL. */
export class MediaCache {
  private readonly urls = new Map<string, Promise<string>>();

  constructor(
    private readonly base: string,
    private readonly headers: () => Record<string, string>,
  ) {}

  url(id: string): Promise<string> {
    let url = this.urls.get(id);
    if (!url) {
      url = this.fetch(id);
      this.urls.set(id, url);
      // A failure is not kept: the next drawing of the message tries again.
      url.catch(() => this.urls.delete(id));
      this.trim();
    }
    return url;
  }

  private async fetch(id: string): Promise<string> {
    const response = await fetch(`${this.base}/api/v1/media/${encodeURIComponent(id)}`, {
      headers: this.headers(),
      credentials: "omit",
    });
    if (!response.ok) {
      let message = "";
      try {
        message = (await response.json())?.error?.message ?? "";
      } catch {
        /* not JSON: the status says enough */
      }
      throw new Error(message || `HTTP ${response.status}`);
    }
    return URL.createObjectURL(await response.blob());
  }

  private trim(): void {
    while (this.urls.size > KEEP) {
      const [oldest, url] = this.urls.entries().next().value as [string, Promise<string>];
      this.urls.delete(oldest);
      url.then((u) => URL.revokeObjectURL(u)).catch(() => undefined);
    }
  }
}

const inline = (a: Attachment) =>
  (a.kind === "image" || a.kind === "sticker") && (!a.mime || a.mime.startsWith("image/"));

/** A stable summary of what is drawn, so a redraw happens only when it changes. */
export function attachmentsKey(list: Attachment[] | undefined): string {
  return (list ?? []).map((a) => `${a.id}:${a.state ?? "ready"}:${a.reason ?? ""}`).join("|");
}

/** One attachment: an inline image (click opens it), a download link, or a line saying why not. */
export function attachmentView(a: Attachment, cache: MediaCache, t: AttachmentTexts): HTMLElement {
  const name = a.name || t.fallbackName;
  const size = fileSize(a.size, t.lang);
  const state = a.state ?? "ready";
  const box = h("div", { class: `attachment kind-${a.kind}`, "data-attachment-id": a.id, "data-state": state });
  const say = (text: string, cls: string) => box.replaceChildren(h("span", { class: cls }, text));
  if (state === "pending") {
    say(t.loading, "att-note");
  } else if (state === "too_large") {
    say(t.tooLarge(name, size), "att-note");
  } else if (state === "failed") {
    say(t.unavailable(a.reason || t.fetchFailed), "att-error");
  } else if (inline(a)) {
    const link = h("a", { class: "att-image", target: "_blank", rel: "noopener", "aria-label": t.openImage(name) });
    const img = h("img", { alt: name });
    link.append(img);
    say(t.loading, "att-note");
    cache
      .url(a.id)
      .then((url) => {
        img.src = url;
        link.href = url;
        box.replaceChildren(link);
      })
      .catch((err: Error) => say(t.unavailable(err.message || t.fetchFailed), "att-error"));
  } else {
    box.append(fileLink(a, name, size, cache, t, box));
  }
  return box;
}

// Other files are fetched when asked for, not with every conversation opened.
function fileLink(a: Attachment, name: string, size: string, cache: MediaCache, t: AttachmentTexts, box: HTMLElement): HTMLElement {
  const link = h("a", { class: "att-file", href: "#", download: name }, h("span", { class: "att-name" }, name), size ? ` (${size})` : null);
  const error = h("span", { class: "att-error", role: "alert" });
  link.addEventListener("click", (ev) => {
    if (link.getAttribute("href") !== "#") return; // fetched: the browser downloads it
    ev.preventDefault();
    link.setAttribute("aria-busy", "true");
    setText(error, null);
    cache
      .url(a.id)
      .then((url) => {
        link.href = url;
        link.click();
      })
      .catch((err: Error) => {
        setText(error, t.unavailable(err.message || t.fetchFailed));
        box.append(error);
      })
      .finally(() => link.removeAttribute("aria-busy"));
  });
  return link;
}
