// Which Slack account answers as which agent (GET/POST /api/v1/slack/links, DELETE …/{agent}):
// the agent console links the agent's own account, the admin screens any agent's. The gateway finds
// the account by the agent's configured email in Slack; nobody types a Slack user id.

import { ApiError, request } from "./api";
import { st, type SlackTexts } from "./slack_strings";

export interface SlackLink {
  slack_user: string;
  agent_id: string;
  agent_name: string;
  email: string;
  name: string; // the Slack user's display name, as Slack gave it: shown as text
  by: string;
  at: number;
}

export interface SlackLinks {
  links: SlackLink[];
  agents: { id: string; name: string; email: string }[];
  slack_ready: boolean;
  slack_configured: boolean;
}

/** A refusal of the links API: its code (for a sentence in the page's language) and message. */
export class SlackLinkError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

async function call<T>(token: string, method: string, path = "", body?: unknown): Promise<T> {
  try {
    return (await request(`/api/v1/slack/links${path}`, { method, body, token })).data as T;
  } catch (err) {
    if (err instanceof ApiError) throw new SlackLinkError(err.status, err.status === 0 ? "network" : err.code, err.status === 0 ? "" : err.message);
    throw err;
  }
}

export const slackLinks = {
  list: (token: string) => call<SlackLinks>(token, "GET"),
  /** Link ``agentId`` (a supervisor), or oneself (an agent: no id). */
  link: (token: string, agentId?: string) =>
    call<{ link: SlackLink }>(token, "POST", "", agentId ? { agent_id: agentId } : {}),
  unlink: (token: string, agentId: string) => call<{ ok: boolean }>(token, "DELETE", `/${encodeURIComponent(agentId)}`),
};

/** A sentence for a refusal, in the page's language (the server's own words are English). */
export function slackProblem(err: unknown, t: SlackTexts = st()): string {
  if (err instanceof SlackLinkError) return t.errors[err.code] ?? (t.lang === "en" && err.message ? err.message : t.failed);
  return t.failed;
}
