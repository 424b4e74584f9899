// Slack links of the tenant's agents (GET/POST /api/v1/slack/links, DELETE …/{agent}; docs/slack.md):
// who answers from Slack as whom, a link made for an agent (found by its email, confirmed in Slack),
// a link removed after a confirmation. Links live in Redis, not in the settings' revisions.

import { h, replace } from "../shared/dom";
import { slackLinks, slackProblem, type SlackLinks } from "../shared/slack_links";
import { st } from "../shared/slack_strings";
import { card, table, type Ui } from "./ui";

export function slackSection(ui: Ui, token: string): HTMLElement {
  const t = st();
  const { el, table: list } = card("slack", t.section, null, () => undefined);
  const note = h("div", { class: "slack-state" });
  el.insertBefore(h("p", { class: "muted" }, t.intro), list);
  el.insertBefore(note, list);

  const load = async () => {
    try {
      draw(await slackLinks.list(token));
    } catch (err) {
      replace(list, h("p", { class: "problem", role: "alert" }, slackProblem(err, t)));
    }
  };

  const act = async (work: () => Promise<string>) => {
    try {
      ui.say(await work());
    } catch (err) {
      ui.say(slackProblem(err, t));
    }
    await load();
  };

  const draw = (data: SlackLinks) => {
    replace(note,
      !data.slack_configured ? h("p", { class: "muted" }, t.notConfigured)
        : !data.slack_ready ? h("p", { class: "problem", role: "note" }, t.notReady) : null);
    if (!data.slack_configured) {
      replace(list, null);
      return;
    }
    const byAgent = new Map(data.links.map((l) => [l.agent_id, l]));
    const rows = data.agents.map((a) => {
      const name = a.name || a.id;
      const link = byAgent.get(a.id);
      const account = link ? link.name || link.slack_user : "";
      return h("tr", { "data-slack-agent": a.id, "data-linked": link ? "true" : "false" },
        h("th", { scope: "row" }, name, h("div", { class: "muted" }, a.id)),
        h("td", null, a.email || h("span", { class: "muted" }, t.noEmail)),
        h("td", { "data-cell": "account" }, link ? h("span", { class: "slack-account" }, account) : h("span", { class: "muted" }, t.notLinkedCell)),
        h("td", { class: "actions" },
          link
            ? h("button", {
              class: "btn small danger", type: "button", "data-action": "unlink", "aria-label": t.unlinkNamed(name),
              onclick: async () => {
                if (!(await ui.confirm(t.unlinkConfirm(name, account), t.unlink))) return;
                await act(async () => {
                  await slackLinks.unlink(token, a.id);
                  return t.adminUnlinked(name);
                });
              },
            }, t.unlink)
            : h("button", {
              class: "btn small", type: "button", "data-action": "link", "aria-label": t.linkNamed(name),
              disabled: !a.email || !data.slack_ready,
              onclick: () => act(async () => {
                const made = await slackLinks.link(token, a.id);
                return t.adminLinked(name, made.link.name || made.link.slack_user);
              }),
            }, t.link)),
      );
    });
    replace(list, table(t.section, [t.agent, t.email, t.account, t.actions], rows, t.none));
  };

  void load();
  return el;
}
