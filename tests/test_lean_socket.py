"""The lean engine.io socket (gateway/sockets/lean_socket.py) keeps engine.io's behaviour on the wire:
order under concurrent senders, ping timeouts, the size limit, the polling → websocket upgrade, server
closes, vanished clients; with one task per idle websocket instead of four.

Real servers on loopback (a GatewayServer with short ping times, and the demo gateway), real clients
(python-socketio's, or raw aiohttp websockets speaking engine.io where a client must misbehave).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import inspect
import json
import os

import aiohttp
import engineio
import pytest
import socketio
from aiohttp import web
from aiohttp.test_utils import TestServer
from engineio import async_socket, base_socket
from engineio.async_drivers import aiohttp as eio_aiohttp

from gateway import appkeys as K
from gateway.sockets import lean_socket
from gateway.sockets.lean_socket import LeanSocket
from gateway.sockets.protocol import ENVIRON_KEPT, GatewayServer
from tests.conftest import eventually

NS = "/t"


class Server:
    """A GatewayServer on loopback with one namespace that records connects and disconnects."""

    def __init__(self, sio: GatewayServer, url: str):
        self.sio, self.url = sio, url
        self.connected: list[str] = []
        self.gone: list[tuple[str, str]] = []

    def socket(self, sid: str) -> LeanSocket:
        return self.sio.eio.sockets[self.sio.manager.eio_sid_from_sid(sid, NS)]


@contextlib.asynccontextmanager
async def server(**options):
    sio = GatewayServer(
        async_mode="aiohttp",
        async_handlers=False,
        logger=False,
        engineio_logger=False,
        **{"ping_interval": 10, "ping_timeout": 10, **options},
    )
    app = web.Application()
    sio.attach(app)
    http = TestServer(app, host="127.0.0.1", port=0)
    await http.start_server(shutdown_timeout=1)
    srv = Server(sio, str(http.make_url("")).rstrip("/"))

    @sio.on("connect", namespace=NS)
    async def connect(sid, environ, auth=None):
        srv.connected.append(sid)

    @sio.on("disconnect", namespace=NS)
    async def disconnect(sid, reason):
        srv.gone.append((sid, reason))

    @sio.on("echo", namespace=NS)
    async def echo(sid, data):
        return data

    try:
        yield srv
    finally:
        await http.close()


async def raw_socket(http: aiohttp.ClientSession, url: str, namespace: str = NS, auth: dict | None = None):
    """An engine.io websocket joined to ``namespace``, speaking the protocol by hand."""
    ws = await http.ws_connect(f"{url}/socket.io/?EIO=4&transport=websocket", max_msg_size=0)
    opened = await ws.receive_str(timeout=5)
    assert opened.startswith("0"), opened
    await ws.send_str(f"40{namespace}," + (json.dumps(auth) if auth else ""))
    while True:
        frame = await ws.receive_str(timeout=5)
        if frame.startswith(f"40{namespace},"):
            return ws
        assert not frame.startswith("44"), frame


# what gateway/sockets/lean_socket.py mirrors or hooks into, as python-engineio 4.15.1 has it
PINNED = {
    engineio.AsyncServer.handle_request: "1a8c878e35166cfe",
    engineio.AsyncServer._handle_connect: "5bd7edc1d1ae115a",
    async_socket.AsyncSocket.handle_get_request: "05eaae9f0a60d9be",
    async_socket.AsyncSocket.receive: "a91ae36ec2fb5340",
    async_socket.AsyncSocket.check_ping_timeout: "77616d5ca7809257",
    base_socket.BaseSocket.__init__: "8532b631a4dc815f",
}


def test_the_engineio_internals_the_lean_socket_relies_on():
    """Fails when python-engineio changes what lean_socket.py mirrors or hooks into: read the module's
    docstring against the new code, adapt it, then pin the new sources here."""
    changed = [
        f.__qualname__
        for f, digest in PINNED.items()
        if hashlib.sha256(inspect.getsource(f).encode()).hexdigest()[:16] != digest
    ]
    assert not changed, (
        f"python-engineio changed {changed}: check gateway/sockets/lean_socket.py against them"
    )
    connect = inspect.getsource(engineio.AsyncServer._handle_connect)
    steps = [
        "async_socket.AsyncSocket(self, sid)",
        "await s.send(pkt)",
        "self._trigger_event('connect'",
        "s.schedule_ping()",
        "await s.handle_get_request(environ)",
    ]
    where = [connect.find(step) for step in steps]
    assert -1 not in where and where == sorted(where), dict(zip(steps, where, strict=True))
    assert "'aiohttp.request': request" in inspect.getsource(eio_aiohttp.translate_request)
    assert "writer_limit" in inspect.signature(web.WebSocketResponse).parameters


async def test_handshakes_the_lean_path_does_not_take_get_engineio_answers():
    async with server() as srv, aiohttp.ClientSession() as http:
        async with http.get(f"{srv.url}/socket.io/?EIO=3&transport=websocket") as r:
            assert r.status == 400 and "unsupported version" in await r.text()
        async with http.get(f"{srv.url}/socket.io/?EIO=4&transport=carrier-pigeon") as r:
            assert r.status == 400 and "Invalid transport" in await r.text()
        with pytest.raises(aiohttp.WSServerHandshakeError):
            await http.ws_connect(f"{srv.url}/socket.io/?EIO=4&transport=websocket&sid=nope")
        assert srv.sio.eio.sockets == {}


async def test_messages_keep_their_order_under_concurrent_emits_with_backpressure(monkeypatch):
    """Hundreds of emits at once, big enough that the transport pauses, text and binary mixed: the client
    gets every one, in the order they were emitted, each binary attachment with its own event (20 MB
    at once: past the slow-reader cut-off, lifted here; the next test is about that one)."""
    monkeypatch.setattr(lean_socket, "SLOW_READER_BYTES", 2**40)
    async with server() as srv:
        client = socketio.AsyncClient(reconnection=False)
        got: list = []
        done = asyncio.Event()
        count = 300

        @client.on("n", namespace=NS)
        async def n(i, text, blob):
            got.append((i, text, blob))
            if len(got) == count:
                done.set()
            return i

        await client.connect(srv.url, namespaces=[NS], transports=["websocket"], wait_timeout=5)
        try:
            sid = srv.connected[0]
            sock = srv.socket(sid)
            assert type(sock) is LeanSocket

            def payload(i: int):
                # 64 KB of text each (20 MB in all: more than the socket buffers take, so the transport
                # backs up), and every third a binary attachment: a second engine.io frame that must
                # follow its header
                return i, str(i % 10) * 65536, bytes([i % 256]) * 1000 if i % 3 == 0 else None

            # with a callback, python-socketio sends a binary event's frames one after the other from one
            # task (Server._send_packet), awaiting each: a send that waited for a drain would let other
            # emits' frames in between
            acked: list[int] = []
            emits = (
                srv.sio.emit("n", payload(i), to=sid, namespace=NS, callback=lambda *_, i=i: acked.append(i))
                for i in range(count)
            )
            await asyncio.gather(*emits)
            async with asyncio.timeout(15):
                await done.wait()
            assert [i for i, _, _ in got] == list(range(count))
            assert all(event == payload(event[0]) for event in got)
            await eventually(lambda: len(acked) == count)
        finally:
            await client.disconnect()


async def test_a_client_that_reads_nothing_is_cut_off_once_its_backlog_passes_the_limit(monkeypatch):
    """A tab that stops reading (frozen, or hostile) while messages keep coming: what it has not read
    piles up in the gateway's memory only up to SLOW_READER_BYTES, then the connection is dropped (the
    widget reconnects and catches up by seq). A client that reads the same flood stays."""
    monkeypatch.setattr(lean_socket, "SLOW_READER_BYTES", 256 * 1024)
    async with server() as srv:
        host, port = srv.url.removeprefix("http://").split(":")
        reader, writer = await asyncio.open_connection(host, int(port))
        key = base64.b64encode(os.urandom(16)).decode()
        writer.write((f"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\n"
                      f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
        assert (await reader.readuntil(b"\r\n\r\n")).startswith(b"HTTP/1.1 101")
        writer.write(_client_frame(f"40{NS},".encode()))  # join the namespace, then never read again
        await eventually(lambda: srv.connected)
        frozen = srv.connected[0]
        async with aiohttp.ClientSession() as http:
            reading = await raw_socket(http, srv.url)
            lively = srv.connected[1]
            drained = asyncio.create_task(_drain(reading))
            try:
                chunk = "x" * 100_000
                for _ in range(200):  # 20 MB to each: far more than the kernel's buffers hold
                    await srv.sio.emit("flood", chunk, to=frozen, namespace=NS)
                    await srv.sio.emit("flood", chunk, to=lively, namespace=NS)
                    await asyncio.sleep(0)
                await eventually(lambda: [sid for sid, _ in srv.gone] == [frozen], timeout=5)
                await asyncio.sleep(0.5)
                assert srv.sio.manager.is_connected(lively, NS)
            finally:
                drained.cancel()
                await reading.close()
                writer.close()


def _client_frame(payload: bytes) -> bytes:
    """One masked text frame, as a client sends it (RFC 6455 5.2; payloads under 126 bytes)."""
    mask = os.urandom(4)
    return bytes([0x81, 0x80 | len(payload)]) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


async def _drain(ws) -> None:
    async for msg in ws:
        if msg.data == "2":
            await ws.send_str("3")


async def test_a_client_that_stops_answering_pings_is_closed_after_the_ping_timeout():
    async with server(ping_interval=1, ping_timeout=1) as srv, aiohttp.ClientSession() as http:
        silent = await raw_socket(http, srv.url)
        lively = await raw_socket(http, srv.url)
        lively_sid = srv.connected[1]

        async def answer_pings():
            async for msg in lively:
                if msg.data == "2":
                    await lively.send_str("3")

        answering = asyncio.create_task(answer_pings())
        try:
            async with asyncio.timeout(6):  # ping after 1 s, deadline 1 s later
                await eventually(lambda: srv.gone, timeout=6)
            assert srv.gone == [(srv.connected[0], "ping timeout")]
            frames = []
            async with asyncio.timeout(5):
                async for msg in silent:
                    frames.append(msg.data)
            assert frames == ["2", "1"]  # the ping it did not answer, then engine.io's CLOSE
            assert silent.closed
            await asyncio.sleep(2.5)  # two more ping rounds: the client that answers stays
            assert [sid for sid, _ in srv.gone] == [srv.connected[0]]
            assert srv.sio.manager.is_connected(lively_sid, NS)
        finally:
            answering.cancel()
            await lively.close()


async def test_an_oversized_frame_is_refused_and_the_connection_closed():
    async with server(max_http_buffer_size=1024) as srv, aiohttp.ClientSession() as http:
        ws = await raw_socket(http, srv.url)
        await ws.send_str('42/t,1["echo","' + "y" * 900 + '"]')  # within the limit: answered
        async with asyncio.timeout(5):
            answer = await ws.receive_str()
        assert answer.startswith("43/t,1[")
        await ws.send_str('42/t,["echo","' + "y" * 2000 + '"]')
        async with asyncio.timeout(5):
            msg = await ws.receive()
        assert msg.type is aiohttp.WSMsgType.CLOSE and msg.data == aiohttp.WSCloseCode.MESSAGE_TOO_BIG
        await eventually(lambda: srv.gone)
        assert srv.gone[0][1] == "transport close"
        assert srv.sio.eio.sockets == {}


async def test_the_gateway_refuses_a_frame_over_its_limit(gateway):
    async with aiohttp.ClientSession() as http:
        auth = {"tenant": "demo", "name": "Big", "topic": "billing", "language": "en"}
        ws = await raw_socket(http, gateway.url, "/visitor", auth)
        await ws.send_str('42/visitor,["typing","' + "z" * (64 * 1024) + '"]')
        async with asyncio.timeout(5):
            while True:
                msg = await ws.receive()
                if msg.type is not aiohttp.WSMsgType.TEXT:
                    break
        assert msg.type is aiohttp.WSMsgType.CLOSE and msg.data == aiohttp.WSCloseCode.MESSAGE_TOO_BIG
        await eventually(lambda: not gateway.app[K.SIO].eio.sockets)


async def test_a_browsers_permessage_deflate_offer_is_declined():
    """Browsers offer permessage-deflate; accepted, it gives every socket its own zlib contexts
    (hundreds of KB each way), many times what the rest of an idle connection costs."""
    async with server() as srv, aiohttp.ClientSession() as http:
        ws = await http.ws_connect(f"{srv.url}/socket.io/?EIO=4&transport=websocket", compress=15)
        assert ws.compress == 0
        assert (await ws.receive_str(timeout=5)).startswith("0")
        await ws.close()


async def test_polling_then_the_upgrade_to_websocket_carries_every_packet_in_order():
    """socket.io-client's default: long-polling first, then the upgrade. What the server emits while
    the upgrade is under way arrives once, in order; afterwards the websocket carries everything."""
    async with server() as srv:
        client = socketio.AsyncClient(reconnection=False)
        got: list[int] = []

        @client.on("n", namespace=NS)
        async def n(i):
            got.append(i)

        await client.connect(srv.url, namespaces=[NS], transports=["polling", "websocket"], wait_timeout=5)
        try:
            sid = srv.connected[0]
            for i in range(60):  # spans the upgrade
                await srv.sio.emit("n", i, to=sid, namespace=NS)
                await asyncio.sleep(0.005)
            await eventually(lambda: client.transport() == "websocket" and srv.socket(sid).upgraded)
            sock = srv.socket(sid)
            assert type(sock) is LeanSocket and sock.queue is None and sock.ws is not None
            for i in range(60, 80):
                await srv.sio.emit("n", i, to=sid, namespace=NS)
            await eventually(lambda: len(got) >= 80)
            assert got == list(range(80))
            assert await client.call("echo", {"back": 1}, namespace=NS, timeout=5) == {"back": 1}
        finally:
            await client.disconnect()


async def polling_socket(http: aiohttp.ClientSession, url: str, namespace: str = NS) -> tuple[str, str]:
    """An engine.io session opened over long-polling and joined to ``namespace``: its sid and poll URL."""
    async with http.get(f"{url}/socket.io/?EIO=4&transport=polling") as r:
        sid = json.loads((await r.text())[1:])["sid"]
    poll = f"{url}/socket.io/?EIO=4&transport=polling&sid={sid}"
    async with http.post(poll, data=f"40{namespace},".encode(), headers={"Content-Type": "text/plain"}) as r:
        assert r.status == 200
    async with http.get(poll) as r:
        assert (await r.text()).startswith(f"40{namespace},")
    return sid, poll


def serving_stack(sock: LeanSocket) -> list[str]:
    """The coroutines on the stack of the task that runs ``sock``'s websocket, outermost first."""
    for task in asyncio.all_tasks():
        stack, coro = [], task.get_coro()
        while inspect.iscoroutine(coro):
            stack.append(coro.__qualname__)
            if coro.__qualname__ == "LeanSocket._upgrade_websocket" and coro.cr_frame.f_locals["self"] is sock:
                return stack
            coro = coro.cr_await
    raise AssertionError("no task runs this socket's websocket")


async def test_an_upgraded_polling_session_is_served_like_a_websocket_one():
    """The upgrade runs from the lean handler, as a websocket session does: engine.io's request
    handlers (and what their frames hold) are not on the stack for as long as the websocket lives."""
    async with server() as srv, aiohttp.ClientSession() as http:
        direct = await raw_socket(http, srv.url)
        sid, _ = await polling_socket(http, srv.url)
        upgraded = await http.ws_connect(f"{srv.url}/socket.io/?EIO=4&transport=websocket&sid={sid}")
        await upgraded.send_str("2probe")
        assert await upgraded.receive_str(timeout=5) == "3probe"
        await upgraded.send_str("5")
        assert await upgraded.receive_str(timeout=5) == "6"  # the NOOP for the poll that was not in flight
        sock = srv.sio.eio.sockets[sid]
        await eventually(lambda: sock.ws is not None)
        (other,) = (s for s in srv.sio.eio.sockets.values() if s is not sock)
        assert serving_stack(sock) == serving_stack(other)
        assert not {"AsyncServer.handle_request", "AsyncSocket.handle_get_request"} & set(serving_stack(sock))
        await upgraded.send_str(f'42{NS},1["echo","up"]')
        assert await upgraded.receive_str(timeout=5) == f'43{NS},1["up"]'
        await upgraded.close()
        await direct.close()


async def test_an_upgrade_the_lean_handler_does_not_take_gets_engine_ios_answer():
    """A failed probe leaves the session on long-polling; a second upgrade is refused as engine.io
    refuses it, and the websocket goes on."""
    async with server() as srv, aiohttp.ClientSession() as http:
        sid, poll = await polling_socket(http, srv.url)
        url = f"{srv.url}/socket.io/?EIO=4&transport=websocket&sid={sid}"
        failed = await http.ws_connect(url)
        await failed.send_str("2not-the-probe")
        assert (await failed.receive(timeout=5)).type == aiohttp.WSMsgType.CLOSE
        sock = srv.sio.eio.sockets[sid]
        assert not (sock.upgrading or sock.upgraded) and sock.queue is not None
        await srv.sio.emit("n", 1, to=srv.connected[0], namespace=NS)
        async with http.get(poll) as r:
            assert await r.text() == f'42{NS},["n",1]'
        ws = await http.ws_connect(url)
        await ws.send_str("2probe")
        assert await ws.receive_str(timeout=5) == "3probe"
        await ws.send_str("5")
        await eventually(lambda: sock.ws is not None)
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await http.ws_connect(url)
        assert refused.value.status == 400
        async with http.get(poll) as r:
            assert r.status == 400 and "Unexpected HTTP request" in await r.text()
        await srv.sio.emit("n", 2, to=srv.connected[0], namespace=NS)
        frames = [await ws.receive_str(timeout=5) for _ in range(2)]
        assert frames == ["6", f'42{NS},["n",2]']
        await ws.close()
        await eventually(lambda: srv.sio.eio.sockets == {})


async def test_a_widget_visitor_on_the_gateway_upgrades_from_polling(gateway):
    client = socketio.AsyncClient(reconnection=False)
    sessions: list = []
    client.on("session", sessions.append, namespace="/visitor")
    await client.connect(
        gateway.url,
        namespaces=["/visitor"],
        transports=["polling", "websocket"],
        auth={"tenant": "demo", "name": "Poll", "topic": "billing", "language": "en"},
        wait_timeout=5,
    )
    try:
        await eventually(lambda: client.transport() == "websocket" and sessions)
        sio = gateway.app[K.SIO]
        (sock,) = sio.eio.sockets.values()
        await eventually(lambda: sock.upgraded)
        assert type(sock) is LeanSocket and sock.queue is None
        assert set(sio.environ[sock.sid]) <= set(ENVIRON_KEPT)  # slimmed once /visitor joined
        assert sock.sid not in sio._deadlines  # the namespace deadline went with the join
        ack = await client.call(
            "message",
            {"text": "hello over the upgraded socket", "client_id": "c1"},
            namespace="/visitor",
            timeout=5,
        )
        assert "error" not in ack, ack
    finally:
        await client.disconnect()


async def test_a_server_side_disconnect_reaches_the_client():
    async with server() as srv:
        client = socketio.AsyncClient(reconnection=False)
        reasons: list = []
        client.on("disconnect", lambda *reason: reasons.append(reason), namespace=NS)
        await client.connect(srv.url, namespaces=[NS], transports=["websocket"], wait_timeout=5)
        sid = srv.connected[0]
        await srv.sio.eio.disconnect(srv.sio.manager.eio_sid_from_sid(sid, NS))
        await eventually(lambda: reasons and not client.connected)
        assert srv.gone == [(sid, "server disconnect")]
        assert srv.sio.eio.sockets == {}
        await client.disconnect()

        # and a Socket.IO disconnect of the namespace, from the server
        client = socketio.AsyncClient(reconnection=False)
        reasons.clear()
        client.on("disconnect", lambda *reason: reasons.append(reason), namespace=NS)
        await client.connect(srv.url, namespaces=[NS], transports=["websocket"], wait_timeout=5)
        await srv.sio.disconnect(srv.connected[1], namespace=NS)
        await eventually(lambda: reasons)
        await client.disconnect()


async def test_vanished_clients_are_cleaned_up_without_leftover_tasks_or_timers():
    """Clients whose TCP connection just ends (no close frame): each socket goes, with its timer and
    the task that served it; an idle websocket costs the server one task (aiohttp's handler)."""
    async with server() as srv, aiohttp.ClientSession() as http:
        first = await raw_socket(http, srv.url)  # engine.io's service task starts with the first connection
        await asyncio.sleep(0.1)
        before = set(asyncio.all_tasks())
        count = 30
        clients = [await raw_socket(http, srv.url) for _ in range(count)]
        await eventually(lambda: len(srv.connected) == count + 1)
        await asyncio.sleep(0.1)
        # aiohttp's two per request (RequestHandler.start and _handle_request); engine.io's socket
        # would add four more each (writer, its queue.get, a frame read, the ping sleep)
        serving = [t.get_coro().__qualname__ for t in asyncio.all_tasks() - before]
        assert len(serving) == 2 * count and set(serving) == {
            "RequestHandler.start",
            "RequestHandler._handle_request",
        }
        first_sid = srv.sio.manager.eio_sid_from_sid(srv.connected[0], NS)
        sockets = [s for sid, s in srv.sio.eio.sockets.items() if sid != first_sid]
        assert all(type(s) is LeanSocket and s.queue is None and s._due is not None for s in sockets)
        for ws in clients:
            ws._response.connection.transport.abort()  # no close frame: the peer just goes
        await eventually(lambda: len(srv.gone) == count and list(srv.sio.eio.sockets) == [first_sid])
        assert {reason for _, reason in srv.gone} == {"transport close"}
        assert all(s.closed and s._due is None for s in sockets)
        await eventually(lambda: asyncio.all_tasks() <= before)
        assert not lean_socket._tasks
        await first.close()


@pytest.mark.parametrize("close", ["wait", "no_wait"])
async def test_closing_every_socket_at_shutdown_is_quick(close):
    """What the gateway's shutdown does (gateway/shutdown.py): close each socket; all go within the bound."""
    async with server() as srv, aiohttp.ClientSession() as http:
        clients = [await raw_socket(http, srv.url) for _ in range(20)]
        sockets = list(srv.sio.eio.sockets.values())
        async with asyncio.timeout(2):
            if close == "wait":
                await srv.sio.eio.disconnect()
            else:
                await asyncio.gather(*(s.close(wait=False) for s in sockets))
        assert len(srv.gone) == 20
        for ws in clients:
            async with asyncio.timeout(5):
                frames = [msg.data async for msg in ws]
            assert frames == ["1"] and ws.closed
