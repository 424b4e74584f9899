"""Slack follows the console's rules (real gateway, real Redis, a local Slack Web API stand-in): a
`note:` only from the agent the conversation is assigned to, as in the console; and a thread's first
message shows an accept, an assign or a transfer made in omnirelay at once, not at the next message."""

from __future__ import annotations

import asyncio
import json

import aiohttp
import pytest
from conftest import eventually, running_gateway
from slack_standin import SlackStandIn, running, thread_reply
from test_slack_surface import CHANNEL, DEMO, link, mirrored_thread, post, signed, slack_config, slack_ready

pytestmark = pytest.mark.timeout(60)


def root_updates(api: SlackStandIn, root: str) -> list[str]:
    """The state lines the thread's first message was updated to, in order."""
    return [json.dumps(c.body.get("blocks")) for c in api.of("chat.update") if c.body.get("ts") == root]


async def test_a_note_from_slack_needs_the_conversation_to_be_yours_as_in_the_console(redis, redis_url):
    async with running(SlackStandIn()) as api:
        api.add_user("U_BEN", "ben@demo.example", name="Ben B")
        api.add_user("U_ANNA", "anna@demo.example", name="Anna A")
        async with running_gateway(slack_config(api), redis_url) as gw, aiohttp.ClientSession() as http:
            await slack_ready(gw)
            await link(http, gw, "ben")
            await link(http, gw, "anna")
            ben, ben_in = await gw.agent("ben", available=False)
            await ben.call("state", {"state": "away"}, namespace="/agent")
            _, visitor_in, cid, root = await mirrored_thread(gw, api)

            # waiting, nobody's yet: a linked agent's note is refused (a note never claims), nothing stored
            early = thread_reply(CHANNEL, root, "1800000000.000100", "U_BEN", "note: VIP customer", "EvN1")
            assert (await post(http, gw, early, signed(early)))[0] == 200
            refusal = (await eventually(lambda: api.of("chat.postEphemeral"), timeout=10))[0].body
            assert (refusal["user"], refusal["thread_ts"]) == ("U_BEN", root)
            assert "Only the agent answering this conversation can add a note" in refusal["text"]
            assert (await redis.hgetall(DEMO.conv(cid)))["state"] == "queued"

            # Ben claims it by answering; now his note is an internal note in his console
            reply = thread_reply(CHANNEL, root, "1800000000.000200", "U_BEN", "Hello, I am on it.", "EvN2")
            assert (await post(http, gw, reply, signed(reply)))[0] == 200
            await visitor_in.next("message", lambda m: m["text"] == "Hello, I am on it.", timeout=10)
            note = thread_reply(CHANNEL, root, "1800000000.000300", "U_BEN", "note: VIP customer", "EvN3")
            assert (await post(http, gw, note, signed(note)))[0] == 200
            got = await ben_in.next("message", lambda m: m["text"] == "VIP customer", timeout=10)
            assert got["author"]["kind"] == "note"

            # Anna is linked too, but the conversation is Ben's: her note is refused like in her console
            other = thread_reply(CHANNEL, root, "1800000000.000400", "U_ANNA", "note: I know this one", "EvN4")
            assert (await post(http, gw, other, signed(other)))[0] == 200
            await eventually(lambda: len(api.of("chat.postEphemeral")) >= 2, timeout=10)
            second = api.of("chat.postEphemeral")[1].body
            assert second["user"] == "U_ANNA" and "Only the agent answering" in second["text"]

            await asyncio.sleep(0.5)
            stored = [(f["kind"], f["text"]) for _, f in await redis.xrange(DEMO.conv_messages(cid))]
            assert stored == [("visitor", "my camera is offline"), ("agent", "Hello, I am on it."),
                              ("note", "VIP customer")]
            assert not [m for m in visitor_in.all("message") if m["author"]["kind"] == "note"]
            audit = [json.loads(f.get("details", "{}")) | {"action": f.get("action")}
                     for _, f in await redis.xrange(DEMO.audit())]
            assert [a for a in audit if a["action"] == "conversation.note"] == [
                {"conversation_id": cid, "via": "slack", "action": "conversation.note"}]


async def test_the_first_message_shows_an_accept_in_the_console_and_a_transfer_at_once(redis, redis_url):
    async with running(SlackStandIn()) as api:
        async with running_gateway(slack_config(api), redis_url) as gw:
            await slack_ready(gw)
            ben, ben_in = await gw.agent("ben")  # available: the conversation is offered to Ben
            _, _, cid, root = await mirrored_thread(gw, api)
            offer = await ben_in.next("offer", lambda o: o["conversation_id"] == cid, timeout=10)
            updates_before = len(root_updates(api, root))
            assert not any("Answered by" in u for u in root_updates(api, root))  # an offer changes nothing shown

            ack = await ben.call("accept", {"offer_id": offer["offer_id"]}, namespace="/agent", timeout=5)
            assert ack.get("ok") is True, ack
            # no message after the accept: the ACD's own event brings the change to Slack
            await eventually(lambda: any("Answered by Ben" in u for u in root_updates(api, root)), timeout=10)
            shown = json.loads(root_updates(api, root)[-1])
            assert [e["action_id"] for e in shown[2]["elements"]] == ["transfer", "close"]  # no Claim any more
            assert len(root_updates(api, root)) == updates_before + 1

            ack = await ben.call("transfer", {"conversation_id": cid, "queue": "billing"}, namespace="/agent",
                                 timeout=5)
            assert "error" not in ack, ack
            await eventually(lambda: "Waiting in" in root_updates(api, root)[-1], timeout=10)
            assert "Billing" in root_updates(api, root)[-1] and '"claim"' in root_updates(api, root)[-1]
            await asyncio.sleep(0.5)
            assert (await redis.xpending("t:{demo}:acd:events", "slack"))["pending"] == 0  # acknowledged
