"""Webhook ingest: signed Telegram deliveries accepted (verified and durably appended) by one gateway
process, next to a bare aiohttp handler that only answers 200, in the same run; and the time from a
delivery's 200 to the agent's offer under that load.

    .venv/bin/python bench/webhooks.py                 # about a minute
    .venv/bin/python bench/webhooks.py --seconds 5     # a quick look

Prints JSON lines: one per target and phase, then the comparison against the goals (≥ 50 % of the
bare handler's rate; p99 of the 200 ≤ 20 ms at 500 deliveries/s).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
import socketio
import yaml
from relay import PASSWORD, bench_config, free_port, stop, wait_healthy

HERE = Path(__file__).resolve().parent
SECRET = "bench-telegram-secret"
GOAL_RATIO = 0.5
GOAL_P99_MS = 20.0

BARE = '''
import sys
from aiohttp import web
async def hook(request):
    await request.read()
    return web.Response(text="ok")
app = web.Application()
app.router.add_post("/webhooks/telegram/telegram", hook)
app.router.add_get("/healthz", lambda r: web.json_response({"status": "ok"}))
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None)
'''


def config() -> dict:
    cfg = bench_config(agents=1, capacity=3)
    tenant = cfg["tenants"]["demo"]
    tenant["channels"]["telegram"] = {
        "type": "telegram", "topic": "bench", "language": "en", "secret": SECRET,
        "token": "000000:bench-token", "api_base": "http://127.0.0.1:9",  # never called: nobody replies
    }
    agent = tenant["agents"]["agent000"]
    agent["capacity"] = {"chat": 3, "messaging": 100_000}
    agent["auto_accept"] = False
    return cfg


def update(n: int, chat: int, name: str) -> bytes:
    return json.dumps({
        "update_id": n,
        "message": {
            "message_id": n, "date": int(time.time()), "text": f"hello {n}",
            "chat": {"id": chat, "type": "private", "first_name": name},
            "from": {"id": chat, "is_bot": False, "first_name": name, "language_code": "en"},
        },
    }).encode()


def pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    values = sorted(values)
    return round(values[min(len(values) - 1, int(q * len(values)))], 2)


class Load:
    """The load generator: signed deliveries from many concurrent senders."""

    def __init__(self, url: str, first_update: int) -> None:
        self.url = f"{url}/webhooks/telegram/telegram"
        self.n = first_update
        self.sent_at: dict[str, float] = {}  # customer name -> when its 200 came

    async def saturate(self, http: aiohttp.ClientSession, seconds: float, senders: int = 64) -> dict:
        ok, errors, times = 0, 0, []
        end = time.monotonic() + seconds

        async def sender() -> None:
            nonlocal ok, errors
            while time.monotonic() < end:
                self.n += 1
                body = update(self.n, 1000 + self.n % 50, "load")  # 50 chats: a handful of conversations
                t0 = time.perf_counter()
                async with http.post(self.url, data=body, headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}) as r:
                    await r.read()
                times.append(1000 * (time.perf_counter() - t0))
                ok, errors = (ok + 1, errors) if r.status == 200 else (ok, errors + 1)

        await asyncio.gather(*(sender() for _ in range(senders)))
        return {"phase": "saturation", "accepted_per_s": round(ok / seconds, 1), "errors": errors,
                "p50_ms": pct(times, 0.5), "p99_ms": pct(times, 0.99)}

    async def paced(self, http: aiohttp.ClientSession, seconds: float, rate: float, new_every: int = 50) -> dict:
        """``rate`` deliveries/s on a fixed schedule; every ``new_every``-th opens a new conversation."""
        times: list[float] = []
        errors = 0
        start = time.monotonic()
        tasks = []

        async def one(k: int) -> None:
            nonlocal errors
            self.n += 1
            name = f"c{self.n}" if k % new_every == 0 else "load"
            chat = 10_000_000 + self.n if k % new_every == 0 else 1000 + self.n % 50
            t0 = time.perf_counter()
            async with http.post(self.url, data=update(self.n, chat, name),
                                 headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}) as r:
                await r.read()
            times.append(1000 * (time.perf_counter() - t0))
            if r.status != 200:
                errors += 1
            elif name != "load":
                self.sent_at[name] = time.perf_counter()

        k = 0
        while time.monotonic() - start < seconds:
            due = start + k / rate
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            tasks.append(asyncio.create_task(one(k)))
            k += 1
        await asyncio.gather(*tasks)
        return {"phase": "paced", "offered_per_s": rate, "deliveries": k, "errors": errors,
                "p50_ms": pct(times, 0.5), "p99_ms": pct(times, 0.99)}


async def offers_listener(url: str, received: dict[str, float]) -> socketio.AsyncClient:
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{url}/api/v1/login", json={"username": "agent000", "password": PASSWORD}) as r:
            token = (await r.json())["token"]
    client = socketio.AsyncClient(reconnection=False)

    async def offer(data: dict) -> None:
        name = (data.get("contact") or {}).get("name", "")
        received.setdefault(name, time.perf_counter())
        await client.emit("accept", {"offer_id": data["offer_id"]}, namespace="/agent")

    client.on("offer", offer, namespace="/agent")
    await client.connect(url, namespaces=["/agent"], auth={"token": token}, transports=["websocket"])
    await client.call("state", {"state": "available"}, namespace="/agent")
    return client


async def measure(name: str, url: str, args: argparse.Namespace) -> list[dict]:
    received: dict[str, float] = {}
    listener = await offers_listener(url, received) if name == "gateway" else None
    load = Load(url, first_update=1)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=64)) as http:
        await load.paced(http, 2.0, args.rate)  # warm-up
        load.sent_at.clear()
        paced = await load.paced(http, args.seconds, args.rate)
        if listener is not None:  # every conversation opened at the paced rate reaches the agent
            for _ in range(300):  # at most 30 s
                if all(n in received for n in load.sent_at):
                    break
                await asyncio.sleep(0.1)
        saturation = await load.saturate(http, args.seconds)
    out = [{"target": name, **saturation}, {"target": name, **paced}]
    if listener is not None:
        waits = [1000 * (received[n] - t) for n, t in load.sent_at.items() if n in received]
        out.append({"target": name, "phase": "offer_after_200", "conversations": len(load.sent_at),
                    "offered": len(waits), "p50_ms": pct(waits, 0.5), "p99_ms": pct(waits, 0.99)})
        await listener.disconnect()
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--rate", type=float, default=500.0)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="omnirelay-bench-webhooks-"))
    (workdir / "bench.yaml").write_text(yaml.safe_dump(config()))
    (workdir / "bare.py").write_text(BARE)
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    env.update(OMNIRELAY_LOG_LEVEL="WARNING", OMNIRELAY_DATA_DIR=str(workdir / "var"))
    results: dict[str, list[dict]] = {}
    try:
        for name in ("bare", "gateway"):
            port = free_port()
            cmd = ([sys.executable, str(workdir / "bare.py"), str(port)] if name == "bare" else
                   [sys.executable, str(HERE / "serve_gateway.py"), "--config", str(workdir / "bench.yaml"), "--port", str(port)])
            with open(workdir / f"{name}.log", "w") as log:
                proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
            try:
                wait_healthy(f"http://127.0.0.1:{port}", proc)
                results[name] = asyncio.run(measure(name, f"http://127.0.0.1:{port}", args))
            finally:
                stop([proc])
            for line in results[name]:
                print(json.dumps(line), flush=True)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    bare, gw = results["bare"][0]["accepted_per_s"], results["gateway"][0]["accepted_per_s"]
    paced_p99 = results["gateway"][1]["p99_ms"]
    print(json.dumps({
        "comparison": "gateway vs bare aiohttp handler", "accepted_per_s": {"gateway": gw, "bare": bare},
        "ratio": round(gw / bare, 3) if bare else None, "goal_ratio": GOAL_RATIO,
        "ratio_met": bool(bare) and gw / bare >= GOAL_RATIO,
        "paced_p99_ms": paced_p99, "goal_p99_ms": GOAL_P99_MS,
        "p99_met": paced_p99 is not None and paced_p99 <= GOAL_P99_MS,
        "offer_after_200_p99_ms": results["gateway"][2]["p99_ms"],
    }), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
