"""The agent's workspace on the socket: the handover note of a transfer, the first message on the
offer card, labels on conversations (stored and archived), and wrap-up codes a queue may require."""

from __future__ import annotations

import re

import pytest
from conftest import DEMO_CONFIG, eventually, running_gateway
from history_helpers import history_gateway

from acd import replies
from gateway.config import ConfigError, load_config, load_config_text
from gateway.config.schema import LabelConfig, WrapupCodeConfig
from gateway.keys import TenantKeys

pytestmark = pytest.mark.timeout(60)
KEYS = TenantKeys("demo")


def workspace_config():
    """The demo with two labels and billing's wrap-up codes, one of them required."""
    config = load_config(DEMO_CONFIG, env={})
    tenant = config.tenants["demo"]
    tenant.labels = {"vip": LabelConfig("vip", "VIP customer"), "refund": LabelConfig("refund", "Refund issued")}
    billing = tenant.queues["billing"]
    billing.wrapup_codes = {"solved": WrapupCodeConfig("solved", "Solved on first contact"),
                            "callback": WrapupCodeConfig("callback", "Needs a callback")}
    billing.wrapup_required = True
    return config


async def chat_held_by(gw, agent_name: str, text: str = "My invoice is wrong", **visitor):
    agent, inbox = await gw.agent(agent_name)
    v, v_in = await gw.visitor(**visitor)
    await v.call("message", {"text": text, "client_id": "v1"}, namespace="/visitor")
    offer = await inbox.next("offer", timeout=10)
    accepted = await agent.call("accept", {"offer_id": offer["offer_id"]}, namespace="/agent")
    return agent, inbox, accepted["conversation"]["conversation_id"], offer


async def test_the_offer_previews_the_first_message_bounded(gateway):
    long = "Hello <b>there</b>, " + "my invoice " * 40
    _, _, _, offer = await chat_held_by(gateway, "anna", text=long)
    assert offer["preview"].startswith("Hello <b>there</b>, my invoice")  # as text: the console renders no HTML
    assert len(offer["preview"]) <= 140 and offer["preview"].endswith("…")
    assert offer["note"] == ""


async def test_a_transfer_note_reaches_the_next_agent_with_the_offer_and_in_the_conversation(gateway, redis):
    anna, _, cid, _ = await chat_held_by(gateway, "anna", topic="tech")
    ben, ben_in = await gateway.agent("ben")
    too_long = await anna.call("transfer", {"conversation_id": cid, "agent": "ben", "note": "x" * 5000}, namespace="/agent")
    assert too_long["error"]["code"] == "bad_request"
    assert await redis.xlen(KEYS.conv_messages(cid)) == 1  # refused: nothing stored, nothing moved

    moved = await anna.call("transfer", {"conversation_id": cid, "agent": "ben", "note": "Wants a refund of 20 EUR"},
                            namespace="/agent")
    assert moved == {"ok": True}
    offer = await ben_in.next("offer", lambda o: o["conversation_id"] == cid)
    assert offer["note"] == "Wants a refund of 20 EUR" and offer["preview"] == "My invoice is wrong"
    assert (await ben.call("accept", {"offer_id": offer["offer_id"]}, namespace="/agent"))["ok"]
    history = await ben.call("history", {"conversation_id": cid, "after_seq": 0}, namespace="/agent")
    assert [(m["author"]["kind"], m["author"]["name"], m["text"]) for m in history["messages"]] == [
        ("visitor", "Vera", "My invoice is wrong"), ("note", "Anna", "Wants a refund of 20 EUR")]


async def test_hello_names_the_labels_and_wrapup_codes(redis, redis_url):
    async with running_gateway(workspace_config(), redis_url) as gw:
        anna, inbox = await gw.agent("anna")
        hello = await inbox.next("hello")
        assert hello["labels"] == [{"id": "vip", "name": "VIP customer"}, {"id": "refund", "name": "Refund issued"}]
        assert hello["wrapup"]["billing"] == {"required": True, "codes": [
            {"id": "solved", "name": "Solved on first contact"}, {"id": "callback", "name": "Needs a callback"}]}
        assert hello["wrapup"]["tech"] == {"required": False, "codes": []}


async def test_labels_are_stored_on_the_conversation_and_archived(redis, redis_url, database_url, history_db):
    async with history_gateway(workspace_config(), redis_url, database_url) as gw:
        anna, _, cid, _ = await chat_held_by(gw, "anna")
        ben, _ = await gw.agent("ben")
        added = await anna.call("label", {"conversation_id": cid, "add": "vip"}, namespace="/agent")
        assert added["labels"] == ["vip"]
        assert (await anna.call("label", {"conversation_id": cid, "add": "refund"}, namespace="/agent"))["labels"] == [
            "vip", "refund"]
        assert (await anna.call("label", {"conversation_id": cid, "add": "vip"}, namespace="/agent"))["labels"] == [
            "vip", "refund"]  # twice is once
        unknown = await anna.call("label", {"conversation_id": cid, "add": "nope"}, namespace="/agent")
        assert unknown["error"]["code"] == "unknown_label"
        other = await ben.call("label", {"conversation_id": cid, "add": "vip"}, namespace="/agent")
        assert other["error"]["code"] == "forbidden"
        both = await anna.call("label", {"conversation_id": cid, "add": "vip", "remove": "vip"}, namespace="/agent")
        assert both["error"]["code"] == "bad_request"
        removed = await anna.call("label", {"conversation_id": cid, "remove": "vip"}, namespace="/agent")
        assert removed["labels"] == ["refund"]
        assert replies.maybe_text(await redis.hget(KEYS.conv(cid), "labels")) == "refund"

        closed = await anna.call("close", {"conversation_id": cid, "wrapup_code": "solved"}, namespace="/agent")
        assert closed == {"ok": True}
        # in wrap-up, the agent who held it still labels it
        assert (await anna.call("label", {"conversation_id": cid, "add": "vip"}, namespace="/agent"))["labels"] == [
            "refund", "vip"]

        async def archived():
            row = await history_db.fetchrow(
                "SELECT fields->>'labels' AS labels, fields->>'wrapup_code' AS code FROM conversations "
                "WHERE tenant = 'demo' AND id = $1", cid)
            return row is not None and row["labels"] == "refund,vip" and row["code"] == "solved"

        await eventually(archived, timeout=10)


async def test_a_required_wrapup_code_is_asked_for_and_must_be_the_queues(redis, redis_url):
    async with running_gateway(workspace_config(), redis_url) as gw:
        anna, _, cid, _ = await chat_held_by(gw, "anna")
        missing = await anna.call("close", {"conversation_id": cid}, namespace="/agent")
        assert missing["error"]["code"] == "wrapup_required"
        assert "wrap-up code" in missing["error"]["message"]
        unknown = await anna.call("close", {"conversation_id": cid, "wrapup_code": "whatever"}, namespace="/agent")
        assert unknown["error"]["code"] == "unknown_wrapup_code"
        assert replies.maybe_text(await redis.hget(KEYS.conv(cid), "state")) == "assigned"  # still open
        assert (await anna.call("close", {"conversation_id": cid, "wrapup_code": "callback"}, namespace="/agent"))["ok"]
        assert replies.maybe_text(await redis.hget(KEYS.conv(cid), "wrapup_code")) == "callback"


def test_config_checks_labels_and_wrapup_codes():
    text = DEMO_CONFIG.read_text()
    # the demo's own billing codes out of the way (the lines below add the key again)
    text = re.sub(r"(      billing:\n(?:        .*\n)*?)        wrapup_codes:.*\n(?:          .*\n)*", r"\1", text, count=1)
    billing = "      billing:\n        name: Billing\n"
    assert billing in text
    broken = text.replace(billing, billing + "        wrapup_required: true\n        wrapup_codes: {}\n")
    with pytest.raises(ConfigError) as info:
        load_config_text(broken, env={})
    assert any("wrapup_required needs at least one of wrapup_codes" in line for line in info.value.lines())
    ok = text.replace(billing, billing + "        wrapup_required: true\n"
                                         "        wrapup_codes: {solved: {name: Solved}}\n")
    queue = load_config_text(ok, env={}).tenants["demo"].queues["billing"]
    assert queue.wrapup_required and queue.wrapup_codes["solved"].name == "Solved"
