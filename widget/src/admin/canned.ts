// Canned answers: a title, the text agents insert, and the language it is for ("" = any); for the
// assist (issue 14) its topic, example customer phrasings, and the queues it may be sent automatically in.

import { h, replace } from "../shared/dom";
import { checkGroup, lines } from "./assist_fields";
import { Form } from "./form";
import { ID, seg, type Canned, type Settings } from "./store";
import { T } from "./strings";
import { card, deleted, openEditor, remove, source, table, type Ui } from "./ui";

const MAX_TITLE = 200;
const MAX_TEXT = 4096;

function cannedForm(ui: Ui, s: Settings, item: Canned | null, close: () => void): HTMLFormElement {
  const t = T();
  const form = new Form("canned", item ? t.editCanned(item.title || item.id) : t.newCanned, () => save());
  const id = h("input", { autocomplete: "off", maxlength: 64, value: item?.id ?? "", disabled: Boolean(item) });
  const title = h("input", { autocomplete: "off", maxlength: MAX_TITLE, value: item?.title ?? "" });
  const language = h("select", null,
    h("option", { value: "" }, t.anyLanguage),
    s.languages.map((lang) => h("option", { value: lang, selected: lang === item?.language }, t.language(lang))),
  );
  const text = h("textarea", { rows: 4, maxlength: MAX_TEXT });
  text.value = item?.text ?? "";
  const topic = h("select", null,
    h("option", { value: "" }, t.noTopic),
    s.topics.map((tp) => h("option", { value: tp.id, selected: tp.id === item?.topic }, tp.label?.[t.lang] || tp.id)),
  );
  const examples = h("textarea", { rows: 4, maxlength: 20_000, class: "examples" });
  examples.value = (item?.examples ?? []).join("\n");
  const autoQueues = checkGroup(form, "auto_queues", t.autoQueues, s.queues.map((q) => ({ id: q.id, name: q.name || q.id })), item?.auto_queues ?? [], t.autoQueuesHint);
  form.add(
    h("div", { class: "form-grid" },
      form.field("id", t.cannedId, id, item ? "" : t.idHint),
      form.field("title", t.title, title),
      form.field("language", t.languageLabel, language),
    ),
    form.field("text", t.text, text, t.cannedHint),
    h("div", { class: "form-grid" }, form.field("topic", t.cannedTopic, topic, t.cannedTopicHint)),
    form.field("examples", t.phrasings, examples, t.phrasingsHint),
    autoQueues.el,
  ).buttons(item ? t.save : t.create, close);

  const save = async () => {
    const cannedId = item ? item.id : id.value.trim();
    if (!item && !ID.test(cannedId)) form.fail("id", t.badId);
    if (!item && s.canned.some((x) => x.id === cannedId)) form.fail("id", t.exists(cannedId));
    if (!title.value.trim()) form.fail("title", t.required);
    if (!text.value.trim()) form.fail("text", t.required);
    if (autoQueues.values().length && !language.value) form.fail("language", t.autoNeedsLanguage);
    if (!form.ok) return;
    try {
      await ui.admin.write("PUT", `canned/${seg(cannedId)}`, {
        id: cannedId, title: title.value.trim(), text: text.value, language: language.value, topic: topic.value,
        examples: lines(examples.value), auto_queues: autoQueues.values(),
      });
      ui.say(t.saved(title.value.trim()));
      close();
    } catch (err) {
      form.refused(err, () => ui.admin.load().then(() => undefined));
    }
  };
  return form.el;
}

export function cannedSection(ui: Ui): HTMLElement {
  const t = T();
  const close = () => replace(editor, null);
  const { el, table: list, editor } = card("canned", t.canned, t.addCanned, () => {
    if (ui.admin.settings) openEditor(editor, cannedForm(ui, ui.admin.settings, null, close));
  });
  ui.admin.onChange(() => {
    const s = ui.admin.settings;
    if (!s) return;
    const rows = s.canned.map((c) =>
      h("tr", { "data-canned": c.id },
        h("th", { scope: "row" }, c.title || c.id, h("div", { class: "muted" }, c.id),
          c.auto_queues?.length
            ? h("div", { class: "pill auto-pill" }, t.autoIn(c.auto_queues.map((q) => s.queues.find((x) => x.id === q)?.name || q).join(", ")))
            : null),
        h("td", null, c.language ? t.language(c.language) : t.anyLanguage),
        h("td", { class: "wrap" }, c.text),
        h("td", null, source(ui, "canned", c.id, c)),
        h("td", { class: "actions" },
          h("button", { class: "btn small", type: "button", "data-action": "edit", "aria-label": t.editNamed(c.title || c.id), onclick: () => openEditor(editor, cannedForm(ui, s, c, close)) }, t.edit),
          h("button", { class: "btn small danger", type: "button", "data-action": "delete", "aria-label": t.deleteNamed(c.title || c.id), onclick: () => void remove(ui, `canned/${seg(c.id)}`, c.title || c.id) }, t.delete),
        ),
      ),
    );
    replace(list, table(t.canned, [t.title, t.languageLabel, t.text, t.source, t.actions], rows, t.none), deleted(ui, "canned"));
  });
  return el;
}
