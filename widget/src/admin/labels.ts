// Labels agents put on conversations: the stored id and the name agents read.

import { h, replace } from "../shared/dom";
import { Form } from "./form";
import { ID, seg, type Label, type Settings } from "./store";
import { T } from "./strings";
import { card, deleted, openEditor, remove, source, table, type Ui } from "./ui";

function labelForm(ui: Ui, s: Settings, item: Label | null, close: () => void): HTMLFormElement {
  const t = T();
  const form = new Form("label", item ? t.editLabel(item.name || item.id) : t.newLabel, () => save());
  const id = h("input", { autocomplete: "off", maxlength: 64, value: item?.id ?? "", disabled: Boolean(item) });
  const name = h("input", { autocomplete: "off", maxlength: 100, value: item?.name ?? "" });
  form.add(h("div", { class: "form-grid" }, form.field("id", t.labelId, id, item ? "" : t.idHint), form.field("name", t.name, name, t.labelNameHint)))
    .buttons(item ? t.save : t.create, close);

  const save = async () => {
    const labelId = item ? item.id : id.value.trim();
    if (!item && !ID.test(labelId)) form.fail("id", t.badId);
    if (!item && s.labels.some((x) => x.id === labelId)) form.fail("id", t.exists(labelId));
    if (!form.ok) return;
    try {
      await ui.admin.write("PUT", `labels/${seg(labelId)}`, { id: labelId, name: name.value.trim() });
      ui.say(t.saved(name.value.trim() || labelId));
      close();
    } catch (err) {
      form.refused(err, () => ui.admin.load().then(() => undefined));
    }
  };
  return form.el;
}

export function labelsSection(ui: Ui): HTMLElement {
  const t = T();
  const close = () => replace(editor, null);
  const { el, table: list, editor } = card("labels", t.labels, t.addLabel, () => {
    if (ui.admin.settings) openEditor(editor, labelForm(ui, ui.admin.settings, null, close));
  });
  ui.admin.onChange(() => {
    const s = ui.admin.settings;
    if (!s) return;
    const rows = s.labels.map((l) =>
      h("tr", { "data-label": l.id },
        h("th", { scope: "row" }, l.name || l.id, h("div", { class: "muted" }, l.id)),
        h("td", null, source(ui, "label", l.id, l)),
        h("td", { class: "actions" },
          h("button", { class: "btn small", type: "button", "data-action": "edit", "aria-label": t.editNamed(l.name || l.id), onclick: () => openEditor(editor, labelForm(ui, s, l, close)) }, t.edit),
          h("button", { class: "btn small danger", type: "button", "data-action": "delete", "aria-label": t.deleteNamed(l.name || l.id), onclick: () => void remove(ui, `labels/${seg(l.id)}`, l.name || l.id) }, t.delete),
        ),
      ),
    );
    replace(list, table(t.labels, [t.name, t.source, t.actions], rows, t.none), deleted(ui, "label"));
  });
  return el;
}
