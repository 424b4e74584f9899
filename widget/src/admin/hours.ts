// Business hours of the tenant: time zone, per weekday one or more "HH:MM-HH:MM" ranges (or open
// around the clock), holidays, the "closed" switch and what happens to work arriving closed.

import { h } from "../shared/dom";
import { Form, Rows } from "./form";
import type { Hours, Settings } from "./store";
import { T } from "./strings";
import { singleItemSection, type Ui } from "./ui";

export const DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const RANGE = /^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-4]):[0-5]\d$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

function zones(): string[] {
  try {
    return (Intl as unknown as { supportedValuesOf?: (k: string) => string[] }).supportedValuesOf?.("timeZone") ?? [];
  } catch {
    return [];
  }
}

function textRow(cls: string, type: string, label: (n: number) => string) {
  return (value: string | null, removeButton: HTMLButtonElement) => {
    const input = h("input", { class: cls, type, autocomplete: "off", value: value ?? "", placeholder: type === "text" ? "08:00-18:00" : null });
    return { el: h("div", { class: "row-item" }, input, removeButton), read: () => input.value.trim(), number: (i: number) => input.setAttribute("aria-label", label(i)) };
  };
}

function hoursForm(ui: Ui, s: Settings, changed: () => void, done: () => void): HTMLFormElement {
  const t = T();
  const hours: Hours = s.hours ?? { timezone: "UTC", weekly: null, holidays: [], closed: false, when_closed: "wait" };
  const form = new Form("hours", t.hoursEdit, () => save());
  const timezone = h("input", { autocomplete: "off", list: "hours-zones", value: hours.timezone, maxlength: 64 });
  const allDay = h("input", { type: "checkbox", checked: hours.weekly === null });
  const closed = h("input", { type: "checkbox", checked: hours.closed });
  const whenClosed = h("select", null, ["wait", "escalate"].map((w) => h("option", { value: w, selected: w === hours.when_closed }, t.whenClosedOption(w))));
  const days = DAYS.map((day) => {
    const rows = new Rows<string>(textRow("range", "text", (i) => t.rangeN(t.day(day), i)), (i) => t.removeRange(t.day(day), i));
    for (const range of hours.weekly?.[day] ?? []) rows.push(range);
    const el = form.group(`weekly.${day}`, t.day(day), rows.list,
      h("button", { class: "btn small", type: "button", "aria-label": t.addRangeTo(t.day(day)), onclick: () => rows.push(null) }, t.addRange));
    el.classList.add("day");
    return { day, rows, el };
  });
  const week = h("div", { class: "week", hidden: allDay.checked }, days.map((d) => d.el), h("p", { class: "hint" }, t.weekHint));
  allDay.addEventListener("change", () => {
    week.hidden = allDay.checked;
    // An empty week would close the service for good: start from office hours on weekdays.
    if (!allDay.checked && days.every((d) => !d.rows.values().length)) {
      for (const d of days.slice(0, 5)) d.rows.push("08:00-18:00");
    }
  });
  const holidays = new Rows<string>(textRow("holiday", "date", t.holidayN), t.removeHoliday);
  for (const day of hours.holidays) holidays.push(day);

  form.add(
    h("div", { class: "form-grid" },
      form.field("timezone", t.timezone, timezone, t.timezoneHint),
      form.field("when_closed", t.whenClosed, whenClosed),
    ),
    h("datalist", { id: "hours-zones" }, zones().map((z) => h("option", { value: z }))),
    form.field("closed", t.closedSwitch, closed, t.closedHint),
    form.field("weekly", t.allDay, allDay),
    week,
    form.group("holidays", t.holidays, holidays.list,
      h("button", { class: "btn small", type: "button", onclick: () => holidays.push(null) }, t.addHoliday)),
  ).buttons(t.save, done);
  form.el.addEventListener("input", changed);
  form.el.addEventListener("click", (ev) => {
    if ((ev.target as HTMLElement).closest(".row-item button, fieldset.group > button")) changed();
  });

  const save = async () => {
    if (!timezone.value.trim()) form.fail("timezone", t.required);
    let weekly: Record<string, string[]> | null = null;
    if (!allDay.checked) {
      weekly = {};
      for (const d of days) {
        const ranges = d.rows.values().filter(Boolean);
        ranges.forEach((range, i) => {
          if (!RANGE.test(range)) form.fail(`weekly.${d.day}`, t.badRange(range), d.rows.elements()[i]?.querySelector("input") ?? undefined);
        });
        if (ranges.length) weekly[d.day] = ranges;
      }
    }
    const dates = holidays.values().filter(Boolean);
    dates.forEach((day, i) => {
      if (!DATE.test(day)) form.fail("holidays", t.badDate(day), holidays.elements()[i]?.querySelector("input") ?? undefined);
    });
    if (!form.ok) return;
    const item: Hours = { timezone: timezone.value.trim(), weekly, holidays: dates, closed: closed.checked, when_closed: whenClosed.value };
    try {
      await ui.admin.write("PUT", "hours", item);
      ui.say(t.hoursSaved);
      done();
    } catch (err) {
      form.refused(err, () => ui.admin.load().then(() => undefined));
    }
  };
  return form.el;
}

export function hoursSection(ui: Ui): HTMLElement {
  return singleItemSection(ui, "hours", T().hours, "hours", (s) => s.hours ?? s.hours_meta,
    (s, changed, saved) => hoursForm(ui, s, changed, saved));
}
