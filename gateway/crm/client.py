"""One signed CRM lookup over HTTP: POST the JSON body, read a bounded answer, tell what came back.

Never raises for anything the CRM does (an error status, garbage, a hang, a dropped connection):
each becomes an unavailable Answer with its reason. The URL and the secret are never logged.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import orjson
from aiohttp import ClientError, ClientSession

from gateway.config.schema import CrmConfig
from gateway.crm.answer import NOT_FOUND, OK, REASONS, UNAVAILABLE, Answer
from gateway.signing import SIGNATURE_HEADER, sign

log = logging.getLogger(__name__)


def _failed(reason: str, detail: str = "") -> Answer:
    return Answer(UNAVAILABLE, reason=reason, detail=detail or REASONS[reason], fetched_at=time.time())


async def ask(http: ClientSession, crm: CrmConfig, body: dict[str, Any]) -> Answer:
    """POST ``body`` to ``crm.url`` signed with ``crm.secret``; the outcome within ``crm.answer_timeout_s``.
    200 with a JSON object: ok; 404: the CRM does not know the contact; anything else: unavailable."""
    if not crm.secret:
        return _failed("no_secret")
    raw = orjson.dumps(body)
    headers = {"Content-Type": "application/json", "Accept": "application/json", SIGNATURE_HEADER: sign(crm.secret, raw)}
    try:
        async with asyncio.timeout(crm.answer_timeout_s):
            # no redirects: the customer's data goes to the configured address only
            async with http.post(crm.url, data=raw, headers=headers, allow_redirects=False) as resp:
                if resp.status == 404:
                    return Answer(NOT_FOUND, fetched_at=time.time())
                if resp.status != 200:
                    return _failed("http_error", f"the CRM answered HTTP {resp.status}")
                if (resp.content_length or 0) > crm.max_bytes:
                    return _failed("too_large", f"the CRM's answer has {resp.content_length} bytes (limit {crm.max_bytes})")
                payload = bytearray()
                async for chunk in resp.content.iter_any():
                    payload += chunk
                    if len(payload) > crm.max_bytes:
                        return _failed("too_large", f"the CRM's answer is over {crm.max_bytes} bytes")
    except TimeoutError:
        return _failed("timeout", f"no complete answer within {crm.answer_timeout_s:g} s")
    except (ClientError, OSError) as err:
        return _failed("unreachable", f"the CRM could not be reached ({type(err).__name__})")
    try:
        data = orjson.loads(payload)
    except orjson.JSONDecodeError:
        return _failed("not_json", f"the CRM's answer is not JSON (starts {bytes(payload[:40])!r})")
    if not isinstance(data, dict):
        return _failed("wrong_shape", f"the CRM's answer is a JSON {type(data).__name__}, not an object")
    return Answer(OK, data=data, fetched_at=time.time())
