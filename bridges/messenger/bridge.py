"""The Messenger channel's Bridge: webhook checks and parsing from ``inbound``, sends and downloads
through ``client``, and the health the last platform answer showed."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

from aiohttp import ClientSession

from bridges.base import AuthFailed, Delivery, Fatal, Health, Media, NotReady, Outbound, Sent, WindowClosed
from bridges.events import Event
from bridges.messenger import inbound
from bridges.messenger.client import GraphClient
from bridges.messenger.config import MessengerConfig

HUMAN_AGENT = "HUMAN_AGENT"
_PROGRESS_KEPT = 1024  # replies whose partly-sent parts we remember (a retry resumes, not repeats)


class MessengerBridge:
    """One Facebook Page's Messenger channel (the customer's PSID is both identity and thread)."""

    def __init__(self, config: MessengerConfig, http: ClientSession) -> None:
        self.config = config
        self.client = GraphClient(http, config.graph, config.token)
        self._health = Health.CONNECTING
        # client_id -> message ids of the parts (text, files) already accepted: the Send API takes one
        # part per call and has no idempotency key, so a retry after a failed second part must not
        # send the first again. In memory: a retry in another process may repeat a part.
        self._progress: OrderedDict[str, list[Sent]] = OrderedDict()

    def verify(self, headers: Mapping[str, str], body: bytes) -> None:
        inbound.check_signature(headers, body, self.config.app_secret)

    def handshake(self, query: Mapping[str, str], body: bytes) -> str | None:
        return inbound.challenge(query, self.config.verify_token)

    def deliveries(self, body: bytes) -> list[Delivery]:
        return inbound.split(body)

    def parse(self, unit: Any) -> list[Event]:
        return inbound.parse(unit)

    async def send(self, outbound: Outbound) -> Sent:
        """The text, then each file as its own upload; the last part's id stands for the reply."""
        if outbound.tag == HUMAN_AGENT and not self.config.human_agent_tag:
            # Meta would refuse it, and counts such refusals against the page
            raise WindowClosed("the 24-hour window is closed and this page has no HUMAN_AGENT permission")
        done = self._progress.setdefault(outbound.client_id, [])
        self._progress.move_to_end(outbound.client_id)
        while len(self._progress) > _PROGRESS_KEPT:
            self._progress.popitem(last=False)
        parts = ([None] if outbound.text or outbound.choices or not outbound.files else []) + list(outbound.files)
        try:
            for part in parts[len(done):]:
                if part is None:
                    done.append(await self.client.send_text(outbound.thread, outbound.text, outbound.tag,
                                                             outbound.choices))
                else:
                    done.append(await self.client.send_file(outbound.thread, part, outbound.tag))
        except AuthFailed:
            self._health = Health.AUTH_FAILED
            raise
        except NotReady:
            self._health = Health.TRANSIENT_ERROR
            raise
        except Fatal:
            self._progress.pop(outbound.client_id, None)  # dropped by the gateway: nothing to resume
            raise
        self._progress.pop(outbound.client_id, None)
        self._health = Health.OK
        return Sent(message_id=done[-1].message_id, raw=done[-1].raw if len(done) == 1 else [s.raw for s in done])

    async def fetch(self, ref: str, max_bytes: int) -> Media:
        return await self.client.fetch(ref, max_bytes)

    @property
    def health(self) -> Health:
        return self._health
