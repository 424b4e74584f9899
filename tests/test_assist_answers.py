"""Assist answers in the gateway (gateway/assist/suggestions.py, auto_answer.py, snippet_figures.py): the
suggestions an agent gets and how they learn from agents' choices, the automatic answer to a routine first
message and the customer's way to a person, and the switch-off of an answer customers keep escalating after.

Real Redis and PostgreSQL; the threshold is measured on the demo's canned examples and the simulated agent
week of assist/eval (stored as agents' choices), as a tenant with a week of history would have it.
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

import aiohttp
import pytest
from conftest import DEMO_CONFIG, eventually
from history_helpers import history_gateway

from assist import demo
from bridges.telegram.inbound import SECRET_HEADER
from gateway import appkeys as K
from gateway.config import load_config
from gateway.keys import TenantKeys

sys.path.insert(0, str(Path(__file__).parent / "bridges"))  # the Telegram stand-in of the bridge tests
from telegram_standin import TOKEN, StandIn, running  # noqa: E402
from test_notes import held_by, tg_update  # noqa: E402

pytestmark = pytest.mark.timeout(90)
KEYS = TenantKeys("demo")
ROUTINE = "Can you send me my invoice again please?"  # invoice-copy-en, far above any threshold
TG_SECRET = "answers-telegram-secret"


def answers_config(env: dict | None = None, **assist):
    config = load_config(DEMO_CONFIG, env=env or {})
    for name, value in assist.items():
        setattr(config.tenants["demo"].assist, name, value)
    return config


async def seed_agent_week(history_db) -> None:
    """A week of agents' replies with canned answers (assist/eval/agent_week.jsonl) in the history database."""
    rows = [("demo", c.text, c.canned_id, c.language or "") for c in demo.agent_week() if c.canned_id]
    await history_db.executemany(
        "INSERT INTO assist_choices (tenant_id, text, canned_id, language) VALUES ($1, $2, $3, $4)", rows)


async def write(visitor, text: str, client_id: str) -> str:
    ack = await visitor.call("message", {"text": text, "client_id": client_id}, namespace="/visitor", timeout=10)
    assert "error" not in ack, ack
    return ack["conversation_id"]


def auto_messages(inbox) -> list[dict]:
    return [m for m in inbox.all("message") if m.get("auto")]


async def built(gw):
    return await gw.app[K.SERVICES].answers.built("demo")


# --- suggestions ------------------------------------------------------------------------------------
async def test_suggestions_learn_a_wording_from_the_answers_agents_chose(redis, redis_url, database_url, history_db):
    wording = "Moved to another institution, where do the new numbers go?"  # no word the canned answer knows
    async with history_gateway(answers_config(), redis_url, database_url) as gw:
        anna, anna_in = await gw.agent("anna")
        anna_in_events = []
        anna.on("assist_suggestions", lambda d: anna_in_events.append(d), namespace="/agent")
        visitor, _ = await gw.visitor(topic="billing", language="en")
        cid = await write(visitor, wording, "w1")
        assert cid == await held_by(anna, anna_in)
        first = await anna.call("assist_suggest", {"conversation_id": cid}, namespace="/agent", timeout=10)
        assert first["after_seq"] == 1 and len(first["suggestions"]) == 3
        assert "payment-methods-en" not in [s["canned_id"] for s in first["suggestions"]]  # lexical, examples and lexicon miss it
        assert all({"title", "text", "why", "why_kind", "confidence"} <= set(s) for s in first["suggestions"])

        # agents answer the same need, worded differently, with that canned answer
        taught = ["Moved to a different institution, where do my new numbers go?",
                  "I moved to another institution, where can the new numbers go?"]
        for i, said in enumerate(taught):
            await write(visitor, said, f"t{i}")
            # the customer's message reaches the agent holding it with fresh suggestions
            await eventually(lambda i=i: len(anna_in_events) > i, timeout=10)
            ack = await anna.call("message", {"conversation_id": cid, "text": "Under Payment in your account.",
                                              "client_id": f"a{i}", "canned_id": "payment-methods-en"},
                                  namespace="/agent", timeout=10)
            assert "error" not in ack, ack
        assert anna_in_events[0]["conversation_id"] == cid and anna_in_events[0]["suggestions"]

        async def stored():
            rows = await history_db.fetch("SELECT text, canned_id FROM assist_choices ORDER BY id")
            return rows if len(rows) == 2 else None

        rows = await eventually(stored)
        assert [r["canned_id"] for r in rows] == ["payment-methods-en"] * 2
        assert [r["text"] for r in rows] == taught  # with the customer message each reply answered

        await write(visitor, wording, "again")  # the first wording, the customer's last message now

        async def learned():  # (retrained in the background a moment after the agents' replies)
            found = await anna.call("assist_suggest", {"conversation_id": cid}, namespace="/agent", timeout=10)
            assert found["after_seq"] == 6
            return [s for s in found["suggestions"] if s["canned_id"] == "payment-methods-en"]

        hit = await eventually(learned, timeout=20, interval=0.5)
        assert hit[0]["why_kind"] == "agent"  # why: a message an agent answered with it

        # the REST API gives the same, and an unknown canned id is refused without storing anything
        login = await gw.login("anna")
        async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {login['token']}"}) as http:
            async with http.post(f"{gw.url}/api/v1/assist/suggest", json={"text": wording, "language": "en"}) as r:
                assert r.status == 200
                assert "payment-methods-en" in [s["canned_id"] for s in (await r.json())["suggestions"]]
        bad = await anna.call("message", {"conversation_id": cid, "text": "x", "client_id": "bad", "canned_id": "nope"},
                              namespace="/agent", timeout=10)
        assert bad["error"]["code"] == "unknown_canned"


async def test_suggest_api_checks_who_asks(redis, redis_url, database_url, history_db):
    async with history_gateway(answers_config(), redis_url, database_url) as gw:
        anna, anna_in = await gw.agent("anna")
        visitor, _ = await gw.visitor(topic="billing", language="en")
        cid = await write(visitor, "Where do I find my invoice?", "q1")
        await held_by(anna, anna_in)
        tokens = {who: (await gw.login(who))["token"] for who in ("anna", "clara", "sam")}

        async def ask(who: str, body: dict) -> tuple[int, dict]:
            async with aiohttp.ClientSession() as http, http.post(
                    f"{gw.url}/api/v1/assist/suggest", json=body, headers={"Authorization": f"Bearer {tokens[who]}"}) as r:
                return r.status, await r.json()

        status, body = await ask("anna", {"conversation_id": cid})
        assert status == 200 and body["suggestions"][0]["canned_id"] == "invoice-copy-en"
        assert (await ask("sam", {"conversation_id": cid}))[0] == 200  # a supervisor
        assert (await ask("clara", {"conversation_id": cid}))[0] == 403  # another agent's conversation
        assert (await ask("anna", {"conversation_id": "c_0000000000000000"}))[0] == 404
        assert (await ask("anna", {}))[0] == 400
        assert (await ask("anna", {"text": "hi", "language": "fr"}))[0] == 400
        async with aiohttp.ClientSession() as http, http.post(f"{gw.url}/api/v1/assist/suggest", json={"text": "x"}) as r:
            assert r.status == 401


# --- automatic answers ------------------------------------------------------------------------------
async def test_a_routine_first_message_is_answered_automatically_only_above_the_threshold(
        redis, redis_url, database_url, history_db):
    await seed_agent_week(history_db)
    async with history_gateway(answers_config(), redis_url, database_url) as gw:
        model = await built(gw)
        threshold = model.threshold.threshold
        assert threshold is not None, model.threshold.reason
        unsure = "I have a question about the amount on my last bill and my account"
        assert model.suggester.suggest(ROUTINE, "en")[0].confidence >= threshold
        assert model.suggester.suggest(unsure, "en")[0].confidence < threshold

        visitor, v_in = await gw.visitor(topic="billing", language="en")
        cid = await write(visitor, ROUTINE, "r1")
        answer = await v_in.next("message", lambda m: m.get("auto"), timeout=10)
        assert answer["canned_id"] == "invoice-copy-en" and answer["author"]["name"] == "Automatic answer"
        assert "download all your invoices" in answer["text"]
        assert await redis.hget(KEYS.conv(cid), "state") == "auto_answered"  # waiting, in the supervisor's list
        assert await redis.hget(KEYS.conv(cid), "auto_answered") == "1"  # the console's assist summary
        assert await gw.app[K.ROUTER].engine("demo").task(cid) is None  # not in line for an agent
        snap = await gw.app[K.ROUTER].snapshot("demo", time.time())
        assert [c["state"] for c in snap["conversations"] if c["id"] == cid] == ["auto_answered"]

        other, o_in = await gw.visitor(topic="billing", language="en", name="Otto")
        cid2 = await write(other, unsure, "u1")
        await eventually(lambda: gw.app[K.ROUTER].engine("demo").task(cid2), timeout=10)  # queued for a person
        assert not auto_messages(o_in)


async def test_never_for_an_excluded_topic_nor_when_the_tenant_turned_it_off(redis, redis_url, database_url, history_db):
    await seed_agent_week(history_db)
    excluded = answers_config()
    excluded.tenants["demo"].queues["billing"].auto_exclude_topics = ["billing"]
    off = answers_config(auto_answer=False)
    for config in (excluded, off):
        await redis.flushdb()
        async with history_gateway(config, redis_url, database_url) as gw:
            assert (await built(gw)).threshold.threshold is not None
            visitor, v_in = await gw.visitor(topic="billing", language="en")
            cid = await write(visitor, ROUTINE, "r1")
            await eventually(lambda cid=cid: gw.app[K.ROUTER].engine("demo").task(cid), timeout=10)
            assert not auto_messages(v_in)
            assert await redis.hget(KEYS.conv(cid), "state") != "auto_answered"


async def test_talk_to_person_queues_with_the_priority_and_waiting_time_kept(redis, redis_url, database_url, history_db):
    await seed_agent_week(history_db)
    async with history_gateway(answers_config(), redis_url, database_url) as gw:
        visitor, v_in = await gw.visitor(topic="billing", language="en")
        cid = await write(visitor, ROUTINE, "r1")
        await v_in.next("message", lambda m: m.get("auto"), timeout=10)
        created = float(await redis.hget(KEYS.conv(cid), "created_at"))
        await asyncio.sleep(0.3)
        ack = await visitor.call("talk_to_person", {"conversation_id": cid}, namespace="/visitor", timeout=10)
        assert ack["ok"] is True and ack["queued"] is True
        task = await gw.app[K.ROUTER].engine("demo").task(cid)
        assert task is not None and task["queue"] == "billing"
        assert task["enqueued_at"] == created  # in line since the customer first wrote
        assert task["priority"] == gw.app[K.CONFIG].tenants["demo"].queues["billing"].priority
        anna, anna_in = await gw.agent("anna")
        assert await held_by(anna, anna_in) == cid
        figures = await redis.hgetall(KEYS.auto_snippet("invoice-copy-en"))
        assert (figures["sent"], figures["escalated"], figures["asked"]) == ("1", "1", "1")
        # a second press changes nothing (already with a person), and another visitor's conversation is not theirs
        again = await visitor.call("talk_to_person", {"conversation_id": cid}, namespace="/visitor", timeout=10)
        assert again["queued"] is True and (await redis.hgetall(KEYS.auto_snippet("invoice-copy-en")))["escalated"] == "1"
        stranger, _ = await gw.visitor(topic="billing", language="en", name="Sid")
        refused = await stranger.call("talk_to_person", {"conversation_id": cid}, namespace="/visitor", timeout=10)
        assert refused["error"]["code"] == "not_found"


async def test_a_quiet_customer_was_answered_and_one_who_writes_again_goes_to_a_person(
        redis, redis_url, database_url, history_db):
    await seed_agent_week(history_db)
    async with history_gateway(answers_config(auto_wait_s=1.0), redis_url, database_url) as gw:
        quiet, q_in = await gw.visitor(topic="billing", language="en")
        cid = await write(quiet, ROUTINE, "r1")
        closed = await q_in.next("closed", timeout=10)
        assert closed == {"conversation_id": cid, "reason": "auto_answered"}
        assert await redis.hget(KEYS.conv(cid), "state") == "closed"

    async with history_gateway(answers_config(auto_wait_s=60.0), redis_url, database_url) as gw:
        talker, _ = await gw.visitor(topic="billing", language="en", name="Tia")
        cid = await write(talker, ROUTINE, "t1")
        await eventually(lambda: redis.hget(KEYS.conv(cid), "auto_canned"))
        await write(talker, "That does not help, my account shows nothing", "t2")
        await eventually(lambda: gw.app[K.ROUTER].engine("demo").task(cid), timeout=10)
        figures = await redis.hgetall(KEYS.auto_snippet("invoice-copy-en"))
        assert (figures["sent"], figures["escalated"], figures["wrote_again"]) == ("2", "1", "1")


async def test_a_messenger_customer_asks_for_a_person_with_the_keyword(redis, redis_url, database_url, history_db):
    await seed_agent_week(history_db)
    async with running(StandIn()) as api:
        env = {"TELEGRAM_API_BASE": api.url, "TELEGRAM_SECRET": TG_SECRET, "TELEGRAM_TOKEN": TOKEN}
        config = answers_config(env)
        for c in config.tenants["demo"].canned:
            if c.id == "password-reset-en":
                c.auto_queues = ["tech"]  # the Telegram channel's topic
        async with history_gateway(config, redis_url, database_url) as gw, aiohttp.ClientSession() as http:
            async def update(n: int, text: str) -> None:
                async with http.post(f"{gw.url}/webhooks/telegram/telegram", data=tg_update(n, text=text, message_id=n),
                                     headers={SECRET_HEADER: TG_SECRET}) as r:
                    assert r.status == 200

            await update(3000, "I forgot my password and cannot log in")
            sent = await eventually(lambda: api.sent_texts(), timeout=15)
            assert "Forgot password" in sent[0] and 'Reply "person"' in sent[0]
            call = next(c for c in api.calls if c.json and c.json.get("text") == sent[0])
            assert "Talk to a person" in str(call.json.get("reply_markup"))  # the quick-reply button
            cid = await redis.hget(KEYS.platform_chat("telegram", str(call.json["chat_id"])), "conversation_id")
            assert await redis.hget(KEYS.conv(cid), "state") == "auto_answered"
            await update(3001, "person please")
            await eventually(lambda: gw.app[K.ROUTER].engine("demo").task(cid), timeout=10)
            assert (await redis.hgetall(KEYS.auto_snippet("password-reset-en")))["asked"] == "1"


# --- figures and the switch-off ---------------------------------------------------------------------
async def test_an_answer_customers_keep_escalating_after_is_switched_off_and_the_supervisor_told(
        redis, redis_url, database_url, history_db):
    await seed_agent_week(history_db)
    config = answers_config(escalation_min_samples=2, escalation_max_rate=0.3)
    async with history_gateway(config, redis_url, database_url) as gw:
        sam = await gw.login("sam")
        supervisor, s_in = await gw.socket("/supervisor", {"token": sam["token"]}, ["assist_snippet_disabled"])
        for i in range(2):
            visitor, v_in = await gw.visitor(topic="billing", language="en", name=f"V{i}")
            cid = await write(visitor, ROUTINE, f"r{i}")
            await v_in.next("message", lambda m: m.get("auto"), timeout=10)
            await visitor.call("talk_to_person", {"conversation_id": cid}, namespace="/visitor", timeout=10)
        told = await s_in.next("assist_snippet_disabled", timeout=10)
        assert (told["canned_id"], told["reason"], told["sent"], told["escalated"]) == (
            "invoice-copy-en", "escalation_rate", 2, 1)  # judged at 1 of 2 (over 0.3 with 2 samples)
        assert "1 of 2 customers escalated" in told["detail"]  # for logs and integrators, in English

        async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {sam['token']}"}) as http:
            async with http.get(f"{gw.url}/api/v1/assist/snippets") as r:
                assert r.status == 200
                rows = {row["canned_id"]: row for row in await r.json()}
        row = rows["invoice-copy-en"]
        assert (row["sent"], row["escalated"], row["escalation_rate"], row["disabled"]) == (2, 2, 1.0, True)
        assert row["auto_queues"] == ["billing"] and row["threshold"] is not None
        assert rows["bye-en"]["auto_queues"] == [] and rows["bye-en"]["sent"] == 0

        # switched off: the same routine message now goes to a person
        visitor, v_in = await gw.visitor(topic="billing", language="en", name="Late")
        cid = await write(visitor, ROUTINE, "late")
        await eventually(lambda: gw.app[K.ROUTER].engine("demo").task(cid), timeout=10)
        assert not auto_messages(v_in)
        anna = await gw.login("anna")
        async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {anna['token']}"}) as http:
            async with http.get(f"{gw.url}/api/v1/assist/snippets") as r:
                assert r.status == 403  # supervisors only
            async with http.post(f"{gw.url}/api/v1/assist/snippets/invoice-copy-en/enable") as r:
                assert r.status == 403
        assert await redis.hget(KEYS.auto_snippet("invoice-copy-en"), "disabled") == "1"

        # the supervisor switches it on again: its figures start afresh, audited, and it answers again
        async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {sam['token']}"}) as http:
            async with http.post(f"{gw.url}/api/v1/assist/snippets/no-such-answer/enable") as r:
                assert r.status == 404
            async with http.post(f"{gw.url}/api/v1/assist/snippets/invoice-copy-en/enable") as r:
                assert r.status == 200 and (await r.json())["ok"] is True
            async with http.post(f"{gw.url}/api/v1/assist/snippets/invoice-copy-en/enable") as r:
                assert r.status == 409  # not switched off (any more)
            async with http.get(f"{gw.url}/api/v1/assist/snippets") as r:
                row = {x["canned_id"]: x for x in await r.json()}["invoice-copy-en"]
        assert (row["sent"], row["escalated"], row["disabled"]) == (0, 0, False)
        entries = await redis.xrange(KEYS.audit())
        assert [f["action"] for _, f in entries].count("assist.snippet_enable") == 1
        again, a_in = await gw.visitor(topic="billing", language="en", name="Again")
        await write(again, ROUTINE, "again")
        await a_in.next("message", lambda m: m.get("auto"), timeout=10)


async def test_a_hand_on_left_by_a_stopped_process_is_finished(redis, redis_url, database_url, history_db):
    """A process that took an answered conversation for a person (talk_to_person) and died before queuing it, or
    took a quiet one for closing and died: the sweep of any process finishes both, once."""
    from gateway.assist import auto_answer

    await seed_agent_week(history_db)
    async with history_gateway(answers_config(auto_wait_s=60.0), redis_url, database_url) as gw:
        svc = gw.app[K.SERVICES]
        asker, _ = await gw.visitor(topic="billing", language="en", name="Ada")
        asked = await write(asker, ROUTINE, "a1")
        quiet, q_in = await gw.visitor(topic="billing", language="en", name="Quin")
        stayed = await write(quiet, ROUTINE, "q1")
        await eventually(lambda: redis.hget(KEYS.conv(asked), "auto_canned"))
        await eventually(lambda: redis.hget(KEYS.conv(stayed), "auto_canned"))
        # the dead process got this far: taken out of the wait (and the quiet one's outcome noted), nothing more
        long_ago = time.time() - 2 * auto_answer.HANDING_STALE_S
        for cid in (asked, stayed):
            assert await redis.zrem(KEYS.auto_waiting(), cid)
            await redis.zadd(KEYS.auto_handing(), {cid: long_ago})
        await redis.hset(KEYS.conv(asked), "auto_outcome", "asked")
        await redis.hset(KEYS.conv(stayed), "auto_outcome", "answered")
        assert await gw.app[K.ROUTER].engine("demo").task(asked) is None  # stranded: nobody would ever see it

        await auto_answer.close_quiet(svc)
        task = await gw.app[K.ROUTER].engine("demo").task(asked)
        assert task is not None and task["queue"] == "billing"
        assert await redis.hget(KEYS.conv(stayed), "state") == "closed"
        assert await q_in.next("closed", timeout=10) == {"conversation_id": stayed, "reason": "auto_answered"}
        assert await redis.zcard(KEYS.auto_handing()) == 0
        anna, anna_in = await gw.agent("anna")
        assert await held_by(anna, anna_in) == asked
