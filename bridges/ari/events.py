"""ARI events → what happened to which leg of which attempt, and the dial statuses → DialStatus.

Pure functions: the dialer decides what to do, this only reads. Our legs carry deterministic
channel ids (``<attempt_id>-agent``, ``<attempt_id>-customer``), so every event names its attempt
without any state, and events of channels that are not ours are ignored.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from bridges.dialer import DialStatus


class Role(StrEnum):
    AGENT = "agent"
    CUSTOMER = "customer"


class Kind(StrEnum):
    ENTERED = "entered"  # StasisStart: an originated leg enters our app when it is answered
    UP = "up"  # ChannelStateChange to Up: answered (Asterisk sends it before StasisStart)
    DIAL = "dial"  # Dial: progress of ringing the leg (``dialstatus``)
    DESTROYED = "destroyed"  # ChannelDestroyed: the leg hung up, for whatever ``cause``


@dataclass(frozen=True, slots=True)
class Leg:
    attempt_id: str
    role: Role

    @property
    def channel_id(self) -> str:
        return f"{self.attempt_id}-{self.role}"


@dataclass(frozen=True, slots=True)
class Step:
    """One event about one of our legs."""

    leg: Leg
    kind: Kind
    dialstatus: str = ""  # Dial only: ANSWER, BUSY, NOANSWER, RINGING, … ("" while still dialling)
    cause: int = 0  # ChannelDestroyed only: the Q.850 cause code
    cause_txt: str = ""
    args: tuple[str, ...] = ()  # StasisStart only: the appArgs we originated the leg with


def leg_of(channel_id: str) -> Leg | None:
    """Our leg behind a channel id, or None for anybody else's channel."""
    attempt_id, _, role = channel_id.rpartition("-")
    if not attempt_id or role not in (Role.AGENT, Role.CUSTOMER):
        return None
    return Leg(attempt_id, Role(role))


def step_of(event: Mapping[str, Any]) -> Step | None:
    """The step an ARI event means for one of our legs; None when it concerns none of them."""
    kind = event.get("type")
    # Dial names the dialled channel ``peer`` (an originate has no ``caller``); the others ``channel``
    channel = event.get("peer") if kind == "Dial" else event.get("channel")
    if not isinstance(channel, Mapping):
        return None
    leg = leg_of(str(channel.get("id", "")))
    if leg is None:
        return None
    if kind == "StasisStart":
        return Step(leg, Kind.ENTERED, args=tuple(str(a) for a in event.get("args") or ()))
    if kind == "ChannelStateChange":
        return Step(leg, Kind.UP) if channel.get("state") == "Up" else None
    if kind == "Dial":
        return Step(leg, Kind.DIAL, dialstatus=str(event.get("dialstatus") or "").upper())
    if kind == "ChannelDestroyed":
        return Step(leg, Kind.DESTROYED, cause=_int(event.get("cause")), cause_txt=str(event.get("cause_txt") or ""))
    return None


# Dial's dialstatus: ANSWER is handled by the leg entering the app (only then can it be bridged);
# a leg that never rings through ends the attempt with the customer not reached.
DIALSTATUS = {
    "RINGING": DialStatus.RINGING,
    "ANSWER": DialStatus.ANSWERED,
    "BUSY": DialStatus.BUSY,
    "NOANSWER": DialStatus.NO_ANSWER,
    "CANCEL": DialStatus.FAILED,  # the dial was cancelled (the other leg hung up first)
    "CONGESTION": DialStatus.FAILED,  # the network could not route it: no circuit, a trunk down
    "CHANUNAVAIL": DialStatus.FAILED,  # the endpoint is unreachable or does not exist
}

# Q.850 causes of a leg that hung up before it was answered, when no Dial status said why
BUSY_CAUSES = {17}  # user busy
NO_ANSWER_CAUSES = {18, 19}  # no user responding, no answer from user (alerted)


def status_of_cause(cause: int) -> DialStatus:
    """What an unanswered leg's hang-up cause means for the attempt."""
    if cause in BUSY_CAUSES:
        return DialStatus.BUSY
    if cause in NO_ANSWER_CAUSES:
        return DialStatus.NO_ANSWER
    return DialStatus.FAILED


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0
