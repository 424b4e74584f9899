// The availability switch, always in the top bar: available / away / offline.

import { h } from "../shared/dom";
import type { AgentState } from "./types";
import { t } from "./strings";

const STATES: [AgentState, string][] = [
  ["available", t.states.available],
  ["away", t.states.away],
  ["offline", t.states.offline],
];

export class StateSwitch {
  readonly el = h("div", { class: "state-switch", role: "radiogroup", "aria-label": t.yourState });
  private readonly buttons = new Map<AgentState, HTMLButtonElement>();

  constructor(private readonly change: (state: AgentState) => void) {
    for (const [state, label] of STATES) {
      const button = h("button", { type: "button", role: "radio", class: `state-btn state-${state}`, "data-state": state, "aria-checked": "false" }, label);
      button.addEventListener("click", () => this.change(state));
      button.addEventListener("keydown", (ev) => this.arrows(ev, state));
      this.buttons.set(state, button);
      this.el.append(button);
    }
  }

  set(state: AgentState): void {
    for (const [s, button] of this.buttons) {
      const on = s === state;
      button.setAttribute("aria-checked", String(on));
      button.tabIndex = on ? 0 : -1;
    }
    this.el.dataset.state = state;
  }

  private arrows(ev: KeyboardEvent, state: AgentState): void {
    if (!["ArrowLeft", "ArrowRight", "ArrowUp", "ArrowDown"].includes(ev.key)) return;
    ev.preventDefault();
    const order = STATES.map(([s]) => s);
    const step = ev.key === "ArrowLeft" || ev.key === "ArrowUp" ? -1 : 1;
    const next = order[(order.indexOf(state) + step + order.length) % order.length];
    this.buttons.get(next)?.focus();
    this.change(next);
  }
}
