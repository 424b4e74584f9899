"""Callback slots: the times offered are inside the queue's business hours and limited by the voice
agents who can take the queue's skill in the customer's language; booking the last place is atomic
(two customers racing for it: one gets it, the other hears the slot is full); cancelling frees it."""

from __future__ import annotations

import asyncio
import datetime as dt
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import aiohttp
import pytest
from conftest import DEMO_CONFIG, running_gateway

from gateway.api import callback_slots
from gateway.callbacks.records import get_callback
from gateway.config import load_config
from gateway.config.schema import HoursConfig
from gateway.hours.schedule import is_open
from gateway.keys import TenantKeys

pytestmark = pytest.mark.timeout(60)
BERLIN = ZoneInfo("Europe/Berlin")


async def slots(gw, **query) -> tuple[int, dict]:
    query = {"tenant": "demo", **query}
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{gw.url}/api/v1/widget/callback-slots", params=query) as r:
            return r.status, await r.json()


def _ts(iso: str) -> float:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


async def _ask(gw, at: str | None, *, language: str = "de", phone: str = "030 1234567"):
    visitor, inbox = await gw.visitor(language=language)
    await visitor.call("message", {"text": "Rückruf bitte", "client_id": "m1"}, namespace="/visitor")
    request = {"to": "callback", "phone": phone, **({"at": at} if at else {})}
    return visitor, inbox, await visitor.call("escalate", request, namespace="/visitor", timeout=10)


async def test_slots_follow_the_voice_agents_of_the_skill_and_language(gateway):
    status, billing_de = await slots(gateway, topic="billing", language="de")
    assert status == 200, billing_de
    assert billing_de["queue"] == "billing" and billing_de["timezone"] == "Europe/Berlin" and billing_de["asap"] is True
    offered = billing_de["slots"]
    now = datetime.now(UTC).timestamp()
    starts = [_ts(s["start"]) for s in offered]
    assert starts == sorted(starts) and starts[0] > now and starts[-1] < now + 7 * 86400
    assert all(int(s) % 1800 == 0 and _ts(x["end"]) - s == 1800 for s, x in zip(starts, offered, strict=True))
    # billing in German: anna alone (clara has the skill but no voice capacity): 1 × 30 min / 10 min
    assert {s["free"] for s in offered} == {3}
    _, tech_en = await slots(gateway, queue="tech", language="en")  # anna and ben
    assert {s["free"] for s in tech_en["slots"]} == {6}
    _, sales_de = await slots(gateway, queue="sales", language="de")  # clara takes no voice work
    assert sales_de["slots"] == [] and sales_de["asap"] is True


@pytest.mark.parametrize(("query", "status", "code"), [
    ({"tenant": "nope"}, 404, "unknown_tenant"),
    ({"topic": "nope"}, 404, "unknown_queue"),
    ({"queue": "nope"}, 404, "unknown_queue"),
    ({"queue": "billing", "language": "fr"}, 400, "bad_language"),
])
async def test_bad_slot_queries_get_a_clear_error(gateway, query, status, code):
    got, body = await slots(gateway, **query)
    assert got == status and body["error"]["code"] == code


async def test_the_slot_query_is_rate_limited_per_address(gateway, monkeypatch):
    monkeypatch.setattr(callback_slots, "PER_ADDRESS_PER_MIN", 3)
    answers = [(await slots(gateway, queue="billing"))[0] for _ in range(4)]
    assert answers == [200, 200, 200, 429]


async def test_only_times_inside_business_hours_are_offered_or_taken(redis, redis_url):
    config = load_config(DEMO_CONFIG, env={})
    today = datetime.now(BERLIN).date()
    holiday = next(today + timedelta(days=d) for d in range(1, 7) if (today + timedelta(days=d)).weekday() < 5)
    hours = HoursConfig(timezone="Europe/Berlin", holidays=[holiday.isoformat()],
                        weekly={d: ["08:00-18:00"] for d in ("mon", "tue", "wed", "thu", "fri")})
    config.tenants["demo"].queues["billing"].hours = hours
    async with running_gateway(config, redis_url) as gw:
        _, body = await slots(gw, queue="billing", language="de")
        now = datetime.now(UTC)
        assert body["asap"] is is_open(hours, now)
        local = [datetime.fromisoformat(s["start"].replace("Z", "+00:00")).astimezone(BERLIN) for s in body["slots"]]
        assert local, body
        assert all(t.weekday() < 5 and t.date() != holiday and dt.time(8) <= t.time() <= dt.time(17, 30) for t in local)
        # the whole working day is offered on a day that lies fully ahead
        later = [t for t in local if t.date() > today]
        assert len(later) == 20 * len({t.date() for t in later})
        sunday = next(today + timedelta(days=d) for d in range(1, 8) if (today + timedelta(days=d)).weekday() == 6)
        at = datetime.combine(sunday, dt.time(10), tzinfo=BERLIN).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        _, _, ack = await _ask(gw, at)
        assert ack["error"]["code"] == "outside_hours", ack
        beyond = next(today + timedelta(days=d) for d in range(7, 14) if (today + timedelta(days=d)).weekday() < 5)
        at = datetime.combine(beyond, dt.time(10), tzinfo=BERLIN).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        _, _, ack = await _ask(gw, at)  # open then, but past the days offered
        assert ack["error"]["code"] == "bad_slot" and "within the next 7 days" in ack["error"]["message"], ack
        assert await redis.zcard(TenantKeys("demo").callbacks_due()) == 0
        # a time inside a slot (the agent console's free field) books that slot and keeps the time asked for
        inside = local[-1] + timedelta(minutes=10)
        _, _, ack = await _ask(gw, inside.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
        assert ack["ok"] is True, ack
        _, after = await slots(gw, queue="billing", language="de")
        assert next(s for s in after["slots"] if s["start"] == body["slots"][-1]["start"])["free"] == 2
        [(cb_id, due)] = await redis.zrange(TenantKeys("demo").callbacks_due(), 0, -1, withscores=True)
        assert due == inside.timestamp()


async def test_customers_racing_for_the_last_places_cannot_overbook_and_cancelling_frees_one(redis, redis_url):
    config = load_config(DEMO_CONFIG, env={})
    config.tenants["demo"].callbacks.handle_s = 900  # anna takes two callbacks per 30 minutes
    async with running_gateway(config, redis_url) as gw:
        _, body = await slots(gw, queue="billing", language="de")
        target = body["slots"][4]
        assert target["free"] == 2
        results = await asyncio.gather(*[_ask(gw, target["start"], phone=f"030 123456{i}") for i in range(5)])
        acks = [ack for _, _, ack in results]
        assert sorted("ok" if a.get("ok") else a["error"]["code"] for a in acks) == ["ok", "ok"] + ["slot_full"] * 3
        full = next(a for a in acks if "error" in a)
        assert "another" in full["error"]["message"]
        _, after = await slots(gw, queue="billing", language="de")
        assert target["start"] not in [s["start"] for s in after["slots"]]  # a full slot is not offered
        assert len(after["slots"]) == len(body["slots"]) - 1
        assert await redis.zcard(TenantKeys("demo").callbacks_due()) == 2
        _, _, en = await _ask(gw, target["start"], language="en", phone="030 7654321")
        assert en["ok"] is True  # English is booked on its own: anna's capacity counts for each language
        # a winner cancels through the page: the place is free again
        winner = results[[i for i, a in enumerate(acks) if a.get("ok")][0]]
        line = await winner[1].next("message", lambda m: "callback" in m and "manage_url" in m["callback"])
        url = line["callback"]["manage_url"]
        sig = parse_qs(urlsplit(url).query)["sig"][0]
        async with aiohttp.ClientSession() as http:
            async with http.post(f"{gw.url}/callbacks/{line['callback']['id']}",
                                 data={"tenant": "demo", "sig": sig, "action": "cancel"}) as r:
                assert r.status == 200
        _, freed = await slots(gw, queue="billing", language="de")
        assert next(s for s in freed["slots"] if s["start"] == target["start"])["free"] == 1
        cb = await get_callback(redis, TenantKeys("demo"), line["callback"]["id"])
        assert cb.state == "cancelled" and cb.slot == ""
