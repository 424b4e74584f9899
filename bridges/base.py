"""The contract every bridge fulfils: its spec, the Bridge protocol, health states and the error trio.

A bridge is mostly pure functions (verify, split, parse) plus one thin API client (send). The gateway
owns the route, the durable stream, the dedupe, the ordering and the retries, so a bridge never
touches Redis and imports nothing from ``gateway``.
"""

from __future__ import annotations

import builtins
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Generic, Protocol, TypeVar

from aiohttp import ClientSession

from bridges.events import Event


class Health(StrEnum):
    """What a channel's bridge can do right now, as shown in /healthz."""

    CONNECTING = "connecting"  # configured, nothing proven yet
    OK = "ok"
    AUTH_FAILED = "auth_failed"  # the platform refused our credentials: sending stops until fixed
    TRANSIENT_ERROR = "transient_error"  # the platform is slow or down: retrying with back-off
    DISABLED = "disabled"  # a required secret is missing: every webhook is rejected


class BridgeError(Exception):
    """Base of the errors a bridge raises; vendor errors are wrapped with ``raise … from err``."""


class NotReady(BridgeError):
    """Retry later: rate limited, a 5xx, a timeout. ``retry_after`` seconds, when the platform said."""

    def __init__(self, message: str = "not ready", retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class AuthFailed(BridgeError):
    """Our credentials are wrong (outbound), or a webhook's signature is (inbound)."""


class Fatal(BridgeError):
    """This one thing can never succeed (blocked by the user, message too long): drop it, say why.

    ``code`` is the platform's error code (e.g. "403", "131047"), ``reason`` its words for people."""

    def __init__(self, reason: str, code: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code


class WindowClosed(Fatal):
    """The platform's customer-service window is closed: free text cannot reach the customer now
    (WhatsApp 131047); a template, or another channel, can."""


class Malformed(BridgeError):
    """A verified webhook body the bridge cannot read (answered 400)."""


@dataclass(frozen=True, slots=True)
class OutboundFile:
    """A file the agent uploaded, sent as an upload (never as a public link)."""

    name: str
    mime: str
    data: bytes


@dataclass(frozen=True, slots=True)
class Template:
    """A pre-approved message (WhatsApp) for when the customer-service window is closed."""

    name: str
    language: str  # the platform's language code, e.g. "de", "en_US"


@dataclass(frozen=True, slots=True)
class Button:
    """One answer the customer can pick with a tap (inline button, reply button, quick reply).

    ``value`` comes back as a ``Choice`` event's value. ``kind="phone"`` asks for the customer's own
    number where the platform has a button for it (Telegram ``request_contact``, Messenger
    ``user_phone_number``); the number then comes back as a ``Contact`` (Telegram) or as a
    ``Choice`` whose value is the number (Messenger). A platform without one sends it as a reply button."""

    value: str
    label: str
    kind: str = "reply"  # reply | phone


@dataclass(frozen=True, slots=True)
class Outbound:
    """An agent's reply to send: ``thread`` is the platform's address of the conversation (a chat id)."""

    thread: str
    text: str
    client_id: str  # the agent's idempotency key; platforms that take one get it
    reply_to: str = ""  # platform message id this answers, when the platform threads replies
    files: tuple[OutboundFile, ...] = ()  # sent after (or, with a caption, instead of) the text
    tag: str = ""  # Messenger message tag, e.g. "HUMAN_AGENT" (the gateway decides when it applies)
    template: Template | None = None  # WhatsApp: send this template instead of free text
    phone: str = ""  # WhatsApp: the customer's number, when known (else ``thread`` is the BSUID)
    context: Mapping[str, Any] = field(default_factory=dict)  # what only this platform needs (email: subject,
    # our Message-ID, In-Reply-To, References, reply address, the quoted history …), composed by the gateway
    choices: tuple[Button, ...] = ()  # answers offered under the text, sent natively (or as numbered text)


def numbered(text: str, choices: tuple[Button, ...]) -> str:
    """The text with its choices as a numbered list: what a platform whose buttons cannot carry
    them shows instead (the customer answers with the number or the words)."""
    lines = [f"{i}. {c.label}" for i, c in enumerate(choices, 1)]
    return "\n\n".join(p for p in (text, "\n".join(lines)) if p)


@dataclass(frozen=True, slots=True)
class Media:
    """A file fetched from the platform (its bytes are the gateway's to store)."""

    data: bytes
    mime: str
    name: str = ""


@dataclass(frozen=True, slots=True)
class Rates:
    """How fast the platform lets us send: the gateway paces each chat and the whole channel."""

    per_chat_s: float = 0.0  # at least this many seconds between two sends to one chat (0 = no limit)
    per_channel_per_s: float = 0.0  # at most this many sends per second on the channel (0 = no limit)


@dataclass(frozen=True, slots=True)
class Sent:
    """What the platform answered to a send: its id for the message, and the raw answer."""

    message_id: str
    raw: Any = None


# One unit of a webhook body: (delivery id the platform repeats on retries, the unit to parse).
Delivery = tuple[str, Any]


class Bridge(Protocol):
    """One configured channel of a platform, built by its spec's factory."""

    def verify(self, headers: Mapping[str, str], body: bytes) -> None:
        """Raise AuthFailed unless the webhook is signed by the platform."""

    def handshake(self, query: Mapping[str, str], body: bytes) -> str | None:
        """The answer to a subscription handshake (Meta's hub.challenge, Slack's url_verification),
        or None when this request is not one. Raise AuthFailed for a handshake with a wrong token."""

    def deliveries(self, body: bytes) -> list[Delivery]:
        """Every entry of a (verified) batch, in order. Raise Malformed when unreadable."""

    def parse(self, unit: Any) -> list[Event]:
        """Canonical events of one delivery; an unknown payload type yields ``Unsupported``."""

    async def send(self, outbound: Outbound) -> Sent:
        """Send one reply; raise NotReady / AuthFailed / Fatal (WindowClosed)."""

    async def fetch(self, ref: str, max_bytes: int) -> Media:
        """Download a customer's file (``Attachment.ref``) with the channel's credentials; NotReady
        to retry, Fatal when it can never be had (gone, or larger than ``max_bytes``: say so)."""

    @property
    def health(self) -> Health:
        """The bridge's own view (a polling bridge knows more than the gateway does)."""


C = TypeVar("C")


@dataclass(frozen=True, slots=True)
class BridgeSpec(Generic[C]):
    """What the gateway needs to know about one platform, before any channel of it exists."""

    type: str  # the channel type in the config and in /webhooks/<type>/<channel>
    work_channel: str  # the ACD work channel its conversations are routed as
    identity_kind: str  # the verified identity kind its customers get (contacts)
    config: builtins.type[C]  # frozen dataclass; its fields are read from the channel's config by name
    factory: Callable[[C, ClientSession], Bridge]
    secrets: tuple[str, ...] = field(default=())  # config fields that must be set, or webhooks fail closed
    rates: Rates = field(default_factory=Rates)
    window_s: float | None = None  # free text only this long after the customer's last message (WhatsApp 24 h)
    tag_window_s: float | None = None  # with a message tag, up to this long (Messenger HUMAN_AGENT: 7 days)


class WebhookAdmin(Protocol):
    """A bridge whose webhook is set through the platform's API (Telegram), for ``omnirelay channels``."""

    async def register_webhook(self, url: str, secret: str) -> dict[str, Any]:
        """Point the platform at ``url`` (with ``secret`` as its signature token); the platform's answer."""

    async def webhook_info(self) -> dict[str, Any]:
        """What the platform says about the webhook: url, pending updates, last error."""


T = TypeVar("T")


class HealthTracker:
    """Keeps a bridge's ``health`` in step with what its platform answered to the last call
    (mixed into the bridges; ``_tracked`` wraps each platform call)."""

    _health: Health = Health.CONNECTING

    @property
    def health(self) -> Health:
        return self._health

    async def _tracked(self, call: Awaitable[T]) -> T:
        try:
            result = await call
        except AuthFailed:
            self._health = Health.AUTH_FAILED
            raise
        except NotReady:
            self._health = Health.TRANSIENT_ERROR
            raise
        except Fatal:
            self._health = Health.OK  # a refusal of this one request: the platform and our credentials work
            raise
        self._health = Health.OK
        return result
