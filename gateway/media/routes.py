"""``GET /api/v1/media/{id}``: a file, to whoever may see its conversation, and the fetch worker's
cleanup_ctx. A bot token or a platform URL never reaches a browser: files are served from here.

Who may read: a logged-in principal who may see the conversation (bearer token), or the
conversation's own widget visitor (``X-Visitor-Token``). Anything else is 404, whether the file
exists or not. ``?meta=1`` gives the record's wire dict instead of the bytes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from gateway import appkeys as K
from gateway.api.auth_helpers import principal
from gateway.background import Background
from gateway.config.schema import Config
from gateway.conversations.access import may_see
from gateway.errors import ClientError
from gateway.keys import TenantKeys
from gateway.media.fetcher import MediaFetcher
from gateway.media.records import MediaRecord, get_record
from gateway.media.sniff import content_disposition
from gateway.media.storage import MediaMissing, file_path, media_root
from gateway.store.conversations import get_conversation
from gateway.store.ids import is_id
from gateway.visitor_token import read_visitor_token

routes = web.RouteTableDef()

VISITOR_HEADER = "X-Visitor-Token"
CACHE = "private, max-age=300"


def not_found() -> ClientError:
    return ClientError("not_found", "There is no such file.", 404)


def visitor_of(config: Config, token: str | None) -> tuple[str, str] | None:
    """(tenant, visitor id) of a valid visitor token (its tenant is the token's second part)."""
    parts = token.split(".") if isinstance(token, str) else []
    if len(parts) != 4 or parts[1] not in config.tenants:
        return None
    visitor_id = read_visitor_token(config.server.secret_key, parts[1], token)
    return (parts[1], visitor_id) if visitor_id else None


async def readable(request: web.Request, media_id: str) -> MediaRecord:
    """The record, if this request's principal or visitor may see its conversation; else 404."""
    svc = request.config_dict[K.SERVICES]
    if not is_id("a", media_id):
        raise not_found()
    if request.headers.get("Authorization"):
        who = await principal(request)  # a bad token is 401: it says nothing about the file
        record = await get_record(svc.redis, who.tenant, media_id)
        conv = await get_conversation(svc.redis, TenantKeys(who.tenant), record.conversation_id) if record else None
        if record is not None and conv is not None and await may_see(svc, who, conv):
            return record
        raise not_found()
    visitor = visitor_of(svc.config, request.headers.get(VISITOR_HEADER))
    if visitor is not None:
        tenant, visitor_id = visitor
        record = await get_record(svc.redis, tenant, media_id)
        conv = await get_conversation(svc.redis, TenantKeys(tenant), record.conversation_id) if record else None
        if record is not None and conv is not None and conv.visitor_id == visitor_id:
            return record
    raise not_found()


@routes.get("/api/v1/media/{id}")
async def media(request: web.Request) -> web.StreamResponse:
    """The file (its sniffed type, inline for images, attachment otherwise), or its record (``?meta=1``).
    Pending: 409 ``pending``; failed or too large: 410 with the reason."""
    record = await readable(request, request.match_info["id"])
    if request.query.get("meta") == "1":
        return web.json_response(record.wire_with_reason(), headers={"Cache-Control": "no-store"})
    if record.state == "pending":
        raise ClientError("pending", "The file is still being fetched; try again in a moment.", 409)
    if record.state != "ready":
        raise ClientError(record.state, record.reason or "The file could not be fetched.", 410)
    try:
        path = file_path(media_root(request.config_dict[K.CONFIG]), record.tenant, record.id)
    except MediaMissing as err:
        raise not_found() from err
    if not path.is_file():
        raise ClientError("gone", "The file is no longer stored.", 410)
    return web.FileResponse(path, headers={
        "Content-Type": record.mime,
        "Content-Disposition": content_disposition(record.mime, record.name),
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": CACHE,
    })


async def media_ctx(app: web.Application) -> AsyncIterator[None]:
    """The fetch workers of this process, one per tenant with bridged channels (after bridges_ctx)."""
    fetcher = MediaFetcher(app[K.SERVICES], app[K.BRIDGED], media_root(app[K.CONFIG]))  # dirs made on first write
    app[K.MEDIA_FETCHER] = fetcher
    tasks = Background()
    for tenant in app[K.BRIDGED].tenants:
        tasks.start(f"media-fetch:{tenant}", fetcher.run(tenant))
    yield
    await tasks.stop()
