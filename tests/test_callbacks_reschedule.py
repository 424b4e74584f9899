"""The signed callback page: a GET only shows (link scanners fetch it); the form's POST moves the
callback to another offered time (booking and due time together, and the conversation says so) or
cancels it; a forged signature changes nothing; once the call is being placed it is too late."""

from __future__ import annotations

import time
from datetime import datetime
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import aiohttp
import pytest
from conftest import DEMO_CONFIG, running_gateway
from email_helpers import CustomerServer, eventually
from test_callbacks_dialling import _accept_voice, callback_gateway, phone_system
from test_callbacks_slots import _ask, _ts, slots

from gateway.callbacks.records import get_callback
from gateway.config import load_config
from gateway.keys import TenantKeys

pytestmark = pytest.mark.timeout(60)
KEYS = TenantKeys("demo")


async def _post(gw, cb_id: str, sig: str, **form) -> tuple[int, str]:
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{gw.url}/callbacks/{cb_id}", data={"tenant": "demo", "sig": sig, **form}) as r:
            return r.status, await r.text()


async def _booked(gw, inbox) -> tuple[str, str, str]:
    """(callback id, signature, page URL) from the customer's line."""
    line = await inbox.next("message", lambda m: "manage_url" in m.get("callback", {}))
    url = line["callback"]["manage_url"]
    return line["callback"]["id"], parse_qs(urlsplit(url).query)["sig"][0], url


async def test_the_customer_moves_the_callback_and_the_booking_moves_with_it(redis, redis_url):
    config = load_config(DEMO_CONFIG, env={})
    config.tenants["demo"].callbacks.handle_s = 1800  # one callback per 30 minutes: slots fill at once
    async with running_gateway(config, redis_url) as gw:
        _, body = await slots(gw, queue="billing", language="en")
        first, second, third = body["slots"][2], body["slots"][3], body["slots"][4]
        _, inbox, ack = await _ask(gw, first["start"], language="en")
        assert ack["ok"] is True, ack
        cb_id, sig, url = await _booked(gw, inbox)
        async with aiohttp.ClientSession() as http:
            async with http.get(gw.url + url) as r:
                page = await r.text()
        assert r.status == 200 and "+49301234567" in page and "Move the call" in page
        assert f"value='{int(_ts(second['start']))}'" in page and "As soon as possible" in page
        assert r.headers["Referrer-Policy"] == "no-referrer"

        forged = sig[:-1] + ("1" if sig.endswith("0") else "0")
        assert (await _post(gw, cb_id, forged, action="move", slot=str(int(_ts(second["start"])))))[0] == 403
        status, page = await _post(gw, cb_id, sig, action="move", slot=str(int(_ts(second["start"]))))
        assert status == 200 and "your callback is moved" in page
        cb = await get_callback(redis, KEYS, cb_id)
        assert cb.due == _ts(second["start"]) and cb.slot == str(int(_ts(second["start"]))) and cb.state == "scheduled"
        assert await redis.zscore(KEYS.callbacks_due(), cb_id) == cb.due
        when = datetime.fromtimestamp(cb.due, ZoneInfo("Europe/Berlin")).strftime("%Y-%m-%d %H:%M %Z")
        moved = await inbox.next("message", lambda m: m["text"].startswith("We will now call you"))
        assert moved["text"] == f"We will now call you at +49301234567 on {when}."
        _, after = await slots(gw, queue="billing", language="en")
        offered = [s["start"] for s in after["slots"]]
        assert first["start"] in offered and second["start"] not in offered  # the old place is free, the new one taken

        _, _, other = await _ask(gw, third["start"], language="en", phone="030 7654321")  # someone takes the third
        assert other["ok"] is True
        status, page = await _post(gw, cb_id, sig, action="move", slot=str(int(_ts(third["start"]))))
        assert status == 409 and "fully booked" in page
        assert (await get_callback(redis, KEYS, cb_id)).due == cb.due  # nothing changed
        status, page = await _post(gw, cb_id, sig, action="move", slot="soon")
        assert status == 400

        status, _ = await _post(gw, cb_id, sig, action="move", slot="asap")
        assert status == 200
        cb = await get_callback(redis, KEYS, cb_id)
        assert cb.slot == "" and cb.at == "" and cb.due <= time.time()
        await inbox.next("message", lambda m: m["text"] == "We will now call you at +49301234567 as soon as possible.")
        _, freed = await slots(gw, queue="billing", language="en")
        assert second["start"] in [s["start"] for s in freed["slots"]]


async def test_too_late_once_the_call_is_being_placed(redis, redis_url):
    async with CustomerServer() as smtp, phone_system() as (phones, url), \
            callback_gateway(redis_url, url, smtp.port, max_attempts=3) as gw:
        anna, a_in = await gw.agent("anna")
        _, inbox, ack = await _ask(gw, None, language="en")
        assert ack["ok"] is True, ack
        cb_id, sig, page_url = await _booked(gw, inbox)
        await _accept_voice(anna, a_in, 1)
        await eventually(lambda: len(phones.calls) == 1)
        assert (await get_callback(redis, KEYS, cb_id)).state == "dialling"
        status, page = await _post(gw, cb_id, sig, action="cancel")
        assert status == 409 and "Too late" in page
        _, body = await slots(gw, queue="billing", language="en")
        status, page = await _post(gw, cb_id, sig, action="move", slot=str(int(_ts(body["slots"][0]["start"]))))
        assert status == 409
        async with aiohttp.ClientSession() as http:
            async with http.get(gw.url + page_url) as r:
                shown = await r.text()
        assert "calling +49301234567 right now" in shown and "<form" not in shown
        cb = await get_callback(redis, KEYS, cb_id)
        assert cb.state == "dialling" and len(phones.calls) == 1  # nothing changed, nothing dialled twice
