"""Which web pages may open the widget's socket: ``allowed_origins`` of a tenant's widget channels.

Browsers send ``Origin`` with every cross-site Socket.IO request, polling or websocket; a page of
another site cannot forge it. Non-browser clients can, so this protects customers' visitors from
third-party pages, not the gateway from scripts (that is what the rate and connection limits do).
Rules: the gateway's own pages (same host, or ``server.public_url``) are always allowed (the demo page);
a tenant's ``widget.allowed_origins`` is its list when set; otherwise a tenant with no widget channel, or
a widget channel with an empty list, allows any origin; ``"*"`` in a list too. Checked on every Socket.IO
request (admission.py, any tenant's list), on the /visitor connect and on GET /api/v1/widget/config.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import socketio

from gateway.config.schema import Config, TenantConfig

ANY = None  # an origin set meaning "every origin"


def _norm(origin: str) -> str:
    return origin.strip().rstrip("/").lower()


def tenant_origins(tenant: TenantConfig) -> frozenset[str] | None:
    """The origins allowed to open ``tenant``'s widget, or ANY: ``widget.allowed_origins`` of the tenant
    when set (with what its widget channels list besides), else the widget channels' lists."""
    widgets = [c for c in tenant.channels.values() if c.type == "widget"]
    listed = tenant.widget.allowed_origins
    if listed:
        if "*" in listed:
            return ANY
        return frozenset(_norm(o) for o in [*listed, *(o for c in widgets for o in c.allowed_origins)] if o != "*")
    if not widgets or any(not c.allowed_origins or "*" in c.allowed_origins for c in widgets):
        return ANY
    return frozenset(_norm(o) for c in widgets for o in c.allowed_origins)


def _all_origins(config: Config) -> frozenset[str] | None:
    """Origins any tenant allows (ANY when one allows every origin): what the engine.io handshake
    can check before the client has said which tenant it is for."""
    union: set[str] = set()
    for tenant in config.tenants.values():
        allowed = tenant_origins(tenant)
        if allowed is ANY:
            return ANY
        union |= allowed
    return frozenset(union)


def _own(config: Config, origin: str, host: str | None) -> bool:
    netloc = urlsplit(origin).netloc
    own = {(host or "").lower(), urlsplit(config.server.public_url).netloc.lower()} - {""}
    return netloc in own


def origin_allowed(config: Config, origin: str | None, host: str | None, tenant: TenantConfig | None = None) -> bool:
    """True when a request with this Origin (None: not a browser page) may go on; ``tenant`` None means any tenant's list."""
    if origin is None:
        return True
    origin = _norm(origin)
    if _own(config, origin, host):
        return True
    allowed = tenant_origins(tenant) if tenant is not None else _all_origins(config)
    return allowed is ANY or origin in allowed


def check_visitor_origin(ctx, tenant: TenantConfig, environ: dict) -> None:
    """Refuse a /visitor connect from a page the tenant did not allow (``origin_not_allowed``)."""
    if origin_allowed(ctx.config, environ.get("HTTP_ORIGIN"), environ.get("HTTP_HOST"), tenant):
        return
    ctx.metrics.rejected.labels("origin_not_allowed").inc()
    message = "this page's origin may not open this tenant's chat"
    # (message, data): the client receives {message, data: {code, message}}, not a repr of a dict
    raise socketio.exceptions.ConnectionRefusedError(message, {"code": "origin_not_allowed", "message": message})
