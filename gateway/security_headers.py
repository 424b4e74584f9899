"""Security headers on every answer the gateway gives: pages, the API, webhooks, static files, errors.

Set on ``on_response_prepare`` rather than in a middleware: that signal also sees the answers no
handler returned — aiohttp's own 404 and 405, an HTTP error raised past the middlewares, the static
files and engine.io's responses — and a header a handler chose (a page's own CSP) is kept.

- every answer: ``X-Content-Type-Options: nosniff`` and ``Referrer-Policy: no-referrer`` (links in chats
  lead to customers' and third parties' sites; our URLs carry conversation ids);
- HTML without its own policy: a strict CSP (our scripts only, no inline script) that forbids framing;
  the consoles (gateway/pages.py) set theirs, also with ``frame-ancestors 'none'``;
- JSON, plain text and CSV: ``default-src 'none'; frame-ancestors 'none'`` (opened in a tab, nothing runs);
- anything framed never: ``X-Frame-Options: DENY`` next to ``frame-ancestors`` for older browsers;
- ``/widget.js`` and the other scripts, styles and files get no CSP: a CSP governs documents, and the
  widget must stay loadable from customers' sites (its CORS header is pages.py's).
"""

from __future__ import annotations

from aiohttp import web

PAGE_CSP = (
    "default-src 'self'; script-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data: blob:; "
    "style-src 'self' 'unsafe-inline'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
DATA_CSP = "default-src 'none'; frame-ancestors 'none'"
_DATA_TYPES = ("application/json", "text/plain", "text/csv", "application/problem+json")


async def security_headers(request: web.Request, response: web.StreamResponse) -> None:
    """Add the headers a response lacks (``app.on_response_prepare``)."""
    if response.status == 101:  # a websocket's switch: no page, and the headers would live as long as it
        return
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "no-referrer")
    ctype = response.content_type if response.content_type != "application/octet-stream" else headers.get("Content-Type", "")
    if "Content-Security-Policy" not in headers:
        if ctype == "text/html":
            headers["Content-Security-Policy"] = PAGE_CSP
        elif ctype in _DATA_TYPES:
            headers["Content-Security-Policy"] = DATA_CSP
    if "frame-ancestors 'none'" in headers.get("Content-Security-Policy", ""):
        headers.setdefault("X-Frame-Options", "DENY")
