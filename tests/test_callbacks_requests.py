"""Callback requests from the widget: the number is checked and normalised, one open callback per
contact and queue, the customer reads when we call, and the signed link (only that one) cancels it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import aiohttp
import pytest

from gateway.callbacks.records import get_callback
from gateway.keys import TenantKeys

pytestmark = pytest.mark.timeout(30)


async def _visitor_with_conversation(gateway, **auth):
    visitor, inbox = await gateway.visitor(**auth)
    await visitor.call("message", {"text": "please call me", "client_id": "m1"}, namespace="/visitor")
    return visitor, inbox


async def _escalate(visitor, **data):
    return await visitor.call("escalate", {"to": "callback", **data}, namespace="/visitor", timeout=5)


async def test_a_request_is_normalised_scheduled_and_announced_in_the_customers_language(gateway, redis):
    visitor, inbox = await _visitor_with_conversation(gateway, name="Max", language="de")
    ack = await _escalate(visitor, phone="030 1234567")  # national form: read as a German number
    assert ack["ok"] is True, ack
    line = await inbox.next("message", lambda m: m["author"]["kind"] == "system")
    assert line["text"] == "Wir rufen Sie so bald wie möglich unter +49301234567 an."
    cb = await get_callback(redis, TenantKeys("demo"), line["callback"]["id"])
    assert cb is not None and cb.state == "scheduled" and cb.phone == "+49301234567"
    assert cb.conversation_id == ack["conversation_id"] and cb.queue == "billing"
    assert await redis.zscore(TenantKeys("demo").callbacks_due(), cb.id) == pytest.approx(cb.due)


async def test_a_requested_time_is_shown_in_the_tenants_zone(gateway):
    visitor, inbox = await _visitor_with_conversation(gateway, language="en")
    at = datetime.now(UTC).replace(microsecond=0, second=0) + timedelta(days=2)
    ack = await _escalate(visitor, phone="+43 1 58858", at=at.strftime("%Y-%m-%dT%H:%M:%SZ"))
    assert ack["ok"] is True, ack
    line = await inbox.next("message", lambda m: m["author"]["kind"] == "system")
    berlin = at.astimezone(ZoneInfo("Europe/Berlin"))  # the demo tenant's zone
    assert line["text"] == f"We will call you at +43158858 on {berlin:%Y-%m-%d %H:%M %Z}."
    assert line["callback"]["due"] == at.timestamp()


@pytest.mark.parametrize(("phone", "code", "words"), [
    ("12", "bad_phone", "phone number"),
    ("+49 30 12", "bad_phone", "not valid"),
    ("+1 212 555 0100", "phone_not_allowed", "AT, CH, DE"),
])
async def test_an_invalid_or_disallowed_number_is_refused_with_a_clear_message(gateway, redis, phone, code, words):
    visitor, _ = await _visitor_with_conversation(gateway)
    ack = await _escalate(visitor, phone=phone)
    assert ack["error"]["code"] == code, ack
    assert words in ack["error"]["message"]
    assert await redis.zcard(TenantKeys("demo").callbacks_due()) == 0


async def test_a_second_open_request_for_the_same_contact_and_queue_is_refused(gateway, redis):
    visitor, inbox = await _visitor_with_conversation(gateway)
    assert (await _escalate(visitor, phone="+49 30 1234567"))["ok"] is True
    again = await _escalate(visitor, phone="+49 30 1234567")  # the same request resent: nothing new
    assert again["ok"] is True
    other = await _escalate(visitor, phone="+49 40 7654321")
    assert other["error"]["code"] == "callback_open", other
    history = await visitor.call("history", {"after_seq": 0}, namespace="/visitor")
    assert [m["author"]["kind"] for m in history["messages"]] == ["visitor", "system"]
    assert await redis.zcard(TenantKeys("demo").callbacks_due()) == 1


async def test_the_signed_link_cancels_and_a_forged_one_does_not(gateway, redis):
    visitor, inbox = await _visitor_with_conversation(gateway)
    assert (await _escalate(visitor, phone="+41 44 668 18 00"))["ok"] is True
    line = await inbox.next("message", lambda m: m["author"]["kind"] == "system")
    url, cb_id = line["callback"]["cancel_url"], line["callback"]["id"]
    sig = parse_qs(urlsplit(url).query)["sig"][0]
    forged = sig[:-4] + ("0000" if not sig.endswith("0000") else "1111")
    async with aiohttp.ClientSession() as http:
        for tenant, bad in (("demo", forged), ("other", sig), ("demo", ""), ("demo", "ünicode")):
            async with http.post(f"{gateway.url}/callbacks/{cb_id}",
                                 data={"tenant": tenant, "sig": bad, "action": "cancel"}) as r:
                assert r.status == 403, (tenant, bad)
        for bad in (url.replace(sig, forged), url.replace("tenant=demo", "tenant=other"), f"/callbacks/{cb_id}/cancel"):
            async with http.get(gateway.url + bad) as r:
                assert r.status == 403, bad
        for shown in (url, f"/callbacks/{cb_id}/cancel?tenant=demo&sig={sig}"):  # link scanners GET: nothing changes
            async with http.get(gateway.url + shown) as r:
                assert r.status == 200 and "Cancel the call" in await r.text()
        assert (await get_callback(redis, TenantKeys("demo"), cb_id)).state == "scheduled"
        for _ in range(2):  # sent twice: still just cancelled
            async with http.post(f"{gateway.url}/callbacks/{cb_id}",
                                 data={"tenant": "demo", "sig": sig, "action": "cancel"}) as r:
                assert r.status == 200 and "your callback is cancelled" in await r.text()
    assert (await get_callback(redis, TenantKeys("demo"), cb_id)).state == "cancelled"
    assert await redis.zcard(TenantKeys("demo").callbacks_due()) == 0
    note = await inbox.next("message", lambda m: m["text"].startswith("Your callback"))
    assert note["text"] == "Your callback to +41446681800 is cancelled."
    # the slot is free again: a new request is taken
    assert (await _escalate(visitor, phone="+41 44 668 18 00"))["ok"] is True
