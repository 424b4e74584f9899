"""Ctrl-C on a gateway with clients: they hear it at once, it says what it does, and a second
`serve` on the same data dir waits for the first instead of failing with a traceback."""

from __future__ import annotations

import asyncio
import signal

import pytest
from lifecycle_helpers import free_port, serve, visitor

pytestmark = pytest.mark.slow


async def test_sigint_disconnects_clients_at_once_and_exits_cleanly(tmp_path):
    gw = serve(tmp_path / "var", free_port())
    try:
        await gw.healthy()
        client, _, gone = await visitor(gw.url, {"tenant": "demo", "name": "Kim", "topic": "billing", "language": "en"})
        ack = await client.call("message", {"text": "hi", "client_id": "c1"}, namespace="/visitor", timeout=5)
        assert ack.get("seq") == 1, ack

        gw.proc.send_signal(signal.SIGINT)
        await asyncio.wait_for(gone.wait(), 3)  # the page shows "reconnecting", not a dead "Connected"
        assert await gw.exited(10) == 0
        out = gw.output()
        assert "shutting down: closing 1 connection..." in out
        assert "omnirelay: stopped" in out
        assert "Traceback" not in out
    finally:
        gw.kill()


async def test_second_serve_waits_for_the_first_to_stop(tmp_path):
    data, port = tmp_path / "var", free_port()
    first = serve(data, port, name="first")
    second = None
    try:
        await first.healthy()
        second = serve(data, port, name="second")
        async with asyncio.timeout(20):
            while "waiting up to" not in second.output():
                assert second.proc.poll() is None, second.output()
                await asyncio.sleep(0.1)
        first.proc.send_signal(signal.SIGINT)
        assert await first.exited(10) == 0
        await second.healthy(timeout=20)  # took over the data dir and the port
        assert "Traceback" not in second.output()
        assert sum("another omnirelay is using" in line for line in second.output().splitlines()) == 1
    finally:
        first.kill()
        if second is not None:
            second.proc.send_signal(signal.SIGINT)
            try:
                await second.exited(10)
            finally:
                second.kill()


async def test_second_serve_that_cannot_start_says_why_in_one_line(tmp_path):
    data, port = tmp_path / "var", free_port()
    first = serve(data, port, name="first")
    try:
        await first.healthy()
        # same data dir is fine to wait for; the same port while the first keeps running is not
        other = serve(tmp_path / "other", port, name="second")
        assert await other.exited(20) == 1
        err = other.err.read_text()
        assert "Traceback" not in err
        assert "omnirelay serve: " in err and "another process listens on that address" in err
    finally:
        first.proc.send_signal(signal.SIGINT)
        try:
            await first.exited(10)
        finally:
            first.kill()
