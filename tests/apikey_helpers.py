"""API keys in tests: made through the admin's REST route as sam (the demo's admin), used as bearer."""

from __future__ import annotations

from typing import Any

from admin_helpers import call, token


async def make_key(gw, name: str, scopes: list[str], **extra: Any) -> dict:
    """The created record with its ``key`` (sam, the demo tenant's admin, creates it)."""
    status, body, _ = await call(gw, "POST", "/api/v1/admin/apikeys", await token(gw),
                                 {"name": name, "scopes": scopes, **extra})
    assert status == 201, body
    return body


async def revoke(gw, key_id: str) -> dict:
    status, body, _ = await call(gw, "DELETE", f"/api/v1/admin/apikeys/{key_id}", await token(gw))
    assert status == 200, body
    return body


async def with_key(gw, key: str, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    status, data, _ = await call(gw, method, path, key, body)
    return status, data
