"""``durability: replicated``: an ack waits for a Redis replica; without one in time the client hears
``not_replicated``, and its retry (same client_id, same webhook delivery) stores nothing twice."""

from __future__ import annotations

import json
import time

import aiohttp
import pytest
from conftest import DEMO_CONFIG, FIXTURES, running_gateway
from redis_topology import RedisProcess, free_port

from gateway.config import load_config, load_config_text
from gateway.config.loader import ConfigError
from gateway.keys import TenantKeys
from gateway.redis_client import connect

pytestmark = pytest.mark.slow


def _replicated_config(wait_ms: int = 300):
    text = DEMO_CONFIG.read_text().replace("server:\n", f"server:\n  durability: replicated\n  replica_wait_ms: {wait_ms}\n", 1)
    return load_config_text(text, env={})


def _telegram_update(update_id: int) -> bytes:
    body = json.loads((FIXTURES / "telegram_text.json").read_text())["payload"]
    body["update_id"] = update_id
    return json.dumps(body).encode()


async def _metric(url: str, name: str) -> float:
    async with aiohttp.ClientSession() as http, http.get(f"{url}/metrics") as r:
        text = await r.text()
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith(name))


async def test_acks_wait_for_a_replica_and_a_retry_stores_nothing_twice(tmp_path, monkeypatch):
    monkeypatch.delenv("OMNIRELAY_DURABILITY", raising=False)
    primary = RedisProcess(free_port(), tmp_path / "primary").start()
    replica = RedisProcess(free_port(), tmp_path / "replica")
    try:
        async with running_gateway(_replicated_config(), primary.url) as gw:
            visitor, _ = await gw.visitor()
            payload = {"text": "is it safe?", "client_id": "safe-1"}
            started = time.monotonic()
            refused = await visitor.call("message", payload, namespace="/visitor", timeout=5)
            assert refused["error"]["code"] == "not_replicated", refused
            assert time.monotonic() - started >= 0.29  # it waited replica_wait_ms for a replica
            assert await _metric(gw.url, 'omnirelay_replica_waits_total{outcome="timeout"}') >= 1

            update = _telegram_update(990001)
            headers = {"X-Telegram-Bot-Api-Secret-Token": "demo-telegram-secret"}
            async with aiohttp.ClientSession() as http:
                async with http.post(f"{gw.url}/webhooks/telegram/telegram", data=update, headers=headers) as r:
                    assert r.status == 503  # the platform delivers it again later
                    assert (await r.json())["error"]["code"] == "not_replicated"

                replica.start("--replicaof", "127.0.0.1", str(primary.port))
                for _ in range(100):
                    if "master_link_status:up" in replica.cli("INFO", "replication"):
                        break
                    time.sleep(0.05)
                again = await visitor.call("message", payload, namespace="/visitor", timeout=5)
                assert "error" not in again, again
                assert again["seq"] == 1  # the same message, acknowledged now: stored once
                async with http.post(f"{gw.url}/webhooks/telegram/telegram", data=update, headers=headers) as r:
                    assert r.status == 200
            history = await visitor.call("history", {"after_seq": 0}, namespace="/visitor", timeout=5)
            assert [(m["id"], m["text"]) for m in history["messages"]] == [(again["id"], "is it safe?")]
            assert await _metric(gw.url, 'omnirelay_webhooks_total{outcome="repeated",type="telegram"}') == 1
            on_replica = connect(replica.url)
            keys = TenantKeys("demo")
            try:  # both are on the replica: the message once, the webhook delivery (taken in, deduplicated)
                assert await on_replica.xlen(keys.conv_messages(again["conversation_id"])) == 1
                assert await on_replica.exists(keys.delivery("telegram", "990001"))
            finally:
                await on_replica.aclose()
            assert await _metric(gw.url, 'omnirelay_replica_waits_total{outcome="ok"}') >= 2
    finally:
        replica.stop()
        primary.stop()


def test_durability_must_be_local_or_replicated(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(DEMO_CONFIG.read_text().replace("server:\n", "server:\n  durability: eventual\n", 1))
    with pytest.raises(ConfigError) as err:
        load_config(path, env={})
    assert any("server.durability must be local or replicated" in line for line in err.value.lines())


def test_replicated_durability_is_refused_where_it_cannot_be_kept(monkeypatch):
    from gateway.app import create_app

    monkeypatch.delenv("OMNIRELAY_DURABILITY", raising=False)
    with pytest.raises(ValueError, match="not supported on a Redis Cluster"):
        create_app(_replicated_config(), redis_url="redis+cluster://127.0.0.1:7000")
    monkeypatch.setenv("OMNIRELAY_DURABILITY", "sometimes")
    with pytest.raises(ValueError, match="OMNIRELAY_DURABILITY must be local or replicated"):
        create_app(load_config(DEMO_CONFIG, env={}), redis_url="redis://127.0.0.1:1")
