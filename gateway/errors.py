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


# aiohttp's own refusals (no such route, wrong method, body over client_max_size, …) by status
_HTTP_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
               405: "method_not_allowed", 409: "conflict", 411: "length_required", 413: "too_large",
               415: "unsupported_media_type", 429: "rate_limited"}
_MACHINE_PREFIXES = ("/api/", "/webhooks/")  # answered to programs: always the JSON envelope


@web.middleware
async def client_errors(request: web.Request, handler):
    """REST handlers raise ClientError; the caller gets the envelope with its status. An HTTP error
    that aiohttp or a handler raised as plain text becomes the envelope too on the API and webhooks.
    A NUL character in their path or query is refused here: no id holds one, and PostgreSQL takes none."""
    machine = request.path.startswith(_MACHINE_PREFIXES)
    if machine and ("\x00" in request.path or any("\x00" in k or "\x00" in v for k, v in request.query.items())):
        return ClientError("bad_request", "the address contains a NUL character", 400).response()
    try:
        return await handler(request)
    except ClientError as err:
        return err.response()
    except web.HTTPException as err:
        if err.status < 400 or not machine or err.content_type == "application/json":
            raise
        message = err.text if err.text and not err.text.startswith(f"{err.status}:") else err.reason
        code = _HTTP_CODES.get(err.status, "error" if err.status >= 500 else "bad_request")
        response = ClientError(code, message or err.reason, err.status).response()
        for name in ("Allow", "Retry-After"):
            if name in err.headers:
                response.headers[name] = err.headers[name]
        return response
