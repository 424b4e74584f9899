"""The email rating links: ``GET /rate/{tenant}/{conversation}/{sig}?score=n`` shows a page with the
score and a button; only the page's POST records the rating, so a mail scanner that follows every
link of a mail never votes. The signature (HMAC with the server's secret) names the conversation:
nobody rates a conversation from a link we did not send."""

from __future__ import annotations

import hmac
import html

from aiohttp import web

from gateway.appkeys import SERVICES
from gateway.conversations.rating import (
    COMMENT_MAX,
    SCORES,
    rate_conversation,
    rating_page,
    rating_signature,
    texts,
)
from gateway.errors import ClientError
from gateway.keys import TenantKeys
from gateway.store.conversations import Conversation, get_conversation
from gateway.store.ids import is_id
from gateway.texts import in_language

routes = web.RouteTableDef()
# why a POST recorded nothing, in the conversation's language (the page's other words are in it too)
_REFUSED = {
    "en": {"bad_score": "choose a score from 1 to 5.", "too_long": f"the comment is longer than {COMMENT_MAX} characters.",
           "not_closed": "the conversation has not ended yet.", "already_rated": "you have rated this conversation already.",
           "too_late": "the conversation can no longer be rated."},
    "de": {"bad_score": "Bitte wählen Sie eine Bewertung von 1 bis 5.",
           "too_long": f"Der Kommentar ist länger als {COMMENT_MAX} Zeichen.",
           "not_closed": "Das Gespräch ist noch nicht beendet.",
           "already_rated": "Sie haben dieses Gespräch bereits bewertet.",
           "too_late": "Das Gespräch kann nicht mehr bewertet werden."},
}
CSP = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'"


def _page(language: str, body: str, status: int = 200) -> web.Response:
    return web.Response(text=rating_page(language, body), status=status, content_type="text/html",
                        headers={"Content-Security-Policy": CSP, "Referrer-Policy": "no-referrer",
                                 "Cache-Control": "no-store"})


async def _conversation(request: web.Request) -> Conversation:
    svc = request.config_dict[SERVICES]
    tenant, cid, sig = request.match_info["tenant"], request.match_info["cid"], request.match_info["sig"]
    expected = rating_signature(svc.config.server.secret_key, tenant, cid)
    # bytes: compare_digest refuses a str with non-ASCII characters (anyone may type into the URL)
    if (tenant not in svc.config.tenants or not is_id("c", cid)
            or not hmac.compare_digest(sig.encode("utf-8", "surrogatepass"), expected.encode())):
        raise _not_valid()
    conv = await get_conversation(svc.redis, TenantKeys(tenant), cid)
    if conv is None:
        raise _not_valid()
    return conv


def _not_valid() -> web.HTTPNotFound:
    """The 404 of a link that is not ours: the same page as every other answer here (HTML, for people)."""
    return web.HTTPNotFound(text=rating_page("en", "<p>This rating link is not valid.</p>"), content_type="text/html",
                            headers={"Content-Security-Policy": CSP, "Referrer-Policy": "no-referrer",
                                     "Cache-Control": "no-store"})


def _score(raw: str | None) -> int:
    return int(raw) if raw and raw.isdigit() and int(raw) in SCORES else 0


@routes.get("/rate/{tenant}/{cid}/{sig}")
async def show(request: web.Request) -> web.Response:
    conv = await _conversation(request)
    t = texts(conv.language)
    score = _score(request.query.get("score")) or 5
    options = "".join(
        f'<label><input type="radio" name="score" value="{n}"{" checked" if n == score else ""}> '
        f'{"★" * n} ({n})</label><br>' for n in SCORES)
    body = (f'<p>{html.escape(t["page_ask"].format(stars="★" * score, score=score))}</p>'
            f'<form method="post">{options}<p><label>{html.escape(t["page_comment"])}<br>'
            f'<textarea name="comment" rows="3" maxlength="{COMMENT_MAX}"></textarea></label></p>'
            f'<button type="submit">{html.escape(t["page_send"])}</button></form>')
    return _page(conv.language, body)


@routes.post("/rate/{tenant}/{cid}/{sig}")
async def record(request: web.Request) -> web.Response:
    conv = await _conversation(request)
    svc = request.config_dict[SERVICES]
    form = await request.post()
    t = texts(conv.language)
    score, comment = _score(str(form.get("score") or "")), str(form.get("comment") or "")
    try:
        if not score:
            raise ClientError("bad_score", "choose a score from 1 to 5")
        if len(comment) > COMMENT_MAX:
            raise ClientError("too_long", f"the comment is longer than {COMMENT_MAX} characters")
        await rate_conversation(svc, TenantKeys(conv.tenant), conv, score=score, comment=comment.strip(), via="email")
    except ClientError as err:
        reason = in_language(_REFUSED, conv.language).get(err.code, err.message)
        body = f'<p role="alert">{html.escape(t["page_refused"].format(reason=reason))}</p>'
        return _page(conv.language, body, status=err.status)
    return _page(conv.language, f'<p role="status">{html.escape(t["page_done"])}</p>')
