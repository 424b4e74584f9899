"""Reading ARI events: which of our legs an event is about, and what Asterisk's dial statuses and
hang-up causes mean for a callback attempt (events shaped as Asterisk's ARI documents them)."""

from __future__ import annotations

import pytest

from bridges.ari.events import DIALSTATUS, Kind, Leg, Role, Step, status_of_cause, step_of
from bridges.dialer import DialStatus

pytestmark = pytest.mark.timeout(5)


def channel(channel_id: str, state: str = "Up") -> dict[str, object]:
    return {"id": channel_id, "name": "PJSIP/anna-00000001", "state": state, "caller": {"number": ""}}


def test_our_legs_are_read_from_the_channel_id_even_when_the_attempt_id_has_dashes():
    assert step_of({"type": "StasisStart", "args": ["agent", "+4930901820"],
                    "channel": channel("9f1c-2b-agent")}) == Step(Leg("9f1c-2b", Role.AGENT), Kind.ENTERED,
                                                                  args=("agent", "+4930901820"))
    assert step_of({"type": "Dial", "peer": channel("a1-customer", "Ringing"), "dialstatus": "busy"}) == Step(
        Leg("a1", Role.CUSTOMER), Kind.DIAL, dialstatus="BUSY")
    assert step_of({"type": "ChannelDestroyed", "cause": 17, "cause_txt": "User busy",
                    "channel": channel("a1-customer")}) == Step(Leg("a1", Role.CUSTOMER), Kind.DESTROYED,
                                                                cause=17, cause_txt="User busy")


@pytest.mark.parametrize("event", [
    {"type": "StasisStart", "args": [], "channel": channel("PJSIP/somebody-else")},  # a call that is not ours
    {"type": "StasisStart", "args": [], "channel": channel("1712345678.42")},  # Asterisk's own id
    {"type": "ChannelStateChange", "channel": channel("a1-agent", "Ringing")},  # only Up matters
    {"type": "ChannelVarset", "channel": channel("a1-agent")},
    {"type": "Dial", "caller": channel("a1-agent")},  # no peer
    {"type": "ApplicationReplaced", "application": "omnirelay"},
])
def test_everything_else_is_ignored(event):
    assert step_of(event) is None


def test_dial_statuses_map_to_outcomes():
    assert DIALSTATUS["BUSY"] is DialStatus.BUSY and DIALSTATUS["NOANSWER"] is DialStatus.NO_ANSWER
    assert DIALSTATUS["ANSWER"] is DialStatus.ANSWERED
    assert {DIALSTATUS[s] for s in ("CANCEL", "CONGESTION", "CHANUNAVAIL")} == {DialStatus.FAILED}


def test_hang_up_causes_of_an_unanswered_leg():
    assert status_of_cause(17) is DialStatus.BUSY
    assert status_of_cause(19) is DialStatus.NO_ANSWER and status_of_cause(18) is DialStatus.NO_ANSWER
    assert status_of_cause(1) is DialStatus.FAILED  # unallocated number: a wrong number, not a retry
