"""The fields an ARI dialer channel reads from its config (names as in the gateway's channel config)."""

from __future__ import annotations

import base64
from dataclasses import dataclass

DEFAULT_BASE_URL = "http://127.0.0.1:8088"  # Asterisk's built-in HTTP server (http.conf), /ari below it


@dataclass(frozen=True, slots=True)
class AriConfig:
    url: str = DEFAULT_BASE_URL  # Asterisk's HTTP server, without the /ari suffix (the channel's `url`)
    username: str = ""  # an ARI user (ari.conf), sent as HTTP basic auth
    password: str = ""
    app: str = "omnirelay"  # the Stasis application our legs enter and whose events we hear
    # How a DialRequest's addresses become ARI endpoints; "{agent}" / "{number}" are filled in.
    # An agent endpoint that already names a technology ("PJSIP/anna") is used as it is.
    agent_endpoint: str = "PJSIP/{agent}"
    customer_endpoint: str = "PJSIP/{number}@trunk"
    caller_id: str = ""  # what the customer's phone shows (the business number); "" = the trunk's default
    agent_ring_s: int = 30  # how long the agent's phone rings before the attempt fails
    customer_ring_s: int = 45  # how long the customer's phone rings before it counts as no answer

    @property
    def authorization(self) -> str:
        """The HTTP basic auth header value (built here: aiohttp deprecates its BasicAuth helper)."""
        pair = f"{self.username}:{self.password}".encode()
        return f"Basic {base64.b64encode(pair).decode('ascii')}"

    @property
    def ari_url(self) -> str:
        return f"{self.url.rstrip('/')}/ari"

    def agent_address(self, agent: str) -> str:
        return agent if "/" in agent else self.agent_endpoint.format(agent=agent)

    def customer_address(self, number: str) -> str:
        return self.customer_endpoint.format(number=number)
