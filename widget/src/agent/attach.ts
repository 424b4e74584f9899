// The console's paperclip: a file (with the composer's text as its caption) is uploaded to the
// conversation through REST; the stored message then arrives like any other. The gateway sends it
// on to the platform as an upload, never as a public link.

import { h, setText, svg } from "../shared/dom";
import { clientId } from "../shared/format";
import { acceptAttribute, refusal, uploadFile, type UploadLimits, type UploadTexts } from "../shared/upload";
import { sharedTexts } from "../shared/strings";
import { t } from "./strings";

const TEXTS: UploadTexts = sharedTexts().upload;

const CLIP = "M16.5 6.5 8.6 14.4a1.5 1.5 0 0 0 2.1 2.1l7.9-7.9a3 3 0 0 0-4.2-4.2l-8.1 8.1a4.5 4.5 0 0 0 6.4 6.4l7-7";

export interface AttachTarget {
  conversationId: string;
  /** The composer's text, sent as the file's caption (and cleared once sent). */
  caption(): string;
  sent(): void;
}

export class AttachButton {
  readonly button: HTMLButtonElement;
  /** Progress and refusals, under the composer. */
  readonly note = h("p", { class: "upload-note", role: "status", "aria-live": "polite", hidden: true });
  private readonly input = h("input", { type: "file", class: "sr-only", tabindex: "-1", "aria-hidden": "true", id: "composer-file" });
  private busy = false;

  constructor(
    private readonly token: string,
    private readonly limits: () => UploadLimits,
    private readonly target: () => AttachTarget | null,
  ) {
    this.button = h(
      "button",
      { class: "btn attach", type: "button", "aria-label": t.attachFile, title: t.attachFile, "data-action": "attach" },
      svg("svg", { viewBox: "0 0 24 24", class: "clip", "aria-hidden": "true" }, svg("path", { d: CLIP })),
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

  /** The file input travels with the button (Playwright and assistive tech find it next to it). */
  get elements(): HTMLElement[] {
    return [this.button, this.input];
  }

  private say(text: string | null, error = false): void {
    this.note.hidden = text === null;
    this.note.classList.toggle("error", error);
    this.note.setAttribute("role", error ? "alert" : "status");
    setText(this.note, text);
  }

  async send(file: File): Promise<void> {
    const target = this.target();
    if (!target || this.busy) return;
    const limits = this.limits();
    const refused = refusal(file, limits, TEXTS);
    if (refused) return this.say(refused, true);
    this.busy = true;
    this.button.disabled = true;
    this.say(t.uploading(file.name));
    const result = await uploadFile(
      `/api/v1/conversations/${encodeURIComponent(target.conversationId)}/attachments`,
      { Authorization: `Bearer ${this.token}` },
      file,
      { text: target.caption(), client_id: clientId() },
      limits,
      TEXTS,
    );
    this.busy = false;
    this.button.disabled = false;
    if (!result.ok) return this.say(result.error, true);
    this.say(null);
    target.sent();
  }
}
