// Going offline or logging out while conversations are open asks first: hand them back to the
// queue (at the head of the line; the customers are told they are being transferred), finish
// them first, or cancel.
//
// "Finish them first" is what contact centres do at the end of a shift: a customer in the middle
// of a chat keeps the agent who knows the case instead of starting over with someone new. The
// agent is set away meanwhile (no new offers), and goes offline or is logged out by itself once
// the last open conversation is closed. Choosing a state again calls it off.

import { h } from "../shared/dom";
import type { AgentConnection } from "./connection";
import { t } from "./strings";

export type Goal = "offline" | "logout";

export interface LeavingActions {
  /** Go offline (or log out); `handBack`: the open conversations go back to the queue as a
   * hand-over. Resolves to an error sentence, or null when done. */
  leave(goal: Goal, handBack: boolean): Promise<string | null>;
  /** Set the agent away (finishing first); resolves to an error sentence, or null. */
  away(): Promise<string | null>;
  toast(text: string): void;
}

export class Leaving {
  private goal: Goal | null = null;
  /** Conversations handed back on purpose: their `unassigned` needs no word of its own. */
  private readonly handed = new Set<string>();

  constructor(
    private readonly conn: AgentConnection,
    private readonly actions: LeavingActions,
  ) {}

  /** Conversations the agent still holds open (closed ones waiting to be dismissed do not count). */
  openCount(): number {
    return [...this.conn.conversations.values()].filter((c) => !c.closed).length;
  }

  /** True (once) when the conversation left because the agent handed it back. */
  handedBack(conversationId: string): boolean {
    return this.handed.delete(conversationId);
  }

  /** The agent chose Offline or Log out. */
  request(goal: Goal): void {
    const open = this.openCount();
    if (!open) {
      this.goal = null;
      void this.actions.leave(goal, false).then((problem) => problem && this.actions.toast(problem));
      return;
    }
    this.ask(goal, open);
  }

  /** The agent chose another state: finishing first is called off. */
  cancel(): void {
    this.goal = null;
  }

  /** Conversations changed: when finishing first and none is open any more, leave now. */
  settle(): void {
    if (!this.goal || this.openCount()) return;
    const goal = this.goal;
    this.goal = null;
    void this.actions.leave(goal, false).then((problem) => problem && this.actions.toast(problem));
  }

  private ask(goal: Goal, open: number): void {
    const error = h("p", { class: "form-error", role: "alert" });
    const dialog = h("dialog", { class: "leave-dialog", "aria-labelledby": "leave-title", "aria-describedby": "leave-text" });
    const buttons: HTMLButtonElement[] = [];
    const act = (run: () => Promise<string | null>) => async () => {
      for (const b of buttons) b.disabled = true;
      error.textContent = "";
      try {
        const problem = await run();
        if (problem) error.textContent = problem;
        else dialog.close();
      } finally {
        for (const b of buttons) b.disabled = false;
      }
    };
    const handBack = h("button", { class: "btn primary", type: "button", "data-action": "hand-back" }, t.handBack);
    handBack.addEventListener("click", act(async () => {
      this.goal = null;
      const ids = [...this.conn.conversations.values()].filter((c) => !c.closed).map((c) => c.conversation_id);
      for (const id of ids) this.handed.add(id);
      const problem = await this.actions.leave(goal, true);
      if (problem) for (const id of ids) this.handed.delete(id);
      else this.actions.toast(t.handedBack(ids.length));
      return problem;
    }));
    const finish = h("button", { class: "btn", type: "button", "data-action": "finish-first" }, t.finishFirst);
    finish.addEventListener("click", act(async () => {
      const problem = await this.actions.away();
      if (problem) return problem;
      this.goal = goal;
      this.actions.toast(goal === "logout" ? t.finishingLogout : t.finishingOffline);
      this.settle(); // closed meanwhile
      return null;
    }));
    const cancel = h("button", { class: "btn", type: "button", "data-action": "cancel", onclick: () => dialog.close() }, t.cancel);
    buttons.push(handBack, finish, cancel);
    dialog.append(
      h(
        "div",
        { class: "leave-body" },
        h("h2", { id: "leave-title" }, t.leaveTitle(open)),
        h("p", { id: "leave-text" }, goal === "logout" ? t.leaveLogout : t.leaveOffline),
        error,
        h("div", { class: "row" }, cancel, finish, handBack),
      ),
    );
    dialog.addEventListener("close", () => dialog.remove());
    document.body.append(dialog);
    dialog.showModal();
    handBack.focus();
  }
}
