// Queues: the list, and a form for one queue with its routing steps as rows (timeout, minimum
// proficiency, relax language, overflow queue, escalate by email/callback), its wrap-up codes
// (id + name, required or not), SLA threshold and target, policy and timers.

import { h, replace } from "../shared/dom";
import { checkGroup } from "./assist_fields";
import { Form, num, Rows } from "./form";
import { body, ID, seg, type Queue, type Settings, type Step, type WrapupCode } from "./store";
import { T } from "./strings";
import { card, deleted, openEditor, remove, source, table, type Ui } from "./ui";

const ESCALATIONS = ["email", "callback"];

const DEFAULTS: Omit<Queue, "id" | "skill"> = {
  name: "", policy: "longest_idle", priority: 0, aging_per_min: 0, sla_threshold_s: 20, sla_target: 0.8, wrapup_s: 30,
  decline_cooldown_s: 30, aht_s: 180, offer_timeout_s: { chat: 20, messaging: 20, email: 60, voice: 15 },
  steps: [{ timeout_s: null, min_proficiency: 1, relax_language: false, overflow: null, escalate: [] }],
  wrapup_codes: [], wrapup_required: false, hours: null,
};

function stepRow(s: Settings, self: string | null) {
  return (step: Step | null, removeButton: HTMLButtonElement) => {
    const t = T();
    const timeout = h("input", { type: "number", min: 0, step: "any", class: "step-timeout", value: step?.timeout_s ?? "" });
    const prof = h("select", { class: "step-proficiency" }, [1, 2, 3, 4, 5].map((p) => h("option", { value: String(p), selected: p === (step?.min_proficiency ?? 1) }, String(p))));
    const relax = h("input", { type: "checkbox", class: "step-relax", checked: step?.relax_language ?? false });
    const overflow = h("select", { class: "step-overflow" },
      h("option", { value: "" }, t.noOverflow),
      s.queues.filter((q) => q.id !== self).map((q) => h("option", { value: q.id, selected: step?.overflow === q.id }, q.name || q.id)),
    );
    const escalate = ESCALATIONS.map((e) => ({ e, box: h("input", { type: "checkbox", checked: step?.escalate?.includes(e) ?? false }) }));
    const rowN = h("span", { class: "row-n", "aria-hidden": "true" });
    const el = h("div", { class: "row-item step" },
      rowN,
      h("label", { class: "inline" }, h("span", { "aria-hidden": "true" }, t.timeoutShort), timeout),
      h("label", { class: "inline" }, h("span", { "aria-hidden": "true" }, t.minProficiencyShort), prof),
      h("label", { class: "inline" }, relax, h("span", { "aria-hidden": "true" }, t.relaxShort)),
      h("label", { class: "inline" }, h("span", { "aria-hidden": "true" }, t.overflowShort), overflow),
      escalate.map(({ e, box }) => h("label", { class: "inline" }, box, h("span", { "aria-hidden": "true" }, t.escalation(e)))),
      removeButton,
    );
    return {
      el,
      read: (): Step => ({
        timeout_s: num(timeout),
        min_proficiency: Number(prof.value),
        relax_language: relax.checked,
        overflow: overflow.value || null,
        escalate: escalate.filter((x) => x.box.checked).map((x) => x.e),
      }),
      number: (i: number) => {
        rowN.textContent = `${i}.`;
        timeout.setAttribute("aria-label", t.stepTimeout(i));
        prof.setAttribute("aria-label", t.stepProficiency(i));
        relax.setAttribute("aria-label", t.stepRelax(i));
        overflow.setAttribute("aria-label", t.stepOverflow(i));
        for (const { e, box } of escalate) box.setAttribute("aria-label", t.stepEscalate(i, t.escalation(e)));
      },
    };
  };
}

function codeRow(s: Settings) {
  return (code: WrapupCode | null, removeButton: HTMLButtonElement) => {
    const t = T();
    const id = h("input", { class: "code-id", autocomplete: "off", maxlength: 64, value: code?.id ?? "" });
    const name = h("input", { class: "code-name", autocomplete: "off", maxlength: 100, value: code?.name ?? "" });
    const topic = h("select", { class: "code-topic" },
      h("option", { value: "" }, t.noTopic),
      s.topics.map((tp) => h("option", { value: tp.id, selected: tp.id === code?.topic }, tp.label?.[t.lang] || tp.id)));
    return {
      el: h("div", { class: "row-item" }, id, name, topic, removeButton),
      read: () => ({ id: id.value.trim(), name: name.value.trim(), topic: topic.value || null }),
      number: (i: number) => {
        id.setAttribute("aria-label", t.codeId(i));
        name.setAttribute("aria-label", t.codeName(i));
        topic.setAttribute("aria-label", t.codeTopic(i));
      },
    };
  };
}

function queueForm(ui: Ui, s: Settings, queue: Queue | null, close: () => void): HTMLFormElement {
  const t = T();
  const q = queue ?? { ...DEFAULTS, id: "", skill: "" };
  const form = new Form("queue", queue ? t.editQueue(queue.name || queue.id) : t.newQueue, () => save());
  const id = h("input", { autocomplete: "off", maxlength: 64, value: q.id, disabled: Boolean(queue) });
  const name = h("input", { autocomplete: "off", maxlength: 100, value: q.name });
  const skill = h("input", { autocomplete: "off", list: "queue-known-skills", maxlength: 64, value: q.skill });
  const policy = h("select", null, s.policies.map((p) => h("option", { value: p, selected: p === q.policy }, t.policy(p))));
  const number = (value: number | null | undefined, min = 0, step: number | "any" = "any") => h("input", { type: "number", min, step, value: value ?? "" });
  const priority = number(q.priority, -100, 1);
  const aging = number(q.aging_per_min);
  const threshold = number(q.sla_threshold_s);
  const target = h("input", { type: "number", min: 1, max: 100, step: "any", value: Math.round((q.sla_target ?? 0.8) * 1000) / 10 });
  const wrapup = number(q.wrapup_s);
  const cooldown = number(q.decline_cooldown_s);
  const aht = number(q.aht_s);
  const offers = s.work_channels.map((ch) => ({ ch, input: number(q.offer_timeout_s?.[ch] ?? null) }));
  const steps = new Rows<Step>(stepRow(s, queue?.id ?? null), t.removeStep);
  for (const step of q.steps ?? []) steps.push(step);
  const codes = new Rows<WrapupCode>(codeRow(s), t.removeCode);
  for (const code of q.wrapup_codes ?? []) codes.push(code);
  const required = h("input", { type: "checkbox", checked: q.wrapup_required });
  const excluded = checkGroup(form, "auto_exclude_topics", t.autoExclude, s.topics.map((tp) => ({ id: tp.id, name: tp.label?.[t.lang] || tp.id })),
    q.auto_exclude_topics ?? [], t.autoExcludeHint);

  form.add(
    h("div", { class: "form-grid" },
      form.field("id", t.queueId, id, queue ? "" : t.idHint),
      form.field("name", t.name, name),
      form.field("skill", t.skill, skill, t.skillHint),
      form.field("policy", t.policyLabel, policy),
      form.field("priority", t.priority, priority),
      form.field("aging_per_min", t.aging, aging),
    ),
    h("datalist", { id: "queue-known-skills" }, s.skills.map((k) => h("option", { value: k }))),
    form.group("sla", t.serviceLevel, h("div", { class: "form-grid" },
      form.field("sla_threshold_s", t.slaThreshold, threshold),
      form.field("sla_target", t.slaTarget, target, t.slaTargetHint),
      form.field("aht_s", t.aht, aht),
    )),
    form.group("timers", t.timers, h("div", { class: "form-grid" },
      form.field("wrapup_s", t.wrapupS, wrapup),
      form.field("decline_cooldown_s", t.cooldown, cooldown),
      offers.map((o) => form.field(`offer_timeout_s.${o.ch}`, t.offerTimeout(t.channel(o.ch)), o.input)),
    )),
    form.group("steps", t.steps, h("p", { class: "hint" }, t.stepsHint), steps.list,
      h("button", { class: "btn small", type: "button", onclick: () => steps.push({ ...DEFAULTS.steps[0] }) }, t.addStep)),
    form.group("wrapup_codes", t.wrapupCodes, codes.list,
      h("button", { class: "btn small", type: "button", onclick: () => codes.push(null) }, t.addCode)),
    form.field("wrapup_required", t.wrapupRequired, required),
    excluded.el,
  ).buttons(queue ? t.save : t.create, close);

  const read = (): Queue => {
    const queueId = queue ? queue.id : id.value.trim();
    if (!queue && !ID.test(queueId)) form.fail("id", t.badId);
    if (!queue && s.queues.some((x) => x.id === queueId)) form.fail("id", t.exists(queueId));
    if (!ID.test(skill.value.trim())) form.fail("skill", t.badSkill(skill.value.trim()));
    const need = (key: string, input: HTMLInputElement, min: number, max = Infinity): number => {
      const value = num(input);
      if (value === null || value < min || value > max) {
        form.fail(key, max === Infinity ? t.atLeast(min) : t.range(min, max));
        return 0;
      }
      return value;
    };
    const offerTimeouts: Record<string, number> = {};
    for (const o of offers) offerTimeouts[o.ch] = need(`offer_timeout_s.${o.ch}`, o.input, 1);
    const stepValues = steps.values();
    if (!stepValues.length) form.fail("steps", t.oneStep);
    stepValues.forEach((step, i) => {
      const input = steps.elements()[i].querySelector<HTMLInputElement>(".step-timeout") ?? undefined;
      if (step.timeout_s !== null && step.timeout_s <= 0) form.fail("steps", t.stepBadTimeout(i + 1), input);
    });
    const codeValues = codes.values().filter((c) => c.id || c.name);
    const seen = new Set<string>();
    codeValues.forEach((c, i) => {
      const input = codes.elements()[i]?.querySelector("input") ?? undefined;
      if (!c.id) form.fail("wrapup_codes", t.codeNeedsId(i + 1), input);
      else if (seen.has(c.id)) form.fail("wrapup_codes", t.duplicate(c.id), input);
      seen.add(c.id);
    });
    if (required.checked && !codeValues.length) form.fail("wrapup_required", t.requiredNeedsCodes);
    return {
      ...(body(q) as unknown as Queue),
      id: queueId,
      name: name.value.trim(),
      skill: skill.value.trim(),
      policy: policy.value,
      priority: need("priority", priority, -100, 100),
      aging_per_min: need("aging_per_min", aging, 0, 1000),
      sla_threshold_s: need("sla_threshold_s", threshold, 1),
      sla_target: need("sla_target", target, 1, 100) / 100,
      aht_s: need("aht_s", aht, 1),
      wrapup_s: need("wrapup_s", wrapup, 0),
      decline_cooldown_s: need("decline_cooldown_s", cooldown, 0),
      offer_timeout_s: offerTimeouts,
      steps: stepValues,
      wrapup_codes: codeValues,
      wrapup_required: required.checked,
      auto_exclude_topics: excluded.values(),
    };
  };

  const save = async () => {
    const item = read();
    if (!form.ok) return;
    try {
      await ui.admin.write("PUT", `queues/${seg(item.id)}`, item);
      ui.say(t.saved(item.name || item.id));
      close();
    } catch (err) {
      form.refused(err, () => ui.admin.load().then(() => undefined));
    }
  };
  return form.el;
}

export function queuesSection(ui: Ui): HTMLElement {
  const t = T();
  const close = () => replace(editor, null);
  const { el, table: list, editor } = card("queues", t.queues, t.addQueue, () => {
    if (ui.admin.settings) openEditor(editor, queueForm(ui, ui.admin.settings, null, close));
  });
  ui.admin.onChange(() => {
    const s = ui.admin.settings;
    if (!s) return;
    const rows = s.queues.map((q) =>
      h("tr", { "data-queue": q.id },
        h("th", { scope: "row" }, q.name || q.id, h("div", { class: "muted" }, q.id)),
        h("td", null, q.skill),
        h("td", null, t.policy(q.policy)),
        h("td", null, t.slaSummary(q.sla_threshold_s, q.sla_target)),
        h("td", { class: "num" }, String(q.steps?.length ?? 0)),
        h("td", null, (q.wrapup_codes ?? []).map((c) => c.name || c.id).join(", "), q.wrapup_required ? h("span", { class: "pill" }, t.requiredShort) : null),
        h("td", null, source(ui, "queue", q.id, q)),
        h("td", { class: "actions" },
          h("button", { class: "btn small", type: "button", "data-action": "edit", "aria-label": t.editNamed(q.name || q.id), onclick: () => openEditor(editor, queueForm(ui, s, q, close)) }, t.edit),
          h("button", { class: "btn small danger", type: "button", "data-action": "delete", "aria-label": t.deleteNamed(q.name || q.id), onclick: () => void remove(ui, `queues/${seg(q.id)}`, q.name || q.id) }, t.delete),
        ),
      ),
    );
    replace(list, table(t.queues, [t.name, t.skill, t.policyLabel, t.serviceLevel, t.steps, t.wrapupCodes, t.source, t.actions], rows, t.none), deleted(ui, "queue"));
  });
  return el;
}
