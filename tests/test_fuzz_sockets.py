"""The Socket.IO handlers of /visitor, /agent and /supervisor, fuzzed over real sockets on real Redis.

Every event a namespace registers gets random payloads — anything JSON, and objects with the fields
the events read filled with real ids, wrong ids and wrong types. Each call is answered (an unhandled
exception in a handler leaves the client waiting for an ack that never comes), an error is the
``{"error": {code, message}}`` envelope, the sockets stay connected, nothing is logged as an error,
and a refused write stores nothing (the conversations' message streams stay as they were).
"""

from __future__ import annotations

import logging
from typing import Any

import pytest
import socketio
from conftest import two_tenants_config
from fuzz_helpers import JSON, SCALARS, SCALE, explore, fuzz
from history_helpers import history_gateway
from hypothesis import strategies as st

from gateway.appkeys import SERVICES
from gateway.keys import TenantKeys
from gateway.sockets.agent import AgentNamespace
from gateway.sockets.supervisor import SupervisorNamespace
from gateway.sockets.visitor import VisitorNamespace

pytestmark = pytest.mark.timeout(240 * SCALE)
DEMO = TenantKeys("demo")
NAMESPACES = {"/visitor": VisitorNamespace, "/agent": AgentNamespace, "/supervisor": SupervisorNamespace}
# events that would end the session the fuzz runs on (they are fuzzed, with ids of someone else)
KEEP_AGENTS = ("anna",)


def events(cls) -> list[str]:
    """The events clients may send on a namespace (its handlers)."""
    return sorted(n[3:] for n in vars(cls) if n.startswith("on_") and n not in ("on_connect", "on_disconnect"))


@pytest.fixture
async def gw(redis, redis_url, history_db, database_url):
    """The two tenants, archiving into the history database (what PostgreSQL refuses shows up too)."""
    config = two_tenants_config()
    for channel in config.tenants["demo"].channels.values():
        channel.api_base = "http://127.0.0.1:9"
        channel.listen_host = ""
    async with history_gateway(config, redis_url, database_url) as gateway:
        yield gateway


def fields(ids: dict[str, list[str]]) -> st.SearchStrategy[dict]:
    """An event payload: the fields events read, each a real id, another id or any JSON value."""
    def one(name: str, good: list[str]) -> st.SearchStrategy[Any]:
        return st.sampled_from(good) | SCALARS if good else SCALARS

    known = {
        "conversation_id": one("conversation_id", ids["conversations"]),
        "offer_id": one("offer_id", ids["offers"]),
        "agent_id": one("agent_id", ["ben", "clara", "zed", "nobody", "../anna"]),
        "agent": one("agent", ["ben", "clara", "zed"]),
        "queue": one("queue", ["billing", "tech", "sales", "help", ""]),
        "topic": one("topic", ["billing", "tech", "sales", "help"]),
        "state": one("state", ["available", "away", "offline", "busy"]),
        "text": st.text(max_size=300) | SCALARS | st.just("x" * 5000),
        "client_id": st.text(max_size=70) | SCALARS,
        "after_seq": st.integers(min_value=-5, max_value=2**70) | SCALARS,
        "on": SCALARS,
        "to": one("to", ["email", "callback", "sms"]),
        "email": one("email", ["kim@kunde.example", "not an address", "a@b"]),
        "phone": one("phone", ["+4930123456", "0301234", "+1", "abc"]),
        "at": SCALARS,
        "score": st.integers(min_value=-3, max_value=9) | SCALARS,
        "comment": st.text(max_size=50) | SCALARS,
        "wrapup_code": one("wrapup_code", ["resolved", "nonsense"]),
        "add": one("add", ["vip", "refund", "x"]),
        "remove": one("remove", ["vip"]),
        "note": st.text(max_size=50) | SCALARS,
        "language": one("language", ["de", "en", "xx"]),
        "outcome": one("outcome", ["reached", "no_answer", "busy", "wrong_number", "?"]),
        "reason": SCALARS,
        "canned_id": SCALARS,
        "attachments": JSON,
        "reply_to": SCALARS,
    }
    return st.fixed_dictionaries({}, optional=known)


class World:
    """Anna holds Vera's conversation, Quinn waits, sam supervises; all the fuzz's sockets."""

    async def build(self, gw) -> World:
        self.gw = gw
        self.svc = gw.app[SERVICES]
        self.anna, self.anna_in = await gw.agent("anna")
        self.vera, _ = await gw.visitor(name="Vera")
        held = (await self.vera.call("message", {"text": "hello", "client_id": "v1"}, namespace="/visitor"))
        offer = await self.anna_in.next("offer", lambda o: o["conversation_id"] == held["conversation_id"])
        assert (await self.anna.call("accept", {"offer_id": offer["offer_id"]}, namespace="/agent"))["ok"]
        self.quinn, _ = await gw.visitor(name="Quinn", topic="sales")
        queued = await self.quinn.call("message", {"text": "a quote?", "client_id": "q1"}, namespace="/visitor")
        self.ann, _ = await gw.visitor(tenant="acme", name="Ann", topic="help")
        acme = await self.ann.call("message", {"text": "help", "client_id": "a1"}, namespace="/visitor")
        sam = await gw.login("sam")
        self.sam, _ = await gw.socket("/supervisor", {"token": sam["token"]}, ["snapshot"])
        self.conversations = [held["conversation_id"], queued["conversation_id"], acme["conversation_id"]]
        self.ids = {"conversations": self.conversations + ["c_00000000000000ff", "c_x:msgs"],
                    "offers": [offer["offer_id"], "o_00000000000000ff"]}
        self.sockets = {"/visitor": self.vera, "/agent": self.anna, "/supervisor": self.sam}
        return self

    async def lengths(self) -> list[int]:
        out = []
        for cid, tenant in zip(self.conversations, ("demo", "demo", "acme"), strict=True):
            out.append(await self.svc.redis.xlen(TenantKeys(tenant).conv_messages(cid)))
        return out


def _well_formed(event: str, ack: Any) -> None:
    if isinstance(ack, dict) and "error" in ack:
        error = ack["error"]
        assert isinstance(error, dict) and isinstance(error.get("code"), str) and error["code"], (event, ack)
        assert isinstance(error.get("message"), str) and error["message"], (event, ack)


async def test_every_handler_answers_any_payload(gw, caplog):
    caplog.set_level(logging.ERROR)
    world = await World().build(gw)
    answered = {"errors": 0, "ok": 0}

    async def call(case: tuple[str, str, Any]) -> None:
        namespace, event, data = case
        socket = world.sockets[namespace]
        if isinstance(data, dict) and data.get("agent_id") in KEEP_AGENTS:
            data = {**data, "agent_id": "ben"}  # logging anna out would end the fuzz's own session
        before = await world.lengths()
        try:
            ack = await socket.call(event, data, namespace=namespace, timeout=5)
        except socketio.exceptions.TimeoutError:
            raise AssertionError(f"{namespace} {event} {data!r}: no answer (an exception in the handler?)") from None
        _well_formed(event, ack)
        refused = isinstance(ack, dict) and "error" in ack
        answered["errors" if refused else "ok"] += 1
        if refused:
            assert await world.lengths() == before, (namespace, event, data, ack)
        assert socket.connected, (namespace, event, data)

    cases = st.sampled_from(sorted(NAMESPACES)).flatmap(lambda ns: st.tuples(
        st.just(ns), st.sampled_from(events(NAMESPACES[ns])), st.one_of(fields(world.ids), JSON)))
    await explore(fuzz(1000), cases, call)
    assert answered["errors"] > 100 and answered["ok"] > 10, answered
    failed = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert failed == [], [(r.name, r.getMessage(), r.exc_text) for r in failed[:3]]


async def test_a_visitor_connect_takes_any_auth(gw, caplog):
    """Connect payloads of every shape: a session, or a refusal with its code — never a crash."""
    caplog.set_level(logging.ERROR)
    # objects only: the python-socketio client itself refuses to send any other auth (the server reads
    # a non-object auth as {}: gateway/sockets/visitor.py)
    auth = st.one_of(st.none(), st.dictionaries(st.text(max_size=12), JSON, max_size=5), st.fixed_dictionaries({}, optional={
        "tenant": st.sampled_from(["demo", "acme", "nope"]) | SCALARS, "visitor_token": SCALARS,
        "name": st.text(max_size=100) | SCALARS, "email": SCALARS, "language": SCALARS, "topic": SCALARS,
        "user": JSON, "user_hash": SCALARS, "identity": JSON}))

    async def connect(value: Any) -> None:
        client = socketio.AsyncClient(reconnection=False)
        refused: list[Any] = []
        client.on("connect_error", lambda data: refused.append(data), namespace="/visitor")
        try:
            await client.connect(gw.url, namespaces=["/visitor"], auth=value, transports=["websocket"], wait_timeout=5)
        except socketio.exceptions.ConnectionError:
            assert refused and isinstance(refused[0], dict) and refused[0].get("data", refused[0]), refused
        finally:
            await client.disconnect()

    await explore(fuzz(80), auth, connect)
    failed = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert failed == [], [(r.name, r.getMessage(), r.exc_text) for r in failed[:3]]
