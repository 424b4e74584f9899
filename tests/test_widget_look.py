"""The tenant's widget look — colour, logo, corner, launcher label, privacy line — reaches the customer's
page as configured, and nothing in it can carry CSS, script or another URL scheme into that page."""

from __future__ import annotations

import aiohttp
import pytest
from browser_helpers import _browser, gateway_with, new_page, open_widget  # noqa: F401  (_browser: the `browser` fixture)
from conftest import DEMO_CONFIG, running_gateway
from playwright.async_api import expect

from gateway.config import ConfigError, load_config, load_config_text

LOOK = """
      colour: "{colour}"
      logo_url: "{logo}"
      position: {position}
      launcher_text: {{en: "Questions?", de: "Fragen?"}}
      privacy_notice: {{en: "We keep this chat for 30 days."}}
"""


def with_look(colour: str = "#aa3300", logo: str = "https://cdn.example/logo.png", position: str = "left"):
    text = DEMO_CONFIG.read_text()
    anchor = "\n    widget:\n      long_wait_s: 120"  # the demo tenant's widget block
    assert anchor in text
    return text.replace(anchor, anchor + LOOK.format(colour=colour, logo=logo, position=position).rstrip("\n"), 1)


@pytest.mark.parametrize(("change", "message"), [
    ({"colour": "red; background: url(https://evil.example/x)"}, "widget colour must be"),
    ({"colour": "#12345"}, "widget colour must be"),
    ({"logo": "javascript:alert(1)"}, "widget logo_url must be a plain http(s) address"),
    ({"logo": 'https://cdn.example/a.png\\" onerror=\\"alert(1)'}, "widget logo_url must be a plain http(s) address"),
    ({"position": "middle"}, "widget position must be 'right' or 'left'"),
])
def test_a_look_that_could_carry_anything_but_itself_is_refused(change, message):
    with pytest.raises(ConfigError) as info:
        load_config_text(with_look(**change), "c.yaml", env={})
    assert any(message in line for line in info.value.lines()), info.value.lines()


def test_texts_in_a_language_the_tenant_does_not_speak_are_refused():
    text = with_look().replace('{en: "We keep this chat for 30 days."}', '{fr: "Nous gardons ce chat."}')
    with pytest.raises(ConfigError) as info:
        load_config_text(text, "c.yaml", env={})
    assert any("privacy_notice in 'fr'" in line for line in info.value.lines())


async def test_the_public_widget_config_carries_the_look(redis, redis_url):
    config = load_config_text(with_look(), "c.yaml", env={})
    async with running_gateway(config, redis_url) as gw, aiohttp.ClientSession() as http:
        async with http.get(f"{gw.url}/api/v1/widget/config", params={"tenant": "demo"}) as r:
            look = (await r.json())["look"]
    assert look == {"colour": "#aa3300", "logo_url": "https://cdn.example/logo.png", "position": "left",
                    "launcher_text": {"en": "Questions?", "de": "Fragen?"},
                    "privacy_notice": {"en": "We keep this chat for 30 days."}}
    default = load_config(DEMO_CONFIG, env={}).tenants["demo"].widget
    assert (default.colour, default.position) == ("", "right")  # the demo keeps the default look


@pytest.mark.browser
async def test_the_widget_shows_the_tenants_look(redis, redis_url, browser):
    def look(config):
        w = config.tenants["demo"].widget
        w.colour, w.position = "#aa3300", "left"
        w.logo_url = "https://cdn.example/logo.png"
        w.launcher_text = {"en": "<img src=x onerror=pwned=1>Hi"}
        w.privacy_notice = {"en": "We keep this chat for 30 days."}

    async with gateway_with(redis_url, look, browser) as gw:
        _, page, watch = await new_page(browser, "widget-look", locale="en-US")
        await page.route("https://cdn.example/**", lambda route: route.fulfill(status=404))  # no network here
        await page.goto(f"{gw.url}/demo")
        launcher = page.locator("#omnirelay-widget .launcher")
        await expect(launcher.locator(".launcher-text")).to_have_text("<img src=x onerror=pwned=1>Hi")
        assert await launcher.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(170, 51, 0)"
        box = await launcher.bounding_box()
        assert box is not None and box["x"] < 100  # the left corner
        await open_widget(page, gw.url)
        await expect(page.locator("#omnirelay-widget .privacy")).to_have_text("We keep this chat for 30 days.")
        await expect(page.locator("#omnirelay-widget img.logo")).to_have_attribute("src", "https://cdn.example/logo.png")
        assert await page.evaluate("() => window.pwned") is None  # the label stayed text
        watch.assert_clean()
