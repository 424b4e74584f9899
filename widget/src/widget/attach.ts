// Files in the widget: the visitor's paperclip (upload through REST with the visitor token in a
// header), and the files on messages, fetched the same way. The widget's socket carries no
// binary; the stored message comes back through `history` like any other.

import { MediaCache, type AttachmentTexts } from "../shared/attachments";
import { h, setText, svg } from "../shared/dom";
import { clientId } from "../shared/format";
import { acceptAttribute, refusal, uploadFile, type UploadLimits, type UploadTexts } from "../shared/upload";
import type { Lang, Texts } from "./i18n";
import type { VisitorConnection } from "./reconnect";

const CLIP = "M16.5 6.5 8.6 14.4a1.5 1.5 0 0 0 2.1 2.1l7.9-7.9a3 3 0 0 0-4.2-4.2l-8.1 8.1a4.5 4.5 0 0 0 6.4 6.4l7-7";

export function attachmentTexts(t: Texts, lang: Lang): AttachmentTexts {
  return {
    loading: t.fileLoading,
    unavailable: t.fileUnavailable,
    tooLarge: t.fileTooLarge,
    fetchFailed: t.fileFetchFailed,
    openImage: t.openImage,
    fallbackName: t.fileFallback,
    lang,
  };
}

/** Files of the visitor's conversation, with the visitor token in a header. */
export function visitorMedia(origin: string, conn: VisitorConnection): MediaCache {
  return new MediaCache(origin, (): Record<string, string> => {
    const token = conn.visitorToken;
    return token ? { "X-Visitor-Token": token } : {};
  });
}

export class VisitorAttach {
  readonly button: HTMLButtonElement;
  readonly input = h("input", { type: "file", class: "sr-only", tabindex: "-1", "aria-hidden": "true", id: "or-file" });
  readonly note = h("p", { class: "upload-note", role: "status", hidden: true });
  private readonly texts: UploadTexts;
  private busy = false;
  private open = false;

  constructor(
    private readonly t: Texts,
    lang: Lang,
    private readonly origin: string,
    private readonly conn: VisitorConnection,
    private readonly limits: () => UploadLimits,
    /** The composer's text (sent as the caption) and a way to clear it once sent. */
    private readonly caption: { take(): string; clear(): void },
  ) {
    this.texts = { tooLarge: t.uploadTooLarge, typeNotAllowed: t.uploadType, failed: t.uploadFailed, lang };
    this.button = h(
      "button",
      { class: "attach", type: "button", "aria-label": t.attach, title: t.attach },
      svg("svg", { viewBox: "0 0 24 24", "aria-hidden": "true" }, svg("path", { d: CLIP })),
    );
    this.button.addEventListener("click", () => {
      this.input.accept = acceptAttribute(this.limits());
      this.input.click();
    });
    this.input.addEventListener("change", () => {
      const file = this.input.files?.[0];
      this.input.value = "";
      if (file) void this.send(file);
    });
  }

  /** Files go into an open conversation (the server starts one only from words). */
  setOpen(open: boolean): void {
    this.open = open;
    this.button.disabled = this.busy || !open;
  }

  private say(text: string | null, error = false): void {
    this.note.hidden = text === null;
    this.note.classList.toggle("error", error);
    this.note.setAttribute("role", error ? "alert" : "status");
    setText(this.note, text);
  }

  async send(file: File): Promise<void> {
    const token = this.conn.visitorToken;
    if (!token || this.busy || !this.open) return;
    const limits = this.limits();
    const refused = refusal(file, limits, this.texts);
    if (refused) return this.say(refused, true);
    this.busy = true;
    this.setOpen(this.open);
    this.say(this.t.uploading(file.name));
    const result = await uploadFile(
      `${this.origin}/api/v1/widget/attachments`,
      { "X-Visitor-Token": token },
      file,
      { text: this.caption.take(), client_id: clientId() },
      limits,
      this.texts,
    );
    this.busy = false;
    this.setOpen(this.open);
    if (!result.ok) return this.say(result.error, true);
    this.say(null);
    this.caption.clear();
    void this.conn.resync();
  }
}
