"""Checks of the Slack agent surface (docs/slack.md): a queue mirrored into Slack names a Slack
channel id, and the tenant has the slack channel (the app) to post it with."""

from __future__ import annotations

import re
from collections.abc import Iterator

from gateway.config.schema import TenantConfig

SLACK_CHANNEL_ID = re.compile(r"[CG][A-Z0-9]{2,20}")  # public (C…) or private (G…) channel ids


def slack_app_of(tenant: TenantConfig, queue_id: str) -> str | None:
    """The config id of the slack channel a queue mirrors through; None when it mirrors nothing or
    names none that exists (the config check reports that)."""
    queue = tenant.queues.get(queue_id)
    if queue is None or not queue.slack_channel:
        return None
    apps = [cid for cid, ch in tenant.channels.items() if ch.type == "slack"]
    if queue.slack:
        return queue.slack if queue.slack in apps else None
    return apps[0] if len(apps) == 1 else None


def slack_issues(t: TenantConfig) -> Iterator[tuple[tuple, str]]:
    base = ("tenants", t.id)
    apps = [cid for cid, ch in t.channels.items() if ch.type == "slack"]
    for qid, q in t.queues.items():
        qp = (*base, "queues", qid)
        if q.slack and q.slack not in apps:
            yield (*qp, "slack"), f"queue '{qid}': '{q.slack}' is not a channel of type slack"
        if not q.slack_channel:
            continue
        if not SLACK_CHANNEL_ID.fullmatch(q.slack_channel):
            yield (*qp, "slack_channel"), (f"queue '{qid}': slack_channel '{q.slack_channel}' is not a Slack channel id "
                                           "(C… or G…, as in the channel's details in Slack)")
        if not apps:
            yield (*qp, "slack_channel"), f"queue '{qid}': slack_channel needs a channel of type slack in this tenant"
        elif len(apps) > 1 and not q.slack:
            yield (*qp, "slack"), f"queue '{qid}': the tenant has several slack channels; name one with 'slack'"
