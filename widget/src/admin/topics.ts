// Topics: what a visitor picks in the widget (a label per tenant language) and the queue it enters.

import { h, replace } from "../shared/dom";
import { examplesInput } from "./assist_fields";
import { Form } from "./form";
import { ID, seg, type Settings, type Topic } from "./store";
import { T } from "./strings";
import { card, deleted, openEditor, remove, source, table, type Ui } from "./ui";

const MAX_LABEL = 100;

function topicForm(ui: Ui, s: Settings, topic: Topic | null, close: () => void): HTMLFormElement {
  const t = T();
  const form = new Form("topic", topic ? t.editTopic(topic.id) : t.newTopic, () => save());
  const id = h("input", { autocomplete: "off", maxlength: 64, value: topic?.id ?? "", disabled: Boolean(topic) });
  const queue = h("select", null, s.queues.map((q) => h("option", { value: q.id, selected: q.id === topic?.queue }, q.name || q.id)));
  const labels = s.languages.map((lang) => ({ lang, input: h("input", { autocomplete: "off", maxlength: MAX_LABEL, value: topic?.label?.[lang] ?? "" }) }));
  const examples = examplesInput(form, "examples", s.languages, topic?.examples ?? {}, t.examplesIn);
  // (a gateway whose topics carry no examples yet takes none: the field would be refused)
  const withExamples = s.topics.some((x) => x.examples !== undefined);
  form.add(
    h("div", { class: "form-grid" },
      form.field("id", t.topicId, id, topic ? "" : t.idHint),
      form.field("queue", t.queue, queue),
      labels.map((l) => form.field(`label.${l.lang}`, t.labelIn(t.language(l.lang)), l.input)),
    ),
    withExamples ? form.group("examples", t.topicExamples, h("p", { class: "hint" }, t.topicExamplesHint), examples.el) : null,
  ).buttons(topic ? t.save : t.create, close);

  const save = async () => {
    const topicId = topic ? topic.id : id.value.trim();
    if (!topic && !ID.test(topicId)) form.fail("id", t.badId);
    if (!topic && s.topics.some((x) => x.id === topicId)) form.fail("id", t.exists(topicId));
    const label: Record<string, string> = {};
    for (const l of labels) if (l.input.value.trim()) label[l.lang] = l.input.value.trim();
    if (!Object.keys(label).length) form.fail(`label.${s.languages[0]}`, t.oneLabel);
    if (!form.ok) return;
    try {
      await ui.admin.write("PUT", `topics/${seg(topicId)}`, { id: topicId, queue: queue.value, label, ...(withExamples ? { examples: examples.read() } : {}) });
      ui.say(t.saved(topicId));
      close();
    } catch (err) {
      form.refused(err, () => ui.admin.load().then(() => undefined));
    }
  };
  return form.el;
}

export function topicsSection(ui: Ui): HTMLElement {
  const t = T();
  const close = () => replace(editor, null);
  const { el, table: list, editor } = card("topics", t.topics, t.addTopic, () => {
    if (ui.admin.settings) openEditor(editor, topicForm(ui, ui.admin.settings, null, close));
  });
  ui.admin.onChange(() => {
    const s = ui.admin.settings;
    if (!s) return;
    const queueName = (id: string) => s.queues.find((q) => q.id === id)?.name || id;
    const rows = s.topics.map((tp) =>
      h("tr", { "data-topic": tp.id },
        h("th", { scope: "row" }, tp.id),
        h("td", null, queueName(tp.queue)),
        h("td", null, Object.entries(tp.label ?? {}).map(([lang, text]) => h("div", null, h("span", { class: "muted" }, `${lang}: `), text))),
        h("td", null, source(ui, "topic", tp.id, tp)),
        h("td", { class: "actions" },
          h("button", { class: "btn small", type: "button", "data-action": "edit", "aria-label": t.editNamed(tp.id), onclick: () => openEditor(editor, topicForm(ui, s, tp, close)) }, t.edit),
          h("button", { class: "btn small danger", type: "button", "data-action": "delete", "aria-label": t.deleteNamed(tp.id), onclick: () => void remove(ui, `topics/${seg(tp.id)}`, tp.id) }, t.delete),
        ),
      ),
    );
    replace(list, table(t.topics, [t.topicId, t.queue, t.labels, t.source, t.actions], rows, t.none), deleted(ui, "topic"));
  });
  return el;
}
