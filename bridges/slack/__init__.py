"""Slack as a place where agents answer (``SPEC``): signed Events API and interactivity requests in,
Web API posts out. A leaf like every bridge: the mirroring, the identity links and the ACD checks are
the gateway's (gateway/slack)."""

from __future__ import annotations

from bridges.base import BridgeSpec, Rates
from bridges.slack.bridge import SlackBridge
from bridges.slack.client import SlackClient
from bridges.slack.config import SlackConfig

SPEC = BridgeSpec(
    type="slack",
    work_channel="chat",  # not used: no customer conversation is ever opened on Slack
    identity_kind="slack",
    config=SlackConfig,
    factory=SlackBridge,
    secrets=("signing_secret", "token"),  # no secret: nothing is verified; no token: nothing can be posted
    rates=Rates(per_chat_s=1.0),  # chat.postMessage: about one message per second per channel
)

__all__ = ["SPEC", "SlackBridge", "SlackClient", "SlackConfig"]
