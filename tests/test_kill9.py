"""Kill -9 the gateway (and its embedded Redis) mid-conversation: every acknowledged message survives."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest
import socketio
from ports import free_port

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


async def _start(data_dir: Path, port: int) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    env["OMNIRELAY_DATA_DIR"] = str(data_dir)
    with open(data_dir / "gateway.log", "ab") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "gateway", "serve", "--config", str(ROOT / "config" / "demo.yaml"), "--port", str(port)],
            env=env, cwd=ROOT, start_new_session=True, stdout=subprocess.DEVNULL, stderr=log,
        )
    async with aiohttp.ClientSession() as http:
        for _ in range(200):
            if proc.poll() is not None:
                raise AssertionError(f"gateway exited: {(data_dir / 'gateway.log').read_text()[-2000:]}")
            try:
                async with http.get(f"http://127.0.0.1:{port}/healthz") as r:
                    if r.status == 200:
                        return proc
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    proc.kill()
    raise AssertionError("gateway did not become healthy")


def _kill9(proc: subprocess.Popen) -> None:
    os.killpg(proc.pid, signal.SIGKILL)  # the gateway and the redis-server it started
    proc.wait()


async def _visitor(url: str, auth: dict) -> tuple[socketio.AsyncClient, dict]:
    client = socketio.AsyncClient(reconnection=False)
    session: asyncio.Future = asyncio.get_running_loop().create_future()
    client.on("session", lambda d: session.done() or session.set_result(d), namespace="/visitor")
    await client.connect(url, namespaces=["/visitor"], auth=auth, transports=["websocket"], wait_timeout=5)
    return client, await asyncio.wait_for(session, 5)


async def test_acknowledged_messages_survive_kill_9(tmp_path):
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = await _start(tmp_path, port)
    try:
        visitor, session = await _visitor(url, {"tenant": "demo", "name": "Kim", "topic": "billing", "language": "en"})
        token = session["visitor_token"]
        acked = []
        for i in range(18):  # the demo's per-visitor rate limit is 20 per 10 s: room for the two below
            ack = await visitor.call("message", {"text": f"message {i}", "client_id": f"k{i}"}, namespace="/visitor")
            acked.append(ack)
        await visitor.disconnect()
        _kill9(proc)

        proc = await _start(tmp_path, port)
        visitor, session = await _visitor(url, {"tenant": "demo", "visitor_token": token})
        assert session["conversation_id"] == acked[0]["conversation_id"]
        everything = await visitor.call("history", {"after_seq": 0}, namespace="/visitor")
        assert [(m["id"], m["seq"], m["text"]) for m in everything["messages"]] == [
            (a["id"], a["seq"], f"message {i}") for i, a in enumerate(acked)
        ]
        gap = await visitor.call("history", {"after_seq": 12}, namespace="/visitor")
        assert [m["seq"] for m in gap["messages"]] == list(range(13, 19))
        # the client that never saw its ack resends: nothing doubles
        again = await visitor.call("message", {"text": "message 17", "client_id": "k17"}, namespace="/visitor")
        assert again["id"] == acked[17]["id"] and again["seq"] == 18
        more = await visitor.call("message", {"text": "after restart", "client_id": "k18"}, namespace="/visitor")
        assert more["seq"] == 19
        await visitor.disconnect()
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                _kill9(proc)
