// Agents: the list (languages, skills, capacity, disabled, source), creating and editing one
// (skills as rows of skill + proficiency, languages as checkboxes, capacity per work channel),
// disabling/enabling after a confirmation, and resetting a password.

import { h, replace } from "../shared/dom";
import { Form, num, Rows } from "./form";
import { ID, seg, type Agent, type Settings } from "./store";
import { T } from "./strings";
import { card, deleted, openEditor, source, table, type Ui } from "./ui";

const MIN_PASSWORD = 10;
const MAX_CAPACITY = 50;

function skillRow(form: Form) {
  return (item: [string, number] | null, remove: HTMLButtonElement) => {
    const t = T();
    const skill = h("input", { class: "skill-name", list: `${form.prefix}-known-skills`, autocomplete: "off", value: item?.[0] ?? "" });
    const level = h("select", { class: "skill-level" }, [1, 2, 3, 4, 5].map((p) => h("option", { value: String(p), selected: p === (item?.[1] ?? 3) }, String(p))));
    return {
      el: h("div", { class: "row-item" }, skill, level, remove),
      read: (): [string, number] => [skill.value.trim(), Number(level.value)],
      number: (i: number) => {
        skill.setAttribute("aria-label", t.skillN(i));
        level.setAttribute("aria-label", t.proficiencyN(i));
      },
    };
  };
}

function agentForm(ui: Ui, s: Settings, agent: Agent | null, close: () => void): HTMLFormElement {
  const t = T();
  const form = new Form("agent", agent ? t.editAgent(agent.name || agent.id) : t.newAgent, () => save());
  const id = h("input", { autocomplete: "off", value: agent?.id ?? "", maxlength: 64, disabled: Boolean(agent) });
  const name = h("input", { autocomplete: "off", value: agent?.name ?? "", maxlength: 100 });
  const password = h("input", { type: "password", autocomplete: "new-password" });
  const langs = s.languages.map((lang) => {
    const box = h("input", { type: "checkbox", value: lang, checked: agent?.languages?.includes(lang) ?? false, id: form.id(`languages.${lang}`) });
    return { lang, box, el: h("label", { class: "inline", for: form.id(`languages.${lang}`) }, box, " ", t.language(lang)) };
  });
  const skills = new Rows<[string, number]>(skillRow(form), t.removeSkill);
  for (const entry of Object.entries(agent?.skills ?? {})) skills.push(entry);
  if (!agent) skills.push(null);
  const capacity = s.work_channels.map((ch) => ({
    ch,
    input: h("input", { type: "number", min: 0, max: MAX_CAPACITY, step: 1, inputmode: "numeric", value: String(agent?.capacity?.[ch] ?? 0) }),
  }));
  const autoAccept = h("input", { type: "checkbox", checked: agent?.auto_accept ?? false });
  const email = h("input", { type: "email", autocomplete: "off", value: agent?.email ?? "" });
  const phone = h("input", { autocomplete: "off", value: agent?.phone ?? "" });

  form.add(
    h("div", { class: "form-grid" },
      form.field("id", t.agentId, id, agent ? "" : t.idHint),
      form.field("name", t.name, name),
      agent ? null : form.field("password", t.password, password, t.passwordHint(MIN_PASSWORD)),
    ),
    form.group("languages", t.languages, h("div", { class: "checks" }, langs.map((l) => l.el))),
    form.group("skills", t.skills,
      h("datalist", { id: `${form.prefix}-known-skills` }, s.skills.map((k) => h("option", { value: k }))),
      skills.list,
      h("button", { class: "btn small", type: "button", onclick: () => skills.push(null) }, t.addSkill),
    ),
    form.group("capacity", t.capacity, h("div", { class: "form-grid" }, capacity.map((c) => form.field(`capacity.${c.ch}`, t.channel(c.ch), c.input)))),
    h("div", { class: "form-grid" },
      form.field("email", t.email, email),
      form.field("phone", t.phone, phone, t.phoneHint),
    ),
    form.field("auto_accept", t.autoAccept, autoAccept),
  ).buttons(agent ? t.save : t.create, close);

  const read = () => {
    if (!agent && !ID.test(id.value.trim())) form.fail("id", t.badId);
    if (!name.value.trim()) form.fail("name", t.required);
    if (!agent && password.value.length < MIN_PASSWORD) form.fail("password", t.passwordHint(MIN_PASSWORD));
    const chosen = langs.filter((l) => l.box.checked).map((l) => l.lang);
    if (!chosen.length) form.fail("languages", t.chooseLanguage);
    const skillMap: Record<string, number> = {};
    skills.values().forEach(([skill, level], i) => {
      const row = skills.elements()[i].querySelector("input") ?? undefined;
      if (!skill) return; // an empty row is ignored
      if (!ID.test(skill)) form.fail("skills", t.badSkill(skill), row);
      else if (skill in skillMap) form.fail("skills", t.duplicate(skill), row);
      skillMap[skill] = level;
    });
    const cap: Record<string, number> = {};
    for (const c of capacity) {
      const value = num(c.input);
      if (value === null || !Number.isInteger(value) || value < 0 || value > MAX_CAPACITY) form.fail(`capacity.${c.ch}`, t.range(0, MAX_CAPACITY));
      else cap[c.ch] = value;
    }
    return {
      name: name.value.trim(),
      languages: chosen,
      skills: skillMap,
      capacity: cap,
      auto_accept: autoAccept.checked,
      email: email.value.trim(),
      phone: phone.value.trim(),
    };
  };

  const save = async () => {
    const fields = read();
    if (!form.ok) return;
    try {
      if (agent) await ui.admin.write("PATCH", `agents/${seg(agent.id)}`, fields);
      else await ui.admin.write("POST", "agents", { id: id.value.trim(), password: password.value, ...fields });
      ui.say(agent ? t.saved(fields.name) : t.created(fields.name));
      close();
    } catch (err) {
      form.refused(err, () => ui.admin.load().then(() => undefined));
    }
  };
  return form.el;
}

function passwordForm(ui: Ui, agent: Agent, close: () => void): HTMLFormElement {
  const t = T();
  const form = new Form("password", t.resetPasswordFor(agent.name || agent.id), () => save());
  const password = h("input", { type: "password", autocomplete: "new-password" });
  form.add(form.field("password", t.newPassword, password, t.passwordHint(MIN_PASSWORD))).buttons(t.resetPassword, close);
  const save = async () => {
    if (password.value.length < MIN_PASSWORD) {
      form.fail("password", t.passwordHint(MIN_PASSWORD));
      return;
    }
    try {
      await ui.admin.write("POST", `agents/${seg(agent.id)}/password`, { password: password.value });
      ui.say(t.passwordReset(agent.name || agent.id));
      close();
    } catch (err) {
      form.refused(err, () => ui.admin.load().then(() => undefined));
    }
  };
  return form.el;
}

const pairs = (m: Record<string, number> | undefined) => Object.entries(m ?? {}).map(([k, v]) => `${k} ${v}`).join(", ");

export function agentsSection(ui: Ui): HTMLElement {
  const t = T();
  const close = () => replace(editor, null);
  const { el, table: list, editor } = card("agents", t.agents, t.addAgent, () => {
    if (ui.admin.settings) openEditor(editor, agentForm(ui, ui.admin.settings, null, close));
  });
  const toggle = async (a: Agent) => {
    const disable = !a.disabled;
    if (!(await ui.confirm(disable ? t.disableConfirm(a.name || a.id) : t.enableConfirm(a.name || a.id), disable ? t.disable : t.enable))) return;
    try {
      await ui.admin.write("PATCH", `agents/${seg(a.id)}`, { disabled: disable });
      ui.say(disable ? t.disabledSaid(a.name || a.id) : t.enabledSaid(a.name || a.id));
    } catch (err) {
      ui.say(t.failed(err));
    }
  };
  ui.admin.onChange(() => {
    const s = ui.admin.settings;
    if (!s) return;
    const rows = s.agents.map((a) =>
      h("tr", { "data-agent": a.id, class: a.disabled ? "disabled" : null },
        h("th", { scope: "row" }, a.name || a.id, h("div", { class: "muted" }, a.id)),
        h("td", null, (a.languages ?? []).join(", ")),
        h("td", null, pairs(a.skills)),
        h("td", null, pairs(a.capacity)),
        h("td", null, a.disabled ? h("span", { class: "pill state-offline" }, t.disabled) : h("span", { class: "pill state-available" }, t.active)),
        h("td", null, source(ui, "agent", a.id, a)),
        h("td", { class: "actions" },
          h("button", { class: "btn small", type: "button", "data-action": "edit", "aria-label": t.editNamed(a.name || a.id), onclick: () => openEditor(editor, agentForm(ui, s, a, close)) }, t.edit),
          h("button", { class: "btn small", type: "button", "data-action": "password", "aria-label": t.resetPasswordNamed(a.name || a.id), onclick: () => openEditor(editor, passwordForm(ui, a, close)) }, t.resetPassword),
          h("button", { class: "btn small danger", type: "button", "data-action": a.disabled ? "enable" : "disable", "aria-label": (a.disabled ? t.enableNamed : t.disableNamed)(a.name || a.id), onclick: () => void toggle(a) }, a.disabled ? t.enable : t.disable),
        ),
      ),
    );
    replace(list, table(t.agents, [t.name, t.languages, t.skills, t.capacity, t.status, t.source, t.actions], rows, t.none), deleted(ui, "agent"));
  });
  return el;
}
