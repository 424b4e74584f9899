"""Real mails into the console: raw MIME posted to the gateway's email webhook (signed as a
provider's forwarding would be), parsed by the email bridge, threaded by the gateway, offered to an
agent on the ``email`` channel — and what the agent then sees: the subject, the sender, the
customer's new text without the Outlook-style quoted history and signature (which "Show quoted
text" reveals), and an out-of-office answer marked as automatic."""

from __future__ import annotations

import hashlib
import hmac

import aiohttp
import pytest
from browser_helpers import (  # noqa: F401  (_browser is the `browser` fixture)
    _browser,
    accept_offer,
    agent_available,
    agent_log,
    new_page,
)
from playwright.async_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]

URL = "/webhooks/email/email"
SECRET = b"demo-email-secret"  # the demo channel's default (config/demo.yaml)

OUTLOOK_REPLY = """\
From: Maria Muster <maria.muster@example.de>
To: Demo GmbH Kundenservice <support@demo.example>
Subject: Rechnung 4711 doppelt abgebucht
Message-ID: <w1.maria@example.de>
Date: Mon, 02 Mar 2026 10:15:00 +0100
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

Guten Tag,

die Rechnung 4711 wurde doppelt abgebucht. Bitte erstatten Sie den Betrag.

Mit freundlichen Grüßen
Maria Muster

Von: Demo GmbH Kundenservice <support@demo.example>
Gesendet: Montag, 2. März 2026 09:00
An: Maria Muster <maria.muster@example.de>
Betreff: Ihre Rechnung 4711

Guten Tag, anbei Ihre Rechnung 4711.
"""

OUT_OF_OFFICE = """\
From: Maria Muster <maria.muster@example.de>
To: Demo GmbH Kundenservice <support@demo.example>
Subject: Abwesend: Rechnung 4711 doppelt abgebucht
Message-ID: <w2.maria@example.de>
In-Reply-To: <w1.maria@example.de>
Date: Mon, 02 Mar 2026 10:20:00 +0100
Auto-Submitted: auto-replied
X-Autoreply: yes
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

Ich bin bis zum 10. März nicht im Büro.
"""


async def post_mail(http: aiohttp.ClientSession, base: str, text: str) -> None:
    body = text.replace("\n", "\r\n").encode()
    signature = "sha256=" + hmac.new(SECRET, body, hashlib.sha256).hexdigest()
    async with http.post(base + URL, data=body, headers={"X-Omnirelay-Signature": signature,
                                                         "Content-Type": "message/rfc822"}) as r:
        assert r.status == 200, await r.text()


async def test_a_mail_through_the_webhook_in_the_console(gateway_server, browser):
    gw = gateway_server
    _, anna, watch = await new_page(browser, "anna's console", width=1400, height=900)
    await agent_available(anna, gw.url, "anna")
    async with aiohttp.ClientSession() as http:
        await post_mail(http, gw.url, OUTLOOK_REPLY)
        await accept_offer(anna, "Maria Muster")
        await expect(anna.locator(".conv-subject")).to_have_text("Rechnung 4711 doppelt abgebucht")
        first = agent_log(anna).locator(".msg.mail").first
        await expect(first.locator(".mail-from dd")).to_contain_text("maria.muster@example.de")
        await expect(first.locator(".text")).to_contain_text("die Rechnung 4711 wurde doppelt abgebucht")
        await expect(first.locator(".text")).not_to_contain_text("Gesendet:")
        await expect(first.locator(".text")).not_to_contain_text("Mit freundlichen Grüßen")
        await first.locator(".quoted-toggle").click()
        await expect(first.locator("pre.quoted")).to_contain_text("Gesendet: Montag, 2. März 2026 09:00")

        await post_mail(http, gw.url, OUT_OF_OFFICE)
        auto = agent_log(anna).locator(".msg.auto")
        await expect(auto.locator(".auto-label")).to_have_text("Automatic reply (out of office)")
        await expect(auto.locator(".text")).to_have_text("Ich bin bis zum 10. März nicht im Büro.")
        await expect(anna.locator(".email-compose")).to_have_text("Reply by email · Re: Rechnung 4711 doppelt abgebucht · threaded")
    watch.assert_clean()
