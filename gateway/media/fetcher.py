"""The fetch worker: downloads customers' files through their channel's bridge into the gateway's
storage, in any gateway process, one process per file at a time (a lease).

The bridge's answer decides: NotReady (or an error it did not classify) → tried again with back-off,
a bounded number of times; Fatal → ``failed`` with the platform's reason, or ``too_large`` when the
bridge says the file is over the limit; success → stored, its type read from the bytes, ``ready``.
Each settled file is announced to the agent holding the conversation. The message it came with was
stored long before, so a failed download never holds a message back.
"""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path

from redis.exceptions import LockError

from acd import replies
from bridges.base import AuthFailed, Fatal, NotReady
from gateway.keys import TenantKeys
from gateway.media.jobs import too_large_reason
from gateway.media.records import MediaRecord, announce, get_record, update_record
from gateway.media.sniff import clean_name, sniff
from gateway.media.storage import write_file
from gateway.services import Services
from gateway.webhooks.channels import BridgedChannels

log = logging.getLogger(__name__)

POLL_S = 0.25  # how often a process looks for due fetches
LEASE_S = 300.0  # longer than one download of the largest file
BACKOFF_S = (2.0, 120.0)  # first retry delay, doubling up to the cap
MAX_ATTEMPTS = 8  # not-ready this often (about four minutes): failed, with the last reason
SEQ_WAIT_S = 30.0  # a file waits this long for its message to be stored, so its news never overtakes it
SEQ_POLL_S = 0.2
CONCURRENCY = 4  # downloads at once per tenant per process
TOO_LARGE_CODE = "too_large"  # a bridge's Fatal code for "over max_bytes"


def backoff(attempts: int, retry_after: float | None) -> float:
    """Seconds before the next try: doubling from the first delay, never before the platform's retry_after."""
    first, cap = BACKOFF_S
    return max(retry_after or 0.0, min(first * 2**attempts, cap))


def _too_large(err: Fatal) -> bool:
    # the contract's word is the code; the wording check keeps a bridge that only says so in words honest
    return err.code == TOO_LARGE_CODE or "too large" in err.reason.lower() or "too big" in err.reason.lower()


class MediaFetcher:
    """Downloads every tenant's due files; ``run(tenant)`` is one worker loop."""

    def __init__(self, svc: Services, channels: BridgedChannels, root: Path) -> None:
        self.svc = svc
        self.channels = channels
        self.root = root
        self._busy: set[tuple[str, str]] = set()

    async def run(self, tenant: str) -> None:
        """Fetch ``tenant``'s due files until cancelled."""
        limit = asyncio.Semaphore(CONCURRENCY)
        running: set[asyncio.Task] = set()

        async def one(media_id: str) -> None:
            async with limit:
                try:
                    await self.fetch_one(tenant, media_id)
                finally:
                    self._busy.discard((tenant, media_id))

        try:
            while True:
                try:
                    due = replies.texts(await self.svc.redis.zrangebyscore(
                        TenantKeys(tenant).media_due(), "-inf", time.time(), 0, 32))
                    for media_id in due:
                        if (tenant, media_id) not in self._busy and len(running) < 4 * CONCURRENCY:
                            self._busy.add((tenant, media_id))
                            task = asyncio.create_task(one(media_id), name=f"media-fetch:{media_id}")
                            running.add(task)
                            task.add_done_callback(running.discard)
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.exception("media fetch step failed", extra={"tenant": tenant})
                await asyncio.sleep(POLL_S)
        finally:
            for task in running:
                task.cancel()
            await asyncio.gather(*running, return_exceptions=True)

    async def fetch_one(self, tenant: str, media_id: str) -> None:
        """One attempt at one file, under its lease (another process holding it: nothing to do)."""
        lock = self.svc.redis.lock(TenantKeys(tenant).media_lease(media_id), timeout=LEASE_S, blocking=False)
        if not await lock.acquire():
            return
        try:
            await self._attempt(tenant, media_id)
        except asyncio.CancelledError:
            raise
        except Exception:  # storage trouble (disk, Redis): the job stays due and is tried again
            log.exception("media fetch failed", extra={"tenant": tenant, "media": media_id})
            await self._due(tenant, media_id, time.time() + BACKOFF_S[0])
        finally:
            try:
                await lock.release()
            except LockError:
                log.warning("media fetch lease expired while fetching", extra={"tenant": tenant, "media": media_id})

    async def _attempt(self, tenant: str, media_id: str) -> None:
        record = await get_record(self.svc.redis, tenant, media_id)
        if record is None or record.state != "pending":
            await self.svc.redis.zrem(TenantKeys(tenant).media_due(), media_id)
            return
        if not record.seq and time.time() - record.created_at < SEQ_WAIT_S:
            await self._due(tenant, media_id, time.time() + SEQ_POLL_S)
            return
        channel = self.channels.get(tenant, record.channel)
        if channel is None or channel.bridge is None:
            await self._settle(record, "failed", reason="The channel it came from is not configured or is disabled.")
            return
        max_bytes = self.svc.config.limits.media_bytes
        try:
            media = await channel.bridge.fetch(record.ref, max_bytes)
        except Fatal as err:
            state = "too_large" if _too_large(err) else "failed"
            await self._settle(record, state, reason=err.reason or str(err))
            return
        except NotReady as err:
            await self._retry(record, str(err), err.retry_after)
            return
        except AuthFailed as err:  # credentials may be fixed (a restart with a new token): retried, bounded
            await self._retry(record, f"the platform refused our credentials: {err}", None)
            return
        except (asyncio.CancelledError, MemoryError):
            raise
        except Exception as err:  # a bridge error it did not classify: retried, bounded
            log.warning("media fetch error", exc_info=True, extra={"tenant": tenant, "media": media_id})
            await self._retry(record, f"download error: {type(err).__name__}", None)
            return
        if len(media.data) > max_bytes:
            await self._settle(record, "too_large", reason=too_large_reason(len(media.data), max_bytes))
            return
        mime = sniff(media.data)  # never the platform's claim: what we serve is what the bytes are
        await write_file(self.root, tenant, media_id, media.data)
        name = record.name or clean_name(media.name, mime, fallback=record.kind)
        await self._settle(record, "ready", mime=mime, size=len(media.data), name=name)

    async def _settle(self, record: MediaRecord, state: str, **changes: object) -> None:
        settled = await update_record(self.svc.redis, record, state=state, reason=changes.pop("reason", ""), **changes)
        await self.svc.redis.zrem(TenantKeys(record.tenant).media_due(), record.id)
        log.info("media fetched" if state == "ready" else "media not fetched",
                 extra={"tenant": record.tenant, "media": record.id, "state": state, "reason": settled.reason})
        await announce(self.svc, settled)

    async def _retry(self, record: MediaRecord, reason: str, retry_after: float | None) -> None:
        attempts = record.attempts + 1
        if attempts >= MAX_ATTEMPTS:
            await self._settle(record, "failed", reason=f"Gave up after {attempts} attempts: {reason}")
            return
        await update_record(self.svc.redis, record, attempts=attempts, reason=reason)
        await self._due(record.tenant, record.id, time.time() + backoff(record.attempts, retry_after))

    async def _due(self, tenant: str, media_id: str, when: float) -> None:
        await self.svc.redis.zadd(TenantKeys(tenant).media_due(), {media_id: when})
