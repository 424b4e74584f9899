"""Run `omnirelay serve` for the benchmark, optionally with orjson in Socket.IO or without uvloop.

The gateway's own start-up (gateway.cli) is used unchanged; these switches only let the bench
measure what orjson and uvloop are worth before anyone changes the gateway for them.

    python bench/serve_gateway.py --config bench.yaml --port 18080 [--orjson] [--no-uvloop]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))


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
        from bare_relay import OrjsonShim

        # What AsyncServer(json=...) would do; the Redis manager picks it up from the packet class.
        socketio.packet.Packet.json = OrjsonShim
        engineio.packet.Packet.json = OrjsonShim
    if args.no_uvloop:
        sys.modules["uvloop"] = None  # gateway.cli installs uvloop only when the import works

    from gateway.cli import main as omnirelay

    return omnirelay(["serve", "--config", args.config, "--host", "127.0.0.1", "--port", str(args.port)])


if __name__ == "__main__":
    sys.exit(main())
