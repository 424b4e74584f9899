"""API keys end to end, over real HTTP and Socket.IO on real Redis: made by an admin and shown once,
revoked at once in every gateway process, refused when expired, never a socket nor an agent, never
in a log or the audit; the command line makes, lists and revokes them."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import time

import pytest
import socketio
from admin_helpers import call, token
from apikey_helpers import make_key, revoke
from conftest import DEMO_CONFIG, ROOT, eventually, running_gateway

from acd import replies
from gateway.api_keys import create_key
from gateway.audit import audit_entries
from gateway.config import load_config
from gateway.keys import TenantKeys

pytestmark = pytest.mark.timeout(90)
DEMO = TenantKeys("demo")


async def test_an_admin_makes_a_key_shown_once_and_a_revocation_holds_at_once_on_every_process(redis, redis_url):
    async with running_gateway(load_config(DEMO_CONFIG, env={}), redis_url) as one, \
            running_gateway(load_config(DEMO_CONFIG, env={}), redis_url) as two:
        made = await make_key(one, "crm-sync", ["write"], expires_in_days=90)
        key = made["key"]
        assert key.startswith("ork_") and len(key) == 47
        assert made["scopes"] == ["read", "write"] and made["created_by"] == "sam" and made["state"] == "active"
        assert 89 * 86400 < made["expires_at"] - time.time() <= 90 * 86400

        # the other process takes it at once; the listing never shows it again
        status, live, _ = await call(two, "GET", "/api/v1/live/queues", key)
        assert status == 200 and {q["id"] for q in live["queues"]} >= {"billing", "tech", "sales"}
        status, listed, _ = await call(one, "GET", "/api/v1/admin/apikeys", await token(one))
        assert status == 200 and [k["name"] for k in listed] == ["crm-sync"]
        assert "key" not in listed[0] and "hash" not in listed[0] and key not in str(listed)
        assert listed[0]["calls"] == 1 and listed[0]["last_used_at"] > made["created_at"]

        # a second key of the same name is refused while the first is active
        status, body, _ = await call(one, "POST", "/api/v1/admin/apikeys", await token(one),
                                     {"name": "crm-sync", "scopes": ["read"]})
        assert status == 409 and body["error"]["code"] == "name_taken"
        for bad in ({"name": "", "scopes": ["read"]}, {"name": "x", "scopes": ["root"]}, {"name": "x", "scopes": []},
                    {"name": "x", "scopes": ["read"], "expires_in_days": -1}, {"name": "x" * 65, "scopes": ["read"]}):
            status, body, _ = await call(one, "POST", "/api/v1/admin/apikeys", await token(one), bad)
            assert status == 400 and body["error"]["message"], (bad, body)
        # an agent manages no keys
        status, body, _ = await call(one, "POST", "/api/v1/admin/apikeys", await token(one, "anna"),
                                     {"name": "mine", "scopes": ["admin"]})
        assert status == 403

        revoked = await revoke(one, made["id"])
        assert revoked["state"] == "revoked" and revoked["revoked_at"]
        for gw in (two, one):  # no delay, no cache: the next request is refused, on either process
            status, body, _ = await call(gw, "GET", "/api/v1/live/queues", key)
            assert status == 401 and "revoked" in body["error"]["message"]
        # the name is free again; the new key is another key
        again = await make_key(two, "crm-sync", ["read"])
        assert again["key"] != key and again["id"] != made["id"]
        status, _, _ = await call(one, "GET", "/api/v1/conversations", again["key"])
        assert status == 200
        audit = await audit_entries(redis, DEMO)
        assert [(e["action"], e["actor"]) for e in audit if e["action"].startswith("apikey.")] == [
            ("apikey.create", "sam"), ("apikey.revoke", "sam"), ("apikey.create", "sam")]


async def test_an_expired_key_is_refused(gateway, redis):
    key, record = await create_key(redis, "demo", name="short", scopes=["read"], created_by="sam",
                                   expires_at=time.time() + 1.5)
    status, _, _ = await call(gateway, "GET", "/api/v1/directory", key)
    assert status == 200
    await asyncio.sleep(1.6)
    status, body, _ = await call(gateway, "GET", "/api/v1/directory", key)
    assert status == 401 and "expired" in body["error"]["message"]
    status, listed, _ = await call(gateway, "GET", "/api/v1/admin/apikeys", await token(gateway))
    assert [(k["id"], k["state"]) for k in listed] == [(record.id, "expired")]


async def test_a_key_opens_no_socket_and_never_acts_as_an_agent(gateway, redis):
    key = (await make_key(gateway, "everything", ["admin"]))["key"]
    for namespace in ("/agent", "/supervisor"):
        with pytest.raises(socketio.exceptions.ConnectionError):
            await gateway.socket(namespace, {"token": key})
    # the agent's own upload into a conversation: refused before anything is read
    status, body, _ = await call(gateway, "POST", "/api/v1/conversations/c_00000000000000ff/attachments", key, {})
    assert status == 403 and body["error"]["code"] == "agent_only"
    # a key is no login session: logout refused, the key still works
    status, body, _ = await call(gateway, "POST", "/api/v1/logout", key, {})
    assert status == 403 and body["error"]["code"] == "not_for_api_keys"
    status, me, _ = await call(gateway, "GET", "/api/v1/me", key)
    assert status == 200 and me["user_id"] == "apikey:everything" and me["tenant"] == "demo"
    # it makes no keys either (a leaked key cannot give itself a successor)
    status, body, _ = await call(gateway, "POST", "/api/v1/admin/apikeys", key, {"name": "next", "scopes": ["admin"]})
    assert status == 403 and body["error"]["code"] == "not_for_api_keys"
    assert [k["name"] for k in (await call(gateway, "GET", "/api/v1/admin/apikeys", key))[1]] == ["everything"]


async def test_the_key_appears_in_no_log_and_no_audit_entry(gateway, redis, caplog):
    caplog.set_level(logging.DEBUG)
    made = await make_key(gateway, "logged", ["write"])
    key = made["key"]
    vera, vera_in = await gateway.visitor(name="Vera")
    cid = (await vera.call("message", {"text": "hello", "client_id": "v1"}, namespace="/visitor"))["conversation_id"]
    for method, path, body in (
        ("GET", f"/api/v1/conversations/{cid}", None),
        ("POST", f"/api/v1/conversations/{cid}/messages", {"text": "Hello from the bot", "author": {"kind": "bot", "name": "B"}}),
        ("POST", f"/api/v1/conversations/{cid}/transfer", {"queue": "nowhere"}),  # refused: 404
        ("POST", "/api/v1/admin/agents", {"id": "x"}),  # refused: scope
        ("GET", "/api/v1/search?q=hello", None),
    ):
        await call(gateway, method, path, key, body)
    await call(gateway, "GET", "/api/v1/me", key[:-1] + ("A" if key[-1] != "A" else "B"))  # a wrong key
    await revoke(gateway, made["id"])
    await call(gateway, "GET", "/api/v1/me", key)  # a revoked key
    await vera_in.next("message", lambda m: m["text"] == "Hello from the bot")
    text = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    assert caplog.records and key not in text and key[4:] not in text
    audit = await audit_entries(redis, DEMO, count=1000)
    assert [e["details"]["status"] for e in audit if e["action"] == "api.write"] == [403, 404, 201]
    assert key not in str(audit) and key[4:] not in str(audit)
    # nothing in Redis holds the key itself, only its SHA-256
    for name in [k async for k in redis.scan_iter(match="*apikey*")]:
        kind = await redis.type(name)
        value = await redis.hgetall(name) if kind == "hash" else await redis.get(name) if kind == "string" else ""
        assert key not in str(value) and key[4:] not in str(value) and key not in name


async def _cli(redis_url: str, *args: str) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "gateway", "apikeys", *args, "--config", str(DEMO_CONFIG),
        env={**os.environ, "REDIS_URL": redis_url}, cwd=ROOT,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), timeout=30)
    return proc.returncode or 0, out.decode(), err.decode()


async def test_the_command_line_makes_lists_and_revokes_keys(gateway, redis, redis_url):
    code, out, err = await _cli(redis_url, "create", "--tenant", "demo", "--name", "erp", "--scopes", "read,write",
                                "--expires-in", "90d")
    assert code == 0, err
    key = out.strip().splitlines()[-1]
    assert key.startswith("ork_") and "read,write" in out
    status, listed, _ = await call(gateway, "GET", "/api/v1/conversations", key)
    assert status == 200 and listed["conversations"] == []

    code, out, err = await _cli(redis_url, "list", "--tenant", "demo")
    assert code == 0, err
    row = next(line for line in out.splitlines() if " erp " in line)
    assert "read,write" in row and "active" in row and key not in out

    code, out, err = await _cli(redis_url, "create", "--tenant", "demo", "--name", "erp", "--scope", "read")
    assert code == 1 and "already has a key named 'erp'" in err
    code, out, err = await _cli(redis_url, "create", "--tenant", "demo", "--name", "x", "--scopes", "root")
    assert code == 2 and "unknown scope" in err
    code, out, err = await _cli(redis_url, "create", "--tenant", "nowhere", "--name", "x", "--scopes", "read")
    assert code == 2 and "no tenant" in err

    code, out, err = await _cli(redis_url, "revoke", "--tenant", "demo", "--name", "erp")
    assert code == 0 and "revoked" in out, err
    status, body, _ = await call(gateway, "GET", "/api/v1/conversations", key)
    assert status == 401
    code, out, err = await _cli(redis_url, "revoke", "--tenant", "demo", "--name", "erp")
    assert code == 1 and "no active key" in err
    entries = await audit_entries(redis, DEMO)
    assert [e["action"] for e in entries if e["actor"].startswith("cli:")] == ["apikey.revoke", "apikey.create"]
    await eventually(lambda: True)
    assert replies.texts(await redis.hkeys(DEMO.api_key_names())) == []
