"""Parts for the chaos tests (tests/test_chaos_*.py): a config with enough agents for many
conversations, `omnirelay serve` nodes on a shared Redis, and Socket.IO clients that reconnect on
their own — through whichever node still answers — and resend what was not acknowledged, the way
the widget and the agent console do."""

from __future__ import annotations

import asyncio
import contextlib
import random
import socket
import sys
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import socketio
from lifecycle_helpers import DEMO_CONFIG, ROOT, Served, free_port, serve

sys.path.insert(0, str(ROOT / "tests" / "bridges"))  # the Telegram stand-in lives there

PASSWORD = "anna-demo"  # the extra agents reuse anna's demo hash
_ANNA_HASH = "$argon2id$v=19$m=65536,t=3,p=4$TJYkFnUj3ksgqEoJpJYIhA$YcUKVNC3GA2YWxzrw3RVlbIMLZx9CwwPmf8le2hUcMk"
CHAT_CAPACITY = 3


def agent_ids(count: int) -> list[str]:
    return [f"c{n:02d}" for n in range(count)]


def chaos_config(tmp_path: Path, *, agents: int = 0, grace_s: float | None = None, offer_timeout_s: float | None = None,
                 node_lease_s: float | None = None, extra: str = "") -> Path:
    """demo.yaml with ``agents`` more billing and tech agents (English, chat ``CHAT_CAPACITY``), limits that
    let one test machine open many conversations and sockets, optionally a shorter disconnect grace, billing
    offer time-out and node lease, and ``extra`` top-level YAML appended."""
    text = DEMO_CONFIG.read_text()
    if node_lease_s is not None:
        text = text.replace("  token_ttl_s: 43200\n", f"  token_ttl_s: 43200\n  node_lease_s: {node_lease_s}\n", 1)
    text = text.replace("limits:\n", "limits:\n  conversations_per_address_per_min: 10000\n"
                        "  connections_per_address: 1000\n  login_attempts_per_min: 10000\n"
                        "  login_attempts_per_address_per_min: 10000\n  login_attempts_per_account_per_min: 10000\n"
                        "  login_hash_concurrency: 8\n", 1)
    more = "".join(
        f"      {aid}:\n        name: Agent {aid}\n        password_hash: {_ANNA_HASH}\n        languages: [en]\n"
        f"        skills: {{billing: 5, tech: 5}}\n        capacity: {{chat: {CHAT_CAPACITY}, messaging: 3}}\n"
        for aid in agent_ids(agents))
    text = text.replace("    supervisors:\n      sam:", more + "    supervisors:\n      sam:", 1)
    if grace_s is not None:
        text = text.replace("    name: Demo GmbH\n", f"    name: Demo GmbH\n    disconnect_grace_s: {grace_s}\n", 1)
    if offer_timeout_s is not None:
        text = text.replace("        sla_threshold_s: 20\n", "        sla_threshold_s: 20\n"
                            f"        offer_timeout_s: {{chat: {offer_timeout_s}, messaging: {offer_timeout_s}}}\n", 1)
    path = tmp_path / "chaos.yaml"
    path.write_text(text + extra)
    return path


def start_node(tmp_path: Path, name: str, config: Path, env: dict[str, str]) -> Served:
    """One `omnirelay serve` process (its own data dir and SMTP port) with ``env`` (REDIS_URL, …)."""
    data = tmp_path / name
    data.mkdir(exist_ok=True)
    return serve(data / "var", free_port(), config=config, name=name,
                 env={"OMNIRELAY_SMTP_PORT": str(free_port()), "OMNIRELAY_SECRET": "chaos-secret-" + "x" * 32, **env})


def node_consumer_prefix(node: Served) -> str:
    """The start of the node's id (``host-pid-…``): its consumer name in every stream group."""
    return f"{socket.gethostname()}-{node.proc.pid}-"


async def login(urls: list[str], username: str, password: str) -> str:
    """A session token, from the first node that answers (a node busy hashing: asked again)."""
    async with aiohttp.ClientSession() as http, asyncio.timeout(30):
        while True:
            for url in urls:
                with contextlib.suppress(aiohttp.ClientError):
                    async with http.post(f"{url}/api/v1/login", json={"username": username, "password": password}) as r:
                        if r.status in (429, 503):
                            continue
                        assert r.status == 200, await r.text()
                        return (await r.json())["token"]
            await asyncio.sleep(random.uniform(0.1, 0.4))


RETRY = {"unavailable", "not_replicated", "rate_limited", "busy", "timeout", "disconnected"}


@dataclass
class Peer:
    """A Socket.IO client that stays connected: when its node goes it connects to the next of ``urls``
    (after a short jittered pause, like the widget's back-off) and ``call`` resends until acknowledged."""

    urls: list[str]
    namespace: str
    auth: Callable[[], dict]
    handlers: dict[str, Callable[..., Any]] = field(default_factory=dict)
    client: socketio.AsyncClient | None = None
    url: str = ""
    connects: int = 0
    _up: asyncio.Event = field(default_factory=asyncio.Event)
    _closing: bool = False
    _reconnect: asyncio.Task | None = None
    _turn: int = 0

    async def connect(self) -> None:
        while not self._closing:
            url = self.urls[self._turn % len(self.urls)]
            client = socketio.AsyncClient(reconnection=False)
            for event, handler in self.handlers.items():
                client.on(event, handler, namespace=self.namespace)
            client.on("disconnect", lambda *_a, c=client: self._lost(c), namespace=self.namespace)
            try:
                await client.connect(url, namespaces=[self.namespace], auth=self.auth(), transports=["websocket"],
                                     wait_timeout=5)
            except (socketio.exceptions.ConnectionError, OSError, TimeoutError):
                with contextlib.suppress(Exception):
                    await client.disconnect()
                self._turn += 1
                await asyncio.sleep(random.uniform(0.05, 0.3))
                continue
            self.client, self.url = client, url
            self.connects += 1
            self._up.set()
            return

    def _lost(self, client: socketio.AsyncClient) -> None:
        if client is not self.client or self._closing:
            return
        self._up.clear()
        self._turn += 1  # the node that dropped us is the last one to try again
        self._reconnect = asyncio.get_running_loop().create_task(self.connect())

    async def call(self, event: str, data: Any, *, timeout: float = 5.0, deadline: float = 40.0) -> dict:
        """``event`` with ``data`` until a non-retryable answer (the same data, so the same client_id)."""
        async with asyncio.timeout(deadline):
            while True:
                await self._up.wait()
                client = self.client
                assert client is not None
                try:
                    ack = await client.call(event, data, namespace=self.namespace, timeout=timeout)
                except (socketio.exceptions.TimeoutError, socketio.exceptions.BadNamespaceError,
                        socketio.exceptions.DisconnectedError):
                    await asyncio.sleep(0.1)
                    continue
                code = ack.get("error", {}).get("code") if isinstance(ack, dict) else None
                if code in RETRY:
                    await asyncio.sleep(0.5)
                    continue
                return ack

    async def close(self) -> None:
        self._closing = True
        if self._reconnect is not None:
            self._reconnect.cancel()
            with contextlib.suppress(BaseException):
                await self._reconnect
        if self.client is not None and self.client.connected:
            with contextlib.suppress(Exception):
                await self.client.disconnect()


class CuttableProxy:
    """A TCP proxy on loopback in front of ``target`` (host, port): ``cut()`` drops every connection
    through it at once, as a lost network does (no logout, no goodbye from the client)."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.url = ""
        self._server: asyncio.Server | None = None
        self._links: set[asyncio.StreamWriter] = set()

    async def start(self) -> CuttableProxy:
        self._server = await asyncio.start_server(self._link, "127.0.0.1", 0)
        self.url = f"http://127.0.0.1:{self._server.sockets[0].getsockname()[1]}"
        return self

    async def _link(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        self._links |= {writer, up_writer}

        async def pump(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(OSError, asyncio.CancelledError):
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            dst.transport.abort()

        await asyncio.gather(pump(reader, up_writer), pump(up_reader, writer))
        self._links -= {writer, up_writer}

    def cut(self) -> None:
        for writer in list(self._links):
            writer.transport.abort()
        self._links.clear()

    async def close(self) -> None:
        self.cut()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()


class Visitor:
    """A widget: writes ``messages`` messages, each resent until acknowledged."""

    def __init__(self, n: int, urls: list[str], messages: int = 6):
        self.n, self.token, self.acks, self.messages = n, "", [], messages
        self.peer = Peer(urls, "/visitor", self._auth, {"session": self._session})

    def _auth(self) -> dict:
        auth = {"tenant": "demo", "name": f"Visitor {self.n}", "topic": "billing", "language": "en"}
        return {**auth, "visitor_token": self.token} if self.token else auth

    async def _session(self, data) -> None:
        self.token = self.token or data["visitor_token"]

    async def run(self) -> None:
        await self.peer.connect()
        for i in range(self.messages):
            ack = await self.peer.call("message", {"text": f"v{self.n} m{i}", "client_id": f"v{self.n}-{i}"})
            assert "id" in ack, ack
            self.acks.append((f"v{self.n} m{i}", ack))
            await asyncio.sleep(random.uniform(0.3, 0.7))  # under the 20 per 10 s limit


class Agent:
    """An agent console: accepts each offer after a moment (never, when ``sleepy``) and answers each
    conversation it holds ``replies`` times; a reconnect's ``hello`` takes up open offers and conversations."""

    def __init__(self, aid: str, token: str, urls: list[str], sleepy: bool = False, replies: int = 2):
        self.id, self.token, self.sleepy, self.replies = aid, token, sleepy, replies
        self.offers: dict[str, str] = {}  # offer id -> conversation, every offer this agent heard of
        self.accepted: set[str] = set()
        self.refused: list[dict] = []
        self.acks: dict[str, list[tuple[str, dict]]] = defaultdict(list)
        self.tasks: list[asyncio.Task] = []
        self.repliers: dict[str, asyncio.Task] = {}
        self.peer = Peer(urls, "/agent", lambda: {"token": self.token},
                         {"offer": self._offer, "hello": self._hello})

    async def start(self) -> None:
        await self.peer.connect()
        ack = await self.peer.call("state", {"state": "available"})
        assert ack.get("state") == "available", ack

    def _spawn(self, coro) -> None:
        self.tasks.append(asyncio.get_running_loop().create_task(coro))

    async def _offer(self, offer) -> None:
        self._spawn(self._accept(offer["offer_id"], offer["conversation_id"]))

    async def _hello(self, hello) -> None:
        """A (re)connected console: take up open offers and the conversations it holds."""
        for offer in hello["offers"]:
            self._spawn(self._accept(offer["offer_id"], offer["conversation_id"]))
        for conv in hello["conversations"]:
            self._replying(conv["conversation_id"])

    async def _accept(self, offer_id: str, cid: str) -> None:
        if offer_id in self.offers:
            return
        self.offers[offer_id] = cid
        if self.sleepy:
            return  # away from the keyboard: the offer runs out
        await asyncio.sleep(random.uniform(0.1, 1.0))  # a person clicks
        ack = await self.peer.call("accept", {"offer_id": offer_id})
        if ack.get("ok"):
            self.accepted.add(cid)
            self._replying(cid)
        else:  # e.g. accepted through the dead node just before it went (the ack was lost)
            self.refused.append({"offer_id": offer_id, "conversation": cid, **ack})

    def _replying(self, cid: str) -> None:
        if cid not in self.repliers:
            self.repliers[cid] = asyncio.get_running_loop().create_task(self._reply(cid))

    async def _reply(self, cid: str) -> None:
        for i in range(self.replies):
            await asyncio.sleep(random.uniform(0.3, 0.8))
            text = f"{self.id} r{i} {cid}"
            ack = await self.peer.call("message", {"conversation_id": cid, "text": text, "client_id": f"{cid}-{self.id}-{i}"})
            assert "id" in ack, ack
            self.acks[cid].append((text, ack))

    async def settled(self) -> None:
        while any(not t.done() for t in self.tasks):
            await asyncio.gather(*self.tasks)
        await asyncio.gather(*self.repliers.values())
