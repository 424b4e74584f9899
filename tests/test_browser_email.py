"""Email conversations in the agent console, in a real browser: the thread's subject, each mail's
From/To/Cc, the customer's new text with the quoted original behind "Show quoted text" (as text,
never HTML), an automatic reply muted, a bounce on the agent's reply, the composer saying the
reply goes out threaded, and a conversation linked to an earlier one opening its transcript.

The mails are stored the way the gateway stores a parsed mail (``customer_wrote`` with the
message's ``email`` extra, see browser_helpers.py), so what is tested here is what the console
makes of them, independent of the SMTP side."""

from __future__ import annotations

import pytest
from browser_helpers import (  # noqa: F401  (_browser is the `browser` fixture)
    MARIA,
    XSS,
    _browser,
    accept_offer,
    agent_available,
    agent_log,
    agent_send,
    bounce,
    email_arrives,
    mail,
    new_page,
)
from playwright.async_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]

QUOTED = (
    "Die Rechnung 4711 wurde doppelt abgebucht. Bitte erstatten Sie den Betrag.\n\n"
    "Mit freundlichen Grüßen\nMaria Muster\n\n"
    "Von: Demo GmbH Kundenservice <support@demo.example>\n"
    "Gesendet: Montag, 2. März 2026 10:15\n"
    f"Betreff: Ihre Rechnung 4711\n\n> Guten Tag, anbei Ihre Rechnung. {XSS}"
)
MUTED = "rgb(91, 100, 117)"  # --muted of the console's stylesheet


async def test_an_email_conversation_in_the_console(gateway_server, redis, browser):
    gw = gateway_server
    _, anna, watch = await new_page(browser, "anna's console", width=1400, height=900)
    await agent_available(anna, gw.url, "anna")  # German and billing: the email channel's
    await email_arrives(gw, MARIA, "Die Rechnung 4711 wurde doppelt abgebucht. Bitte erstatten Sie den Betrag.",
                        mail(subject="AW: Ihre Rechnung 4711", cc=["Buchhaltung <buchhaltung@example.de>"], quoted=QUOTED),
                        message_id="m1@example.de")
    await accept_offer(anna, "Maria Muster")

    # The header names the thread without the client's "AW:"; the mail shows who wrote to whom.
    await expect(anna.locator(".conv-subject")).to_have_text("Ihre Rechnung 4711")
    first = agent_log(anna).locator(".msg.mail[data-seq='1']")
    await expect(first.locator(".mail-from dd")).to_have_text("Maria Muster <maria.muster@example.de>")
    await expect(first.locator(".mail-to dd")).to_have_text("support@demo.example")
    await expect(first.locator(".mail-cc dd")).to_have_text("Buchhaltung <buchhaltung@example.de>")
    await expect(first.locator(".mail-subject")).to_have_count(0)  # the thread's own subject, said once above
    await expect(first.locator(".text")).to_have_text("Die Rechnung 4711 wurde doppelt abgebucht. Bitte erstatten Sie den Betrag.")

    # The quoted original: hidden until asked for, then shown as the text the customer's client sent.
    toggle = first.locator(".quoted-toggle")
    quoted = first.locator("pre.quoted")
    await expect(toggle).to_have_text("Show quoted text")
    await expect(toggle).to_have_attribute("aria-expanded", "false")
    await expect(quoted).to_be_hidden()
    await toggle.click()
    await expect(quoted).to_be_visible()
    await expect(toggle).to_have_text("Hide quoted text")
    await expect(toggle).to_have_attribute("aria-expanded", "true")
    assert await quoted.text_content() == QUOTED
    assert await first.locator("img, script").count() == 0
    assert await anna.evaluate("window.__xss") is None

    # An out-of-office answer arrives: marked as automatic and muted, not read as the customer's word.
    await email_arrives(gw, MARIA, "Ich bin bis 10. März nicht im Büro.",
                        mail(subject="Abwesend: Ihre Rechnung 4711", auto="out_of_office"), message_id="m2@example.de")
    auto = agent_log(anna).locator(".msg.auto")
    await expect(auto.locator(".auto-label")).to_have_text("Automatic reply (out of office)")
    await expect(auto.locator(".mail-subject dd")).to_have_text("Abwesend: Ihre Rechnung 4711")
    assert await auto.evaluate("e => getComputedStyle(e).color") == MUTED
    await expect(agent_log(anna).locator(".msg.auto")).to_have_count(1)  # the customer's mail stays as it was
    await expect(toggle).to_have_attribute("aria-expanded", "true")  # and the agent's open quote stays open

    # The composer says how the reply leaves, and sending works as in any conversation.
    await expect(anna.locator(".email-compose")).to_have_text("Reply by email · Re: Ihre Rechnung 4711 · threaded")
    await agent_send(anna, "Wir erstatten den doppelten Betrag heute.")
    await expect(agent_log(anna).locator(".msg.own[data-seq]", has_text="Wir erstatten")).to_be_visible()

    # A mail of ours that bounced: marked on that message with the server's reason.
    cid = await anna.locator(".conv-item").first.get_attribute("data-conversation-id")
    reason = "550 5.1.1 <maria.muster@example.de>: Recipient address rejected"
    seq = await bounce(gw, cid, "Bitte bestätigen Sie Ihre IBAN.", reason)
    status = agent_log(anna).locator(f".msg.own[data-seq='{seq}'] .status")
    await expect(status).to_have_attribute("data-status", "failed")
    await expect(status).to_have_text(f"⚠ Not delivered: {reason}")

    # Already answered by email: escalating offers the callback only.
    await anna.click(".conv-actions [data-action=escalate]")
    await expect(anna.locator("dialog #esc-to option")).to_have_count(1)
    await expect(anna.locator("dialog #esc-to")).to_have_value("callback")
    watch.assert_clean()


async def test_a_chat_conversation_shows_no_email_parts(gateway_server, browser):
    from browser_helpers import socket_visitor

    _, anna, watch = await new_page(browser, "anna's console", width=1400, height=860)
    await agent_available(anna, gateway_server.url, "anna")
    await socket_visitor(gateway_server, "Walter Web", ["Hallo"])
    await accept_offer(anna, "Walter Web")
    await expect(agent_log(anna).locator(".msg[data-seq='1']")).to_be_visible()
    await expect(anna.locator(".conv-subject")).to_be_hidden()
    await expect(anna.locator(".email-compose")).to_be_hidden()
    await expect(anna.locator(".linked")).to_be_hidden()
    await expect(agent_log(anna).locator(".quoted-toggle, .mail-head")).to_have_count(0)
    watch.assert_clean()


async def test_a_linked_conversation_opens_the_earlier_transcript(gateway_server, browser):
    gw = gateway_server
    _, anna, watch = await new_page(browser, "anna's console", width=1400, height=860)
    await agent_available(anna, gw.url, "anna")
    original = await email_arrives(gw, MARIA, "Meine Rechnung ist falsch.", mail(subject="Rechnung"), message_id="o1@example.de")
    await accept_offer(anna, "Maria Muster")
    # Her colleague answers our mail: a conversation of its own, linked to Maria's.
    colleague = ("kurt.kollege@example.de", "Kurt Kollege")
    await email_arrives(gw, colleague, "Ich übernehme das für Maria.", mail(subject="AW: Rechnung", sender=colleague),
                        message_id="k1@example.de", linked_to=original)
    await accept_offer(anna, "Kurt Kollege")
    note = anna.locator(".linked")
    await expect(note).to_contain_text("Linked to an earlier conversation")
    await note.locator("[data-action=open-linked]").click()
    dialog = anna.locator("dialog.transcript")
    await expect(dialog.locator(".transcript-list li")).to_have_count(1)
    await expect(dialog.locator(".t-text")).to_have_text("Meine Rechnung ist falsch.")
    await dialog.locator("button", has_text="Close").click()
    await anna.locator(".conv-item", has_text="Maria Muster").click()
    await expect(note).to_be_hidden()
    watch.assert_clean()


async def test_the_agent_is_asked_for_an_address_when_the_contact_has_none(gateway_server, browser):
    from browser_helpers import socket_visitor

    _, anna, watch = await new_page(browser, "anna's console", width=1400, height=860)
    await agent_available(anna, gateway_server.url, "anna")
    await socket_visitor(gateway_server, "Nora Noaddress", ["Können Sie mir das schriftlich schicken?"])
    await accept_offer(anna, "Nora Noaddress")
    await anna.click(".conv-actions [data-action=escalate]")
    dialog = anna.locator("dialog")
    await expect(dialog.locator("#esc-to")).to_have_value("email")
    await expect(dialog.locator("#esc-email")).to_have_value("")
    await expect(dialog.locator(".field-hint")).to_have_text(
        "The customer has not given an email address. Ask them for it and enter it here.")
    await dialog.locator("button[type=submit]").click()
    await expect(dialog.locator(".form-error")).to_have_text("An email address is needed: ask the customer for one.")
    await dialog.locator("#esc-email").fill("nora@")
    await dialog.locator("button[type=submit]").click()
    await expect(dialog.locator(".form-error")).to_have_text("Enter a valid email address.")
    await dialog.locator("#esc-email").fill("nora@example.com")
    await dialog.locator("button[type=submit]").click()
    await expect(dialog).to_have_count(0)
    await expect(agent_log(anna).locator(".msg.system")).to_contain_text("nora@example.com")
    watch.assert_clean()


@pytest.mark.parametrize(("language", "invalid", "confirmation"), [
    ("en", "Please enter a valid email address.",
     "Thank you. We will answer by email to vera@example.com. We have sent the transcript of this chat there."),
    ("de", "Bitte geben Sie eine gültige E-Mail-Adresse ein.",
     "Danke. Wir antworten per E-Mail an vera@example.com. Den bisherigen Chatverlauf haben wir Ihnen dorthin geschickt."),
])
async def test_the_widget_confirms_the_email_escalation_in_the_visitors_language(
    gateway_server, redis, browser, language, invalid, confirmation
):
    import json

    from browser_helpers import open_widget, start_chat, visitor_send

    from gateway.keys import TenantKeys
    from gateway.store.conversations import open_conversations

    _, page, watch = await new_page(browser, "widget", locale="en-US")
    await open_widget(page, gateway_server.url)
    await start_chat(page, "Vera Visitor", topic="billing", language=language)
    await visitor_send(page, "Hello?")
    offer = page.locator(".offer")
    await offer.locator("[data-action=email]").click()  # nobody is online: email or a callback
    await page.fill("#or-esc-email", "vera@example")
    await offer.locator("button[type=submit]").click()
    await expect(offer.locator(".error")).to_have_text(invalid)
    await page.fill("#or-esc-email", "vera@example.com")
    await offer.locator("button[type=submit]").click()
    await expect(offer.locator("[data-escalated=email]")).to_have_text(confirmation)
    [conv] = await open_conversations(redis, TenantKeys("demo"))
    stored = json.loads(await redis.hget(TenantKeys("demo").conv(conv.id), "escalation"))
    assert (stored["to"], stored["email"]) == ("email", "vera@example.com")
    assert conv.language == language
    watch.assert_clean()
