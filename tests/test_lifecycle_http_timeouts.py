"""Slow and idle HTTP connections are cut off after server.http_timeout_s, and never hold up a stop."""

from __future__ import annotations

import asyncio
import signal

import pytest
from lifecycle_helpers import config_with, free_port, serve

pytestmark = pytest.mark.slow

BOUND_S = 2


@pytest.fixture
async def gateway(tmp_path):
    gw = serve(tmp_path / "var", free_port(), config=config_with(tmp_path, http_timeout_s=BOUND_S))
    try:
        await gw.healthy()
        yield gw
    finally:
        gw.kill()


async def _closed_within(reader: asyncio.StreamReader, seconds: float) -> bytes:
    """Everything the server sent until it closed the connection (fails if it does not in time)."""
    received = b""
    async with asyncio.timeout(seconds):
        while chunk := await reader.read(65536):
            received += chunk
    return received


async def test_half_a_request_line_is_closed_within_the_bound(gateway):
    reader, writer = await asyncio.open_connection("127.0.0.1", gateway.port)
    writer.write(b"GET /heal")
    await writer.drain()
    await asyncio.sleep(BOUND_S / 2)
    writer.write(b"thz HTTP/1.1\r\nHost: x\r\n")  # still dripping: does not buy more time
    await writer.drain()
    await _closed_within(reader, BOUND_S + 3)
    writer.close()


async def test_a_body_that_stops_half_way_gets_408_and_is_closed(gateway):
    reader, writer = await asyncio.open_connection("127.0.0.1", gateway.port)
    writer.write(
        b"POST /api/v1/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: 100\r\n\r\n{\"username\": "
    )
    await writer.drain()
    answer = await _closed_within(reader, BOUND_S + 3)
    assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
    assert b'"code": "request_timeout"' in answer
    writer.close()


async def test_an_idle_keep_alive_connection_is_closed(gateway):
    reader, writer = await asyncio.open_connection("127.0.0.1", gateway.port)
    writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    await writer.drain()
    answer = await _closed_within(reader, BOUND_S + 3)
    assert answer.startswith(b"HTTP/1.1 200")
    writer.close()


async def test_stalled_connections_do_not_hold_up_a_stop(gateway):
    stalled = []
    for request in (b"GET /heal", b"POST /api/v1/login HTTP/1.1\r\nHost: x\r\nContent-Length: 50\r\n\r\n{"):
        reader, writer = await asyncio.open_connection("127.0.0.1", gateway.port)
        writer.write(request)
        await writer.drain()
        stalled.append(writer)
    await asyncio.sleep(0.3)
    gateway.proc.send_signal(signal.SIGINT)
    assert await gateway.exited(BOUND_S + 5) == 0
    for writer in stalled:
        writer.close()
