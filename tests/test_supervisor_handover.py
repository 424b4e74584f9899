"""What the customer hears when a supervisor forces their agent offline or logs the agent out: only
that they are handed on and the next free agent continues — in the conversation's language, never
that the agent was logged out or why. At the socket level for a widget visitor, and as the Telegram
Bot API stand-in receives it for a messenger customer."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import aiohttp
import pytest
from conftest import DEMO_CONFIG, FIXTURES, eventually, running_gateway

from bridges.telegram.inbound import SECRET_HEADER
from gateway.config import load_config
from gateway.conversations.handover_notice import handover_text

sys.path.insert(0, str(Path(__file__).parent / "bridges"))  # the Telegram stand-in of the bridge tests
from telegram_standin import TOKEN, StandIn, running  # noqa: E402

pytestmark = pytest.mark.timeout(60)
SUP = "/supervisor"
TG_SECRET = "handover-telegram-secret"
ALARMING = ("logged", "offline", "abgemeldet", "disconnected", "Verbindung", "Anna", "coffee", "Kaffee")


async def supervisor(gw):
    login = await gw.login("sam")
    sam, _ = await gw.socket(SUP, {"token": login["token"]})
    return sam


async def served_widget_visitor(gw, agent, agent_in, language: str):
    visitor, inbox = await gw.visitor(name="Vera", language=language)
    cid = (await visitor.call("message", {"text": "Hallo", "client_id": "v1"}, namespace="/visitor"))["conversation_id"]
    offer = await agent_in.next("offer", lambda o: o["conversation_id"] == cid)
    assert (await agent.call("accept", {"offer_id": offer["offer_id"]}, namespace="/agent"))["ok"]
    await inbox.next("assigned")
    return visitor, inbox, cid


def calm(texts: list[str]) -> bool:
    return not any(word.lower() in text.lower() for text in texts for word in ALARMING)


@pytest.mark.parametrize("action", ["agent_state", "logout_agent"])
@pytest.mark.parametrize("language", ["de", "en"])
async def test_a_widget_visitor_is_handed_on_calmly(gateway, action, language):
    anna, anna_in = await gateway.agent("anna")
    sam = await supervisor(gateway)
    _, inbox, cid = await served_widget_visitor(gateway, anna, anna_in, language)
    data = {"agent_id": "anna", "state": "offline", "reason": "coffee break"} if action == "agent_state" else {"agent_id": "anna"}
    assert (await sam.call(action, data, namespace=SUP))["ok"]

    requeued = await inbox.next("requeued")
    # "transferred": the widget says "You are being transferred. The next free agent will continue the
    # conversation." (its own words, in its language), not "Your agent was disconnected."
    assert requeued == {"conversation_id": cid, "reason": "transferred"}
    await asyncio.sleep(0.3)  # anything else on its way
    assert calm([m["text"] for m in inbox.all("message")])
    assert not inbox.all("closed")


async def test_forcing_away_keeps_the_customer_with_the_agent(gateway):
    anna, anna_in = await gateway.agent("anna")
    sam = await supervisor(gateway)
    _, inbox, _ = await served_widget_visitor(gateway, anna, anna_in, "en")
    ack = await sam.call("agent_state", {"agent_id": "anna", "state": "away", "reason": "coffee"}, namespace=SUP)
    assert ack["state"] == "away"
    await anna_in.next("state", lambda s: s["state"] == "away")
    await asyncio.sleep(0.3)
    assert not inbox.all("requeued") and calm([m["text"] for m in inbox.all("message")])


def tg_update(update_id: int, language: str, text: str) -> bytes:
    body = json.loads((FIXTURES / "telegram_text.json").read_text())["payload"]
    body["update_id"] = update_id
    body["message"]["from"]["language_code"] = language
    body["message"]["text"] = text
    return json.dumps(body).encode()


@pytest.mark.parametrize(("language", "agent", "action"), [
    ("de", "anna", "logout_agent"),  # German and technical: Anna
    ("en", "ben", "agent_state"),  # English and technical: Ben
])
async def test_a_telegram_customer_reads_the_handover_in_their_language(redis_url, redis, language, agent, action):
    async with running(StandIn()) as api:
        env = {"TELEGRAM_API_BASE": api.url, "TELEGRAM_SECRET": TG_SECRET, "TELEGRAM_TOKEN": TOKEN}
        async with running_gateway(load_config(DEMO_CONFIG, env=env), redis_url) as gw, aiohttp.ClientSession() as http:
            holder, holder_in = await gw.agent(agent)
            async with http.post(f"{gw.url}/webhooks/telegram/telegram", data=tg_update(3000, language, "Mein Router"),
                                 headers={SECRET_HEADER: TG_SECRET}) as r:
                assert r.status == 200
            offer = await holder_in.next("offer", timeout=10)
            assert (await holder.call("accept", {"offer_id": offer["offer_id"]}, namespace="/agent"))["ok"]
            await holder.call("message", {"conversation_id": offer["conversation_id"], "text": "Moment bitte",
                                          "client_id": "h1"}, namespace="/agent")
            await eventually(lambda: "Moment bitte" in api.sent_texts(), timeout=10)

            sam = await supervisor(gw)
            data = {"agent_id": agent, "state": "offline", "reason": "coffee"} if action == "agent_state" else {"agent_id": agent}
            assert (await sam.call(action, data, namespace=SUP))["ok"]
            expected = handover_text(language)
            await eventually(lambda: expected in api.sent_texts(), timeout=10)
            assert expected == {"de": "Sie werden weitergeleitet. Gleich übernimmt jemand anderes das Gespräch.",
                                "en": "You are being transferred. The next free agent will continue the conversation."}[language]
            await asyncio.sleep(0.3)
            after = api.sent_texts()[api.sent_texts().index("Moment bitte") + 1:]
            assert after.count(expected) == 1 and calm(after), after
