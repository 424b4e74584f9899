"""Two `omnirelay serve` processes on one Redis: the one holding a delivery's lease is killed (-9)
while its receiver holds the request; the other sends that delivery after the lease ran out — never
while the first was alive — with the same X-Omnirelay-Delivery id, and nothing is lost or answered twice."""

from __future__ import annotations

import asyncio
import time

import pytest
from conftest import DEMO_CONFIG, eventually
from event_webhook_helpers import Admin, Receiver
from lifecycle_helpers import free_port, serve

pytestmark = [pytest.mark.slow, pytest.mark.timeout(120)]


async def test_a_killed_lease_holder_neither_loses_nor_doubles_a_delivery(tmp_path, redis, redis_url, database_url):
    config = tmp_path / "config.yaml"
    config.write_text(DEMO_CONFIG.read_text() + "\nevent_webhooks:\n  allow_private_targets: true\n  timeout_s: 3\n"
                      "  backoff_first_s: 0.2\n  backoff_max_s: 0.5\n  poll_s: 0.1\n  claim_idle_s: 2\n")
    env = {"REDIS_URL": redis_url, "DATABASE_URL": database_url, "OMNIRELAY_SECRET": "k9-test-secret-" + "x" * 32}
    data = tmp_path / "var"
    data.mkdir()
    receiver = await Receiver(hang=asyncio.Event()).start()
    first = serve(data, free_port(), config=config, name="first", env=env)
    second = None
    try:
        await first.healthy(timeout=60)
        admin = await Admin.login(first.url)
        sid, _ = await admin.subscribe(receiver.url, events=["message.created"])
        status, out = await admin.call("POST", f"/{sid}/test")
        assert status == 202
        held = out["delivery_id"]
        await eventually(lambda: receiver.got, timeout=10)
        assert receiver.got[0].headers["X-Omnirelay-Delivery"] == held  # the first process is sending it, held

        second = serve(data, free_port(), config=config, name="second", env=env)
        await second.healthy(timeout=60)
        await asyncio.sleep(1.0)
        more = [(await admin.call("POST", f"/{sid}/test"))[1]["delivery_id"] for _ in range(2)]

        first.kill()
        killed_at = time.time()
        await eventually(lambda: not receiver.in_flight.get(held), timeout=5)  # its connection closed with it
        receiver.hang.set()  # from now on the receiver answers at once
        await eventually(lambda: {r.headers["X-Omnirelay-Delivery"] for r in receiver.delivered()} >= {held, *more},
                         timeout=40)
        assert receiver.most_at_once == 1  # never two attempts of one delivery at once (the lease)
        answered_held = [r for r in receiver.delivered() if r.headers["X-Omnirelay-Delivery"] == held]
        assert len(answered_held) == 1 and answered_held[0].at >= killed_at  # by the survivor, after the kill
        answered = [r.headers["X-Omnirelay-Delivery"] for r in receiver.delivered()]
        assert sorted(answered) == sorted({held, *more})  # each acknowledged exactly once
        await asyncio.sleep(1.0)
        assert sorted(r.headers["X-Omnirelay-Delivery"] for r in receiver.delivered()) == sorted(answered)
    finally:
        first.kill()
        if second is not None:
            second.kill()
        await receiver.stop()
