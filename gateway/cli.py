"""The `omnirelay` command: serve, check-config, hash-password, channels, db, contacts, assist, apikeys."""

from __future__ import annotations

import argparse
import errno
import gc
import getpass
import logging
import os
import sys
from pathlib import Path

from gateway import cli_apikeys, cli_assist, cli_channels, cli_contacts, cli_db
from gateway.config import ConfigError, load_config

log = logging.getLogger("omnirelay")
GC_THRESHOLDS = (5000, 10, 10)  # gc.set_threshold once serving (see started() in _serve)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="omnirelay", description="Real-time customer-service gateway with a blended ACD")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the gateway")
    serve.add_argument("--config", default=os.environ.get("OMNIRELAY_CONFIG"), help="config file (default $OMNIRELAY_CONFIG)")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    check = sub.add_parser("check-config", help="validate a config file; exit 1 listing each error with its line")
    check.add_argument("path")
    sub.add_parser("hash-password", help="print an argon2 hash for the config's password_hash")
    cli_channels.add_parser(sub)
    cli_db.add_parser(sub)
    cli_contacts.add_parser(sub)
    cli_assist.add_parser(sub)
    cli_apikeys.add_parser(sub)
    args = parser.parse_args(argv)

    if args.command == "db":
        return cli_db.run(args)
    if args.command == "contacts":
        return cli_contacts.run(args)
    if args.command == "assist":
        return cli_assist.run(args)
    if args.command == "apikeys":
        return cli_apikeys.run(args)

    if args.command == "channels":
        return cli_channels.run(args, os.environ.get("OMNIRELAY_CONFIG"))

    if args.command == "check-config":
        try:
            load_config(args.path)
        except ConfigError as err:
            for line in err.lines():
                print(line)
            return 1
        print(f"{args.path}: ok")
        return 0
    if args.command == "hash-password":
        from gateway.auth import hash_password

        password = sys.stdin.readline().rstrip("\n") if not sys.stdin.isatty() else getpass.getpass("password: ")
        print(hash_password(password))
        return 0
    return _serve(args)


def _serve(args: argparse.Namespace) -> int:
    from aiohttp import web
    from aiohttp.web_app import CleanupError

    from gateway.app import create_app
    from gateway.demo_secret import resolve_secret
    from gateway.embedded_redis import EmbeddedRedisError
    from gateway.history.service import EMBEDDED, HistoryError
    from gateway.logs import setup_logging

    setup_logging(os.environ.get("OMNIRELAY_LOG_LEVEL", "INFO"))
    if not args.config:
        print("omnirelay serve: no config (use --config PATH or set OMNIRELAY_CONFIG)", file=sys.stderr)
        return 2
    try:
        config = load_config(args.config)
    except ConfigError as err:
        for line in err.lines():
            print(line, file=sys.stderr)
        return 1
    host = args.host or config.server.host
    port = args.port or config.server.port
    redis_url = os.environ.get("REDIS_URL") or None
    data_dir = Path(os.environ.get("OMNIRELAY_DATA_DIR", "var")).resolve()
    try:
        config.server.secret_key, note = resolve_secret(
            config.server.secret_key, host=host, data_dir=None if redis_url else data_dir
        )
    except (ValueError, OSError) as err:  # DemoSecretRefused, or an unreadable data dir
        return _fail(err)
    if note:
        print(f"omnirelay: {note}", flush=True)
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    database = os.environ.get("DATABASE_URL") or EMBEDDED
    try:
        app = create_app(config, redis_url=redis_url, data_dir=data_dir, database=database)
    except ValueError as err:  # e.g. OMNIRELAY_DURABILITY that cannot be kept (gateway/durability.py)
        return _fail(err)
    base = config.server.public_url or f"http://{host}:{port}"
    banner = [
        f"omnirelay listening on {base}",
        f"  demo page (visitor widget): {base}/demo",
        f"  agent console:              {base}/agent",
        f"  supervisor dashboard:       {base}/supervisor",
        "  redis: " + ("REDIS_URL" if redis_url else f"embedded, data in {os.environ.get('OMNIRELAY_DATA_DIR', 'var')}/"),
        "  history database: " + ("DATABASE_URL" if database != EMBEDDED
                                  else f"embedded PostgreSQL, data in {os.environ.get('OMNIRELAY_DATA_DIR', 'var')}/postgres/"),
    ]
    if any("argon2" in a.password_hash for t in config.tenants.values() for a in t.agents.values()) and "demo" in config.tenants:
        banner.append("  demo logins: anna/anna-demo, ben/ben-demo, clara/clara-demo (agents), sam/sam-demo (supervisor)")
    def started(_: str) -> None:
        print("\n".join(banner), flush=True)
        # everything loaded at start-up lives forever: keep it out of the collector's full passes
        gc.freeze()
        # A young generation of 5,000 instead of 700: what a message handler allocates dies before the
        # collector looks, instead of being promoted while its await is pending. Promotions are what
        # start full collections (every 25 % of the heap promoted), and a full pass over the objects
        # of thousands of open sockets stops the loop for hundreds of milliseconds (bench/relay.py
        # reports the pauses: at 2,000 conversations 33 full passes in a run with the default, 1 with this).
        gc.set_threshold(*GC_THRESHOLDS)

    try:
        web.run_app(
            app, host=host, port=port, print=started, access_log=None,
            # a request line and headers must arrive within this (aiohttp counts it from the
            # connection's start or its last response), and an idle keep-alive closes after it
            keepalive_timeout=config.server.http_timeout_s,
            shutdown_timeout=config.server.shutdown_timeout_s,
            backlog=config.server.listen_backlog,  # a reconnect storm's handshakes wait here, not time out
        )
    except CleanupError as err:  # several teardown steps failed: report the embedded Redis' one
        return _fail(next((e for e in err.exceptions if isinstance(e, EmbeddedRedisError)), err))
    except (EmbeddedRedisError, HistoryError, OSError) as err:
        return _fail(err)
    print("omnirelay: stopped", flush=True)
    return 0


def _fail(err: BaseException) -> int:
    """One line on stderr instead of a traceback; exit status 1."""
    message = str(err)
    if isinstance(err, OSError) and err.errno == errno.EADDRINUSE:
        message = f"{err.strerror}: another process listens on that address (stop it or use --port)"
    print(f"omnirelay serve: {message}", file=sys.stderr, flush=True)
    return 1


if __name__ == "__main__":
    sys.exit(main())
