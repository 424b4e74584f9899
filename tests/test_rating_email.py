"""Rating by email, end to end on loopback: a customer's mail reaches the gateway's SMTP listener, Anna
answers and closes, the customer's mail server (aiosmtpd) receives the rating question with five
signed links; following a link shows a page and records nothing (mail scanners do that), the page's
POST records the score once, and the score shows on the conversation, in Anna's console and in the
report of the email work channel."""

from __future__ import annotations

import re
from datetime import datetime
from email.message import EmailMessage
from zoneinfo import ZoneInfo

import aiohttp
import aiosmtplib
import pytest
from conftest import DEMO_CONFIG, eventually
from email_helpers import CustomerServer, free_port
from history_helpers import history_gateway

from acd import replies
from acd.keys import AcdKeys
from gateway.config import load_config
from gateway.keys import TenantKeys

pytestmark = pytest.mark.timeout(90)
KIM = "kim@kunde.example"
KEYS = TenantKeys("demo")


def customer_mail() -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = f"Kim Kunde <{KIM}>"
    msg["To"] = "support@demo.example"
    msg["Subject"] = "Rechnung 4711"
    msg["Message-ID"] = "<rating-1@kunde.example>"
    msg.set_content("Hallo,\n\nmeine Rechnung 4711 ist doppelt abgebucht worden.\n\nKim")
    return msg


async def rated_events(redis) -> list[dict]:
    return [f for _, f in replies.entries(await redis.xrange(AcdKeys("demo").events())) if f.get("ev") == "rated"]


async def test_the_email_customer_rates_by_link_once_and_the_score_shows_in_the_report(
        redis, redis_url, database_url, history_db):
    listen = free_port()
    async with CustomerServer() as kunde:
        config = load_config(DEMO_CONFIG, env={})
        channel = config.tenants["demo"].channels["email"]
        channel.smtp_host, channel.smtp_port, channel.smtp_tls, channel.listen_port = "127.0.0.1", kunde.port, "none", listen
        async with history_gateway(config, redis_url, database_url) as gw, aiohttp.ClientSession() as http:
            anna, anna_in = await gw.agent("anna")  # billing 5, German: takes the email
            anna.on("rated", anna_in.recorder("rated"), namespace="/agent")
            await aiosmtplib.send(customer_mail(), hostname="127.0.0.1", port=listen, timeout=5)
            offer = await anna_in.next("offer", timeout=15)
            assert offer["channel_type"] == "email"
            accepted = await anna.call("accept", {"offer_id": offer["offer_id"]}, namespace="/agent")
            cid = accepted["conversation"]["conversation_id"]
            await anna.call("message", {"conversation_id": cid, "text": "Wir erstatten den doppelten Betrag.",
                                        "client_id": "a1"}, namespace="/agent")
            await eventually(lambda: kunde.mails, timeout=15)  # the answer first, then the close
            closed = await anna.call("close", {"conversation_id": cid}, namespace="/agent")
            assert closed == {"ok": True}, closed

            def rating_mail():
                return next((m for m in kunde.mails if "/rate/demo/" in m.get_body(("plain",)).get_content()), None)

            question = await eventually(rating_mail, timeout=15)
            assert question["To"].addresses[0].addr_spec == KIM
            body = question.get_body(("plain",)).get_content()
            assert "Wie zufrieden waren Sie" in body  # the conversation's language
            links = re.findall(r"https?://\S+/rate/demo/\S+", body)
            assert [int(link.rsplit("score=", 1)[1]) for link in links] == [1, 2, 3, 4, 5]
            assert len({link.split("?")[0] for link in links}) == 1 and cid in links[0]
            four = re.sub(r"^https?://[^/]+", gw.url, links[3])

            # following the link (a person, or a scanner) shows the page and records nothing
            async with http.get(four) as r:
                page = await r.text()
                assert r.status == 200 and 'method="post"' in page and 'value="4" checked' in page
            async with http.get(re.sub(r"^https?://[^/]+", gw.url, links[0])) as r:
                assert r.status == 200
            assert await rated_events(redis) == [] and not await redis.hget(KEYS.conv(cid), "rating_score")

            # the page's form records it, once
            async with http.post(four, data={"score": "4", "comment": "<b>schnell</b> und freundlich"}) as r:
                assert r.status == 200 and "Vielen Dank für Ihre Bewertung" in await r.text()
            async with http.post(four, data={"score": "1"}) as r:
                assert r.status == 409 and "bereits bewertet" in await r.text()
            assert [(e["task"], e["score"], e["ch"], e["agent"]) for e in await rated_events(redis)] == [
                (cid, "4", "email", "anna")]

            # on the conversation and in Anna's console
            stored = replies.fields(await redis.hgetall(KEYS.conv(cid)))
            assert {"rating_score": "4", "rating_comment": "<b>schnell</b> und freundlich",
                    "rated_via": "email"}.items() <= stored.items()
            seen = await anna_in.next("rated", timeout=5)
            assert seen["conversation_id"] == cid and seen["rating"]["score"] == 4

            # and in the report of the email work channel
            token = (await gw.login("sam"))["token"]
            day = datetime.now(ZoneInfo("Europe/Berlin")).date().isoformat()

            async def email_row() -> dict | None:
                async with http.get(f"{gw.url}/api/v1/reports/channels?from={day}&to={day}&interval=day",
                                    headers={"Authorization": f"Bearer {token}"}) as r:
                    data = await r.json()
                row = next((x for x in data["totals"] if x["channel"] == "email"), None)
                return row if row and row["ratings"] == 1 else None

            row = await eventually(email_row, timeout=30, interval=0.5)
            assert row["satisfaction"] == 4.0
