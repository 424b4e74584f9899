"""Slack as a second place where agents answer, through the real gateway on real Redis, with a local
Slack Web API stand-in: a mirrored conversation's thread, signed Events API deliveries (the recorded
fixtures adapted to that thread) becoming replies the customer receives, and everything that must
reach nobody: unsigned requests, retries, unlinked users, notes, our own posts coming back."""

from __future__ import annotations

import asyncio
import json

import aiohttp
import pytest
from conftest import DEMO_CONFIG, eventually, running_gateway
from slack_standin import BOT_ID, SECRET, TOKEN, SlackStandIn, fixture, running, signed, thread_reply

from gateway.appkeys import SERVICES, SLACK
from gateway.config import load_config
from gateway.keys import TenantKeys

pytestmark = pytest.mark.timeout(60)
CHANNEL = "C0DEMOTECH"
DEMO = TenantKeys("demo")


def slack_config(api: SlackStandIn, **env: str):
    config = load_config(DEMO_CONFIG, env={"SLACK_API_BASE": api.url, "SLACK_BOT_TOKEN": TOKEN,
                                           "SLACK_SIGNING_SECRET": SECRET, **env})
    config.tenants["demo"].agents["ben"].email = "ben@demo.example"
    config.tenants["demo"].agents["anna"].email = "anna@demo.example"
    return config


async def post(http: aiohttp.ClientSession, gw, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
    async with http.post(f"{gw.url}/webhooks/slack/slack", data=body, headers=headers) as r:
        return r.status, await r.text()


async def link(http: aiohttp.ClientSession, gw, login: str) -> dict:
    token = (await gw.login(login))["token"]
    async with http.post(f"{gw.url}/api/v1/slack/links", json={},
                         headers={"Authorization": f"Bearer {token}"}) as r:
        assert r.status == 200, await r.text()
        return (await r.json())["link"]


async def mirrored_thread(gw, api: SlackStandIn, text: str = "my camera is offline") -> tuple[object, object, str, str]:
    """A widget visitor (topic tech) writes; the tech queue is mirrored: its thread's first message ts."""
    visitor, visitor_in = await gw.visitor(topic="tech", name="Vera <@U123>")
    ack = await visitor.call("message", {"text": text, "client_id": "v1"}, namespace="/visitor")
    cid = ack["conversation_id"]
    await eventually(lambda: len(api.posts(CHANNEL)) >= 2, timeout=10)
    root, line = api.posts(CHANNEL)[0], api.posts(CHANNEL)[1]
    assert root.body["metadata"]["event_type"] == "omnirelay_mirror"
    assert root.body["metadata"]["event_payload"]["conversation_id"] == cid
    assert "Vera &lt;@U123&gt;" in root.body["text"], "typed text is escaped, never a mention"
    assert [e["action_id"] for e in root.body["blocks"][2]["elements"]] == ["claim"]
    ts = (await gw.app[SERVICES].redis.hgetall(DEMO.slack_thread(cid)))["ts"]
    assert line.body["thread_ts"] == ts and text in line.body["text"]
    return visitor, visitor_in, cid, ts


async def slack_ready(gw) -> None:
    await eventually(lambda: ("demo", "slack") in gw.app[SLACK].apps.identity, timeout=10)


async def test_a_reply_in_the_thread_reaches_the_widget_once_and_everything_else_reaches_nobody(redis, redis_url):
    async with running(SlackStandIn()) as api:
        api.add_user("U_BEN", "ben@demo.example", name="Ben B")
        api.add_user("U_EVE", "eve@elsewhere.example", name="Eve")
        async with running_gateway(slack_config(api), redis_url) as gw, aiohttp.ClientSession() as http:
            await slack_ready(gw)
            assert (await link(http, gw, "ben"))["slack_user"] == "U_BEN"
            ben, ben_in = await gw.agent("ben", available=False)
            await ben.call("state", {"state": "away"}, namespace="/agent")  # no offers: claiming from Slack assigns
            visitor, visitor_in, cid, root = await mirrored_thread(gw, api)

            # url_verification, signed: the challenge; unsigned or badly signed: 401 and nothing stored
            challenge = json.dumps(fixture("slack_url_verification")).encode()
            assert await post(http, gw, challenge, signed(challenge)) == (200, fixture("slack_url_verification")["challenge"])
            reply = thread_reply(CHANNEL, root, "1800000000.000100", "U_BEN", "Please restart the camera.", "Ev1")
            assert (await post(http, gw, reply, {}))[0] == 401
            assert (await post(http, gw, reply, signed(reply, secret="wrong")))[0] == 401
            assert (await post(http, gw, reply, signed(reply, ts=1531420618)))[0] == 401  # stale timestamp
            assert await redis.xlen(DEMO.webhooks_in()) == 0

            # the linked agent answers in the thread: the conversation is claimed for Ben, the customer reads it
            assert (await post(http, gw, reply, signed(reply)))[0] == 200
            got = await visitor_in.next("message", lambda m: m["text"] == "Please restart the camera.", timeout=10)
            assert (got["author"]["kind"], got["author"]["name"], got["conversation_id"]) == ("agent", "Ben", cid)
            conv = await redis.hgetall(DEMO.conv(cid))
            assert (conv["state"], conv["agent_id"]) == ("assigned", "ben")
            await ben_in.next("message", lambda m: m["text"] == "Please restart the camera.", timeout=5)

            # Slack retries (same event_id) and a second event of the same message: stored once
            assert (await post(http, gw, reply, signed(reply, **{"X-Slack-Retry-Num": "1",
                                                                "X-Slack-Retry-Reason": "http_timeout"})))[0] == 200
            again = thread_reply(CHANNEL, root, "1800000000.000100", "U_BEN", "Please restart the camera.", "Ev1b")
            assert (await post(http, gw, again, signed(again)))[0] == 200

            # "also send to channel" is a reply like any other
            broadcast = thread_reply(CHANNEL, root, "1800000000.000200", "U_BEN", "It should blink green.", "Ev2",
                                     broadcast=True)
            assert (await post(http, gw, broadcast, signed(broadcast)))[0] == 200
            await visitor_in.next("message", lambda m: m["text"] == "It should blink green.", timeout=10)

            # note: an internal note for the agent, never the customer
            note = thread_reply(CHANNEL, root, "1800000000.000300", "U_BEN", "note: firmware 2.1 known bug", "Ev3")
            assert (await post(http, gw, note, signed(note)))[0] == 200
            got_note = await ben_in.next("message", lambda m: m["text"] == "firmware 2.1 known bug", timeout=10)
            assert got_note["author"]["kind"] == "note"

            # someone not linked: an ephemeral refusal only they see, nothing sent, nobody impersonated
            eve = thread_reply(CHANNEL, root, "1800000000.000400", "U_EVE", "I'll take this one", "Ev4")
            assert (await post(http, gw, eve, signed(eve)))[0] == 200
            await eventually(lambda: api.of("chat.postEphemeral"), timeout=10)
            refusal = api.of("chat.postEphemeral")[0].body
            assert (refusal["user"], refusal["channel"], refusal["thread_ts"]) == ("U_EVE", CHANNEL, root)
            assert "not linked" in refusal["text"]

            # our own mirrored posts come back as events: by metadata and bot_id, or only by their ts
            own_ts = api.posts(CHANNEL)[1].ts  # the customer's line, as we posted it
            own = json.loads(thread_reply(CHANNEL, root, own_ts, "UBOT", "*Vera:* my camera is offline", "Ev5"))
            own["event"].update(bot_id=BOT_ID, metadata={"event_type": "omnirelay_mirror",
                                                         "event_payload": {"conversation_id": cid}})
            body = json.dumps(own).encode()
            assert (await post(http, gw, body, signed(body)))[0] == 200
            bare = thread_reply(CHANNEL, root, own_ts, "U_BEN", "*Vera:* my camera is offline", "Ev6")
            assert (await post(http, gw, bare, signed(bare)))[0] == 200

            await asyncio.sleep(1.0)  # let anything that would wrongly arrive, arrive
            texts = [m["text"] for m in visitor_in.all("message") if m["author"]["kind"] != "visitor"]
            assert texts == ["Please restart the camera.", "It should blink green."]
            stored = [f["text"] for _, f in await redis.xrange(DEMO.conv_messages(cid))]
            assert stored == ["my camera is offline", "Please restart the camera.", "It should blink green.",
                              "firmware 2.1 known bug"]
            assert len(api.of("chat.postEphemeral")) == 1
            # the customer's messages are mirrored, the replies written in Slack are not posted back
            thread_lines = [c.body["text"] for c in api.posts(CHANNEL)[1:]]
            assert thread_lines == ["*Vera &lt;@U123&gt;:* my camera is offline"]
            # the first message shows the claim
            await eventually(lambda: any("Answered by Ben" in json.dumps(c.body.get("blocks"))
                                         for c in api.of("chat.update")), timeout=10)


async def test_a_telegram_customer_gets_the_slack_reply_and_its_edit_and_delete(redis, redis_url):
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parent / "bridges"))
    from slack_standin import message_changed
    from telegram_standin import TOKEN as TG_TOKEN
    from telegram_standin import StandIn
    from telegram_standin import running as telegram_running

    from bridges.telegram.inbound import SECRET_HEADER

    async with running(SlackStandIn()) as api, telegram_running(StandIn()) as tg:
        api.add_user("U_BEN", "ben@demo.example", name="Ben B")
        config = slack_config(api, TELEGRAM_API_BASE=tg.url, TELEGRAM_SECRET="tg-secret", TELEGRAM_TOKEN=TG_TOKEN)
        async with running_gateway(config, redis_url) as gw, aiohttp.ClientSession() as http:
            await slack_ready(gw)
            await link(http, gw, "ben")
            ben, _ = await gw.agent("ben", available=False)
            await ben.call("state", {"state": "away"}, namespace="/agent")
            update = json.dumps(fixture("telegram_text")).encode()  # the Telegram channel's topic is tech
            async with http.post(f"{gw.url}/webhooks/telegram/telegram", data=update,
                                 headers={SECRET_HEADER: "tg-secret"}) as r:
                assert r.status == 200
            await eventually(lambda: len(api.posts(CHANNEL)) >= 2, timeout=10)
            root = api.posts(CHANNEL)[0].ts
            assert "Telegram" in api.posts(CHANNEL)[0].body["text"]

            reply = thread_reply(CHANNEL, root, "1800000001.000100", "U_BEN", "Have you tried turning it off?", "EvT1")
            assert (await post(http, gw, reply, signed(reply)))[0] == 200
            await eventually(lambda: tg.sent_texts() == ["Have you tried turning it off?"], timeout=10)
            sent_id = next(c for c in tg.calls if c.method == "sendMessage")
            chat = str(sent_id.json["chat_id"])

            # an edit whose text really changed: editMessageText on the customer's Telegram message
            edit = message_changed(CHANNEL, root, "1800000001.000100", "U_BEN", "Have you tried turning it off?",
                                   "Have you tried turning it off and on again?", "EvT2")
            await eventually(lambda: redis.exists(DEMO.slack_sent("slack:C0DEMOTECH:1800000001.000100")), timeout=10)
            assert (await post(http, gw, edit, signed(edit)))[0] == 200
            await eventually(lambda: [c for c in tg.calls if c.method == "editMessageText"], timeout=10)
            edited = next(c for c in tg.calls if c.method == "editMessageText").json
            assert (str(edited["chat_id"]), edited["text"]) == (chat, "Have you tried turning it off and on again?")
            assert edited["message_id"] == 101  # the stand-in's id of the sent reply

            # a message_changed without a text change (an unfurl) is no edit
            same = message_changed(CHANNEL, root, "1800000001.000100", "U_BEN", "x", "x", "EvT3")
            assert (await post(http, gw, same, signed(same)))[0] == 200

            # a delete: deleteMessage
            deleted = fixture("slack_message_changed")
            deleted["event"] = {"type": "message", "subtype": "message_deleted", "channel": CHANNEL, "hidden": True,
                                "ts": "1800000009.000000", "deleted_ts": "1800000001.000100",
                                "previous_message": {"type": "message", "user": "U_BEN", "ts": "1800000001.000100",
                                                     "thread_ts": root, "text": "Have you tried turning it off?"}}
            deleted["event_id"] = "EvT4"
            body = json.dumps(deleted).encode()
            assert (await post(http, gw, body, signed(body)))[0] == 200
            await eventually(lambda: [c for c in tg.calls if c.method == "deleteMessage"], timeout=10)
            await asyncio.sleep(0.5)
            assert len([c for c in tg.calls if c.method == "editMessageText"]) == 1
            assert tg.sent_texts() == ["Have you tried turning it off?"]  # no correction was needed


async def test_the_claim_button_assigns_within_capacity_and_is_refused_beyond_it(redis, redis_url):
    from slack_standin import block_action

    async with running(SlackStandIn()) as api:
        api.add_user("U_BEN", "ben@demo.example", name="Ben B")
        async with running_gateway(slack_config(api), redis_url) as gw, aiohttp.ClientSession() as http:
            await slack_ready(gw)
            await link(http, gw, "ben")
            ben, ben_in = await gw.agent("ben", available=False)
            await ben.call("state", {"state": "away"}, namespace="/agent")
            convs = []
            for i in range(3):  # Ben takes 2 chats at most
                visitor, _ = await gw.visitor(topic="tech", name=f"V{i}")
                ack = await visitor.call("message", {"text": f"help {i}", "client_id": f"c{i}"}, namespace="/visitor")
                await eventually(lambda n=i: len(api.posts(CHANNEL)) >= 2 * (n + 1), timeout=10)
                roots = [c for c in api.posts(CHANNEL) if "thread_ts" not in c.body]
                convs.append((ack["conversation_id"], roots[-1].ts))
            for n, (cid, root) in enumerate(convs):
                press = block_action(CHANNEL, root, "U_BEN", "claim", cid, f"trigger-{n}")
                assert (await post(http, gw, press, signed(press)))[0] == 200
                # the same press delivered twice (same trigger): handled once
                assert (await post(http, gw, press, signed(press)))[0] == 200
                # presses are handled after the 200, each in its own lane: one at a time here, so the
                # third is the one past capacity
                if n < 2:
                    await eventually(lambda c=cid: redis.hget(DEMO.conv(c), "agent_id"), timeout=10)
            await eventually(lambda: api.of("chat.postEphemeral"), timeout=10)
            states = [(await redis.hgetall(DEMO.conv(cid))) for cid, _ in convs]
            assert [(s["state"], s.get("agent_id", "")) for s in states] == [
                ("assigned", "ben"), ("assigned", "ben"), ("queued", "")]
            assert "no free slot" in api.of("chat.postEphemeral")[0].body["text"]
            await asyncio.sleep(0.5)
            assert len(api.of("chat.postEphemeral")) == 1

            # the holder closes from Slack; the first message then shows it closed, without controls
            cid, root = convs[0]
            press = block_action(CHANNEL, root, "U_BEN", "close", cid, "trigger-close")
            assert (await post(http, gw, press, signed(press)))[0] == 200
            await ben_in.next("closed", lambda e: e["conversation_id"] == cid, timeout=10)
            await eventually(lambda: any("Closed" in json.dumps(c.body.get("blocks")) and c.body["ts"] == root
                                         for c in api.of("chat.update")), timeout=10)
