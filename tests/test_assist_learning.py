"""Assist learning from agents, with the history database: a correction (socket ``assist_correct``) is
stored as a training signal, the model retrains in the background and the next similar message follows
it; a changed queue transfers the conversation; only the agent holding it or a supervisor may correct,
and a bad request stores nothing. The model is kept in PostgreSQL with its version and a restart loads
it instead of training; a database that goes away stops neither routing nor corrections (one log line)."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator

import aiohttp
import asyncpg
import pytest
from conftest import DEMO_CONFIG, Gateway, eventually, running_gateway
from test_assist_routing import (
    TG_SECRET,
    TOKEN,
    StandIn,
    agent,
    chat_conversation,
    running,
    send,
    task_of,
    tg_update,
)

from gateway import appkeys as K
from gateway.assist.service import forget_cached_models, training_counts
from gateway.config import load_config
from gateway.history.embedded import EmbeddedPostgres
from gateway.history.migrate import upgrade
from gateway.keys import TenantKeys
from gateway.store.conversations import get_conversation

pytestmark = pytest.mark.timeout(120)
KEYS = TenantKeys("demo")
MISSED = "The technician did not show up today although the appointment was confirmed"
SIMILAR = "Our appointment was confirmed but the technician did not show up"


@contextlib.asynccontextmanager
async def auto_telegram(redis_url: str, database: str) -> AsyncIterator[tuple[Gateway, aiohttp.ClientSession]]:
    """The demo gateway with its history database, its Telegram channel on ``topic: auto`` (unsure: tech)."""
    async with running(StandIn()) as api:
        env = {"TELEGRAM_API_BASE": api.url, "TELEGRAM_SECRET": TG_SECRET, "TELEGRAM_TOKEN": TOKEN}
        config = load_config(DEMO_CONFIG, env=env)
        channel = config.tenants["demo"].channels["telegram"]
        channel.topic, channel.default_topic = "auto", "tech"
        config.tenants["demo"].assist.retrain_after_s = 0.2
        async with running_gateway(config, redis_url, database) as gw, aiohttp.ClientSession() as http:
            yield gw, http


async def held(gw: Gateway, http: aiohttp.ClientSession, redis, update_id: int, user: int, text: str, who, inbox) -> str:
    """A Telegram customer writes ``text``; the agent ``who`` accepts the offer: the conversation id."""
    await send(http, gw, tg_update(update_id, user, text))
    conv = await chat_conversation(redis, "telegram", str(user))
    offer = await inbox.next("offer", lambda o: o["conversation_id"] == conv.id, timeout=10)
    assert (await who.call("accept", {"offer_id": offer["offer_id"]}, namespace="/agent"))["ok"]
    return conv.id


async def test_a_correction_is_stored_retrains_and_moves_the_conversation(redis, redis_url, database_url, history_db):
    async with auto_telegram(redis_url, database_url) as (gw, http):
        assist = gw.app[K.SERVICES].assist
        before = assist.topic_model("demo")
        assert before is not None
        assert (await assist.classify("demo", SIMILAR, channel="telegram")).topic != "complaint"
        anna, anna_in = await agent(gw, "anna")  # tech 3: the channel's default topic when unsure
        cid = await held(gw, http, redis, 1, 6001, MISSED, anna, anna_in)
        assert (await get_conversation(redis, KEYS, cid)).queue == "tech"

        ack = await anna.call("assist_correct", {"conversation_id": cid, "topic": "complaint"}, namespace="/agent")
        assert ack == {"ok": True, "transferred": True}
        conv = await get_conversation(redis, KEYS, cid)
        assert (conv.topic, conv.queue) == ("complaint", "sales")
        task = await task_of(gw, cid)
        assert task["queue"] == "sales" and task.get("agent", "") != "anna"  # the ACD moved it; anna let it go
        await anna_in.next("unassigned", lambda e: e["conversation_id"] == cid, timeout=10)

        rows = await history_db.fetch("SELECT text, topic, source, actor, conversation_id FROM assist_signals")
        assert [tuple(r) for r in rows] == [(MISSED, "complaint", "correction", "anna", cid)]
        after = await eventually(lambda: (m := assist.topic_model("demo")) is not None and m.version != before.version
                                 and m, timeout=15)
        stored = await eventually(lambda: history_db.fetchrow(
            "SELECT version, last_signal FROM assist_models WHERE tenant_id = 'demo' AND version = $1", after.version),
            timeout=10)
        assert stored["last_signal"] >= 1

        # the next similar message is routed to the corrected topic
        await send(http, gw, tg_update(2, 6002, SIMILAR))
        similar = await chat_conversation(redis, "telegram", "6002")
        assert (similar.topic, similar.queue) == ("complaint", "sales")
        assert (await task_of(gw, similar.id))["queue"] == "sales"

        # the customer's erasure takes their words out of the training data, and the model retrains without them
        contact = (await get_conversation(redis, KEYS, cid)).contact_id
        sam = (await gw.login("sam"))["token"]
        async with http.post(f"{gw.url}/api/v1/contacts/{contact}/erase",
                             headers={"Authorization": f"Bearer {sam}"}) as r:
            assert r.status == 200, await r.text()
        assert await history_db.fetchval("SELECT count(*) FROM assist_signals") == 0
        await eventually(lambda: (m := assist.topic_model("demo")) is not None and m.version == before.version,
                         timeout=15)


async def test_only_the_holder_or_a_supervisor_corrects_and_bad_requests_store_nothing(redis, redis_url, database_url,
                                                                                        history_db):
    async with auto_telegram(redis_url, database_url) as (gw, http):
        anna, anna_in = await agent(gw, "anna")
        cid = await held(gw, http, redis, 1, 6101, "My internet connection keeps dropping every evening", anna, anna_in)
        ben, _ = await agent(gw, "ben")
        conv = await get_conversation(redis, KEYS, cid)
        assert (conv.topic, conv.agent_id) == ("tech", "anna")
        for who, body, code in (
            (ben, {"conversation_id": cid, "topic": "billing"}, "forbidden"),  # not his
            (anna, {"conversation_id": cid, "topic": "nope"}, "unknown_topic"),
            (anna, {"conversation_id": cid, "topic": ["tech"]}, "unknown_topic"),
            (anna, {"conversation_id": cid, "language": "fr"}, "unknown_language"),
            (anna, {"conversation_id": cid}, "bad_request"),
            (anna, {"topic": "billing"}, "bad_request"),
            (anna, {"conversation_id": "c_nope", "topic": "billing"}, "not_found"),
            (anna, "billing", "bad_request"),
        ):
            ack = await who.call("assist_correct", body, namespace="/agent")
            assert ack["error"]["code"] == code, (body, ack)
        assert await history_db.fetchval("SELECT count(*) FROM assist_signals") == 0
        unchanged = await get_conversation(redis, KEYS, cid)
        assert (unchanged.topic, unchanged.queue, unchanged.language, unchanged.agent_id) == ("tech", "tech", "en", "anna")

        # the agent corrects the language only: no transfer; a supervisor sets the topic of any open one
        ack = await anna.call("assist_correct", {"conversation_id": cid, "language": "de"}, namespace="/agent")
        assert ack == {"ok": True, "transferred": False}
        told = await anna_in.next("conversation_assist", lambda e: e["conversation_id"] == cid, timeout=10)
        assert told["assist"]["language"] == "de" and told["assist"]["corrected"] is True
        login = await gw.login("sam")
        sam, _ = await gw.socket("/supervisor", {"token": login["token"]})
        ack = await sam.call("assist_correct", {"conversation_id": cid, "topic": "billing"}, namespace="/supervisor")
        assert ack == {"ok": True, "transferred": True}
        assert (await task_of(gw, cid))["queue"] == "billing"
        rows = await history_db.fetch("SELECT topic, language, source, actor FROM assist_signals ORDER BY id")
        assert [tuple(r) for r in rows] == [(None, "de", "correction", "anna"),
                                            ("billing", None, "supervisor_correction", "sam")]
        audit = [e for e in await redis.xrange(KEYS.audit()) if e[1]["action"] == "assist.correct"]
        assert [e[1]["actor"] for e in audit] == ["anna", "sam"]


async def test_a_restart_loads_the_stored_model_instead_of_training(redis, redis_url, database_url, history_db):
    config = load_config(DEMO_CONFIG, env={})
    async with running_gateway(config, redis_url, database_url) as gw:
        version = gw.app[K.SERVICES].assist.topic_model("demo").version
    assert await history_db.fetchval("SELECT version FROM assist_models WHERE tenant_id = 'demo'") == version
    forget_cached_models()  # as a new process would start
    counts = training_counts()
    async with running_gateway(load_config(DEMO_CONFIG, env={}), redis_url, database_url) as gw:
        assert gw.app[K.SERVICES].assist.topic_model("demo").version == version
    now = training_counts()
    assert now["trained"] == counts["trained"] and now["loaded"] == counts["loaded"] + 1


async def test_a_database_gone_stops_neither_routing_nor_corrections(redis, redis_url, tmp_path, caplog):
    server = EmbeddedPostgres(tmp_path / "pg")
    dsn = await server.start()
    await upgrade(dsn)
    try:
        async with auto_telegram(redis_url, dsn) as (gw, http):
            assist = gw.app[K.SERVICES].assist
            before = assist.topic_model("demo").version
            anna, anna_in = await agent(gw, "anna")
            await server.stop()
            caplog.set_level(logging.WARNING, logger="gateway.assist.service")

            cid = await held(gw, http, redis, 1, 6201, MISSED, anna, anna_in)  # still classified and routed
            ack = await anna.call("assist_correct", {"conversation_id": cid, "topic": "complaint"}, namespace="/agent")
            assert ack == {"ok": True, "transferred": True}
            assert (await task_of(gw, cid))["queue"] == "sales"
            await assist.refresh()  # the periodic look at the database, once more while it is gone
            await eventually(lambda: assist.topic_model("demo").version != before, timeout=15)
            await send(http, gw, tg_update(2, 6202, SIMILAR))  # the correction is trained in from memory
            similar = await chat_conversation(redis, "telegram", "6202")
            assert similar.topic == "complaint"
            said = [r.getMessage() for r in caplog.records
                    if r.name == "gateway.assist.service" and "unreachable" in r.getMessage()]
            assert len(said) == 1, said

            await server.start()  # back: the correction kept in memory is stored, nothing lost
            conn = await asyncpg.connect(dsn)
            try:
                rows = await eventually(lambda: conn.fetch("SELECT topic, conversation_id FROM assist_signals"), timeout=20)
                assert [tuple(r) for r in rows] == [("complaint", cid)]
            finally:
                await conn.close()
    finally:
        await server.stop()
