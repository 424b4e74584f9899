"""The canonical events every bridge's parse yields: one small vocabulary for all platforms.

Each keeps ``raw`` (the platform's own payload for that event) for debugging and for the details
no canonical field holds. Ids are strings whatever the platform uses.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True, kw_only=True)
class Customer:
    """Who wrote, as the platform vouches for them (``id`` becomes a verified identity)."""

    id: str
    name: str = ""
    username: str = ""
    language: str = ""  # the platform's hint (e.g. Telegram's language_code), "" when none
    phone: str = ""  # only when the platform verified it (WhatsApp's wa_id)
    raw: Any = None


@dataclass(frozen=True, slots=True, kw_only=True)
class _FromCustomer:
    """Fields shared by everything a customer does in a conversation."""

    customer: Customer
    thread: str  # the platform's address of the conversation (chat id, phone, PSID); replies go here
    message_id: str  # the platform's id of this message or event
    ts: float = 0.0  # when the platform says it happened (epoch s); 0 = unknown
    details: Mapping[str, Any] = field(default_factory=dict)  # what only this platform has (email: subject, …)
    raw: Any = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Attachment(_FromCustomer):
    """A file, picture, voice note, video or sticker (``ref`` is a URL or the platform's file id)."""

    kind: str  # image | audio | video | file | sticker
    ref: str
    mime: str = ""
    name: str = ""
    size: int = 0
    caption: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Message(_FromCustomer):
    """A text from the customer, possibly answering one of their earlier messages."""

    text: str
    reply_to: str = ""
    attachments: tuple[Attachment, ...] = field(default=())


@dataclass(frozen=True, slots=True, kw_only=True)
class Location(_FromCustomer):
    latitude: float
    longitude: float
    name: str = ""
    address: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Contact(_FromCustomer):
    """A contact card the customer shared (a claim about someone, never a verified identity)."""

    name: str
    phone: str = ""
    user_id: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Reaction(_FromCustomer):
    """An emoji on a message (``target``); "" means the reaction was taken back."""

    target: str
    emoji: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Edit(_FromCustomer):
    """The customer changed an earlier message (``target``) to ``text``."""

    target: str
    text: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Choice(_FromCustomer):
    """A button, quick reply or list item the customer picked: ``value`` is its payload."""

    value: str
    label: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class DeliveryStatus:
    """What became of a message we sent (``message_id`` is the platform's id from ``Sent``)."""

    thread: str
    message_id: str
    status: str  # sent | delivered | read | failed
    reason: str = ""
    ts: float = 0.0
    raw: Any = None


@dataclass(frozen=True, slots=True, kw_only=True)
class _FromAgent:
    """Fields shared by everything an agent does on a platform that is an agent surface (Slack):
    ``author`` is the platform's user id (never trusted as an agent until the gateway's link says so),
    ``place`` the platform's room holding the thread (a Slack channel id)."""

    thread: str
    message_id: str  # this event's own id (two edits are two events)
    author: str = ""
    place: str = ""
    ts: float = 0.0
    raw: Any = None


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentReply(_FromAgent):
    """An agent answered from the platform itself (Slack): to be posted into ``thread``'s conversation;
    ``broadcast`` a reply also shown in the room (Slack's thread_broadcast)."""

    text: str
    broadcast: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentEdit(_FromAgent):
    """An agent changed the text of an earlier reply (``target``, the platform's id of it)."""

    target: str
    text: str
    previous: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentDelete(_FromAgent):
    """An agent deleted an earlier reply (``target``)."""

    target: str


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentAction(_FromAgent):
    """An agent pressed a button (or picked an option) the gateway put on the platform: ``action`` is
    its name (claim, transfer, close), ``value`` what it carries (a conversation id, a queue)."""

    action: str
    value: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Unsupported:
    """A payload type no canonical event holds: acknowledged, never an error. When a customer sent
    it (``customer`` set), the agent sees "unsupported message type: <kind>" in the conversation."""

    kind: str
    customer: Customer | None = None
    thread: str = ""
    message_id: str = ""
    ts: float = 0.0
    raw: Any = None


Event = (Message | Attachment | Location | Contact | Reaction | Edit | Choice | DeliveryStatus | AgentReply | AgentEdit
         | AgentDelete | AgentAction | Unsupported)
