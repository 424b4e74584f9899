"""Run `omnirelay serve` for the benchmark, optionally with orjson in Socket.IO or without uvloop.

The gateway's own start-up (gateway.cli) is used unchanged; these switches only let the bench
measure what orjson and uvloop are worth before anyone changes the gateway for them.

    python bench/serve_gateway.py --config bench.yaml --port 18080 [--orjson] [--no-uvloop] [--no-history]
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
# Python puts this script's folder first on sys.path, where bench/assist.py would shadow the assist package
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]


def orjson_shim() -> type:
    spec = importlib.util.spec_from_file_location("bench_bare_relay", HERE / "bare_relay.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.OrjsonShim


def report_gc_pauses() -> None:
    """Time every collection; a full one stops the event loop, so it lands in the latency tail."""
    import atexit
    import gc
    import json
    import time

    pauses: dict[int, list[float]] = {0: [], 1: [], 2: []}
    started = [0.0]

    def callback(phase: str, info: dict) -> None:
        if phase == "start":
            started[0] = time.perf_counter()
        else:
            pauses[info["generation"]].append(time.perf_counter() - started[0])

    def report() -> None:
        out = {}
        for gen, times in pauses.items():
            times.sort()
            out[f"gen{gen}"] = {
                "n": len(times), "total_ms": round(1000 * sum(times), 1),
                "max_ms": round(1000 * times[-1], 2) if times else None,
            }
        print(json.dumps({"gc_pauses": out}), file=sys.stderr, flush=True)

    gc.callbacks.append(callback)
    atexit.register(report)


def no_history() -> None:
    """create_app(database=None), as tests and tools start the gateway: no PostgreSQL, no archive consumer."""
    import gateway.app

    create_app = gateway.app.create_app

    def without_history(*args: object, **kwargs: object) -> object:
        kwargs["database"] = None
        return create_app(*args, **kwargs)  # type: ignore[arg-type]

    gateway.app.create_app = without_history  # type: ignore[assignment]  # gateway.cli imports it when serving


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--orjson", action="store_true", help="python-socketio and -engineio encode with orjson")
    parser.add_argument("--no-uvloop", action="store_true", help="the stock asyncio loop instead of uvloop")
    parser.add_argument("--gc-freeze", action="store_true", help="gc.freeze() the imported modules before serving")
    parser.add_argument("--gc-report", action="store_true", help="at exit, print the garbage collector's pauses (JSON, stderr)")
    parser.add_argument("--no-history", action="store_true",
                        help="no history database: nothing archived (bench/history.py's baseline; not a product switch)")
    args = parser.parse_args()
    if args.gc_report:
        report_gc_pauses()
    if args.orjson:
        import engineio.packet
        import socketio.packet

        # What AsyncServer(json=...) would do; the Redis manager picks it up from the packet class.
        socketio.packet.Packet.json = engineio.packet.Packet.json = orjson_shim()
    if args.no_uvloop:
        sys.modules["uvloop"] = None  # gateway.cli installs uvloop only when the import works

    if args.no_history:
        no_history()

    from gateway.cli import main as omnirelay

    if args.gc_freeze:  # what a gateway could do at start-up: later full collections skip all of this
        import gc

        import gateway.app  # noqa: F401  (everything the server imports, before freezing)

        gc.collect()
        gc.freeze()

    return omnirelay(["serve", "--config", args.config, "--host", "127.0.0.1", "--port", str(args.port)])


if __name__ == "__main__":
    sys.exit(main())
