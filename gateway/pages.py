"""The web pages and the widget script, built by `make install` from widget/ into gateway/static/."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

STATIC = Path(__file__).parent / "static"
# The console and dashboard only run their own scripts and talk to this origin. Files are fetched
# with a credential header and shown from blob: URLs (a token never sits in an <img src>).
CSP = (
    "default-src 'self'; script-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data: blob:; "
    "style-src 'self' 'unsafe-inline'; media-src 'self' data:; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'"
)
# The admin screens: the dashboard's policy, except that the widget-look preview shows the tenant's
# logo from the http(s) address the admin typed (an <img> only; no script or style from there).
ADMIN_CSP = CSP.replace("img-src 'self' data: blob:", "img-src 'self' data: blob: https: http:")
DEMO_CSP = (
    "default-src 'self'; script-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data: blob:; "
    "style-src 'self' 'unsafe-inline'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)

routes = web.RouteTableDef()


def _page(name: str, csp: str) -> web.StreamResponse:
    path = STATIC / name
    if not path.exists():
        return web.Response(status=503, text=f"{name} is not built: run `make install`", content_type="text/plain")
    return web.FileResponse(path, headers={
        "Content-Security-Policy": csp, "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-cache",
    })


@routes.get("/widget.js")
async def widget_js(request: web.Request) -> web.StreamResponse:
    path = STATIC / "widget.js"
    if not path.exists():
        return web.Response(status=503, text="// widget not built: run `make install`", content_type="application/javascript")
    return web.FileResponse(path, headers={
        "Content-Type": "application/javascript", "Access-Control-Allow-Origin": "*",
        "Cache-Control": "public, max-age=300", "X-Content-Type-Options": "nosniff",
    })


@routes.get("/demo")
async def demo(request: web.Request) -> web.StreamResponse:
    return _page("demo.html", DEMO_CSP)


@routes.get("/agent")
async def agent(request: web.Request) -> web.StreamResponse:
    return _page("agent.html", CSP)


@routes.get("/supervisor")
async def supervisor(request: web.Request) -> web.StreamResponse:
    return _page("supervisor.html", CSP)


@routes.get("/admin")
async def admin(request: web.Request) -> web.StreamResponse:
    return _page("admin.html", ADMIN_CSP)


@routes.get("/")
async def index(request: web.Request) -> web.StreamResponse:
    raise web.HTTPFound("/demo")


def add_static(app: web.Application) -> None:
    STATIC.mkdir(parents=True, exist_ok=True)
    app.router.add_static("/static/", STATIC, show_index=False, append_version=False)
