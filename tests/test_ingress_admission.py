"""What reaches the Socket.IO server: the widget's allowed origins (handshake and /visitor connect,
polling and websocket), concurrent connections per address, oversized long-polling POSTs, and
engine.io sessions that never join a namespace."""

from __future__ import annotations

import asyncio
import copy

import aiohttp
import pytest
import socketio
from conftest import running_gateway

pytestmark = pytest.mark.timeout(60)

SHOP = "https://shop.example"
OTHER_SHOP = "https://other-shop.example"
EVIL = "https://evil.example"
HANDSHAKE = "/socket.io/?EIO=4&transport=polling"


@pytest.fixture
def two_shops(demo_config):
    """The demo tenant's widget allows SHOP; a second tenant's allows OTHER_SHOP."""
    demo = demo_config.tenants["demo"]
    other = copy.deepcopy(demo)
    other.id = "other"
    demo.channels["web"].allowed_origins = [SHOP]
    other.channels["web"].allowed_origins = [OTHER_SHOP]
    demo_config.tenants["other"] = other
    return demo_config


class Refused(Exception):
    """The /visitor connect was refused; args[0] is the server's reason."""


async def _visitor(url: str, origin: str | None, tenant: str = "demo") -> socketio.AsyncClient:
    client = socketio.AsyncClient(reconnection=False)
    reasons = []
    client.on("connect_error", reasons.append, namespace="/visitor")
    headers = {"Origin": origin} if origin else {}
    try:
        await client.connect(url, namespaces=["/visitor"], auth={"tenant": tenant, "name": "Vera"}, headers=headers,
                             transports=["websocket"], wait_timeout=5)
    except socketio.exceptions.ConnectionError as err:
        await client.disconnect()
        raise Refused(reasons[0] if reasons else str(err)) from err
    return client


async def _handshake(http: aiohttp.ClientSession, url: str, **headers: str) -> tuple[int, str]:
    async with http.get(f"{url}{HANDSHAKE}", headers=headers) as r:
        return r.status, await r.text()


async def _polling_visitor(http: aiohttp.ClientSession, url: str, origin: str, tenant: str) -> str:
    """The /visitor connect over long-polling, spoken by hand: the server's answer packet."""
    headers = {"Origin": origin}
    async with http.get(f"{url}{HANDSHAKE}", headers=headers) as r:
        assert r.status == 200, await r.text()
        sid = (await r.text()).split('"sid":"')[1].split('"')[0]
    session = f"{url}{HANDSHAKE}&sid={sid}"
    async with http.post(session, data=f'40/visitor,{{"tenant":"{tenant}","name":"Vera"}}', headers=headers) as r:
        assert r.status == 200
    async with asyncio.timeout(5):
        while True:
            async with http.get(session, headers=headers) as r:
                for packet in (await r.text()).split("\x1e"):
                    if packet.startswith(("40/visitor", "44/visitor")):
                        return packet


async def test_only_allowed_origins_open_the_widget_socket(redis, redis_url, two_shops):
    async with running_gateway(two_shops, redis_url) as gw, aiohttp.ClientSession() as http:
        allowed = await _visitor(gw.url, SHOP)
        assert allowed.connected
        await allowed.disconnect()
        same_site = await _visitor(gw.url, gw.url)  # the gateway's own /demo page
        await same_site.disconnect()
        with pytest.raises(Refused):  # refused at the engine.io handshake
            await _visitor(gw.url, EVIL)
        # allowed by another tenant passes the handshake, but not this tenant's /visitor connect
        with pytest.raises(Refused) as refused:
            await _visitor(gw.url, OTHER_SHOP, tenant="demo")
        assert refused.value.args[0]["data"]["code"] == "origin_not_allowed"
        other = await _visitor(gw.url, OTHER_SHOP, tenant="other")
        await other.disconnect()
        # the same over long-polling
        assert (await _polling_visitor(http, gw.url, SHOP, "demo")).startswith("40/visitor")
        answer = await _polling_visitor(http, gw.url, OTHER_SHOP, "demo")
        assert answer.startswith("44/visitor") and "origin_not_allowed" in answer
        assert (await _polling_visitor(http, gw.url, OTHER_SHOP, "other")).startswith("40/visitor")


async def test_a_foreign_origin_gets_a_clear_403_on_both_transports(redis, redis_url, two_shops):
    async with running_gateway(two_shops, redis_url) as gw, aiohttp.ClientSession() as http:
        status, text = await _handshake(http, gw.url, Origin=EVIL)
        assert status == 403 and "origin_not_allowed" in text
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await http.ws_connect(f"{gw.url}/socket.io/?EIO=4&transport=websocket", headers={"Origin": EVIL})
        assert refused.value.status == 403
        assert (await _handshake(http, gw.url, Origin=SHOP))[0] == 200


async def test_an_empty_allowed_origins_list_means_any_origin(gateway):
    client = await _visitor(gateway.url, EVIL)
    assert client.connected
    await client.disconnect()


async def test_one_address_holds_a_bounded_number_of_connections(redis, redis_url, demo_config):
    demo_config.limits.connections_per_address = 3
    demo_config.server.trusted_proxies = ["127.0.0.0/8"]
    async with running_gateway(demo_config, redis_url) as gw, aiohttp.ClientSession() as http:
        sids = []
        for _ in range(3):
            status, text = await _handshake(http, gw.url, **{"X-Forwarded-For": "203.0.113.5"})
            assert status == 200
            sids.append(text.split('"sid":"')[1].split('"')[0])
        status, text = await _handshake(http, gw.url, **{"X-Forwarded-For": "203.0.113.5"})
        assert status == 429 and "too_many_connections" in text
        # another client behind the same load balancer is not affected
        assert (await _handshake(http, gw.url, **{"X-Forwarded-For": "203.0.113.6"}))[0] == 200
        # closing one connection frees its place
        async with http.post(f"{gw.url}{HANDSHAKE}&sid={sids[0]}", data="1",
                             headers={"X-Forwarded-For": "203.0.113.5"}) as r:
            assert r.status == 200
        async with asyncio.timeout(5):  # the server notices the close, then admits the next one
            while True:
                if (await _handshake(http, gw.url, **{"X-Forwarded-For": "203.0.113.5"}))[0] == 200:
                    break
                await asyncio.sleep(0.05)


async def test_a_real_client_past_the_limit_is_refused(redis, redis_url, demo_config):
    demo_config.limits.connections_per_address = 2
    async with running_gateway(demo_config, redis_url) as gw:
        first, second = await _visitor(gw.url, None), await _visitor(gw.url, None)
        with pytest.raises(Refused):
            await _visitor(gw.url, None)
        await first.disconnect()
        async with asyncio.timeout(5):  # the server notices the close, then admits the next one
            while True:
                try:
                    third = await _visitor(gw.url, None)
                    break
                except Refused:
                    await asyncio.sleep(0.05)
        await asyncio.gather(second.disconnect(), third.disconnect())


async def test_an_oversized_long_polling_post_is_answered_413_at_once(gateway):
    async with aiohttp.ClientSession() as http:
        status, text = await _handshake(http, gateway.url)
        sid = text.split('"sid":"')[1].split('"')[0]
        async with asyncio.timeout(5):
            async with http.post(f"{gateway.url}{HANDSHAKE}&sid={sid}", data=b"4" + b"x" * (100 * 1024)) as r:
                assert r.status == 413
                assert (await r.json())["error"]["code"] == "too_large"

            async def chunked():
                yield b"40/visitor,"

            async with http.post(f"{gateway.url}{HANDSHAKE}&sid={sid}", data=chunked()) as r:
                assert r.status == 411


async def test_a_session_that_joins_no_namespace_is_closed(redis, redis_url, demo_config):
    demo_config.limits.namespace_connect_timeout_s = 0.5
    async with running_gateway(demo_config, redis_url) as gw, aiohttp.ClientSession() as http:
        ws = await http.ws_connect(f"{gw.url}/socket.io/?EIO=4&transport=websocket")
        assert (await ws.receive(timeout=5)).data.startswith("0{")
        async with asyncio.timeout(5):
            while True:
                msg = await ws.receive()
                if msg.type != aiohttp.WSMsgType.TEXT or msg.data == "1":
                    break
        await ws.close()
        # a client that does join a namespace in time stays connected past the bound
        client = await _visitor(gw.url, None)
        await asyncio.sleep(1.0)
        assert client.connected
        assert (await client.call("message", {"text": "hi", "client_id": "a"}, namespace="/visitor", timeout=5))["seq"] == 1
        await client.disconnect()
