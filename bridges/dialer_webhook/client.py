"""The webhook dialer: one signed JSON POST per attempt; the phone system dedupes on ``attempt_id``.

Answers: 2xx taken (409 too: the system already has this attempt, so it is not dialled again);
429 and 5xx and timeouts are NotReady (with Retry-After when sent); 401/403 AuthFailed; any other
4xx Fatal with the system's words.
"""

from __future__ import annotations

import json

import aiohttp
from aiohttp import ClientSession

from bridges.base import AuthFailed, Fatal, NotReady
from bridges.dialer import DialRequest, OnOutcome
from bridges.dialer_webhook.config import WebhookDialerConfig
from bridges.dialer_webhook.signature import HEADER, sign

TIMEOUT_S = 10.0


def _retry_after(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None  # an HTTP date: the caller's own back-off applies


class WebhookDialer:
    def __init__(self, config: WebhookDialerConfig, http: ClientSession, on_outcome: OnOutcome) -> None:
        self.config = config
        self.http = http
        self.on_outcome = on_outcome  # reports arrive on the gateway's route, which calls this

    async def dial(self, request: DialRequest) -> None:
        body = json.dumps({
            "callback_id": request.callback_id, "attempt_id": request.attempt_id,
            "agent_endpoint": request.agent_endpoint, "customer_number": request.customer_number,
            "conversation_url": request.conversation_url,
        }).encode()
        headers = {"Content-Type": "application/json", HEADER: sign(self.config.secret, body),
                   "Idempotency-Key": request.attempt_id}
        try:
            async with self.http.post(self.config.url, data=body, headers=headers,
                                      timeout=aiohttp.ClientTimeout(total=TIMEOUT_S)) as resp:
                text = (await resp.text())[:300]
                status = resp.status
                retry_after = _retry_after(resp.headers.get("Retry-After"))
        except (TimeoutError, aiohttp.ClientError) as err:
            raise NotReady(f"the dialer is unreachable: {err!r}") from err
        if 200 <= status < 300 or status == 409:
            return
        if status == 429 or status >= 500:
            raise NotReady(f"the dialer answered {status}", retry_after=retry_after)
        if status in (401, 403):
            raise AuthFailed(f"the dialer refused our signature ({status}): {text}")
        raise Fatal(text or f"the dialer refused the call ({status})", code=str(status))
