"""A gateway holding hundreds of widgets is restarted: it stops at once, what each visitor's leaving
means is recorded (no tab left behind, the grace of a waiting conversation started, the agent told),
and every widget comes back as the same visitor with its conversation. And the real widget, in
Chromium, comes back by itself over a websocket straight away, without a long-polling session first.

The hundreds of widgets speak engine.io v4 / Socket.IO v5 themselves over one websocket each (a
python-socketio client per widget would make the test machine, not the gateway, the slow part) and
reconnect after a jittered wait with their visitor token, as widget/src/widget/reconnect.ts does.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import signal
import time
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from browser_helpers import _browser, new_page, open_widget, start_chat, visitor_send  # noqa: F401 (_browser: `browser`)
from chaos_helpers import chaos_config
from conftest import eventually, running_gateway
from lifecycle_helpers import free_port, serve
from playwright.async_api import expect

from gateway.app import create_app
from gateway.config import load_config
from gateway.keys import TenantKeys
from gateway.visitor_token import read_visitor_token

WIDGETS = 600
SECRET = "restart-storm-secret-" + "x" * 32
STOP_BOUND_S = 5.0  # SIGINT to exit with WIDGETS sockets (it took 20 s and more with 10,000 before)
BACK_BOUND_S = 60.0
KEYS = TenantKeys("demo")


def retry_delay(attempt: int) -> float:
    """The widget's retryDelay: 0.5 s doubling up to 5 s, then jittered by ±50 %."""
    return min(5.0, 0.5 * 2**attempt) * random.uniform(0.5, 1.5)


class Widget:
    """One visitor's widget: its socket, the sessions the gateway opened for it, and acks to its calls."""

    def __init__(self, http: aiohttp.ClientSession, url: str, index: int) -> None:
        self.http, self.url, self.index = http, url, index
        self.sessions: list[dict] = []
        self.events: list[tuple[str, object]] = []
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self.acks: dict[int, asyncio.Future] = {}
        self.calls = 0
        self.task: asyncio.Task | None = None

    @property
    def token(self) -> str | None:
        return self.sessions[0]["visitor_token"] if self.sessions else None

    def start(self) -> None:
        self.task = asyncio.ensure_future(self._live())

    async def _live(self) -> None:
        attempt = 0
        while True:
            try:
                await self._connect()
            except (aiohttp.ClientError, OSError, AssertionError):  # (TimeoutError is an OSError)
                await asyncio.sleep(retry_delay(attempt))
                attempt += 1
                continue
            attempt = 0
            await self._read()  # until the gateway closes the connection
            await asyncio.sleep(retry_delay(0))

    async def _connect(self) -> None:
        ws = await self.http.ws_connect(
            self.url.replace("http", "ws", 1) + "/socket.io/?EIO=4&transport=websocket"
        )
        try:
            async with asyncio.timeout(10):
                assert (await ws.receive_str()).startswith("0"), "no engine.io open packet"
                auth = {"tenant": "demo", "name": f"Storm {self.index}", "topic": "billing", "language": "en"}
                if self.token:
                    auth["visitor_token"] = self.token
                await ws.send_str("40/visitor," + json.dumps(auth))
                while not (answer := await ws.receive_str()).startswith("40/visitor,"):
                    assert not answer.startswith("44/visitor,"), answer  # refused
                    await self._packet(ws, answer)  # the gateway sends `session` before its answer
        except BaseException:
            await ws.close()
            raise
        self.ws = ws

    async def _read(self) -> None:
        assert self.ws is not None
        async for msg in self.ws:
            if msg.type != aiohttp.WSMsgType.TEXT:
                break
            await self._packet(self.ws, msg.data)
        self.ws = None

    async def _packet(self, ws: aiohttp.ClientWebSocketResponse, text: str) -> None:
        if text == "2":
            await ws.send_str("3")
        elif text.startswith("42/visitor,"):
            name, *args = json.loads(text[len("42/visitor,") :])
            self.events.append((name, args[0] if args else None))
            if name == "session" and args and args[0].get("visitor_token"):
                self.sessions.append(args[0])
        elif text.startswith("43/visitor,"):
            body = text[len("43/visitor,") :]
            future = self.acks.pop(int(body[: body.index("[")]), None)
            if future is not None and not future.done():
                future.set_result(json.loads(body[body.index("[") :])[0])

    async def call(self, event: str, data: dict) -> dict:
        assert self.ws is not None
        self.calls += 1
        ack_id = self.calls
        self.acks[ack_id] = future = asyncio.get_running_loop().create_future()
        await self.ws.send_str(f"42/visitor,{ack_id}" + json.dumps([event, data]))
        return await asyncio.wait_for(future, 10)

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
        if self.ws is not None:
            await self.ws.close()


async def sessions_beyond(widgets: list[Widget], counts: list[int], timeout: float) -> None:
    """Until each widget has had more sessions than ``counts`` says (it connected once more)."""
    await eventually(
        lambda: all(len(w.sessions) > n for w, n in zip(widgets, counts, strict=True)), timeout, 0.1
    )


@pytest.mark.slow
async def test_a_restarted_gateway_stops_at_once_and_every_widget_comes_back_as_the_same_visitor(
    redis, redis_url, database_url, tmp_path: Path
):
    config = chaos_config(tmp_path)  # one test machine may hold 1,000 connections
    port = free_port()
    env = {
        "REDIS_URL": redis_url,
        "DATABASE_URL": database_url,
        "OMNIRELAY_SECRET": SECRET,
        "OMNIRELAY_SMTP_PORT": str(free_port()),
    }
    (tmp_path / "node").mkdir()
    node = serve(tmp_path / "node" / "var", port, config=config, name="a", env=env)
    widgets: list[Widget] = []
    try:
        await node.healthy(timeout=60)
        agents_config = load_config(config, env={"OMNIRELAY_SECRET": SECRET})
        # anna's console is on another gateway of the same Redis, as behind a load balancer
        connector = aiohttp.TCPConnector(limit=0)  # one connection per widget
        async with (
            running_gateway(agents_config, redis_url) as other,
            aiohttp.ClientSession(connector=connector) as http,
        ):
            login = await other.login("anna")
            anna, anna_in = await other.socket(
                "/agent", {"token": login["token"]}, ["offer", "customer_presence"]
            )
            assert (await anna.call("state", {"state": "available"}, namespace="/agent", timeout=5))[
                "state"
            ] == "available"

            widgets = [Widget(http, node.url, i) for i in range(WIDGETS)]
            for w in widgets:
                w.start()
            await sessions_beyond(widgets, [0] * WIDGETS, BACK_BOUND_S)

            # one visitor is served by anna; once she is away, two more wait in line
            served, *waiting = widgets[:3]
            held = (await served.call("message", {"text": "my invoice", "client_id": "s1"}))[
                "conversation_id"
            ]
            offer = await anna_in.next("offer", lambda o: o["conversation_id"] == held, timeout=10)
            assert (
                await anna.call("accept", {"offer_id": offer["offer_id"]}, namespace="/agent", timeout=5)
            ).get("ok")
            assert (await anna.call("state", {"state": "away"}, namespace="/agent", timeout=5))[
                "state"
            ] == "away"
            queued = [
                (await w.call("message", {"text": "hello?", "client_id": f"q{w.index}"}))["conversation_id"]
                for w in waiting
            ]

            started = time.monotonic()
            node.proc.send_signal(signal.SIGINT)
            assert await node.exited(30) == 0
            assert time.monotonic() - started < STOP_BOUND_S, node.output()[-2000:]

            # every tab is gone, as when each visitor closes theirs: nobody looks present to an agent
            visitor_ids = [read_visitor_token(SECRET, "demo", w.token) for w in widgets]
            async with redis.pipeline(transaction=False) as pipe:
                for vid in visitor_ids:
                    pipe.scard(KEYS.visitor_sockets(vid))
                assert sum(await pipe.execute()) == 0
            for cid in queued:  # the waiting ones left: their grace before "abandoned" runs
                assert await redis.zscore(KEYS.abandon_due(), cid) is not None
            left = await anna_in.next("customer_presence", lambda d: d["reason"] == "left", timeout=10)
            assert left["conversation_id"] == held

            node = serve(
                tmp_path / "node" / "var", port, config=config, name="b", env=env
            )  # the same address again
            await node.healthy(timeout=60)
            await sessions_beyond(widgets, [1] * WIDGETS, BACK_BOUND_S)

            # each widget is the same visitor, with the conversation it had
            assert all(w.sessions[-1]["visitor_token"] == w.token for w in widgets)
            conversations = {
                served.index: held,
                **{w.index: cid for w, cid in zip(waiting, queued, strict=True)},
            }
            for w in widgets:
                assert w.sessions[-1]["conversation_id"] == conversations.get(w.index)
            for cid in queued:  # back within the grace: not abandoned
                assert await redis.zscore(KEYS.abandon_due(), cid) is None
            back = await anna_in.next("customer_presence", lambda d: d["present"], timeout=10)
            assert back["conversation_id"] == held
            # and the served one is told again who serves them
            since = max(i for i, (name, _) in enumerate(served.events) if name == "session")
            assigned = ("assigned", {"conversation_id": held, "agent": {"name": "Anna"}})
            await eventually(lambda: assigned in served.events[since:])
    finally:
        await asyncio.gather(*(w.stop() for w in widgets), return_exceptions=True)
        node.proc.send_signal(signal.SIGINT)
        try:
            await node.exited(30)
        finally:
            node.kill()


@pytest.mark.browser
async def test_the_widget_comes_back_by_itself_over_a_websocket_with_its_conversation(
    redis, redis_url, demo_config, browser
):
    port = free_port()
    server = TestServer(create_app(demo_config, redis_url=redis_url), host="127.0.0.1", port=port)
    await server.start_server(shutdown_timeout=demo_config.server.shutdown_timeout_s)
    base = f"http://127.0.0.1:{port}"
    try:
        _, page, _ = await new_page(browser, "widget")
        requests: list[str] = []
        page.on("request", lambda r: "/socket.io/" in r.url and requests.append(r.url))
        page.on("websocket", lambda ws: requests.append(ws.url))
        await open_widget(page, base)
        await start_chat(page, "Wanda Websocket", topic="billing", language="en")
        await visitor_send(page, "one: before the restart")
        sent = page.locator(".msg[data-author=visitor]", has_text="one:")
        await expect(sent).to_have_attribute("data-state", "sent")
        # the first connection: a websocket of its own
        await eventually(lambda: any("transport=websocket" in u for u in requests))

        await server.close()
        await expect(page.locator(".banner")).to_contain_text("Reconnecting")
        requests.clear()
        server = TestServer(create_app(demo_config, redis_url=redis_url), host="127.0.0.1", port=port)
        await server.start_server(shutdown_timeout=demo_config.server.shutdown_timeout_s)

        await expect(page.locator(".banner")).to_have_text("", timeout=20_000)
        await visitor_send(page, "two: after the restart")
        await expect(page.locator(".msg[data-author=visitor]", has_text="two:")).to_have_attribute(
            "data-state", "sent"
        )
        await expect(sent).to_have_count(1)  # the same conversation, each message once
        # back over a websocket of its own: no long-polling session was opened
        assert any("transport=websocket" in u and "sid=" not in u for u in requests), requests
        assert not any("transport=polling" in u and "sid=" in u for u in requests), requests
    finally:
        await server.close()
