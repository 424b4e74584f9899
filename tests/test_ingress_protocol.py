"""The Socket.IO protocol boundary: clients send only the events a namespace handles, and a frame
that does not decode closes that connection quietly instead of logging a traceback."""

from __future__ import annotations

import asyncio
import logging

import aiohttp
import pytest

from gateway.appkeys import ROUTER

pytestmark = pytest.mark.timeout(60)


async def _gauge(gateway, namespace: str) -> float:
    async with aiohttp.ClientSession() as http, http.get(f"{gateway.url}/metrics") as r:
        text = await r.text()
    line = next(x for x in text.splitlines() if x.startswith(f'omnirelay_socket_connections{{namespace="{namespace}"}}'))
    return float(line.rsplit(" ", 1)[1])


async def test_an_agent_console_sending_disconnect_stays_online(gateway):
    agent, _ = await gateway.agent("anna")
    sockets_key = gateway.app[ROUTER].engine("demo").keys.agent_sockets("anna")
    before = await gateway.app[ROUTER].engine("demo").redis.hkeys(sockets_key)
    assert before and await _gauge(gateway, "/agent") == 1

    for lifecycle in ("disconnect", "connect"):
        ack = await agent.call(lifecycle, {}, namespace="/agent", timeout=5)
        assert ack["error"]["code"] == "unknown_event", ack

    # the server ran no lifecycle handler: the socket is still registered, the gauge unchanged,
    # and the console keeps working
    assert await gateway.app[ROUTER].engine("demo").redis.hkeys(sockets_key) == before
    assert await _gauge(gateway, "/agent") == 1
    assert (await agent.call("state", {"state": "away"}, namespace="/agent", timeout=5))["state"] == "away"
    assert (await gateway.app[ROUTER].engine("demo").agent("anna"))["state"] == "away"


async def test_unknown_events_are_refused_with_an_error_ack_or_dropped(gateway):
    visitor, _ = await gateway.visitor()
    ack = await visitor.call("no_such_event", {"x": 1}, namespace="/visitor", timeout=5)
    assert ack["error"]["code"] == "unknown_event"
    await visitor.emit("disconnect", namespace="/visitor")  # no ack asked: dropped
    ack = await visitor.call("message", {"text": "still here", "client_id": "c1"}, namespace="/visitor", timeout=5)
    assert ack["seq"] == 1
    assert await _gauge(gateway, "/visitor") == 1


async def _open_raw_websocket(http: aiohttp.ClientSession, url: str) -> aiohttp.ClientWebSocketResponse:
    ws = await http.ws_connect(f"{url}/socket.io/?EIO=4&transport=websocket")
    opened = await ws.receive(timeout=5)
    assert opened.type == aiohttp.WSMsgType.TEXT and opened.data.startswith("0{")
    return ws


async def _closed_by_server(ws: aiohttp.ClientWebSocketResponse) -> bool:
    """True once the server sends engine.io's close packet or closes the websocket."""
    async with asyncio.timeout(5):
        while True:
            msg = await ws.receive()
            if msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.CLOSING):
                return True
            if msg.type == aiohttp.WSMsgType.TEXT and msg.data == "1":
                return True
            if msg.type == aiohttp.WSMsgType.TEXT and msg.data == "2":  # engine.io ping: answer it
                await ws.send_str("3")


@pytest.mark.parametrize("frame", [
    "42garbage{",  # an event whose JSON does not parse
    "4x",  # no such packet type
    "49",  # a packet type no client sends
    '42["message", "\\ud800"]',  # a lone surrogate
    "451-" + "[" * 3000,  # binary event outside a namespace, nested JSON
    "459999999-[]",  # millions of attachments announced
])
async def test_a_garbage_frame_closes_the_connection_without_an_error_log(gateway, caplog, frame):
    caplog.set_level(logging.DEBUG)
    async with aiohttp.ClientSession() as http:
        ws = await _open_raw_websocket(http, gateway.url)
        await ws.send_str(frame)
        assert await _closed_by_server(ws)
        await ws.close()
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not errors, [r.getMessage() for r in errors]


async def test_a_flood_of_garbage_frames_logs_little(gateway, caplog):
    caplog.set_level(logging.DEBUG, logger="gateway.sockets.protocol")
    async with aiohttp.ClientSession() as http:
        for _ in range(20):
            ws = await _open_raw_websocket(http, gateway.url)
            await ws.send_str("42{{{")
            assert await _closed_by_server(ws)
            await ws.close()
    noted = [r for r in caplog.records if r.name == "gateway.sockets.protocol"]
    assert 1 <= len(noted) <= 2 and all(r.levelno == logging.DEBUG for r in noted)
