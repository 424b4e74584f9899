"""Files on disk: ``<media dir>/<tenant>/<id>``, readable by the gateway's user only.

The media dir is ``server.media_dir`` (default ``<OMNIRELAY_DATA_DIR>/media``); with several gateway
processes it must be one shared volume, since any process may fetch a file and any may serve it.
A file is written under a temporary name and renamed, so a reader never sees half of one.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from redis.asyncio import Redis

from gateway.config.schema import Config
from gateway.media.records import get_record
from gateway.services import Services
from gateway.store.ids import is_id


class MediaMissing(LookupError):
    """No such file, or it is not ready (pending, failed, too large)."""


def media_root(config: Config) -> Path:
    """Where this installation keeps its files."""
    if config.server.media_dir:
        return Path(config.server.media_dir).resolve()
    return (Path(os.environ.get("OMNIRELAY_DATA_DIR", "var")) / "media").resolve()


def file_path(root: Path, tenant: str, media_id: str) -> Path:
    # both parts end up in a path: only a generated id and a plain tenant id ever do
    if not is_id("a", media_id) or not tenant or "/" in tenant or tenant.startswith("."):
        raise MediaMissing(media_id)
    return root / tenant / media_id


async def delete_files(root: Path, tenant: str, media_ids: set[str]) -> int:
    """Remove the stored files of these media (retention, erasure); how many were there."""
    def unlink_all() -> int:
        gone = 0
        for media_id in media_ids:
            with contextlib.suppress(FileNotFoundError, MediaMissing):
                os.unlink(file_path(root, tenant, media_id))
                gone += 1
        return gone

    return await asyncio.to_thread(unlink_all)


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.part")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())  # the record says "ready" only once the bytes are on disk
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


async def write_file(root: Path, tenant: str, media_id: str, data: bytes) -> None:
    """Store a file (atomically, 0600), off the event loop."""
    await asyncio.to_thread(_write, file_path(root, tenant, media_id), data)


async def delete_file(root: Path, tenant: str, media_id: str) -> None:
    def unlink() -> None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(file_path(root, tenant, media_id))

    await asyncio.to_thread(unlink)


@dataclass(frozen=True, slots=True)
class MediaFiles:
    """Records and files together: what reading a file needs without the whole Services bundle."""

    redis: Redis
    root: Path


async def read_file(svc_or_root: Services | MediaFiles, tenant: str, media_id: str) -> tuple[bytes, str, str]:
    """(data, sniffed mime, name) of a ready file, for sending it on (the outbox); MediaMissing else."""
    if isinstance(svc_or_root, MediaFiles):
        redis, root = svc_or_root.redis, svc_or_root.root
    else:
        redis, root = svc_or_root.redis, media_root(svc_or_root.config)
    record = await get_record(redis, tenant, media_id) if is_id("a", media_id) else None
    if record is None or record.state != "ready":
        raise MediaMissing(media_id)
    try:
        data = await asyncio.to_thread(file_path(root, tenant, media_id).read_bytes)
    except FileNotFoundError as err:
        raise MediaMissing(media_id) from err
    return data, record.mime, record.name
