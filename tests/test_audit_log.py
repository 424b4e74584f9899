"""The audit log: agents' and supervisors' actions are recorded (logins, state changes, transfers,
closes, reads of another agent's conversation), kept append-only in PostgreSQL, and searchable by
supervisors of the same tenant only (actor, action, time range, pages)."""

from __future__ import annotations

import copy
import time

import aiohttp
import asyncpg
import pytest
from conftest import eventually
from history_helpers import history_gateway


async def _get(gw, token: str, **params) -> tuple[int, object, dict]:
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {token}"}) as http:
        async with http.get(f"{gw.url}/api/v1/audit", params=params) as r:
            return r.status, await r.json(), dict(r.headers)


async def _served_and_closed(gw) -> tuple[str, object]:
    """anna takes a chat, transfers it to ben, ben closes it."""
    visitor, _ = await gw.visitor(name="Olga", language="en", topic="tech")
    anna, abox = await gw.agent("anna")
    ack = await visitor.call("message", {"text": "my router blinks", "client_id": "m1"}, namespace="/visitor", timeout=5)
    cid = ack["conversation_id"]
    offer = await abox.next("offer")
    assert (await anna.call("accept", {"offer_id": offer["offer_id"]}, namespace="/agent", timeout=5))["ok"]
    ben, bbox = await gw.agent("ben")
    moved = await anna.call("transfer", {"conversation_id": cid, "agent": "ben"}, namespace="/agent", timeout=5)
    assert moved.get("ok"), moved
    offer = await bbox.next("offer", lambda o: o["conversation_id"] == cid)
    assert (await ben.call("accept", {"offer_id": offer["offer_id"]}, namespace="/agent", timeout=5))["ok"]
    assert (await ben.call("close", {"conversation_id": cid}, namespace="/agent", timeout=5))["ok"]
    return cid, anna


async def test_actions_are_recorded_archived_and_searchable(redis, redis_url, demo_config, database_url, history_db):
    async with history_gateway(demo_config, redis_url, database_url) as gw:
        start = time.time()
        cid, _ = await _served_and_closed(gw)
        sam = (await gw.login("sam"))["token"]
        async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {sam}"}) as http:
            async with http.get(f"{gw.url}/api/v1/conversations/{cid}") as r:
                assert r.status == 200  # a supervisor reads ben's conversation: recorded
        anna = (await gw.login("anna"))["token"]
        async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {anna}"}) as http:
            async with http.get(f"{gw.url}/api/v1/audit") as r:
                assert r.status == 403  # agents cannot read the audit log

        status, entries, _ = await _get(gw, sam, limit="100")
        assert status == 200
        seen = {(e["actor"], e["action"]) for e in entries}
        assert {("anna", "login"), ("ben", "login"), ("sam", "login"), ("anna", "agent.state"),
                ("anna", "conversation.transfer"), ("ben", "conversation.close"), ("sam", "conversation.read")} <= seen
        transfer = next(e for e in entries if e["action"] == "conversation.transfer")
        assert transfer["details"] == {"conversation_id": cid, "queue": "", "agent_id": "ben"}
        read = next(e for e in entries if e["action"] == "conversation.read")
        assert read["details"] == {"conversation_id": cid, "agent_id": "ben"}

        # filters: actor, action, time range; every result matches
        _, only_ben, _ = await _get(gw, sam, actor="ben")
        assert only_ben and all(e["actor"] == "ben" for e in only_ben)
        _, closes, _ = await _get(gw, sam, action="conversation.close")
        assert [e["actor"] for e in closes] == ["ben"]
        _, before, _ = await _get(gw, sam, to=str(start - 3600))
        assert before == []
        iso = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(start - 1))
        _, since, _ = await _get(gw, sam, **{"from": iso, "action": "login"})
        assert {e["actor"] for e in since} >= {"anna", "ben", "sam"}
        assert (await _get(gw, sam, **{"from": "yesterday"}))[0] == 400
        assert (await _get(gw, sam, limit="0"))[0] == 400

        # pages: newest first, no entry twice, the header leads on
        _, everything, _ = await _get(gw, sam)
        pages, offset = [], "0"
        while offset:
            _, page, headers = await _get(gw, sam, limit="2", offset=offset)
            pages += page
            offset = headers.get("X-Next-Offset", "")
        assert [e["id"] for e in pages] == [e["id"] for e in everything]
        assert [e["ts"] for e in everything] == sorted((e["ts"] for e in everything), reverse=True)

        # kept for good in PostgreSQL, and searchable from there after Redis forgot them
        await eventually(lambda: history_db.fetchval(
            "SELECT count(*) FROM audit WHERE tenant = 'demo' AND action = 'conversation.read'"), timeout=10)
        await eventually(lambda: _all_archived(history_db, len(everything)), timeout=10)
        await redis.delete("t:{demo}:audit")
        _, archived, _ = await _get(gw, sam)
        assert [e["id"] for e in archived] == [e["id"] for e in everything]


async def _all_archived(db: asyncpg.Connection, count: int) -> bool:
    return await db.fetchval("SELECT count(*) FROM audit WHERE tenant = 'demo'") >= count


async def test_the_audit_table_refuses_update_and_delete(history_db):
    await history_db.execute(
        "INSERT INTO audit (tenant, id, ts, actor, role, action) VALUES ('demo', 'a_1', now(), 'sam', 'supervisor', 'login')")
    for statement in ("UPDATE audit SET actor = 'nobody'", "DELETE FROM audit WHERE id = 'a_1'",
                      "DELETE FROM audit WHERE id = 'no-such-row'"):
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only"):
            await history_db.execute(statement)
    assert await history_db.fetchval("SELECT actor FROM audit WHERE id = 'a_1'") == "sam"


async def test_a_tenant_sees_only_its_own_audit_log_also_without_history(redis, redis_url, demo_config):
    from conftest import running_gateway

    config = copy.deepcopy(demo_config)
    other = copy.deepcopy(config.tenants["demo"])
    other.id = "other"
    config.tenants["other"] = other
    async with running_gateway(config, redis_url) as gw:
        async with aiohttp.ClientSession() as http:
            tokens = {}
            for tenant in ("demo", "other"):
                async with http.post(f"{gw.url}/api/v1/login",
                                     json={"username": "sam", "password": "sam-demo", "tenant": tenant}) as r:
                    tokens[tenant] = (await r.json())["token"]
            async with http.post(f"{gw.url}/api/v1/login",
                                 json={"username": "anna", "password": "anna-demo", "tenant": "demo"}) as r:
                assert r.status == 200
        _, demo, _ = await _get(gw, tokens["demo"])
        _, other_log, _ = await _get(gw, tokens["other"])
        assert {e["actor"] for e in demo} == {"sam", "anna"}
        assert [e["action"] for e in other_log] == ["login"] and other_log[0]["actor"] == "sam"
