"""Operations: health (and 503 without Redis), metrics, OpenAPI, structured logs without secrets, body limit."""

from __future__ import annotations

import io
import json
import logging

import aiohttp
from aiohttp.test_utils import TestServer

from gateway.app import create_app
from gateway.appkeys import CONFIG
from gateway.embedded_redis import EmbeddedRedis
from gateway.logs import JsonFormatter


async def test_healthz_lists_channels_and_metrics_count_messages(gateway):
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{gateway.url}/healthz") as r:
            assert r.status == 200
            body = await r.json()
        assert body["status"] == "ok"
        # the demo's messengers are bridged and configured (demo secrets)
        assert body["channels"]["telegram"] == {"type": "telegram", "health": "ok"}
        assert body["channels"]["web"] == {"type": "widget", "health": "ok"}
        visitor, _ = await gateway.visitor()
        await visitor.call("message", {"text": "hi", "client_id": "m"}, namespace="/visitor")
        async with http.get(f"{gateway.url}/metrics") as r:
            text = await r.text()
        assert 'omnirelay_messages_total{author="visitor",tenant="demo"} 1.0' in text
        async with http.get(f"{gateway.url}/api/v1/openapi.json") as r:
            spec = await r.json()
        assert spec["openapi"].startswith("3.") and "/api/v1/login" in spec["paths"]


async def test_healthz_hides_channel_ids_from_the_public(gateway):
    gateway.app[CONFIG].server.trusted_proxies.append("127.0.0.0/8")  # as behind the shipped HAProxy
    try:
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{gateway.url}/healthz", headers={"X-Forwarded-For": "203.0.113.9"}) as r:
                assert r.status == 200
                public = await r.json()
            async with http.get(f"{gateway.url}/healthz") as r:  # the load balancer's own check
                operator = await r.json()
    finally:
        gateway.app[CONFIG].server.trusted_proxies.remove("127.0.0.0/8")
    assert public["status"] == "ok" and public["channels"] == {}
    assert "telegram" in operator["channels"]


async def test_healthz_is_503_when_redis_is_gone(tmp_path, demo_config):
    server = EmbeddedRedis(tmp_path)
    url = await server.start()
    app = TestServer(create_app(demo_config, redis_url=url), host="127.0.0.1", port=0)
    await app.start_server()
    try:
        async with aiohttp.ClientSession() as http:
            async with http.get(str(app.make_url("/healthz"))) as r:
                assert r.status == 200
            await server.stop()
            async with http.get(str(app.make_url("/healthz"))) as r:
                assert r.status == 503
                assert (await r.json())["redis"] == "unreachable"
    finally:
        await app.close()
        await server.stop()


async def test_body_over_the_limit_is_413(gateway):
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{gateway.url}/api/v1/login", data=io.BytesIO(b"x" * (1024 * 1024 + 10)),
                             headers={"Content-Type": "application/json", "Connection": "close"}) as r:
            assert r.status == 413
        async with http.post(f"{gateway.url}/api/v1/login", data=b"{not json") as r:
            assert r.status == 400
            assert (await r.json())["error"]["code"] == "bad_json"


def test_json_logs_never_carry_secrets():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "login for %s", ("anna",), None)
    record.password = "anna-demo"
    record.token = "abc.def"
    record.user = "anna"
    line = json.loads(JsonFormatter().format(record))
    assert line["msg"] == "login for anna" and line["user"] == "anna"
    assert line["password"] == "***" and line["token"] == "***"


async def test_a_dead_redis_refuses_messages_clearly_and_loses_nothing(tmp_path, demo_config):
    import socketio

    server = EmbeddedRedis(tmp_path)
    url = await server.start()
    app = TestServer(create_app(demo_config, redis_url=url), host="127.0.0.1", port=0)
    await app.start_server()
    visitor = socketio.AsyncClient(reconnection=False)
    try:
        await visitor.connect(str(app.make_url("")), namespaces=["/visitor"], transports=["websocket"],
                              auth={"tenant": "demo", "name": "Ida", "topic": "billing", "language": "en"})
        first = await visitor.call("message", {"text": "before", "client_id": "a"}, namespace="/visitor")
        assert first["seq"] == 1
        await server.stop()
        down = await visitor.call("message", {"text": "during", "client_id": "b"}, namespace="/visitor", timeout=30)
        assert down["error"]["code"] == "unavailable"
        await server.start()  # same data dir: the AOF brings everything back
        retried = await visitor.call("message", {"text": "during", "client_id": "b"}, namespace="/visitor", timeout=30)
        assert retried["seq"] == 2
        history = await visitor.call("history", {"after_seq": 0}, namespace="/visitor")
        assert [m["text"] for m in history["messages"]] == ["before", "during"]
    finally:
        await visitor.disconnect()
        await app.close()
        await server.stop()


async def test_login_attempts_are_limited_per_client_even_behind_a_trusted_proxy(redis, redis_url, demo_config):
    from conftest import running_gateway

    demo_config.server.trusted_proxies = ["127.0.0.0/8"]
    async with running_gateway(demo_config, redis_url) as gw:
        async with aiohttp.ClientSession() as http:
            async def attempt(client: str) -> int:
                async with http.post(f"{gw.url}/api/v1/login", json={"username": "anna", "password": "nope"},
                                     headers={"X-Forwarded-For": f"198.51.100.7, {client}"}) as r:
                    return r.status

            statuses = [await attempt("203.0.113.5") for _ in range(11)]
            assert statuses[:10] == [401] * 10 and statuses[10] == 429
            # another client behind the same proxy is not locked out by the first one
            assert await attempt("203.0.113.6") == 401


async def test_widget_config_counts_agents_online(gateway):
    async def online() -> int:
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{gateway.url}/api/v1/widget/config?tenant=demo") as r:
                return (await r.json())["agents_online"]

    assert await online() == 0
    await gateway.agent("anna")
    await gateway.agent("ben", available=False)  # connected but offline until they choose a state
    assert await online() == 1
