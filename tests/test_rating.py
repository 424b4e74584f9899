"""The customer's side after a chat: "End chat" closes with reason visitor_ended, the rating is taken
once for the visitor's own closed conversation, the email links vote only on POST, a messenger
customer's tap is recorded, and the rating shows in the ACD event log and the report."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime
from zoneinfo import ZoneInfo

import aiohttp
from conftest import eventually
from history_helpers import history_gateway

from acd import replies
from acd.keys import AcdKeys
from gateway.appkeys import SERVICES
from gateway.conversations.rating import rating_links


async def served_conversation(gw):
    """Vera writes, Anna accepts and answers: (anna, anna inbox, visitor, visitor inbox, conversation id)."""
    anna, anna_in = await gw.agent("anna")
    anna.on("rated", anna_in.recorder("rated"), namespace="/agent")
    visitor, v_in = await gw.visitor()
    ack = await visitor.call("message", {"text": "My invoice is wrong", "client_id": "c1"}, namespace="/visitor")
    cid = ack["conversation_id"]
    offer = await anna_in.next("offer")
    assert (await anna.call("accept", {"offer_id": offer["offer_id"]}, namespace="/agent"))["ok"]
    await anna.call("message", {"conversation_id": cid, "text": "Fixed.", "client_id": "a1"}, namespace="/agent")
    return anna, anna_in, visitor, v_in, cid


async def rated_events(redis, tenant: str = "demo") -> list[dict]:
    entries = replies.entries(await redis.xrange(AcdKeys(tenant).events()))
    return [f for _, f in entries if f.get("ev") == "rated"]


async def test_rating_is_taken_once_for_the_visitors_own_closed_conversation(gateway, redis):
    anna, anna_in, visitor, v_in, cid = await served_conversation(gateway)
    rate = lambda sock, data: sock.call("rate", data, namespace="/visitor", timeout=5)  # noqa: E731

    early = await rate(visitor, {"conversation_id": cid, "score": 5})
    assert early["error"]["code"] == "not_closed"

    ended = await visitor.call("end_chat", {}, namespace="/visitor", timeout=5)
    assert ended == {"ok": True, "conversation_id": cid}
    assert (await anna_in.next("closed"))["reason"] == "visitor_ended"
    assert (await v_in.next("closed"))["reason"] == "visitor_ended"

    stranger, _ = await gateway.visitor(name="Mallory")
    foreign = await rate(stranger, {"conversation_id": cid, "score": 1})
    assert foreign["error"]["code"] == "not_found"
    for bad in ({"conversation_id": cid, "score": 6}, {"conversation_id": cid, "score": "5"},
                {"conversation_id": cid, "score": 0}, {"conversation_id": cid, "score": 4, "comment": "x" * 1001}):
        assert "error" in await rate(visitor, bad), bad
    assert await rated_events(redis) == []  # nothing of the refused ones was recorded

    ok = await rate(visitor, {"conversation_id": cid, "score": 4, "comment": "<b>quick</b> help"})
    assert ok["ok"] is True and ok["rating"]["score"] == 4 and ok["rating"]["comment"] == "<b>quick</b> help"
    seen = await anna_in.next("rated")
    assert seen["conversation_id"] == cid and seen["rating"]["score"] == 4

    again = await rate(visitor, {"conversation_id": cid, "score": 1})
    assert again["error"]["code"] == "already_rated"
    events = await rated_events(redis)
    assert len(events) == 1
    assert events[0]["task"] == cid and events[0]["score"] == "4" and events[0]["agent"] == "anna"
    assert events[0]["q"] and events[0]["ch"] == "chat"
    assert await redis.hget(f"t:{{demo}}:conv:{cid}", "rating_score") in (b"4", "4")


async def test_email_rating_link_get_shows_a_page_and_only_post_records(gateway, redis):
    _, _, visitor, v_in, cid = await served_conversation(gateway)
    await visitor.call("end_chat", {}, namespace="/visitor", timeout=5)
    svc = gateway.app[SERVICES]
    links = rating_links(svc, "demo", cid)
    assert len(links) == 5 and links[2].endswith("score=3")
    path = re.sub(r"^https?://[^/]+", "", links[2])
    async with aiohttp.ClientSession() as http:
        async with http.get(gateway.url + path) as r:  # what a link scanner does
            page = await r.text()
            assert r.status == 200 and 'method="post"' in page and 'value="3" checked' in page
        assert await rated_events(redis) == []
        forged = path.replace(path.split("/")[4].split("?")[0], "0" * 32)
        async with http.post(gateway.url + forged, data={"score": "3"}) as r:
            assert r.status == 404
        async with http.post(gateway.url + path, data={"score": "9"}) as r:
            assert r.status == 400
        async with http.post(gateway.url + path, data={"score": "3", "comment": "fine"}) as r:
            assert r.status == 200 and "Thank you" in await r.text()
        async with http.post(gateway.url + path, data={"score": "1"}) as r:
            assert r.status == 409
    events = await rated_events(redis)
    assert [e["score"] for e in events] == ["3"]


async def test_a_visitors_rating_shows_in_the_report(redis, redis_url, demo_config, database_url, history_db):
    async with history_gateway(demo_config, redis_url, database_url) as gw:
        _, _, visitor, _, cid = await served_conversation(gw)
        await visitor.call("end_chat", {}, namespace="/visitor", timeout=5)
        assert (await visitor.call("rate", {"conversation_id": cid, "score": 4}, namespace="/visitor"))["ok"]
        sam = (await gw.login("sam"))["token"]
        day = datetime.now(ZoneInfo("Europe/Berlin")).date().isoformat()
        headers = {"Authorization": f"Bearer {sam}"}

        async def agents() -> dict | None:
            async with aiohttp.ClientSession() as http, http.get(
                    f"{gw.url}/api/v1/reports/agents?from={day}&to={day}&interval=day", headers=headers) as r:
                data = await r.json()
            anna = next((x for x in data["totals"] if x["agent"] == "anna"), None)
            return anna if anna and anna["ratings"] == 1 else None

        anna = await eventually(agents, timeout=30, interval=0.5)
        assert anna["satisfaction"] == 4.0
        async with aiohttp.ClientSession() as http, http.get(
                f"{gw.url}/api/v1/reports/channels?from={day}&to={day}&interval=day&format=csv", headers=headers) as r:
            table = list(csv.DictReader(io.StringIO(await r.text())))
        chat = next(row for row in table if row["channel"] == "chat")
        assert chat["ratings"] == "1" and chat["satisfaction"] == "4.0"


async def test_a_whatsapp_customer_is_asked_after_the_close_and_the_tap_is_recorded(redis, redis_url):
    import sys
    from pathlib import Path

    from aiohttp.test_utils import TestServer
    from conftest import running_gateway

    sys.path.insert(0, str(Path(__file__).parent / "bridges"))
    from test_callbacks_messenger import WA_NUMBER, wa_button, wa_post
    from test_whatsapp_conversation import whatsapp_config
    from wa_fixtures import batch, body_of, message
    from wa_standin import FakeGraph

    cloud = FakeGraph()
    server = TestServer(cloud.app, host="127.0.0.1", port=0)
    await server.start_server()
    cloud.url = str(server.make_url("")).rstrip("/")
    try:
        async with running_gateway(whatsapp_config(cloud.url), redis_url) as gw, aiohttp.ClientSession() as http:
            await wa_post(http, gw, body_of(batch(message("wamid.r1", "Hallo", wa_id=WA_NUMBER))))
            anna, anna_in = await gw.agent("anna")
            offer = await anna_in.next("offer", timeout=10)
            cid = (await anna.call("accept", {"offer_id": offer["offer_id"]}, namespace="/agent"))["conversation"]["conversation_id"]
            assert (await anna.call("close", {"conversation_id": cid, "wrapup_code": "resolved"}, namespace="/agent"))["ok"]
            await eventually(lambda: cloud.sent(), timeout=10)
            question = str(cloud.sent()[-1])
            # a German customer; WhatsApp takes 3 buttons at most, so the five come as a numbered list
            assert "zufrieden" in question and "5. 5" in question

            await wa_post(http, gw, body_of(batch(message("wamid.r2", "5", wa_id=WA_NUMBER))))
            await eventually(lambda: len(cloud.sent()) == 2, timeout=10)
            assert "Vielen Dank" in str(cloud.sent()[-1])
            await wa_post(http, gw, wa_button("wamid.r3", f"rate:{cid}:1", "1"))  # a tap afterwards changes nothing
            events = await rated_events(redis)
            assert [(e["task"], e["score"], e["ch"]) for e in events] == [(cid, "5", "messaging")]
            # the tap opened no new conversation for an agent
            assert await redis.hget(f"t:{{demo}}:conv:{cid}", "rated_via") in (b"whatsapp", "whatsapp")
    finally:
        await server.close()
