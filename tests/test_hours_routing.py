"""Business hours through the real gateway: a holiday keeps the queue closed (no offer though an
agent is online; the visitor hears when it opens, supervisors see it), the loop opens it for
every process at once, and a messenger customer outside hours gets the closed reply once and no
queue position notice."""

from __future__ import annotations

import asyncio
import datetime as dt
import sys
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import aiohttp
import pytest
from conftest import DEMO_CONFIG, running_gateway

sys.path.insert(0, str(Path(__file__).parent / "bridges"))  # the echo test bridge lives with the bridge tests

from echo import SPEC, echo_gateway, eventually, running_vendor  # noqa: E402
from test_webhooks_inbound import post, text  # noqa: E402

from bridges.registry import BRIDGES  # noqa: E402
from gateway import appkeys as K  # noqa: E402
from gateway.appkeys import SERVICES  # noqa: E402
from gateway.config import load_config  # noqa: E402
from gateway.config.schema import HoursConfig  # noqa: E402
from gateway.conversations.queue_notices import send_queue_notices  # noqa: E402
from gateway.keys import TenantKeys  # noqa: E402
from gateway.store.messages import read_messages  # noqa: E402

pytestmark = pytest.mark.timeout(40)
BERLIN = ZoneInfo("Europe/Berlin")
CLOSED_EN = "We are closed right now and will answer in the morning."


def holiday_today(config) -> dt.datetime:
    """Open around the clock except today, a holiday in Berlin; returns tomorrow's opening."""
    today = dt.datetime.now(BERLIN).date()
    config.tenants["demo"].hours = HoursConfig(timezone="Europe/Berlin", holidays=[today.isoformat()])
    return dt.datetime.combine(today + dt.timedelta(days=1), dt.time(0), tzinfo=BERLIN)


async def test_a_holiday_keeps_the_queue_closed_until_the_loop_opens_it_once(redis, redis_url):
    config = load_config(DEMO_CONFIG, env={})
    opening = holiday_today(config)
    # two gateway processes on one Redis, both running the hours loop
    async with running_gateway(config, redis_url) as gw1, running_gateway(config, redis_url) as gw2:
        _, ben_in = await gw1.agent("ben")
        _, ben_in_2 = await gw2.agent("ben")  # a second tab of Ben's on the other process
        visitor, visitor_in = await gw2.visitor(topic="tech", name="Holly")
        await visitor.call("message", {"text": "Anyone there today?", "client_id": "h1"}, namespace="/visitor")
        queued = await visitor_in.next("queue")
        assert queued["open"] is False and queued["ewt_s"] is None  # no estimate: the opening instead
        assert dt.datetime.fromisoformat(queued["next_open"]) == opening
        await asyncio.sleep(1.0)  # ticks, position pushes: still nothing for Ben
        assert ben_in.all("offer") == [] and ben_in_2.all("offer") == []
        snap = await gw1.app[K.ROUTER].snapshot("demo", time.time())
        tech = next(q for q in snap["queues"] if q["id"] == "tech")
        assert (tech["open"], tech["waiting"], tech["agents_needed"]) == (False, 1, None)
        assert dt.datetime.fromisoformat(tech["next_open"]) == opening

        # the holiday is over (here: taken out of the config) and both processes' loops see it at once
        config.tenants["demo"].hours = None
        for gw in (gw1, gw2):
            gw.app[K.ROUTER].hours_due.clear()
        offer = await ben_in.next("offer", timeout=5)
        await asyncio.sleep(0.5)
        assert len(ben_in.all("offer")) == 1  # offered once, not once per process
        assert offer["conversation_id"] == queued["conversation_id"]
        snap = await gw2.app[K.ROUTER].snapshot("demo", time.time())
        tech = next(q for q in snap["queues"] if q["id"] == "tech")
        assert (tech["open"], tech["next_open"]) == (True, None)


@pytest.fixture
async def vendor():
    async with running_vendor() as fake:
        yield fake


async def test_a_messenger_customer_outside_hours_gets_the_closed_reply_and_no_queue_notice(
        monkeypatch, redis, redis_url, vendor):
    monkeypatch.setitem(BRIDGES, "echo", SPEC)

    def closed(config) -> None:
        config.tenants["demo"].hours = HoursConfig(timezone="Europe/Berlin", closed=True)
        channel = config.tenants["demo"].channels["echo"]
        channel.closed_reply = {"de": "Wir haben gerade geschlossen.", "en": CLOSED_EN}
        channel.queue_notice_after_s = 0.0  # inside hours a notice would go out at once

    async with echo_gateway(redis_url, vendor.url, configure=closed) as gw, aiohttp.ClientSession() as http:
        _, ben_in = await gw.agent("ben")  # online, and the topic is his: still no offer
        assert (await post(http, gw.url, [text("u1", "hello, anyone?")])).status == 200
        await eventually(lambda: vendor.accepted() == [CLOSED_EN])
        assert (await post(http, gw.url, [text("u2", "hello??")])).status == 200
        svc = gw.app[SERVICES]
        keys = TenantKeys("demo")
        cid = str(await eventually(lambda: svc.redis.hget(keys.platform_chat("echo", "c42"), "conversation_id")))
        await eventually(lambda: _visitor_messages(svc, keys, cid, 2))
        [pos] = [p for p in await svc.router.engine("demo").positions(now=time.time()) if p.task_id == cid]
        assert pos.closed and pos.position == 1  # it waits in line
        for _ in range(2):
            await send_queue_notices(svc)
        await asyncio.sleep(0.5)
        assert vendor.accepted() == [CLOSED_EN]  # the closed reply once, no "you are number 1"
        system = [m.text for m in await read_messages(svc.redis, keys, cid) if m.author_kind == "system"]
        assert system == [CLOSED_EN]
        assert ben_in.all("offer") == []


async def _visitor_messages(svc, keys, cid, n) -> bool:
    return len([m for m in await read_messages(svc.redis, keys, cid) if m.author_kind == "visitor"]) == n
