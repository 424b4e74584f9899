"""The tenant's widget allow-list (``widget.allowed_origins``): the pages it names, and the gateway's own
(the demo page), open the chat and read its config; any other page is refused with 403
``origin_not_allowed`` on the Socket.IO handshake, on the /visitor connect and on GET /api/v1/widget/config.
tests/test_ingress_admission.py keeps the widget channels' own lists and both transports."""

from __future__ import annotations

import copy

import aiohttp
import pytest
from conftest import running_gateway
from test_ingress_admission import EVIL, HANDSHAKE, OTHER_SHOP, SHOP, Refused, _visitor

from gateway.config import load_config_text
from gateway.config.loader import ConfigError

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def shop_only(demo_config):
    """demo: ``widget.allowed_origins: [SHOP]`` (its web channel lists none); open: a tenant allowing any page."""
    demo_config.tenants["demo"].widget.allowed_origins = [SHOP + "/"]  # a trailing slash is the same origin
    assert demo_config.tenants["demo"].channels["web"].allowed_origins == []
    other = copy.deepcopy(demo_config.tenants["demo"])
    other.id, other.widget.allowed_origins = "open", []
    demo_config.tenants["open"] = other
    return demo_config


async def _config(http, url: str, tenant: str, origin: str | None) -> tuple[int, dict, dict]:
    async with http.get(f"{url}/api/v1/widget/config", params={"tenant": tenant},
                        headers={"Origin": origin} if origin else {}) as r:
        return r.status, await r.json(), dict(r.headers)


async def test_only_the_listed_pages_and_our_own_open_the_chat(redis, redis_url, shop_only):
    async with running_gateway(shop_only, redis_url) as gw:
        for origin in (SHOP, gw.url, None):
            client = await _visitor(gw.url, origin)
            assert client.connected, origin
            await client.disconnect()
        # the handshake lets EVIL through (the "open" tenant takes any page); demo's connect does not
        with pytest.raises(Refused) as refused:
            await _visitor(gw.url, EVIL, tenant="demo")
        assert refused.value.args[0]["data"]["code"] == "origin_not_allowed"
        client = await _visitor(gw.url, EVIL, tenant="open")
        assert client.connected
        await client.disconnect()


async def test_the_widget_config_answers_only_the_listed_pages(redis, redis_url, shop_only):
    async with running_gateway(shop_only, redis_url) as gw, aiohttp.ClientSession() as http:
        status, body, headers = await _config(http, gw.url, "demo", SHOP)
        assert status == 200 and body["tenant"] == "demo"
        assert headers["Access-Control-Allow-Origin"] == SHOP and "Origin" in headers["Vary"]
        assert (await _config(http, gw.url, "demo", gw.url))[0] == 200  # the demo page
        assert (await _config(http, gw.url, "demo", None))[0] == 200  # no page: a server, a tool
        status, body, headers = await _config(http, gw.url, "demo", EVIL)
        assert status == 403 and body["error"]["code"] == "origin_not_allowed" and body["error"]["message"]
        assert "languages" not in body
        status, body, headers = await _config(http, gw.url, "open", EVIL)
        assert status == 200 and headers["Access-Control-Allow-Origin"] == "*"


async def test_with_every_list_set_a_foreign_page_is_refused_at_the_handshake(redis, redis_url, shop_only):
    shop_only.tenants["open"].widget.allowed_origins = [OTHER_SHOP]
    async with running_gateway(shop_only, redis_url) as gw, aiohttp.ClientSession() as http:
        async with http.get(gw.url + HANDSHAKE, headers={"Origin": EVIL}) as r:
            assert r.status == 403 and (await r.json())["error"]["code"] == "origin_not_allowed"
        async with http.get(gw.url + HANDSHAKE, headers={"Origin": OTHER_SHOP}) as r:
            assert r.status == 200
        with pytest.raises(Refused):
            await _visitor(gw.url, OTHER_SHOP, tenant="demo")


def test_an_allowed_origin_must_be_an_origin():
    """omnirelay check-config names each entry that is no origin (a path, no scheme, another scheme)."""
    from conftest import DEMO_CONFIG

    text = DEMO_CONFIG.read_text().replace(
        "    widget:\n      long_wait_s: 120\n",
        "    widget:\n      long_wait_s: 120\n      allowed_origins: ['https://shop.example', '*', 'shop.example', "
        "'https://shop.example/page', 'javascript:alert(1)']\n")
    assert "allowed_origins" in text
    with pytest.raises(ConfigError) as err:
        load_config_text(text, env={})
    joined = str(err.value)
    for bad in ("'shop.example'", "'https://shop.example/page'", "'javascript:alert(1)'"):
        assert bad in joined, joined
    assert "'https://shop.example' is" not in joined and "'*' is" not in joined
