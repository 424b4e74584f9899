// The agent's own Slack link (docs/slack.md): a button in the top bar, shown when the tenant has a
// Slack app, opens a dialog that tells whether (and to which Slack account) the agent is linked and
// links or unlinks it. The Slack account's name comes from Slack: it is shown as text.

import { h, replace } from "../shared/dom";
import { slackLinks, slackProblem, type SlackLinks } from "../shared/slack_links";
import { st } from "../shared/slack_strings";

export class SlackLinkButton {
  readonly el: HTMLButtonElement;

  constructor(
    private readonly token: string,
    private readonly say: (text: string) => void,
  ) {
    const t = st();
    this.el = h("button", { class: "btn small", type: "button", hidden: true, "data-action": "slack-link", title: t.buttonTitle }, t.button);
    this.el.addEventListener("click", () => void this.open());
  }

  /** Show the button when the tenant has a Slack app (a failed look-up leaves it hidden). */
  async start(): Promise<void> {
    try {
      this.el.hidden = !(await slackLinks.list(this.token)).slack_configured;
    } catch {
      this.el.hidden = true;
    }
  }

  private async open(): Promise<void> {
    const t = st();
    const status = h("div", { id: "slack-link-status" });
    const error = h("p", { class: "form-error", role: "alert" });
    const action = h("button", { class: "btn primary", type: "button", "data-action": "slack-link-toggle", disabled: true }, t.linkMine);
    const close = h("button", { class: "btn", type: "button", "data-action": "cancel" }, t.close);
    const dialog = h("dialog", { class: "slack-link-dialog", "aria-labelledby": "slack-link-title", "aria-describedby": "slack-link-status" });
    let current: SlackLinks | null = null;

    const draw = (links: SlackLinks) => {
      current = links;
      const mine = links.links[0];
      replace(status,
        mine
          ? h("p", { "data-linked": "true" }, `${t.linkedTo} `, h("strong", { class: "slack-account" }, mine.name || mine.slack_user), ".")
          : h("p", { "data-linked": "false" }, t.notLinked),
        !mine && !links.slack_ready ? h("p", { class: "muted" }, t.notReady) : null,
        mine ? null : h("p", { class: "muted" }, t.how));
      action.textContent = mine ? t.unlinkMine : t.linkMine;
      action.disabled = !mine && !links.slack_ready;
    };
    const run = async (work: () => Promise<string>) => {
      action.disabled = true;
      error.textContent = "";
      try {
        const said = await work();
        draw(await slackLinks.list(this.token));
        this.say(said);
      } catch (err) {
        error.textContent = slackProblem(err, t);
        action.disabled = false;
      }
    };
    action.addEventListener("click", () => void run(async () => {
      const mine = current?.links[0];
      if (mine) {
        await slackLinks.unlink(this.token, mine.agent_id);
        return t.unlinkedSaid;
      }
      const made = await slackLinks.link(this.token);
      return t.linkedSaid(made.link.name || made.link.slack_user);
    }));
    close.addEventListener("click", () => dialog.close());
    dialog.append(h("form", { method: "dialog" },
      h("h2", { id: "slack-link-title" }, t.title), status, error, h("div", { class: "row" }, close, action)));
    dialog.addEventListener("close", () => dialog.remove());
    document.body.append(dialog);
    dialog.showModal();
    try {
      draw(await slackLinks.list(this.token));
    } catch (err) {
      error.textContent = slackProblem(err, t);
    }
    (action.disabled ? close : action).focus();
  }
}
