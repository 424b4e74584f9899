"""The Slack bridge alone: the v0 signature against Slack's documented vector (and failing closed),
the recorded events read into the small vocabulary (our own posts never become events), and the Web
API client against a local stand-in: Retry-After on a 429 honoured, one post per second per channel."""

from __future__ import annotations

import json
import time

import aiohttp
import pytest
from conftest import FIXTURES
from slack_standin import TOKEN, SlackStandIn, fixture, running

from bridges.base import AuthFailed, Malformed, NotReady
from bridges.events import AgentAction, AgentEdit, AgentReply, Unsupported
from bridges.slack import SPEC, inbound
from bridges.slack.client import SlackClient
from bridges.slack.signature import verify

pytestmark = pytest.mark.timeout(30)
VECTOR = json.loads((FIXTURES / "slack_signature_test_vector.json").read_text())


class Frozen:
    def __init__(self, now: float) -> None:
        self.now_s = now

    def now(self) -> float:
        return self.now_s


def test_the_documented_signature_vector_is_accepted_and_anything_else_refused():
    body, headers, secret = VECTOR["raw_body"].encode(), VECTOR["headers"], VECTOR["signing_secret"]
    verify(headers, body, secret, Frozen(1531420618))
    verify({k.lower(): v for k, v in headers.items()}, body, secret, Frozen(1531420618 + 299))
    refused = [
        (headers, body + b"x", secret, 1531420618),  # the body changed
        (headers, body, secret + "x", 1531420618),  # another secret
        (headers, body, secret, 1531420618 + 301),  # older than 5 minutes
        (headers, body, secret, 1531420618 - 301),  # from the future
        (headers, body, "", 1531420618),  # no secret configured: fail closed
        ({}, body, secret, 1531420618),  # unsigned
        ({**headers, "X-Slack-Request-Timestamp": "soon"}, body, secret, 1531420618),
        ({**headers, "X-Slack-Signature": "v0=ü"}, body, secret, 1531420618),
    ]
    for h, b, s, now in refused:
        with pytest.raises(AuthFailed):
            verify(h, b, s, Frozen(now))


def test_recorded_events_become_the_small_vocabulary():
    def events(name: str, **event):
        body = fixture(name)
        body["event"].update(event)
        return [e for d, u in inbound.split(json.dumps(body).encode()) for e in inbound.parse(u)]

    [reply] = events("slack_message_thread_reply")
    assert isinstance(reply, AgentReply) and (reply.thread, reply.message_id, reply.author, reply.place) == (
        "1726133698.626339", "1726133700.887259", "W222", "C111")
    [broadcast] = events("slack_message_thread_broadcast")
    assert isinstance(broadcast, AgentReply) and broadcast.broadcast and broadcast.text == "Hi there!"
    # bot posts (modern and classic) and posts carrying our metadata are never agents' words
    assert all(isinstance(e, Unsupported) for e in events("slack_bot_message", thread_ts="1.0"))
    assert all(isinstance(e, Unsupported) for e in events("slack_bot_message_classic", thread_ts="1.0"))
    ours = events("slack_message_thread_reply", metadata={"event_type": "omnirelay_mirror", "event_payload": {}})
    assert [e.kind for e in ours if isinstance(e, Unsupported)] == ["our own post"]
    # a channel message outside any thread answers nobody
    assert all(isinstance(e, Unsupported) for e in events("slack_message_event"))
    # message_changed: an edit only when the text changed (and Slack marks it edited)
    changed = fixture("slack_message_changed")
    changed["event"]["message"].update(ts="5.0", thread_ts="4.0")
    changed["event"]["previous_message"].update(ts="5.0", thread_ts="4.0")
    [edit] = inbound.parse(changed)
    assert isinstance(edit, AgentEdit) and (edit.target, edit.text, edit.previous) == ("5.0", "updated message",
                                                                                       "original message")
    changed["event"]["message"]["text"] = "original message"
    assert isinstance(inbound.parse(changed)[0], Unsupported)
    # url_verification is answered, not stored
    verification = json.dumps(fixture("slack_url_verification")).encode()
    assert inbound.challenge(verification) == fixture("slack_url_verification")["challenge"]
    assert inbound.split(verification) == []
    with pytest.raises(Malformed):
        inbound.split(b"payload=%7Bnot json")


def test_a_button_press_arrives_as_a_form_post_and_is_keyed_by_its_trigger():
    from slack_standin import block_action

    body = block_action("C1", "1.0", "U1", "transfer", "conv-1|billing", "trig-1")
    [(delivery, unit)] = inbound.split(body)
    [action] = inbound.parse(unit)
    assert delivery == "action:trig-1"
    assert isinstance(action, AgentAction) and (action.action, action.value, action.author, action.thread) == (
        "transfer", "conv-1|billing", "U1", "1.0")


async def test_a_429_waits_its_retry_after_and_posts_to_one_channel_are_a_second_apart():
    async with running(SlackStandIn()) as api, aiohttp.ClientSession() as http:
        client = SlackClient(http, api.url, TOKEN)
        api.answer("chat.postMessage", 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "1"})
        started = time.monotonic()
        ts = await client.post_message("C1", "first")
        assert ts and len(api.of("chat.postMessage")) == 2
        first, second = api.of("chat.postMessage")
        assert second.at - first.at >= 1.0, "Retry-After honoured"
        await client.post_message("C1", "second")
        await client.post_message("C2", "elsewhere")  # another channel is not held back
        third, other = api.of("chat.postMessage")[2:]
        assert third.at - second.at >= 0.95, "one message per second per channel"
        assert other.at - third.at < 0.5
        assert time.monotonic() - started < 10
        # Slack keeps refusing: NotReady with its delay, for the caller's back-off
        for _ in range(3):
            api.answer("chat.postMessage", 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "0"})
        with pytest.raises(NotReady) as info:
            await client.post_message("C3", "x")
        assert info.value.retry_after == 0.0


async def test_a_refused_token_is_auth_failed_and_never_in_the_message():
    async with running(SlackStandIn()) as api, aiohttp.ClientSession() as http:
        bridge = SPEC.factory(SPEC.config(signing_secret="s", token="xoxb-wrong-token", api_base=api.url), http)
        with pytest.raises(AuthFailed) as info:
            await bridge.tracked(bridge.client.auth_test())
        assert "xoxb-wrong-token" not in str(info.value) and bridge.health.value == "auth_failed"
        assert api.of("auth.test")[0].body == {}


@pytest.mark.parametrize("event_id", ["", "  ", None, 7])
def test_an_event_without_a_usable_event_id_is_refused_not_taken_for_a_repeat(event_id):
    """An empty event_id would be one dedupe key for all such events: each later one dropped as a repeat."""
    body = dict(fixture("slack_message_thread_reply"), event_id=event_id)
    with pytest.raises(Malformed):
        inbound.split(json.dumps(body).encode())
