"""A WhatsApp customer who cannot be reached, reported later by Meta: the recorded ``failed`` status
comes through the real, signed webhook route and the agent holding the conversation is told the
customer is unreachable, with Meta's reason — not only when the send itself is refused."""

from __future__ import annotations

import aiohttp
import pytest
from conftest import running_gateway
from echo import eventually
from test_whatsapp_conversation import (
    graph,  # noqa: F401  (the fixture, shared)
    whatsapp_config,
)
from wa_fixtures import body_of, recorded, sign

pytestmark = pytest.mark.timeout(60)

URL = "/webhooks/whatsapp/whatsapp"  # the demo config's WhatsApp channel
EVENTS = ["offer", "message_status", "customer_presence"]




def failed_status(wamid: str) -> bytes:
    """The recorded ``failed`` status (Meta's error 130472), about the message the stand-in sent."""
    payload = recorded("whatsapp_status_failed")
    payload["entry"][0]["changes"][0]["value"]["statuses"][0]["id"] = wamid
    return body_of(payload)


async def test_a_failed_status_from_the_webhook_tells_the_agent_the_customer_is_unreachable(redis, redis_url, graph):  # noqa: F811
    async with running_gateway(whatsapp_config(graph.url), redis_url) as gw, aiohttp.ClientSession() as http:
        login = await gw.login("anna")
        anna, anna_in = await gw.socket("/agent", {"token": login["token"]}, EVENTS)
        assert (await anna.call("state", {"state": "available"}, namespace="/agent"))["state"] == "available"
        body = body_of(recorded("whatsapp_text_pywa"))
        async with http.post(gw.url + URL, data=body, headers={"X-Hub-Signature-256": sign(body)}) as r:
            assert r.status == 200
        offer = await anna_in.next("offer", timeout=10)
        cid = offer["conversation_id"]
        assert (await anna.call("accept", {"offer_id": offer["offer_id"]}, namespace="/agent"))["ok"]
        ack = await anna.call("message", {"conversation_id": cid, "text": "Hier ist die Antwort", "client_id": "r1"},
                              namespace="/agent")
        assert "error" not in ack, ack
        await anna_in.next("message_status", lambda s: s["status"] == "sent", timeout=10)
        await eventually(lambda: graph.sent(), timeout=10)
        assert anna_in.all("customer_presence") == []  # sent fine: nothing to tell yet

        # a forged signature changes nothing
        forged = failed_status("wamid.out1")
        async with http.post(gw.url + URL, data=forged, headers={"X-Hub-Signature-256": sign(forged, "forged")}) as r:
            assert r.status == 401

        body = failed_status("wamid.out1")  # the wamid the stand-in gave our reply
        async with http.post(gw.url + URL, data=body, headers={"X-Hub-Signature-256": sign(body)}) as r:
            assert r.status == 200
        failed = await anna_in.next("message_status", lambda s: s["status"] == "failed", timeout=10)
        assert failed["conversation_id"] == cid
        gone = await anna_in.next("customer_presence", timeout=10)
        assert gone == {"conversation_id": cid, "present": False, "reason": "unreachable",
                        "detail": "User's number is part of an experiment (130472)"}
        assert len(anna_in.all("customer_presence")) == 1  # the forged one told nothing

