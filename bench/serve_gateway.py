"""Run `omnirelay serve` for the benchmark, optionally with orjson in Socket.IO or without uvloop.

The gateway's own start-up (gateway.cli) is used unchanged; these switches only let the bench
measure what orjson and uvloop are worth before anyone changes the gateway for them.

    python bench/serve_gateway.py --config bench.yaml --port 18080 [--orjson] [--no-uvloop] [--no-history]

Diagnostics: `--dump-dir DIR` makes SIGUSR1 write, after a full collection, DIR/dump-<n>.json (RSS, the
size tracemalloc traces, live tracked objects by type, the tasks). With `--tracemalloc FRAMES` the first
SIGUSR1 also starts tracing (FRAMES deep; tracing the start-up would take minutes) and each later one
writes DIR/dump-<n>.tm, a snapshot (compare two with tracemalloc.Snapshot.load and compare_to). As
bench/connections.py starts this script itself, extra arguments may come in SERVE_GATEWAY_ARGS too.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shlex
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


def report_gc_pauses(count_objects: bool = False) -> None:
    """Time every collection; a full one stops the event loop, so it lands in the latency tail."""
    import atexit
    import gc
    import json
    import time

    pauses: dict[int, list[float]] = {0: [], 1: [], 2: []}
    started = [0.0]
    tracked = [0]

    def callback(phase: str, info: dict) -> None:
        if phase == "start":
            started[0] = time.perf_counter()
        else:
            pauses[info["generation"]].append(time.perf_counter() - started[0])
            if count_objects and info["generation"] == 2:  # what a full pass walked (frozen ones are skipped);
                tracked[0] = max(tracked[0], len(gc.get_objects(generation=2)))  # costs a pass of its own

    def report() -> None:
        out = {}
        for gen, times in pauses.items():
            times.sort()
            out[f"gen{gen}"] = {
                "n": len(times), "total_ms": round(1000 * sum(times), 1),
                "max_ms": round(1000 * times[-1], 2) if times else None,
            }
        out["gen2_objects_max"] = tracked[0]
        out["frozen"] = gc.get_freeze_count()
        print(json.dumps({"gc_pauses": out}), file=sys.stderr, flush=True)

    gc.callbacks.append(callback)
    atexit.register(report)


def dump_on_signal(folder: str, frames: int) -> None:
    """On SIGUSR1: what the process holds (see the docstring), for diffs between two moments of a bench."""
    import asyncio
    import collections
    import gc
    import json
    import signal
    import tracemalloc

    import psutil

    count = [0]

    def dump(*_: object) -> None:
        gc.collect()
        count[0] += 1
        path = Path(folder) / f"dump-{count[0]}"
        by_type = collections.Counter(type(o).__qualname__ for o in gc.get_objects())
        try:
            tasks = len(asyncio.all_tasks())
        except RuntimeError:
            tasks = -1
        out = {
            "rss": psutil.Process().memory_info().rss,
            "traced": tracemalloc.get_traced_memory()[0] if tracemalloc.is_tracing() else None,
            "tasks": tasks,
            "objects": dict(by_type.most_common(80)),
        }
        if tracemalloc.is_tracing():
            tracemalloc.take_snapshot().dump(f"{path}.tm")
        elif frames:
            tracemalloc.start(frames)
        Path(f"{path}.json").write_text(json.dumps(out, indent=1))
        print(f"serve_gateway: dumped {path}", file=sys.stderr, flush=True)

    os.makedirs(folder, exist_ok=True)
    signal.signal(signal.SIGUSR1, dump)


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
    parser.add_argument("--gc-objects", action="store_true",
                        help="with --gc-report: also the objects each full collection walked (listing them stops the loop too)")
    parser.add_argument("--gc-threshold", help="the gateway's gc.set_threshold(a, b, c), e.g. 700,10,10 (Python's default)")
    parser.add_argument("--dump-dir", help="SIGUSR1 writes what the process holds here (see the docstring)")
    parser.add_argument("--tracemalloc", type=int, metavar="FRAMES", help="with --dump-dir: trace allocations from the first SIGUSR1 on")
    args = parser.parse_args(sys.argv[1:] + shlex.split(os.environ.get("SERVE_GATEWAY_ARGS", "")))
    if args.dump_dir:
        dump_on_signal(args.dump_dir, args.tracemalloc or 0)
    if args.gc_threshold:  # instead of the gateway's own (gateway.cli.GC_THRESHOLDS), set once it serves
        import gateway.cli

        gateway.cli.GC_THRESHOLDS = tuple(int(x) for x in args.gc_threshold.split(","))  # type: ignore[assignment]
    if args.gc_report:
        report_gc_pauses(args.gc_objects)
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
