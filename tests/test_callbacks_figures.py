"""The callbacks' records change in single Lua steps (the lease, the end), and the supervisor's
callback figures, counted in those same steps, show in the live snapshot per queue."""

from __future__ import annotations

import asyncio
import time

import pytest
from email_helpers import CustomerServer, eventually
from test_callbacks_dialling import _accept_voice, callback_gateway, phone_system, report
from test_callbacks_reschedule import _booked, _post
from test_callbacks_slots import _ask, slots

from gateway.callbacks.records import create_callback, end_callback, get_callback
from gateway.callbacks.scheduler import LEASE_S, _take
from gateway.keys import TenantKeys

pytestmark = pytest.mark.timeout(60)
KEYS = TenantKeys("demo")


async def _new(redis, contact: str = "c1", due: float | None = None):
    now = time.time()
    return await create_callback(redis, KEYS, conversation_id="conv1", contact_id=contact, queue="billing",
                                 language="en", phone="+49301234567", at="", due=now if due is None else due,
                                 by="visitor", created_at=now)


async def test_one_process_leases_a_due_callback_however_many_try(redis):
    cb = await _new(redis)
    now = time.time()
    taken = await asyncio.gather(*[_take(redis, KEYS, cb.id, now) for _ in range(10)])
    assert taken.count(True) == 1
    assert await redis.zscore(KEYS.callbacks_due(), cb.id) == pytest.approx(now + LEASE_S)
    later = await _new(redis, "c2", due=now + 60)
    assert await _take(redis, KEYS, later.id, now) is False  # not due yet
    assert await _take(redis, KEYS, "unknown", now) is False


async def test_a_callback_ends_once_and_frees_the_contact_for_a_new_one(redis):
    cb = await _new(redis)
    assert await _new(redis) is None  # one open callback per contact and queue
    ends = await asyncio.gather(end_callback(redis, KEYS, cb, "reached"), end_callback(redis, KEYS, cb.id, "cancelled"))
    assert len([e for e in ends if e is not None]) == 1
    final = await get_callback(redis, KEYS, cb.id)
    assert final.state in ("reached", "cancelled") and await redis.zscore(KEYS.callbacks_due(), cb.id) is None
    assert await redis.hget(KEYS.callbacks_open_count(), "billing") == "0"
    assert await end_callback(redis, KEYS, cb, "failed") is None  # ended already: nothing changes
    assert (await get_callback(redis, KEYS, cb.id)).state == final.state
    assert await _new(redis) is not None


async def test_the_supervisor_sees_the_callback_figures_per_queue(redis, redis_url):
    async with CustomerServer() as smtp, phone_system() as (phones, url), \
            callback_gateway(redis_url, url, smtp.port, max_attempts=3) as gw:
        anna, a_in = await gw.agent("anna")
        _, _, ack = await _ask(gw, None, language="en")  # reached at the second attempt
        assert ack["ok"] is True, ack
        offer = await _accept_voice(anna, a_in, 1)
        cb_id = offer["callback"]["id"]
        await eventually(lambda: len(phones.calls) == 1)
        assert await report(gw, f"cb_{cb_id}_1", "no_answer") == 200
        await _accept_voice(anna, a_in, 2)
        await eventually(lambda: len(phones.calls) == 2)
        assert await report(gw, f"cb_{cb_id}_2", "completed") == 200
        _, body = await slots(gw, queue="billing", language="en")
        _, inbox, ack = await _ask(gw, body["slots"][3]["start"], language="en", phone="030 7654321")  # cancelled
        assert ack["ok"] is True, ack
        other_id, sig, _ = await _booked(gw, inbox)
        assert (await _post(gw, other_id, sig, action="cancel"))[0] == 200
        _, _, ack = await _ask(gw, body["slots"][5]["start"], language="de", phone="030 5555555")  # still open
        assert ack["ok"] is True, ack

        login = await gw.login("sam")
        _, sup = await gw.socket("/supervisor", {"token": login["token"]}, ["snapshot"])
        snap = await sup.next("snapshot", lambda s: any(r["queue"] == "billing" and r["today"]["reached"] for r in s["callbacks"]))
        billing = next(r for r in snap["callbacks"] if r["queue"] == "billing")
        assert billing["open"] == 1
        for period in ("today", "last_15m"):
            figures = billing[period]
            assert {k: figures[k] for k in ("requests", "cancelled", "reached", "failed", "attempts_per_reached")} == {
                "requests": 3, "cancelled": 1, "reached": 1, "failed": 0, "attempts_per_reached": 2.0}
            assert 0 <= figures["first_attempt_median_s"] <= figures["first_attempt_p90_s"] < 30
        tech = next(r for r in snap["callbacks"] if r["queue"] == "tech")
        assert tech["open"] == 0 and tech["today"]["requests"] == 0 and tech["today"]["first_attempt_median_s"] is None
