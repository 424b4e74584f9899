"""Admin changes reach the running gateways without a restart: a new agent gets offers, a second
process follows (by the published revision, and by its poll when the message is missed), a restart
keeps the admin's version (and shows that the file's differs) until it is reverted, a disabled
agent is logged out with their chat requeued, and a new password ends the old sessions."""

from __future__ import annotations

import time

import pytest
from admin_helpers import agent_socket, call, fresh_config, login, token
from conftest import eventually, running_gateway

from gateway import appkeys as K
from gateway.keys import TenantKeys


@pytest.fixture
async def db(history_db):
    """The history database with no admin settings stored."""
    await history_db.execute("TRUNCATE admin_settings, admin_revisions")
    yield history_db


DORA = {"id": "dora", "name": "Dora", "password": "dora-secret-1", "languages": ["en"], "skills": {"sales": 5},
        "capacity": {"chat": 2, "email": 3}}


async def sla(gw, queue: str) -> float:
    snap = await gw.app[K.ROUTER].snapshot("demo", time.time())
    return next(q["sla_threshold_s"] for q in snap["queues"] if q["id"] == queue)


async def test_an_admin_created_agent_logs_in_and_is_offered_a_chat_in_their_skill_without_a_restart(
        redis, redis_url, database_url, db):
    async with running_gateway(fresh_config(), redis_url, database_url) as gw:
        sam = await token(gw)
        status, body, headers = await call(gw, "POST", "/api/v1/admin/agents", sam, DORA)
        assert status == 201, body
        assert body["source"] == "admin" and body["skills"] == {"sales": 5} and body["capacity"]["chat"] == 2
        assert "password" not in body and "password_hash" not in body and "argon2" not in str(body)
        assert int(headers["X-Revision"]) == 1

        dora, dora_in = await agent_socket(gw, "dora", "dora-secret-1")
        visitor, _ = await gw.visitor(topic="sales", name="Vic")
        ack = await visitor.call("message", {"text": "I want to buy", "client_id": "c1"}, namespace="/visitor")
        offer = await dora_in.next("offer", lambda o: o["conversation_id"] == ack["conversation_id"])
        assert offer["queue"] == "sales"
        accepted = await dora.call("accept", {"offer_id": offer["offer_id"]}, namespace="/agent")
        assert accepted.get("ok"), accepted


async def test_a_change_through_one_process_is_in_effect_in_the_other_also_when_the_message_is_missed(
        redis, redis_url, database_url, db):
    async with running_gateway(fresh_config(), redis_url, database_url) as a, \
            running_gateway(fresh_config(), redis_url, database_url) as b:
        sam = await token(a)
        assert (await call(a, "POST", "/api/v1/admin/agents", sam, DORA))[0] == 201
        queue = (await call(a, "GET", "/api/v1/admin/settings", sam))[1]["queues"]
        sales = next(q for q in queue if q["id"] == "sales")
        status, saved, _ = await call(a, "PUT", "/api/v1/admin/queues/sales", sam, {**sales, "sla_threshold_s": 45})
        assert status == 200 and saved["sla_threshold_s"] == 45, saved

        # process b: the new agent logs in there, and its snapshot has the new service-level threshold
        await eventually(lambda: "dora" in b.app[K.CONFIG].tenants["demo"].agents)
        assert (await login(b, "dora", "dora-secret-1"))[0] == 200
        assert await eventually(lambda: _is(sla(b, "sales"), 45.0))

        # the message is never published: b's poll brings the change all the same
        a.app[K.ADMIN].publishing = False
        status, _, _ = await call(a, "PUT", "/api/v1/admin/labels/loyal", sam, {"name": "Loyal customer"})
        assert status == 200
        await eventually(lambda: "loyal" in b.app[K.CONFIG].tenants["demo"].labels, timeout=15)
        assert b.app[K.CONFIG].tenants["demo"].labels["loyal"].name == "Loyal customer"

        # b's subscription is dropped (a Redis reconnect): the next change still arrives
        a.app[K.ADMIN].publishing = True
        await redis.client_kill_filter(_type="pubsub")
        status, _, _ = await call(a, "PUT", "/api/v1/admin/labels/frequent", sam, {"name": "Frequent"})
        assert status == 200
        await eventually(lambda: "frequent" in b.app[K.CONFIG].tenants["demo"].labels, timeout=15)


async def _is(value, want) -> bool:
    return (await value) == want


async def test_a_restart_keeps_the_admins_version_shows_that_the_file_differs_and_revert_brings_the_file_back(
        redis, redis_url, database_url, db):
    async with running_gateway(fresh_config(), redis_url, database_url) as gw:
        sam = await token(gw)
        billing = next(q for q in (await call(gw, "GET", "/api/v1/admin/settings", sam))[1]["queues"]
                       if q["id"] == "billing")
        assert billing["source"] == "config" and billing["config_differs"] is False
        status, _, _ = await call(gw, "PUT", "/api/v1/admin/queues/billing", sam, {**billing, "sla_threshold_s": 60})
        assert status == 200
        assert (await call(gw, "DELETE", "/api/v1/admin/canned/bye-en", sam))[0] == 204

    async with running_gateway(fresh_config(), redis_url, database_url) as gw:  # the same YAML, restarted
        tenant = gw.app[K.CONFIG].tenants["demo"]
        assert tenant.queues["billing"].sla_threshold_s == 60
        assert "bye-en" not in [c.id for c in tenant.canned]
        assert await sla(gw, "billing") == 60
        sam = await token(gw)
        view = (await call(gw, "GET", "/api/v1/admin/settings", sam))[1]
        billing = next(q for q in view["queues"] if q["id"] == "billing")
        assert billing["source"] == "admin" and billing["config_differs"] is True and billing["changed_by"] == "sam"
        assert [d["id"] for d in view["deleted"]] == ["bye-en"]

        status, _, headers = await call(gw, "DELETE", "/api/v1/admin/overrides/queue/billing", sam)
        assert status == 204 and int(headers["X-Revision"]) == 3
        assert gw.app[K.CONFIG].tenants["demo"].queues["billing"].sla_threshold_s == 20
        assert await sla(gw, "billing") == 20
        assert (await call(gw, "DELETE", "/api/v1/admin/overrides/canned/bye-en", sam))[0] == 204
        view = (await call(gw, "GET", "/api/v1/admin/settings", sam))[1]
        billing = next(q for q in view["queues"] if q["id"] == "billing")
        assert billing["source"] == "config" and billing["config_differs"] is False and view["deleted"] == []
        assert "bye-en" in [c["id"] for c in view["canned"]]
        again = await call(gw, "DELETE", "/api/v1/admin/overrides/queue/billing", sam)
        assert again[0] == 404 and again[1]["error"]["code"] == "not_found"


async def test_disabling_an_agent_ends_their_socket_requeues_their_chat_at_the_head_and_refuses_their_login(
        redis, redis_url, database_url, db):
    async with running_gateway(fresh_config(), redis_url, database_url) as gw:
        sam = await token(gw)
        anna, anna_in = await agent_socket(gw, "anna", "anna-demo")
        visitor, visitor_in = await gw.visitor(topic="billing")
        cid = (await visitor.call("message", {"text": "my invoice", "client_id": "c1"}, namespace="/visitor"))[
            "conversation_id"]
        offer = await anna_in.next("offer", lambda o: o["conversation_id"] == cid)
        assert (await anna.call("accept", {"offer_id": offer["offer_id"]}, namespace="/agent"))["ok"]

        status, body, _ = await call(gw, "PATCH", "/api/v1/admin/agents/anna", sam, {"disabled": True})
        assert status == 200 and body["disabled"] is True and body["source"] == "admin"
        await anna_in.next("session_ended")
        await eventually(lambda: not anna.connected)
        await visitor_in.next("requeued")
        redis_ = gw.app[K.SERVICES].redis
        assert await redis_.hget(TenantKeys("demo").conv(cid), "state") == "queued"
        engine = gw.app[K.ROUTER].engine("demo")
        assert await redis_.hget(engine.keys.task(cid), "head") == "1"  # first in line again
        agent = await engine.agent("anna")
        assert agent["state"] == "offline" and set(agent["capacity"].values()) == {0}

        wrong = await login(gw, "anna", "not-her-password")
        refused = await login(gw, "anna", "anna-demo")
        assert refused == wrong and refused[0] == 401

        status, body, _ = await call(gw, "PATCH", "/api/v1/admin/agents/anna", sam, {"disabled": False})
        assert status == 200 and body["disabled"] is False
        assert (await login(gw, "anna", "anna-demo"))[0] == 200
        assert (await engine.agent("anna"))["capacity"]["chat"] == 3


async def test_a_disabled_agent_is_no_transfer_target_and_comes_back_when_enabled(redis, redis_url, database_url, db):
    async with running_gateway(fresh_config(), redis_url, database_url) as gw:
        sam, anna = await token(gw), await token(gw, "anna")

        async def targets() -> list[str]:
            status, body, _ = await call(gw, "GET", "/api/v1/directory", anna)
            assert status == 200, body
            return [a["id"] for a in body["agents"]]

        assert "clara" in await targets()
        assert (await call(gw, "PATCH", "/api/v1/admin/agents/clara", sam, {"disabled": True}))[0] == 200
        listed = await targets()
        assert "clara" not in listed and {"anna", "ben"} <= set(listed)
        assert (await call(gw, "PATCH", "/api/v1/admin/agents/clara", sam, {"disabled": False}))[0] == 200
        assert "clara" in await targets()


async def test_a_new_password_refuses_the_old_one_accepts_the_new_and_ends_the_old_sessions(
        redis, redis_url, database_url, db):
    async with running_gateway(fresh_config(), redis_url, database_url) as gw:
        sam = await token(gw)
        old = await token(gw, "ben")
        assert (await call(gw, "GET", "/api/v1/me", old))[0] == 200
        short = await call(gw, "POST", "/api/v1/admin/agents/ben/password", sam, {"password": "short"})
        assert short[0] == 400 and short[1]["error"]["field"] == "password"
        status, body, headers = await call(gw, "POST", "/api/v1/admin/agents/ben/password", sam,
                                           {"password": "a-much-longer-one"})
        assert status == 204 and body is None and headers["X-Revision"] == "1"
        assert (await call(gw, "GET", "/api/v1/me", old))[0] == 401
        assert (await login(gw, "ben", "ben-demo"))[0] == 401
        assert (await login(gw, "ben", "a-much-longer-one"))[0] == 200
        # a later profile change keeps the new password
        assert (await call(gw, "PATCH", "/api/v1/admin/agents/ben", sam, {"name": "Benjamin"}))[0] == 200
        assert (await login(gw, "ben", "a-much-longer-one"))[1]["name"] == "Benjamin"
