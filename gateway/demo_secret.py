"""The published demo secret is never used to sign tokens where strangers could use it too.

config/demo.yaml falls back to a secret everyone can read on GitHub; with it anyone could forge
login and visitor tokens. With the embedded Redis (one process, its own data dir) a random secret
is generated into the data dir once and used instead. With a shared Redis (REDIS_URL) the replicas
must agree on one key, which only the operator can give them: the demo secret is then accepted on
a loopback address only.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from pathlib import Path

DEMO_SECRET = "demo-secret-change-me-in-production"
SECRET_FILE = "secret_key"


class DemoSecretRefused(ValueError):
    """The demo secret on an address others can reach, with no way to replace it safely."""


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def resolve_secret(configured: str, *, host: str, data_dir: Path | None) -> tuple[str, str | None]:
    """The secret to sign with, and a line to tell the operator (None: nothing to say).

    ``data_dir`` is the embedded Redis' data dir, None when REDIS_URL names a shared Redis.
    """
    if configured != DEMO_SECRET:
        return configured, None
    if data_dir is None:
        if is_loopback(host):
            return configured, "using the published demo secret (loopback only); set OMNIRELAY_SECRET before serving others"
        raise DemoSecretRefused(
            f"refusing to serve on {host} with the published demo secret: anyone could forge logins. "
            "Set OMNIRELAY_SECRET (e.g. `openssl rand -hex 32`), the same on every replica"
        )
    path = data_dir / SECRET_FILE
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        secret = path.read_text().strip()
        if len(secret) < 32:
            raise DemoSecretRefused(f"{path} holds no usable secret: delete it to have a new one generated") from None
        return secret, f"signing tokens with the secret in {path} (the config names the published demo secret)"
    secret = secrets.token_hex(32)
    with os.fdopen(fd, "w") as f:
        f.write(secret + "\n")
    return secret, (
        f"generated a random secret into {path} (mode 0600) because the config names the published demo "
        "secret; set OMNIRELAY_SECRET to choose your own"
    )
