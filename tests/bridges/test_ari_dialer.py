"""The ARI dialer end to end against the local Asterisk stand-in: agent first, the customer when the
agent answers, both in one mixing bridge, and every way a call ends reported through on_outcome."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from ari_standin import PASSWORD, USER, FakeAri

from bridges.ari import ARI_DIALER, AriConfig, AriDialer
from bridges.base import Health, NotReady
from bridges.dialer import DialOutcome, DialRequest, DialStatus

pytestmark = pytest.mark.timeout(20)

NUMBER = "+4930901820"
REQUEST = DialRequest(callback_id="cb1", attempt_id="att1", agent_endpoint="anna", customer_number=NUMBER,
                      conversation_url="http://127.0.0.1:8080/agent#c1")
AGENT, CUSTOMER = "att1-agent", "att1-customer"


async def until(condition: Callable[[], bool], what: str) -> None:
    for _ in range(200):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"never happened: {what}")


@pytest.fixture
async def ari():
    fake = FakeAri()
    server = TestServer(fake.app, host="127.0.0.1", port=0)
    await server.start_server()
    fake.url = str(server.make_url("")).rstrip("/")
    yield fake
    await server.close()


class Phone:
    """The gateway's side: a started dialer and the outcomes it reported."""

    def __init__(self, ari: FakeAri, http: aiohttp.ClientSession, password: str = PASSWORD) -> None:
        self.outcomes: list[DialOutcome] = []
        config = AriConfig(url=ari.url, username=USER, password=password, caller_id="+4930555")
        self.dialer = AriDialer(config, http, self._heard, first_backoff_s=0.05)

    async def _heard(self, outcome: DialOutcome) -> None:
        self.outcomes.append(outcome)

    def statuses(self) -> list[DialStatus]:
        return [o.status for o in self.outcomes]


@pytest.fixture
async def phone(ari):
    async with aiohttp.ClientSession() as http:
        p = Phone(ari, http)
        await p.dialer.start()
        await asyncio.wait_for(p.dialer.listener.connected.wait(), 5)
        yield p
        await p.dialer.close()


def test_the_gateway_builds_it_as_the_ari_dialer_type():
    assert (ARI_DIALER.type, ARI_DIALER.config, ARI_DIALER.factory) == ("ari", AriConfig, AriDialer)


async def test_agent_first_then_customer_bridged_then_completed(ari, phone):
    await phone.dialer.dial(REQUEST)
    [agent_leg] = ari.originated()
    assert (agent_leg["channelId"], agent_leg["endpoint"], agent_leg["appArgs"]) == (AGENT, "PJSIP/anna",
                                                                                   f"agent,{NUMBER}")
    assert list(ari.channels) == [AGENT]  # the customer's phone stays quiet until the agent is there

    await ari.answer(AGENT)
    await until(lambda: CUSTOMER in ari.channels, "the customer's leg is originated")
    customer_leg = ari.originated()[1]
    assert (customer_leg["endpoint"], customer_leg["callerId"]) == (f"PJSIP/{NUMBER}@trunk", "+4930555")
    await ari.ring(CUSTOMER)
    await ari.answer(CUSTOMER)
    await until(lambda: DialStatus.ANSWERED in phone.statuses(), "answered")
    assert ari.bridges == {"att1": [AGENT, CUSTOMER]}  # they hear each other

    await ari.hang_up(CUSTOMER)
    await until(lambda: DialStatus.COMPLETED in phone.statuses(), "completed")
    await until(lambda: AGENT not in ari.channels, "the agent's leg is hung up too")
    assert phone.statuses() == [DialStatus.RINGING, DialStatus.ANSWERED, DialStatus.COMPLETED]
    assert ari.destroyed_bridges == ["att1"]


async def test_a_repeated_attempt_is_not_dialled_twice(ari, phone):
    await phone.dialer.dial(REQUEST)
    await phone.dialer.dial(REQUEST)  # the gateway retried after a lost answer, say
    assert [q["channelId"] for q in ari.originated()] == [AGENT, AGENT]
    assert list(ari.channels) == [AGENT]  # Asterisk refused the second with 409: one call only
    assert phone.outcomes == []


async def test_a_busy_customer_is_reported_busy_once_and_the_agent_released(ari, phone):
    await phone.dialer.dial(REQUEST)
    await ari.answer(AGENT)
    await until(lambda: CUSTOMER in ari.channels, "the customer's leg is originated")
    await ari.refuse(CUSTOMER, "BUSY", cause=17, cause_txt="User busy")
    await until(lambda: AGENT not in ari.channels, "the agent's leg is hung up")
    await asyncio.sleep(0.05)  # the agent leg's ChannelDestroyed arrives too: it must change nothing
    assert phone.outcomes == [DialOutcome("att1", DialStatus.BUSY, "BUSY")]
    assert ari.bridges == {}


async def test_a_customer_who_does_not_pick_up_is_no_answer(ari, phone):
    await phone.dialer.dial(REQUEST)
    await ari.answer(AGENT)
    await until(lambda: CUSTOMER in ari.channels, "the customer's leg is originated")
    await ari.ring(CUSTOMER)
    await ari.refuse(CUSTOMER, "NOANSWER", cause=19, cause_txt="No answer")
    await until(lambda: DialStatus.NO_ANSWER in phone.statuses(), "no answer")
    assert phone.statuses() == [DialStatus.RINGING, DialStatus.NO_ANSWER]


async def test_an_agent_who_does_not_answer_fails_the_attempt_without_ringing_the_customer(ari, phone):
    await phone.dialer.dial(REQUEST)
    await ari.refuse(AGENT, "NOANSWER", cause=19, cause_txt="No answer")
    await until(lambda: phone.outcomes, "an outcome")
    assert phone.outcomes == [DialOutcome("att1", DialStatus.FAILED, "agent: NOANSWER")]
    assert len(ari.originated()) == 1


async def test_the_customer_leg_refused_by_asterisk_fails_and_frees_the_agent(ari, phone):
    await phone.dialer.dial(REQUEST)
    ari.script["originate"].append((400, {"message": "Allocation failed"}, {}))
    await ari.answer(AGENT)
    await until(lambda: phone.outcomes, "an outcome")
    [outcome] = phone.outcomes
    assert outcome.status is DialStatus.FAILED and "Allocation failed" in outcome.reason
    await until(lambda: AGENT not in ari.channels, "the agent's leg is hung up")


async def test_the_agent_hanging_up_ends_an_answered_call_as_completed(ari, phone):
    await phone.dialer.dial(REQUEST)
    await ari.answer(AGENT)
    await until(lambda: CUSTOMER in ari.channels, "the customer's leg is originated")
    await ari.answer(CUSTOMER)
    await until(lambda: DialStatus.ANSWERED in phone.statuses(), "answered")
    await ari.hang_up(AGENT)
    await until(lambda: CUSTOMER not in ari.channels, "the customer's leg is hung up")
    assert phone.statuses() == [DialStatus.ANSWERED, DialStatus.COMPLETED]


async def test_the_events_socket_reconnects_and_calls_are_followed_again(ari, phone):
    await ari.drop_sockets()
    await until(lambda: not phone.dialer.listener.connected.is_set(), "the dialer notices")
    await asyncio.wait_for(phone.dialer.listener.connected.wait(), 5)
    assert phone.dialer.listener.connections == 2
    await phone.dialer.dial(REQUEST)
    await ari.answer(AGENT)
    await until(lambda: CUSTOMER in ari.channels, "the call goes on after the reconnect")


async def test_a_dialer_that_cannot_hear_events_refuses_to_dial(ari):
    async with aiohttp.ClientSession() as http:
        p = Phone(ari, http, password="wrong")
        await p.dialer.start()
        try:
            await until(lambda: p.dialer.health is Health.AUTH_FAILED, "auth failed shows")
            with pytest.raises(NotReady, match="not connected"):
                await p.dialer.dial(REQUEST)
            assert ari.channels == {}  # nobody's phone rang for a call we could not follow
        finally:
            await p.dialer.close()
