"""Erasing a contact reaches Slack (real gateway, real Redis and PostgreSQL, a local Slack Web API
stand-in): the records of its conversations' threads go, every message the gateway posted in those
threads is deleted in Slack with chat.delete (replies before the thread's first message), the agents'
own words stay theirs, and a later reply in the old thread reaches nobody."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest
from conftest import eventually
from history_helpers import history_gateway
from slack_standin import SlackStandIn, running, signed, thread_reply
from test_slack_surface import CHANNEL, DEMO, link, post, slack_config, slack_ready

from gateway.keys import TenantKeys

pytestmark = pytest.mark.timeout(90)
OTHER = TenantKeys("demo")


async def test_erasing_a_contact_deletes_our_posts_in_its_threads_and_forgets_them(
        redis, redis_url, database_url, history_db):
    async with running(SlackStandIn()) as api:
        api.add_user("U_BEN", "ben@demo.example", name="Ben B")
        async with history_gateway(slack_config(api), redis_url, database_url) as gw, \
                aiohttp.ClientSession() as http:
            await slack_ready(gw)
            await link(http, gw, "ben")
            ben, _ = await gw.agent("ben", available=False)
            await ben.call("state", {"state": "away"}, namespace="/agent")

            # the customer to erase, and someone else whose thread must stay untouched
            vera, vera_in = await gw.visitor(topic="tech", name="Vera Quellenberg")
            ack = await vera.call("message", {"text": "Kundennummer Zebrafink-8841", "client_id": "v1"},
                                  namespace="/visitor")
            cid = ack["conversation_id"]
            await eventually(lambda: len(api.posts(CHANNEL)) >= 2, timeout=10)
            root = api.posts(CHANNEL)[0].ts
            otto, _ = await gw.visitor(topic="tech", name="Otto Other")
            other_cid = (await otto.call("message", {"text": "unrelated", "client_id": "o1"},
                                         namespace="/visitor"))["conversation_id"]
            await eventually(lambda: len(api.posts(CHANNEL)) >= 4, timeout=10)

            # Ben answers in Slack (his own message there), then the customer writes again (our post)
            reply = thread_reply(CHANNEL, root, "1800000000.000100", "U_BEN", "Which camera?", "EvE1")
            assert (await post(http, gw, reply, signed(reply)))[0] == 200
            await vera_in.next("message", lambda m: m["text"] == "Which camera?", timeout=10)
            await vera.call("message", {"text": "Kolibri-2290 im Flur", "client_id": "v2"}, namespace="/visitor")
            ours = await eventually(lambda: (p := [c.ts for c in api.posts(CHANNEL)
                                                   if c.body.get("thread_ts") == root]) and len(p) >= 2 and p,
                                    timeout=10)
            assert await redis.lrange(DEMO.slack_lines(cid), 0, -1) == ours

            token = (await gw.login("sam"))["token"]
            contact = await redis.hget(DEMO.conv(cid), "contact_id")
            async with http.post(f"{gw.url}/api/v1/contacts/{contact}/erase",
                                 headers={"Authorization": f"Bearer {token}"}) as r:
                assert r.status == 200, await r.text()

            # Redis forgets the thread at once; the mirror deletes our posts in Slack: replies, then the first one
            assert not await redis.exists(DEMO.slack_thread(cid), DEMO.slack_lines(cid),
                                          DEMO.slack_thread_of(CHANNEL, root), *(DEMO.slack_posted(CHANNEL, ts)
                                                                                 for ts in (*ours, root)))
            await eventually(lambda: len(api.deleted) >= len(ours) + 1, timeout=15)
            assert api.deleted == [(CHANNEL, ts) for ts in (*ours, root)]

            async def queue_empty() -> bool:  # each delete leaves the queue once Slack took it
                return await redis.llen(DEMO.slack_erase()) == 0

            await eventually(queue_empty, timeout=5)
            # Ben's own reply is his (a bot cannot delete it: the operator does, docs/slack.md)
            assert ("C0DEMOTECH", "1800000000.000100") not in api.deleted

            # a reply in the old thread now reaches nobody and stores nothing
            late = thread_reply(CHANNEL, root, "1800000000.000200", "U_BEN", "Still there?", "EvE2")
            assert (await post(http, gw, late, signed(late)))[0] == 200
            await asyncio.sleep(1.0)
            assert not await redis.exists(DEMO.conv_messages(cid))
            assert not [m for m in vera_in.all("message") if m["text"] == "Still there?"]
            # the other customer's thread is untouched
            assert await redis.hget(DEMO.slack_thread(other_cid), "ts")
            assert len(api.deleted) == len(ours) + 1


async def test_a_post_on_its_way_during_the_erasure_is_deleted_too(redis):
    """The mirror's post that lands after the thread was forgotten goes straight to the deletion queue."""
    import json

    from acd.lua_runner import runner
    from gateway.slack.erasure import forget_threads
    from gateway.slack.mirror import MIRROR_LINE

    await redis.hset(OTHER.slack_thread("c_1"), mapping={"app": "slack", "channel": "C1", "ts": "1.0", "shown": "x"})
    await redis.rpush(OTHER.slack_lines("c_1"), "1.1")
    assert await forget_threads(redis, OTHER, ["c_1", "c_without_thread"]) == 2
    assert await runner(redis).call(MIRROR_LINE, keys=[OTHER.slack_thread("c_1"), OTHER.slack_lines("c_1"),
                                                       OTHER.slack_posted("C1", "1.2"), OTHER.slack_erase()],
                                    args=["slack", "C1", "1.2", 60]) == 0
    queued = [json.loads(x) for x in await redis.lrange(OTHER.slack_erase(), 0, -1)]
    assert [(q["app"], q["channel"], q["ts"]) for q in queued] == [("slack", "C1", "1.1"), ("slack", "C1", "1.0"),
                                                                   ("slack", "C1", "1.2")]
    assert not await redis.exists(OTHER.slack_lines("c_1"), OTHER.slack_thread("c_1"), OTHER.slack_posted("C1", "1.2"))
