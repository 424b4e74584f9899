// The labels of the open conversation: chips (with a remove button) and a picker of the tenant's
// labels, shown by name. The gateway keeps them (and archives them with the conversation).

import { h } from "../shared/dom";
import type { AgentConnection } from "./connection";
import { errorSentence } from "./errors";
import type { Conversation } from "./types";
import { t } from "./strings";

export class LabelBar {
  readonly el = h("div", { class: "labels", "aria-label": t.labels });
  private conv: Conversation | null = null;

  constructor(private readonly conn: AgentConnection, private readonly toast: (text: string) => void) {}

  show(conv: Conversation | null): void {
    this.conv = conv;
    this.draw();
  }

  private name(id: string): string {
    return this.conn.workspace.labels.find((l) => l.id === id)?.name ?? id;
  }

  private async change(change: { add?: string; remove?: string }): Promise<void> {
    if (!this.conv) return;
    const ack = await this.conn.label(this.conv.conversation_id, change);
    if (ack.error) this.toast(t.labelFailed(errorSentence(ack.error)));
    this.draw();
  }

  private draw(): void {
    const c = this.conv;
    const all = this.conn.workspace.labels;
    this.el.hidden = !c || all.length === 0;
    if (!c) return this.el.replaceChildren();
    const on = c.labels ?? [];
    const chips = on.map((id) =>
      h("span", { class: "label-chip", "data-label": id }, this.name(id),
        h("button", { class: "label-remove", type: "button", "aria-label": t.removeLabel(this.name(id)),
          onclick: () => void this.change({ remove: id }) }, "×")),
    );
    const free = all.filter((l) => !on.includes(l.id));
    const picker = h("select", { class: "label-add", "aria-label": t.addLabel },
      h("option", { value: "" }, t.labelOption), free.map((l) => h("option", { value: l.id }, l.name)));
    picker.addEventListener("change", () => {
      if (picker.value) void this.change({ add: picker.value });
    });
    this.el.replaceChildren(...chips, free.length ? picker : "");
  }
}
