"""kill -9 only the embedded redis-server under a running gateway: it comes back by itself."""

from __future__ import annotations

import asyncio
import os
import signal

import pytest
from lifecycle_helpers import free_port, serve, visitor

from gateway.embedded_redis import redis_server_binary

pytestmark = pytest.mark.slow


async def test_gateway_recovers_when_its_embedded_redis_is_killed(tmp_path):
    data = tmp_path / "var"
    gw = serve(data, free_port())
    try:
        await gw.healthy()
        client, session, _ = await visitor(gw.url, {"tenant": "demo", "name": "Kim", "topic": "billing", "language": "en"})
        ack = await client.call("message", {"text": "before the crash", "client_id": "c1"}, namespace="/visitor", timeout=5)
        await client.disconnect()

        redis_pid = int((data / "redis.pid").read_text())
        os.kill(redis_pid, signal.SIGKILL)
        await asyncio.sleep(0.5)
        assert gw.proc.poll() is None, "the gateway died with its redis-server"
        await gw.healthy(timeout=20)
        assert int((data / "redis.pid").read_text()) != redis_pid

        # the acknowledged message is still there, the same visitor resumes its conversation
        client, again, _ = await visitor(gw.url, {"tenant": "demo", "visitor_token": session["visitor_token"]})
        assert again["conversation_id"] == ack["conversation_id"]
        history = await client.call("history", {"after_seq": 0}, namespace="/visitor", timeout=5)
        assert [(m["id"], m["text"]) for m in history["messages"]] == [(ack["id"], "before the crash")]
        await client.disconnect()

        # and a new visitor can connect and write
        newcomer, _, _ = await visitor(gw.url, {"tenant": "demo", "name": "Lou", "topic": "tech", "language": "en"})
        first = await newcomer.call("message", {"text": "hello after", "client_id": "n1"}, namespace="/visitor", timeout=5)
        assert first.get("seq") == 1, first
        await newcomer.disconnect()
        assert await gw.said("embedded redis-server restarted"), gw.output()[-2000:]
    finally:
        gw.proc.send_signal(signal.SIGTERM)
        try:
            await gw.exited(15)
        finally:
            gw.kill()


async def test_gateway_exits_non_zero_when_redis_cannot_be_restarted(tmp_path):
    # a redis-server that starts once, and fails every time after that
    real = redis_server_binary()
    wrapper = tmp_path / "redis-once"
    wrapper.write_text(f'#!/bin/sh\n[ -e "{tmp_path}/started" ] && exit 1\ntouch "{tmp_path}/started"\nexec "{real}" "$@"\n')
    wrapper.chmod(0o755)
    data = tmp_path / "var"
    gw = serve(data, free_port(), env={"OMNIRELAY_REDIS_SERVER": str(wrapper)})
    try:
        await gw.healthy()
        os.kill(int((data / "redis.pid").read_text()), signal.SIGKILL)
        assert await gw.exited(60) == 1  # five restarts after 0.5 + 1 + 2 + 4 + 8 s, then out
        err = gw.err.read_text()
        assert err.count("embedded redis-server restart failed") == 5
        last = err.strip().splitlines()[-1]
        assert last.startswith("omnirelay serve: the embedded redis-server in ") and "5 restarts failed" in last
        # (the outage's logged errors carry tracebacks inside their JSON lines; none is dumped raw)
        assert not any(line.startswith("Traceback") for line in err.splitlines())
    finally:
        gw.kill()
