"""The history database as one service of the gateway: where it is (embedded or DATABASE_URL), its
schema (migrated or checked at start-up), the pool, the archive consumers, eviction, and health."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg
from redis.asyncio import Redis

from gateway.background import Background
from gateway.config.schema import Config
from gateway.history import migrate
from gateway.history.archive import Archiver, lag
from gateway.history.embedded import EmbeddedPostgres, EmbeddedPostgresError
from gateway.history.evict import evict_closed
from gateway.history.reader import HistoryReader, attach, detach
from gateway.metrics import Metrics

log = logging.getLogger(__name__)

EMBEDDED = "embedded"  # create_app(database=EMBEDDED): the gateway's own PostgreSQL under the data dir
LAG_EVERY_S = 5.0


class HistoryError(RuntimeError):
    """The history database cannot be used (unreachable, schema behind, bad settings): a start-up error."""


def describe(dsn: str) -> str:
    """Where a DSN points, without user or password (safe for logs and messages)."""
    parts = urlsplit(dsn)
    host = parts.hostname or dict(p.split("=", 1) for p in parts.query.split("&") if "=" in p).get("host", "local socket")
    return f"{host}{':' + str(parts.port) if parts.port else ''}{parts.path or ''}"


@dataclass
class History:
    """Started by the app's cleanup context; the ``history`` field of Services."""

    redis: Redis
    config: Config
    node_id: str
    database: str  # EMBEDDED or a DSN
    data_dir: Path
    metrics: Metrics | None = None
    busy: Callable[[], bool] | None = None  # the process is answering a flood (the archive writes less often)
    embedded: EmbeddedPostgres | None = field(default=None, init=False)
    pool: asyncpg.Pool | None = field(default=None, init=False)
    archiver: Archiver | None = field(default=None, init=False)
    _tasks: Background = field(default_factory=Background, init=False, repr=False)

    @property
    def dsn(self) -> str:
        return self.embedded.url if self.embedded is not None else self.database

    async def start(self) -> None:
        settings = self.config.history
        if settings.batch_size < 1:
            raise HistoryError(f"history.batch_size must be at least 1, not {settings.batch_size}")
        if self.database == EMBEDDED:
            self.embedded = EmbeddedPostgres(self.data_dir / "postgres")
            try:
                await self.embedded.start()
                await migrate.upgrade(self.dsn)  # nobody else can migrate a database only we reach
            except (EmbeddedPostgresError, OSError, asyncpg.PostgresError) as err:
                await self.embedded.stop()
                raise HistoryError(f"the embedded PostgreSQL in {self.embedded.data_dir} failed to start: {err}") from err
        else:
            try:
                await migrate.check(self.dsn)
            except migrate.SchemaBehind as err:
                raise HistoryError(str(err)) from err
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError, ValueError) as err:
                raise HistoryError(
                    f"the history database ({describe(self.dsn)}) is unreachable: {type(err).__name__}: {err} "
                    "— check DATABASE_URL, or unset it to use the embedded PostgreSQL"
                ) from err
        self.pool = await asyncpg.create_pool(self.dsn, min_size=1, max_size=4, timeout=10)
        attach(self.redis, HistoryReader(self.pool))
        self.archiver = Archiver(self.redis, self.pool, list(self.config.tenants), self.node_id,
                                 batch_size=settings.batch_size, claim_idle_s=settings.claim_idle_s, busy=self.busy)
        for tenant in self.config.tenants:
            self._tasks.start(f"archive-{tenant}", self.archiver.run(tenant))
            self._tasks.start(f"archive-acd-{tenant}", self.archiver.run(tenant, acd_events=True))
            if settings.evict_closed_after_s > 0:
                self._tasks.every(f"evict-{tenant}", settings.evict_every_s, self._evictor(tenant))
        self._tasks.every("archive-lag", LAG_EVERY_S, self.report_lag)
        self._start_retention()
        log.info("history database ready", extra={"where": "embedded" if self.embedded else describe(self.dsn)})

    def _start_retention(self) -> None:
        """The daily retention job (gateway/history/retention.py) for the tenants that set one."""
        # imported here: gateway.media needs Services, which needs this module
        from gateway.history.retention import CHECK_EVERY_S, retention_step
        from gateway.media.storage import media_root

        days = {t: c.retention_days for t, c in self.config.tenants.items() if c.retention_days > 0}
        if days and self.pool is not None:
            pool, root = self.pool, media_root(self.config)
            self._tasks.every("retention", CHECK_EVERY_S, lambda: retention_step(self.redis, pool, days, root))

    def _evictor(self, tenant: str) -> Callable[[], Awaitable[int]]:
        return lambda: evict_closed(self.redis, tenant, self.config.history.evict_closed_after_s)

    async def stop(self) -> None:
        await self._tasks.stop()
        detach(self.redis)
        if self.pool is not None:
            await self.pool.close()
        if self.embedded is not None:
            await self.embedded.stop()

    async def status(self) -> dict:
        """For /healthz: the database's state and the archive's lag (oldest entry's age, entries waiting)."""
        age, waiting = 0.0, 0
        for tenant in self.config.tenants:
            a, w = await lag(self.redis, tenant)
            age, waiting = max(age, a), waiting + w
        database = self.archiver.health.database if self.archiver else "starting"
        if database == "ok" and self.pool is not None:
            try:
                await self.pool.fetchval("SELECT 1", timeout=2)
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError):
                database = "unreachable"
        return {"database": database, "archive_lag_s": round(age, 3), "archive_pending": waiting}

    async def report_lag(self) -> None:
        if self.metrics is None:
            return
        for tenant in self.config.tenants:
            age, waiting = await lag(self.redis, tenant)
            self.metrics.archive_lag.labels(tenant).set(age)
            self.metrics.archive_pending.labels(tenant).set(waiting)
        self.metrics.history_up.set(1 if self.archiver and self.archiver.health.database == "ok" else 0)
