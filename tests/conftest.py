"""Shared fixtures: a real Redis (embedded redis-server, or $REDIS_URL), flushed per test."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import redis.asyncio as aioredis

# every Lua call in every test (and every gateway process a test starts) is checked to name keys of one
# Redis Cluster hash slot (acd/lua_runner.py): read when the runner is imported, so set before that
os.environ.setdefault("OMNIRELAY_CHECK_SLOTS", "1")

from gateway.embedded_redis import EmbeddedRedis  # noqa: E402
from gateway.redis_client import connect  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "webhooks"  # the shared recordings, copied (CI has no ../shared)
ARTIFACTS = ROOT / "tests" / "artifacts"


# --- a failed test's processes speak in the report -------------------------------------------------
# CI keeps only the run's output, not pytest's temporary directory: when a test fails, the last lines of
# the logs its processes wrote under its tmp_path (gateways' *.err, Redis and Sentinel logs) are put in
# its report, so the output shows the processes' side of the failure too.
LOG_FILES, LOG_LINES = 6, 40


def _log_tails(base: object) -> list[tuple[str, str]]:
    if not isinstance(base, Path) or not base.is_dir():
        return []
    logs = [p for p in base.rglob("*") if p.is_file() and p.suffix in (".err", ".log")]
    logs.sort(key=lambda p: p.stat().st_mtime, reverse=True)
    tails = []
    for path in logs[:LOG_FILES]:
        lines = path.read_text(errors="replace").splitlines()[-LOG_LINES:]
        if lines:
            tails.append((str(path.relative_to(base)), "\n".join(lines)))
    return tails


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[pytest.TestReport]:
    report = yield
    if report.when == "call" and report.failed:
        with contextlib.suppress(Exception):  # the report matters more than its extras
            for name, tail in _log_tails(getattr(item, "funcargs", {}).get("tmp_path")):
                report.sections.append((f"last {LOG_LINES} lines of {name}", tail))
    return report


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """URL of the Redis the tests use: $REDIS_URL when set, else an embedded redis-server."""
    if os.environ.get("REDIS_URL"):
        yield os.environ["REDIS_URL"]
        return
    server = EmbeddedRedis(tmp_path_factory.mktemp("redis"), appendfsync="everysec")
    url = asyncio.run(server.start())
    try:
        yield url
    finally:
        asyncio.run(server.stop())


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[aioredis.Redis]:
    """A client on a flushed database."""
    client = connect(redis_url)
    await client.flushdb()
    try:
        yield client
    finally:
        await client.aclose()


# --- the gateway, in process, on the test Redis ------------------------------------------------

import socketio  # noqa: E402
from aiohttp.test_utils import TestServer  # noqa: E402

from gateway.app import create_app  # noqa: E402
from gateway.config import load_config  # noqa: E402

DEMO_CONFIG = ROOT / "config" / "demo.yaml"


class Gateway:
    """A running gateway: its URL, app and helpers to log in and open sockets."""

    def __init__(self, server: TestServer):
        self.server = server
        self.app = server.app
        self.url = str(server.make_url("")).rstrip("/")
        self._clients: list[socketio.AsyncClient] = []

    async def login(self, username: str, password: str | None = None) -> dict:
        import aiohttp

        async with aiohttp.ClientSession() as http:
            async with http.post(f"{self.url}/api/v1/login", json={"username": username, "password": password or f"{username}-demo"}) as r:
                assert r.status == 200, await r.text()
                return await r.json()

    async def socket(self, namespace: str, auth: dict, events: list[str] = ()) -> tuple[socketio.AsyncClient, Inbox]:
        """A connected Socket.IO client on ``namespace`` recording ``events`` into an Inbox."""
        client = socketio.AsyncClient(reconnection=False)
        inbox = Inbox()
        for name in events:
            client.on(name, inbox.recorder(name), namespace=namespace)
        await client.connect(self.url, namespaces=[namespace], auth=auth, transports=["websocket"], wait_timeout=5)
        self._clients.append(client)
        return client, inbox

    async def agent(self, username: str, *, available: bool = True) -> tuple[socketio.AsyncClient, Inbox]:
        login = await self.login(username)
        client, inbox = await self.socket(
            "/agent", {"token": login["token"]},
            ["hello", "offer", "offer_revoked", "assigned", "message", "typing", "closed", "state", "unassigned",
             "message_status", "session_ended"],
        )
        if available:
            ack = await client.call("state", {"state": "available"}, namespace="/agent", timeout=5)
            assert ack["state"] == "available", ack
        return client, inbox

    async def visitor(self, **auth) -> tuple[socketio.AsyncClient, Inbox]:
        auth = {"tenant": "demo", "name": "Vera", "topic": "billing", "language": "en", **auth}
        return await self.socket(
            "/visitor", auth, ["session", "message", "queue", "assigned", "requeued", "typing", "closed", "escalation_offer"]
        )

    async def close(self) -> None:
        for client in self._clients:
            if client.connected:
                await client.disconnect()


class Inbox:
    """Events a client received, with a way to wait for the next matching one."""

    def __init__(self) -> None:
        self.events: list[tuple[str, object]] = []
        self._changed = asyncio.Event()

    def recorder(self, name: str):
        async def record(data=None):
            self.events.append((name, data))
            self._changed.set()

        return record

    def all(self, name: str) -> list:
        return [d for n, d in self.events if n == name]

    async def next(self, name: str, where=lambda d: True, timeout: float = 5.0):
        """The first ``name`` event satisfying ``where`` (waiting for it if needed)."""
        async with asyncio.timeout(timeout):
            while True:
                for n, d in self.events:
                    if n == name and where(d):
                        return d
                self._changed.clear()
                await self._changed.wait()


@pytest.fixture
def demo_config():
    return load_config(DEMO_CONFIG, env={})


@contextlib.asynccontextmanager
async def running_gateway(config, redis_url: str, database: str | None = None) -> AsyncIterator[Gateway]:
    """A gateway process (in this event loop) with ``config`` on ``redis_url``, on a free loopback port
    (archiving into the history ``database`` when one is given)."""
    # the drain on stop is bounded as `omnirelay serve` bounds it (aiohttp's own default waits 60 s for
    # requests still running, e.g. a browser's websocket that has not closed yet)
    server = TestServer(create_app(config, redis_url=redis_url, database=database), host="127.0.0.1", port=0)
    await server.start_server(shutdown_timeout=config.server.shutdown_timeout_s)
    gw = Gateway(server)
    try:
        yield gw
    finally:
        await gw.close()
        await server.close()


@pytest.fixture
async def gateway(redis, redis_url, demo_config) -> AsyncIterator[Gateway]:
    """The demo gateway on the flushed test Redis."""
    async with running_gateway(demo_config, redis_url) as gw:
        yield gw


gateway_server = gateway  # the name the browser tests use


async def eventually(check, timeout: float = 5.0, interval: float = 0.05):
    """Wait until ``check()`` is truthy (it may be async); returns its value."""
    async with asyncio.timeout(timeout):
        while True:
            value = check()
            if asyncio.iscoroutine(value):
                value = await value
            if value:
                return value
            await asyncio.sleep(interval)


# --- the history database: a real PostgreSQL ($DATABASE_URL, or one embedded server per session) ---

import asyncpg  # noqa: E402

from gateway.history import migrate  # noqa: E402
from gateway.history.embedded import EmbeddedPostgres  # noqa: E402

HISTORY_TABLES = ("conversations, messages, attachments, contacts, identities, acd_events, audit, "
                  "erased_contacts, erased_conversations, retention_runs, admin_settings, admin_revisions, "
                  "assist_signals, assist_models, assist_choices")


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """DSN of a migrated history database: $DATABASE_URL when set, else an embedded PostgreSQL."""
    if os.environ.get("DATABASE_URL"):
        asyncio.run(migrate.upgrade(os.environ["DATABASE_URL"]))
        yield os.environ["DATABASE_URL"]
        return
    server = EmbeddedPostgres(tmp_path_factory.mktemp("history") / "postgres")
    url = asyncio.run(server.start())
    asyncio.run(migrate.upgrade(url))
    try:
        yield url
    finally:
        asyncio.run(server.stop())


@pytest.fixture
async def history_db(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    """A connection to the history database, every table emptied."""
    conn = await asyncpg.connect(database_url)
    await conn.execute(f"TRUNCATE {HISTORY_TABLES}")
    try:
        yield conn
    finally:
        await conn.close()


# A second tenant next to the demo one (tenant isolation tests): zed (agent) and sue (supervisor)
# use anna's demo hash, so their password is "anna-demo".
SECOND_TENANT = """
  acme:
    name: Acme
    languages: [en]
    topics:
      help: {queue: help, label: {en: Help}}
    queues:
      help: {skill: help}
    channels:
      web: {type: widget}
    agents:
      zed:
        name: Zed
        password_hash: $argon2id$v=19$m=65536,t=3,p=4$TJYkFnUj3ksgqEoJpJYIhA$YcUKVNC3GA2YWxzrw3RVlbIMLZx9CwwPmf8le2hUcMk
        languages: [en]
        skills: {help: 5}
        capacity: {chat: 2}
    supervisors:
      sue:
        name: Sue
        password_hash: $argon2id$v=19$m=65536,t=3,p=4$TJYkFnUj3ksgqEoJpJYIhA$YcUKVNC3GA2YWxzrw3RVlbIMLZx9CwwPmf8le2hUcMk
"""


def two_tenants_config():
    """The demo tenant plus ``acme`` (SECOND_TENANT)."""
    from gateway.config import load_config_text

    return load_config_text(DEMO_CONFIG.read_text() + SECOND_TENANT, env={})
