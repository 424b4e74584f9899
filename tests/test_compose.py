"""docker-compose.yml and deploy/: the multi-process deployment is wired the way docs/deploy.md says.

Docker cannot run in CI, so these read the files: a replica left out of the load balancer, a
sticky session removed, or a replica on its own Redis would each break a real deployment.
"""

from __future__ import annotations

import fnmatch
import re
import shutil
import subprocess
import tomllib
from pathlib import Path
from urllib.parse import urlparse

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = ROOT / "docker-compose.yml"
HAPROXY_IN_CONTAINER = "/usr/local/etc/haproxy/haproxy.cfg"


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


@pytest.fixture(scope="module")
def services(compose: dict) -> dict:
    return compose["services"]


def gateways(services: dict) -> dict[str, dict]:
    """The services built from the gateway image."""
    return {
        name: svc for name, svc in services.items()
        if isinstance(svc.get("build"), dict) and svc["build"].get("dockerfile") == "deploy/Dockerfile"
    }


def redis_service(services: dict) -> str:
    names = [name for name, svc in services.items() if str(svc.get("image", "")).startswith("redis:")]
    assert len(names) == 1, f"expected one redis service, found {names}"
    return names[0]


def lb_service(services: dict) -> str:
    names = [name for name, svc in services.items() if str(svc.get("image", "")).startswith("haproxy:")]
    assert len(names) == 1, f"expected one haproxy service, found {names}"
    return names[0]


def gateway_port(svc: dict) -> int:
    command = svc["command"]
    return int(command[command.index("--port") + 1])


def lb_config_path(lb: dict) -> Path:
    for volume in lb.get("volumes", []):
        source, target = volume.split(":")[:2]
        if target == HAPROXY_IN_CONTAINER:
            return (ROOT / source).resolve()
    raise AssertionError(f"the load balancer mounts no config at {HAPROXY_IN_CONTAINER}")


def haproxy_sections(text: str) -> dict[str, list[list[str]]]:
    """{"backend socketio": [["balance", "source"], ...], ...}: each section's lines as words."""
    sections: dict[str, list[list[str]]] = {}
    current: list[list[str]] | None = None
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].rstrip()
        if not line.strip():
            continue
        words = line.split()
        if not raw[0].isspace():
            current = sections.setdefault(" ".join(words[:2]), [])
        elif current is not None:
            current.append(words)
    return sections


@pytest.fixture(scope="module")
def haproxy(services: dict) -> dict[str, list[list[str]]]:
    return haproxy_sections(lb_config_path(services[lb_service(services)]).read_text())


def backends(haproxy: dict) -> dict[str, list[list[str]]]:
    return {name.split()[1]: lines for name, lines in haproxy.items() if name.startswith("backend ")}


def servers(lines: list[list[str]]) -> dict[str, list[str]]:
    """address -> the words after it, for each `server` line of a backend."""
    return {w[2]: w[3:] for w in lines if w[0] == "server"}


def seconds(value: str) -> float:
    number, unit = re.fullmatch(r"(\d+)(ms|s|m|h|d)?", value).groups()
    return int(number) * {"ms": 0.001, "s": 1, None: 0.001, "m": 60, "h": 3600, "d": 86400}[unit]


def timeout(haproxy: dict, name: str) -> float:
    for words in haproxy["defaults"]:
        if words[:2] == ["timeout", name]:
            return seconds(words[2])
    raise AssertionError(f"no 'timeout {name}' in the defaults")


def test_redis_keeps_every_acknowledged_write_on_a_volume(compose: dict, services: dict) -> None:
    redis = services[redis_service(services)]
    assert redis["image"].startswith("redis:7")
    command = " ".join(redis["command"])
    assert "--appendonly yes" in command
    assert "--appendfsync always" in command
    mounts = {v.split(":")[1]: v.split(":")[0] for v in redis["volumes"]}
    assert "/data" in mounts, "redis' data dir is not on a volume: a restart would lose every conversation"
    assert mounts["/data"] in compose["volumes"], "the redis volume is not declared"
    assert "healthcheck" in redis


def test_every_replica_uses_the_shared_redis_and_secret(services: dict) -> None:
    replicas = gateways(services)
    assert len(replicas) >= 2, "scaling past one process needs at least two replicas"
    redis = redis_service(services)
    secrets = set()
    for name, svc in replicas.items():
        env = svc["environment"]
        url = urlparse(env["REDIS_URL"])
        assert (url.scheme, url.hostname, url.port or 6379) == ("redis", redis, 6379), f"{name} uses {env['REDIS_URL']}"
        assert svc["depends_on"][redis]["condition"] == "service_healthy", f"{name} may start before redis"
        secrets.add(env["OMNIRELAY_SECRET"])
    assert len(secrets) == 1, "replicas with different secrets reject each other's login tokens"
    (secret,) = secrets
    assert secret.startswith("${OMNIRELAY_SECRET"), "the secret must come from the environment, not the file"


def test_every_replica_has_a_healthcheck_on_healthz(services: dict) -> None:
    for name, svc in gateways(services).items():
        check = " ".join(svc["healthcheck"]["test"])
        assert f"127.0.0.1:{gateway_port(svc)}/healthz" in check, f"{name}: healthcheck does not ask /healthz"
        assert "0.0.0.0" in svc["command"], f"{name} listens on loopback only: the load balancer cannot reach it"


def test_only_the_load_balancer_publishes_a_port(services: dict, haproxy: dict) -> None:
    lb = lb_service(services)
    published = {name for name, svc in services.items() if svc.get("ports")}
    assert published == {lb}
    (mapping,) = services[lb]["ports"]
    host, container = mapping.rsplit(":", 1)
    assert host.endswith("8080") or host.endswith("8080}")
    binds = [w[1] for w in haproxy["frontend public"] if w[0] == "bind"]
    assert any(b.rsplit(":", 1)[-1] == container for b in binds), f"haproxy binds {binds}, compose maps {container}"


def test_load_balancer_reaches_every_replica_by_service_name(services: dict, haproxy: dict) -> None:
    replicas = gateways(services)
    expected = {f"{name}:{gateway_port(svc)}" for name, svc in replicas.items()}
    found = backends(haproxy)
    assert found, "no backend in the load balancer config"
    for backend, lines in found.items():
        assert set(servers(lines)) == expected, f"backend {backend} does not list exactly the replicas"
        assert any(w[:2] == ["option", "httpchk"] for w in lines), f"backend {backend} does not health-check"
    lb = services[lb_service(services)]
    assert set(lb["depends_on"]) == set(replicas)
    assert all(dep["condition"] == "service_healthy" for dep in lb["depends_on"].values())


def test_socketio_sessions_are_sticky(haproxy: dict) -> None:
    frontend = haproxy["frontend public"]
    acls = {w[1]: w[2:] for w in frontend if w[0] == "acl"}
    socketio_acl = next(name for name, rule in acls.items() if rule == ["path_beg", "/socket.io/"])
    backend = next(w[1] for w in frontend if w[0] == "use_backend" and w[-1] == socketio_acl)
    lines = backends(haproxy)[backend]
    # Cookie for same-origin consoles; source hash for the widget, whose cross-origin polls carry no cookie.
    cookie = next(w for w in lines if w[0] == "cookie")
    assert "insert" in cookie
    tags = [words[words.index("cookie") + 1] for words in servers(lines).values()]
    assert len(tags) == len(set(tags)), "two replicas share a cookie value: the cookie cannot tell them apart"
    assert ["balance", "source"] in lines


def test_timeouts_fit_long_polling_and_websockets(haproxy: dict) -> None:
    # A long-polling GET is held up to the ping interval; an upgraded websocket runs on `timeout tunnel`.
    found = re.search(r"ping_interval=(\d+)", (ROOT / "gateway" / "sockets" / "server.py").read_text())
    ping_interval = int(found.group(1)) if found else 25
    assert timeout(haproxy, "server") > ping_interval
    assert timeout(haproxy, "client") > ping_interval
    assert timeout(haproxy, "tunnel") >= 600


def test_slow_and_idle_clients_are_cut_off_before_the_gateway_would(haproxy: dict) -> None:
    from gateway.config.schema import ServerConfig

    bound = ServerConfig().http_timeout_s
    assert timeout(haproxy, "http-request") <= bound, "a slow-headers client would hold a connection"
    assert timeout(haproxy, "http-keep-alive") <= bound


def test_a_stop_finishes_within_the_grace_period(services: dict) -> None:
    from gateway.config.schema import ServerConfig
    from gateway.shutdown import DISCONNECT_BOUND_S

    drain = ServerConfig().shutdown_timeout_s * 2 + DISCONNECT_BOUND_S  # handlers: wait, then cancel and wait
    for name, svc in gateways(services).items():
        assert seconds(svc["stop_grace_period"]) > drain, f"{name} is killed mid-drain"


def test_image_builds_front_ends_and_installs_the_package(services: dict) -> None:
    dockerfile = (ROOT / "deploy" / "Dockerfile").read_text()
    assert "npm run build" in dockerfile
    assert re.search(r"pip install \.(\s|$)", dockerfile)
    for name, svc in gateways(services).items():
        assert (ROOT / svc["build"]["context"] / svc["build"]["dockerfile"]).exists(), name
        assert str(gateway_port(svc)) in re.findall(r"EXPOSE (\d+)", dockerfile)


def test_image_install_carries_every_file_the_gateway_reads() -> None:
    # The image runs `pip install .` (not editable): a data file missing from package-data is
    # missing in the container, and e.g. the first visitor message fails on the absent Lua script.
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    patterns = [  # package-data patterns as paths from the repository root
        f"{package.replace('.', '/')}/{pattern}" if package not in ("", "*") else f"*/{pattern}"
        for package, globs in setuptools.get("package-data", {}).items()
        for pattern in globs
    ]
    missing = []
    for include in setuptools["packages"]["find"]["include"]:
        top = include.rstrip("*")
        for path in sorted((ROOT / top).rglob("*")):
            rel = path.relative_to(ROOT).as_posix()
            if not path.is_file() or path.suffix in (".py", ".pyc") or "__pycache__" in rel or rel.startswith("gateway/static/"):
                continue  # gateway/static/ is built by the front-end build; package-data covers it as a whole
            if not any(fnmatch.fnmatch(rel, pattern) for pattern in patterns):
                missing.append(rel)
    assert not missing, f"not installed by `pip install .`: {missing}"


@pytest.mark.skipif(shutil.which("haproxy") is None, reason="haproxy is not installed")
def test_haproxy_accepts_the_config(services: dict) -> None:
    path = lb_config_path(services[lb_service(services)])
    result = subprocess.run(["haproxy", "-c", "-f", str(path)], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
