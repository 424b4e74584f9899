"""The archive outbox with the webhooks' consumer group beside the history's: an entry is deleted only
once every group has it; a tenant without subscriptions has its entries deleted as before; deleting
the last subscription lets go of what only the webhooks held back."""

from __future__ import annotations

import pytest
from conftest import eventually
from event_webhook_helpers import FAST, Admin, Receiver
from history_helpers import history_gateway

from gateway.keys import TenantKeys

pytestmark = pytest.mark.timeout(90)
DEMO = TenantKeys("demo")


async def test_archive_entries_go_once_every_group_has_them(redis, redis_url, history_db, database_url, demo_config):
    demo_config.event_webhooks = FAST
    receiver = await Receiver().start()
    try:
        async with history_gateway(demo_config, redis_url, database_url) as gw:
            # no subscription: the history alone acknowledges, and the outbox empties as before
            vera, _ = await gw.visitor(name="Vera")
            await vera.call("message", {"text": "before any webhook", "client_id": "b1"}, namespace="/visitor")
            await eventually(lambda: history_db.fetchval("SELECT count(*) FROM messages"), timeout=10)
            await eventually(lambda: _empty(redis), timeout=10)
            groups = [g["name"] for g in await redis.xinfo_groups(DEMO.archive())]
            assert groups == ["history"]

            # a subscription whose receiver hangs: the webhooks hold their entries back until they have them
            admin = await Admin.login(gw.url)
            sid, _ = await admin.subscribe(receiver.url, events=["message.created"])
            assert sorted(g["name"] for g in await redis.xinfo_groups(DEMO.archive())) == ["history", "webhooks"]
            await vera.call("message", {"text": "with a webhook", "client_id": "b2"}, namespace="/visitor")
            await eventually(lambda: [r for r in receiver.delivered() if b"with a webhook" in r.body], timeout=10)
            await eventually(lambda: _empty(redis), timeout=10)  # both groups have it: deleted

            await redis.xadd(DEMO.archive(), {"k": "noop"})
            status, _ = await admin.call("DELETE", f"/{sid}")
            assert status == 204
            assert [g["name"] for g in await redis.xinfo_groups(DEMO.archive())] == ["history"]
            await eventually(lambda: _empty(redis), timeout=10)
    finally:
        await receiver.stop()


async def _empty(redis) -> bool:
    return await redis.xlen(DEMO.archive()) == 0


async def test_an_entry_the_webhooks_have_not_read_outlives_the_history_ack(redis, redis_url, history_db, database_url,
                                                                           demo_config):
    """The Lua rule itself: history acknowledges, the webhooks' group has not read the entry: it stays;
    once the webhooks' step acknowledges it, it goes."""
    from gateway.event_webhooks.consumer import Consumer
    from gateway.event_webhooks.subscriptions import Subscriptions

    demo_config.event_webhooks = FAST
    async with history_gateway(demo_config, redis_url, database_url) as gw:
        service = gw.app[__import__("gateway.appkeys", fromlist=["EVENT_WEBHOOKS"]).EVENT_WEBHOOKS]
        await service.stop()  # no process of ours reads: we step the consumer by hand
        await Subscriptions(redis, "demo").create({"url": "https://example.com/x", "events": "*", "enabled": "1",
                                                   "retry_window_s": "60", "name": ""})
        vera, _ = await gw.visitor(name="Vera")
        await vera.call("message", {"text": "kept for the webhooks", "client_id": "k1"}, namespace="/visitor")
        await eventually(lambda: history_db.fetchval("SELECT count(*) FROM messages"), timeout=10)
        await eventually(lambda: _history_done(redis), timeout=10)
        assert await redis.xlen(DEMO.archive()) > 0  # the history has them; the webhooks not yet
        consumer = Consumer(redis, "demo", "by-hand", claim_idle_s=30)
        while await consumer.step(">"):
            pass
        assert await redis.xlen(DEMO.archive()) == 0
        assert await redis.zcard(DEMO.hook_due()) == 2  # they became deliveries (the conversation's, the contact's)


async def _history_done(redis) -> bool:
    pending = await redis.xpending(DEMO.archive(), "history")
    info = {g["name"]: g for g in await redis.xinfo_groups(DEMO.archive())}
    last = (await redis.xrevrange(DEMO.archive(), count=1))
    return pending["pending"] == 0 and bool(last) and info["history"]["last-delivered-id"] == last[0][0]
