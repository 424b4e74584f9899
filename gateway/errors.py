"""One error envelope for socket acks, REST responses and webhooks: ``{"error": {code, message}}``.

A ``ClientError`` is something the caller can act on: a machine code and a sentence for people.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web


class ClientError(Exception):
    """A request that cannot be carried out as sent; ``status`` is its HTTP status on REST."""

    def __init__(self, code: str, message: str, status: int = 400):
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status

    def envelope(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message}}

    def to_ack(self) -> dict[str, Any]:
        """The socket ack of this error."""
        return self.envelope()

    def response(self) -> web.Response:
        return web.json_response(self.envelope(), status=self.status)


def unavailable() -> ClientError:
    """Storage could not be reached: nothing was stored, the client resends (same client_id)."""
    return ClientError("unavailable", "storage is unavailable; nothing was stored, try again", 503)


UNAVAILABLE = unavailable().envelope()


@web.middleware
async def client_errors(request: web.Request, handler):
    """REST handlers raise ClientError; the caller gets the envelope with its status."""
    try:
        return await handler(request)
    except ClientError as err:
        return err.response()
