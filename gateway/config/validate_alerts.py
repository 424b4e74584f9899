"""Checks of a tenant's ``alerts`` block (gateway/alerts, docs/alerts.md)."""

from __future__ import annotations

from collections.abc import Iterator

from gateway.config.schema import TenantConfig
from gateway.config.validate_slack import SLACK_CHANNEL_ID


def alerts_issues(t: TenantConfig) -> Iterator[tuple[tuple, str]]:
    a, path = t.alerts, ("tenants", t.id, "alerts")
    apps = [cid for cid, ch in t.channels.items() if ch.type == "slack"]
    if a.slack and a.slack not in apps:
        yield (*path, "slack"), f"alerts: '{a.slack}' is not a channel of type slack"
    for name in ("check_s", "resolve_after_s"):
        if getattr(a, name) <= 0:
            yield (*path, name), f"alerts: {name} must be more than 0"
    for name in ("longest_wait_s", "offline_with_work_s"):
        if getattr(a, name) < 0:
            yield (*path, name), f"alerts: {name} must not be negative"
    if a.language and a.language not in ("de", "en"):
        yield (*path, "language"), f"alerts: language '{a.language}' is not one the alerts are written in (de, en)"
    if a.min_contacts < 1:
        yield (*path, "min_contacts"), "alerts: min_contacts must be at least 1"
    if not a.slack_channel:
        return
    if not SLACK_CHANNEL_ID.fullmatch(a.slack_channel):
        yield (*path, "slack_channel"), (f"alerts: slack_channel '{a.slack_channel}' is not a Slack channel id "
                                         "(C… or G…, as in the channel's details in Slack)")
    if not apps:
        yield (*path, "slack_channel"), "alerts: slack_channel needs a channel of type slack in this tenant"
    elif len(apps) > 1 and not a.slack:
        yield (*path, "slack"), "alerts: the tenant has several slack channels; name one with 'slack'"
    mirrored = [qid for qid, q in t.queues.items() if q.slack_channel == a.slack_channel]
    if mirrored:  # an alerts-only channel never carries conversations whose thread replies reach customers
        yield (*path, "slack_channel"), (f"alerts: slack_channel '{a.slack_channel}' also mirrors queue "
                                         f"'{mirrored[0]}'; alerts need a channel of their own")
