"""A bound on how long a request body may take to arrive.

aiohttp bounds the rest itself, through ``run_app`` arguments set in cli.py: ``keepalive_timeout``
closes a connection that has not delivered a complete request line and headers within that time
(counted from the connection's start or its previous response, so slowly dripped headers do not
extend it) and closes idle keep-alive connections; ``shutdown_timeout`` bounds the drain on exit.
Only a body that stops half-way is left, and that is this middleware.
"""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web
from aiohttp.typedefs import Handler

log = logging.getLogger(__name__)


class BodyTimeout(TimeoutError):
    """The request body did not arrive in time.

    A TimeoutError, so aiohttp's lingering read after the response treats it as "give up" and
    closes the connection instead of logging it as an unhandled error.
    """


def read_body_within(timeout_s: float):
    """Middleware: a request whose body is not complete ``timeout_s`` after its headers gets 408."""

    @web.middleware
    async def body_deadline(request: web.Request, handler: Handler) -> web.StreamResponse:
        if timeout_s <= 0 or not request.body_exists or request.content.is_eof():
            return await handler(request)

        def cut_off() -> None:
            if not request.content.is_eof():
                # wakes whoever awaits the body (our handlers or engine.io's) with the error
                request.content.set_exception(BodyTimeout(f"request body not received within {timeout_s:g} s"))

        timer = asyncio.get_running_loop().call_later(timeout_s, cut_off)
        try:
            return await handler(request)
        except BodyTimeout:
            log.info("request body timed out", extra={"path": request.path, "timeout_s": timeout_s})
            response = web.json_response(
                {"error": {"code": "request_timeout", "message": f"The request body did not arrive within {timeout_s:g} seconds."}},
                status=408,
            )
            response.force_close()
            return response
        finally:
            timer.cancel()

    return body_deadline
