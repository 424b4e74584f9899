"""Agent replies out through the ordered outbox and the ``echo`` bridge, against a local stand-in for
the platform's API: in order, retried after retry_after, held on auth failure, dropped when fatal."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest
from echo import SPEC, TOKEN, echo_gateway, eventually, running_vendor

from bridges.registry import BRIDGES
from gateway import appkeys as K
from gateway.outbound import DeliveryReport, Outcome, backoff


@pytest.fixture(autouse=True)
def echo_registered(monkeypatch):
    monkeypatch.setitem(BRIDGES, "echo", SPEC)


@pytest.fixture
async def vendor():
    async with running_vendor() as fake:
        yield fake


class Reports(list):
    async def __call__(self, report: DeliveryReport) -> None:
        self.append(report)

    def outcomes(self) -> list[tuple[str, Outcome]]:
        return [(r.client_id, r.outcome) for r in self]


async def reply(gw, text: str, client_id: str, conversation: str = "conv1") -> None:
    await gw.app[K.OUTBOX].enqueue("demo", conversation, text, client_id, channel="echo", thread="c42",
                                   message_id=f"m-{client_id}")


async def test_replies_are_sent_in_order_once_each(redis, redis_url, vendor):
    reports = Reports()
    async with echo_gateway(redis_url, vendor.url, reporter=reports) as gw:
        for i in range(5):
            await reply(gw, f"answer {i}", f"a{i}")
        await reply(gw, "answer 4", "a4")  # the agent resent after a lost ack
        await eventually(lambda: len(reports) == 5)
        await asyncio.sleep(0.5)
    assert vendor.accepted() == [f"answer {i}" for i in range(5)]
    assert vendor.sent[0]["chat"] == "c42" and vendor.sent[0]["auth"] == f"Bearer {TOKEN}"
    assert reports.outcomes() == [(f"a{i}", Outcome.SENT) for i in range(5)]
    assert reports[0].message_id == "m-a0" and reports[0].platform_id == "p1"


async def test_not_ready_is_retried_after_retry_after_and_order_holds(redis, redis_url, vendor):
    vendor.script = [(429, {"description": "Too Many Requests: retry after 1", "retry_after": 1})]
    reports = Reports()
    async with echo_gateway(redis_url, vendor.url, reporter=reports) as gw:
        await reply(gw, "first", "a1")
        await reply(gw, "second", "a2")
        await eventually(lambda: len(reports) == 2, timeout=10)
        async with aiohttp.ClientSession() as http, http.get(f"{gw.url}/healthz") as r:
            assert (await r.json())["channels"]["echo"]["health"] == "ok"  # recovered with the send
    assert [s["text"] for s in vendor.sent] == ["first", "first", "second"]
    assert vendor.sent[1]["at"] - vendor.sent[0]["at"] >= 1.0
    assert reports.outcomes() == [("a1", Outcome.SENT), ("a2", Outcome.SENT)]


async def test_auth_failure_marks_the_channel_and_fails_its_queued_replies(redis, redis_url, vendor):
    vendor.script = [(401, {"description": "Unauthorized"})]
    reports = Reports()
    async with echo_gateway(redis_url, vendor.url, reporter=reports) as gw:
        await reply(gw, "first", "a1")
        await eventually(lambda: len(reports) == 1)
        await reply(gw, "second", "a2")
        await eventually(lambda: len(reports) == 2)
        async with aiohttp.ClientSession() as http, http.get(f"{gw.url}/healthz") as r:
            assert (await r.json())["channels"]["echo"] == {"type": "echo", "health": "auth_failed"}
    assert [s["text"] for s in vendor.sent] == ["first"]  # nothing more is tried on a refused token
    assert reports.outcomes() == [("a1", Outcome.FAILED), ("a2", Outcome.FAILED)]  # failed with the reason,
    assert all("credentials" in r.reason for r in reports)  # never waiting forever
    # a process starting (with fixed credentials) sends new replies; the failed ones are not resent
    reports.clear()
    async with echo_gateway(redis_url, vendor.url, reporter=reports) as gw:
        await reply(gw, "third", "a3")
        await eventually(lambda: len(reports) == 1)
    assert vendor.accepted() == ["third"]


async def test_a_fatal_refusal_drops_that_reply_and_the_next_goes(redis, redis_url, vendor):
    vendor.script = [(400, {"description": "Bad Request: message is too long"})]
    reports = Reports()
    async with echo_gateway(redis_url, vendor.url, reporter=reports) as gw:
        await reply(gw, "x" * 5000, "a1")
        await reply(gw, "short", "a2")
        await eventually(lambda: len(reports) == 2)
    assert reports.outcomes() == [("a1", Outcome.FAILED), ("a2", Outcome.SENT)]
    assert reports[0].reason == "Bad Request: message is too long"
    assert vendor.accepted() == ["short"]


def test_backoff_doubles_and_respects_retry_after():
    assert [backoff(n, None) for n in range(4)] == [1.0, 2.0, 4.0, 8.0]
    assert backoff(0, 14) == 14 and backoff(20, None) == 300.0


async def test_a_platform_call_that_hangs_holds_up_only_its_own_conversation(redis, redis_url, vendor):
    vendor.hang.add("stuck")  # this chat's sends never get an answer (until the HTTP client gives up)
    reports = Reports()
    async with echo_gateway(redis_url, vendor.url, reporter=reports) as gw:
        outbox = gw.app[K.OUTBOX]
        await outbox.enqueue("demo", "conv-stuck", "into the void", "s1", channel="echo", thread="stuck")
        await asyncio.sleep(0.5)  # its send is under way and hangs
        for i in range(3):  # other conversations of the tenant go out meanwhile
            await reply(gw, f"answer {i}", f"a{i}", conversation=f"conv{i}")
        await eventually(lambda: len(reports) == 3, timeout=5)
    assert sorted(reports.outcomes()) == [(f"a{i}", Outcome.SENT) for i in range(3)]  # (conversations in any order)
