"""Run `omnirelay serve` for the benchmark, optionally with orjson in Socket.IO or without uvloop.

The gateway's own start-up (gateway.cli) is used unchanged; these switches only let the bench
measure what orjson and uvloop are worth before anyone changes the gateway for them.

    python bench/serve_gateway.py --config bench.yaml --port 18080 [--orjson] [--no-uvloop]
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
# Python puts this script's folder first on the import path, and bench/ holds scripts named like
# the project's packages (bench/acd.py): the gateway must import the real ones.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]


def orjson_shim() -> type:
    spec = importlib.util.spec_from_file_location("bench_bare_relay", HERE / "bare_relay.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.OrjsonShim


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--orjson", action="store_true", help="python-socketio and -engineio encode with orjson")
    parser.add_argument("--no-uvloop", action="store_true", help="the stock asyncio loop instead of uvloop")
    args = parser.parse_args()
    if args.orjson:
        import engineio.packet
        import socketio.packet

        # What AsyncServer(json=...) would do; the Redis manager picks it up from the packet class.
        socketio.packet.Packet.json = engineio.packet.Packet.json = orjson_shim()
    if args.no_uvloop:
        sys.modules["uvloop"] = None  # gateway.cli installs uvloop only when the import works

    from gateway.cli import main as omnirelay

    return omnirelay(["serve", "--config", args.config, "--host", "127.0.0.1", "--port", str(args.port)])


if __name__ == "__main__":
    sys.exit(main())
