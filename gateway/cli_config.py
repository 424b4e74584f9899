"""The config and tenant a command-line tool works on (`omnirelay contacts`, `omnirelay assist`): read
once, every failure said in one line on stderr with the exit code to return."""

from __future__ import annotations

import sys

from gateway.config import ConfigError, load_config
from gateway.config.schema import Config


def tenant_config(command: str, path: str | None, tenant: str) -> Config | int:
    """The config at ``path`` holding ``tenant``; else the exit code (2: usage, 1: a bad config file)."""
    if not path:
        print(f"omnirelay {command}: no config (use --config PATH or set OMNIRELAY_CONFIG)", file=sys.stderr)
        return 2
    try:
        config = load_config(path)
    except ConfigError as err:
        print("\n".join(err.lines()), file=sys.stderr)
        return 1
    if tenant not in config.tenants:
        print(f"omnirelay {command}: no tenant {tenant!r} in {path}", file=sys.stderr)
        return 2
    return config
