"""Checks of ``server.durability`` and ``server.replica_wait_ms`` (gateway/durability.py, docs/ha.md)."""

from __future__ import annotations

from collections.abc import Iterator

from gateway.config.schema import ServerConfig

MODES = ("local", "replicated")


def durability_issues(server: ServerConfig) -> Iterator[tuple[tuple, str]]:
    if server.durability not in MODES:
        yield ("server", "durability"), f"server.durability must be local or replicated, not {server.durability!r}"
    if not 10 <= server.replica_wait_ms <= 60_000:
        yield ("server", "replica_wait_ms"), "server.replica_wait_ms must be between 10 and 60000 milliseconds"
