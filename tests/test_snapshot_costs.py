"""What the periodic views read stays bounded by what they show, not by how much is open: the waiting
series is sampled from the queues' counters when nobody watches on this process, and the dashboard's
list of open conversations reads only the conversations it lists."""

from __future__ import annotations

import time

from gateway.appkeys import SERVICES
from gateway.keys import TenantKeys
from gateway.routing.views import live_conversations
from gateway.store.conversations import open_conversations


async def test_the_waiting_series_is_sampled_without_a_supervisor_from_the_queue_counters(gateway, redis):
    visitor, v_in = await gateway.visitor(topic="billing")
    await visitor.call("message", {"text": "my invoice is wrong, please help", "client_id": "s1"}, namespace="/visitor")
    await v_in.next("queue")
    router = gateway.app[SERVICES].router
    keys = TenantKeys("demo")
    await redis.delete(keys.leader("series"), keys.waiting_series())  # this process samples next
    await router.push_snapshots(lambda tenant: [])
    entries = await redis.xrange(keys.waiting_series())
    assert len(entries) == 1
    sample = entries[0][1]
    figures = await router.engine("demo").queue_stats(time.time())
    assert set(sample) == set(figures)  # every queue, as the dashboard's snapshot lists them
    assert int(sample["billing"]) == figures["billing"]["waiting"] == 1


async def test_the_dashboard_lists_the_oldest_open_conversations_reading_only_those(gateway, redis):
    for i in range(5):
        visitor, v_in = await gateway.visitor(topic="billing", name=f"Visitor {i}")
        await visitor.call("message", {"text": f"question number {i} about my bill", "client_id": f"c{i}"}, namespace="/visitor")
        await v_in.next("queue")
    keys = TenantKeys("demo")
    every = await open_conversations(redis, keys)
    assert len(every) == 5
    first = await open_conversations(redis, keys, limit=3)
    assert [c.id for c in first] == [c.id for c in every[:3]]
    listed = await live_conversations(redis, gateway.app[SERVICES].config.tenants["demo"], time.time(), limit=2)
    assert [row["id"] for row in listed] == [c.id for c in every[:2]]
