"""Mail in, as the common clients send it: every test mail through ``deliveries`` and ``parse``,
checking the customer's new words (quotes and signatures gone), the threading details, the
auto-reply reason and what a bounce says."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime

import email_machine_mails as auto
import email_mails as m
import pytest

from bridges.base import AuthFailed, Fatal, Malformed
from bridges.email import EmailBridge, EmailConfig
from bridges.events import DeliveryStatus, Message, Unsupported

pytestmark = pytest.mark.timeout(10)

SECRET = "email-webhook-secret"
BRIDGE = EmailBridge(EmailConfig(address="support@demo.example", secret=SECRET))


def events(raw: bytes) -> list:
    """``deliveries`` then ``parse``, as the gateway's worker does; the delivery id must be the id
    the events carry (the gateway dedupes by one and stores by the other)."""
    [(delivery_id, unit)] = BRIDGE.deliveries(raw)
    found = BRIDGE.parse(unit)
    for e in found:
        if isinstance(e, Message):
            assert e.message_id == delivery_id
    return found


def message(raw: bytes) -> Message:
    [event] = events(raw)
    assert isinstance(event, Message)
    return event


def test_german_outlook_reply_keeps_only_the_new_words():
    msg = message(m.OUTLOOK_DE)
    assert msg.text == ("Hallo zusammen,\n\ndie Rechnung 4711 wurde im März doppelt abgebucht. "
                        "Können Sie das bitte prüfen?")
    assert (msg.customer.id, msg.customer.name, msg.thread) == (
        "j.weber@weber-logistik.de", "Jürgen Weber", "j.weber@weber-logistik.de")
    assert msg.message_id == "AM0PR07MB4305B2D1E0A54C8F6E1A9B1CA3CB2@AM0PR07MB4305.eurprd07.prod.outlook.com"
    assert msg.ts == datetime(2025, 3, 5, 8, 3, 9, tzinfo=UTC).timestamp()
    d = msg.details
    assert d["subject"] == "AW: Rechnung 4711 im März"
    assert d["from"] == "Jürgen Weber <J.Weber@Weber-Logistik.de>"
    assert d["to"] == ["Demo GmbH Kundenservice <support+Tk9xAbC.1@demo.example>"]
    assert d["cc"] == ["Buchhaltung <buchhaltung@weber-logistik.de>"]
    assert d["message_id"] == f"<{msg.message_id}>"
    assert (d["in_reply_to"], d["references"]) == (f"<{m.OUR_ID}>", [f"<{m.OUR_ID}>"])
    assert d["recipients"] == ["support+Tk9xAbC.1@demo.example", "buchhaltung@weber-logistik.de"]
    assert d["marker_tokens"] == ["Tk9xAbC.1"]  # our marker, quoted back in the customer's reply
    assert d["thread_index"] == "AQHbjPZ1m2bVY3hZRkS8zTQm0b9RzA=="
    assert d["auto"] == ""
    # the agent can still expand everything: the signature and our quoted mail are in ``quoted``
    assert "Mit freundlichen Grüßen\nJürgen Weber" in d["quoted"] and "wir haben Ihre Anfrage" in d["quoted"]
    assert "Hallo" in d["html"] and "<style" not in d["html"] and "MsoNormal" not in d["html"]
    assert msg.attachments == ()


def test_gmail_reply_below_am_schrieb_is_cut_with_the_greeting():
    msg = message(m.GMAIL_DE)
    assert msg.text == "Danke, nach dem Neustart geht es wieder!"
    assert msg.details["recipients"] == ["support+Zq81.x@demo.example"]
    assert "bitte starten Sie den Router neu" in msg.details["quoted"]
    assert "<blockquote>" in msg.details["html"] and "gmail_quote" not in msg.details["html"]


def test_apple_mail_drops_sent_from_my_iphone_and_the_quote():
    msg = message(m.APPLE_EN)
    assert msg.text == "The parcel arrived but the charger is missing."
    assert msg.customer.id == "sam.porter@icloud.com"
    assert msg.details["html"] == ""


def test_thunderbird_answers_between_quotes_keep_every_answer():
    msg = message(m.THUNDERBIRD_DE)
    assert msg.text == "Erledigt, immer noch kein Signal.\n\nJa: wann kommt der Techniker?"
    assert "Bitte starten Sie den Router neu." in msg.details["quoted"]


def test_html_only_mail_is_read_as_text_and_shown_sanitised():
    msg = message(m.HTML_ONLY)
    assert msg.text == "Die Lieferung ist nicht angekommen.\n\nBitte schicken Sie Ersatz.\n\nhier"
    shown = msg.details["html"]
    assert "<b>nicht</b>" in shown
    for attack in ("<script", "alert('xss')", "onerror", "javascript:"):
        assert attack not in shown
    assert "Ihre Lieferung ist unterwegs." in msg.details["quoted"]


def test_out_of_office_is_shown_but_marked():
    msg = message(auto.OUT_OF_OFFICE)
    assert msg.details["auto"] == "out_of_office"
    assert msg.text.startswith("Ich bin bis zum 10.03. nicht im Büro")


@pytest.mark.parametrize(("raw", "reason"), [
    (auto.NEWSLETTER, "precedence"),
    (auto.DAEMON_NOTICE, "mailer_daemon"),
])
def test_machine_mail_says_why(raw, reason):
    assert message(raw).details["auto"] == reason


def mail(headers: str, body: str = "Hallo", sender: str = "Kim <kim@example.com>") -> bytes:
    extra = f"{headers}\n" if headers else ""
    return m.raw(f"From: {sender}\nTo: support@demo.example\nSubject: Hi\nMessage-ID: <x.1@example.com>\n"
                 f"{extra}Content-Type: text/plain; charset=utf-8\n\n{body}\n")


@pytest.mark.parametrize(("headers", "sender", "reason"), [
    ("Auto-Submitted: no", "kim@example.com", ""),
    ("Auto-Submitted: auto-generated", "kim@example.com", "auto_submitted"),
    ("Auto-Submitted: auto-replied; owner-email=kim@example.com", "kim@example.com", "out_of_office"),
    ("X-Autoreply: yes", "kim@example.com", "autoreply"),
    ("X-Autorespond: Thank you", "kim@example.com", "autoreply"),
    ("Precedence: junk", "kim@example.com", "precedence"),
    ("Precedence: list", "kim@example.com", "precedence"),
    ("X-Auto-Response-Suppress: OOF, AutoReply", "kim@example.com", "auto_response_suppress"),
    ("", "no-reply@shop.example", "noreply"),
    ("", "NoReply@shop.example", "noreply"),
    ("", "do-not-reply@shop.example", "noreply"),
    ("", "noreplyfan@example.com", ""),  # a person whose name only starts like it
    ("", "postmaster@example.com", "mailer_daemon"),
])
def test_auto_reasons(headers, sender, reason):
    assert message(mail(headers, sender=sender)).details["auto"] == reason


def test_exchange_absence_notice_without_auto_replied_is_out_of_office():
    raw = mail("Auto-Submitted: auto-generated", sender="kim@example.com").replace(
        b"Subject: Hi", b"Subject: Automatische Antwort: Hi")
    assert message(raw).details["auto"] == "out_of_office"


def test_dsn_bounce_names_our_mail_the_recipient_and_the_reason():
    [status] = events(auto.DSN_BOUNCE)
    assert isinstance(status, DeliveryStatus)
    assert (status.thread, status.message_id, status.status) == ("nobody@weber-logistik.de", m.OUR_ID, "failed")
    assert status.reason.startswith("550 5.1.1 <nobody@weber-logistik.de>: Recipient address rejected")
    assert "User unknown" in status.reason


def test_a_bounce_without_a_report_is_still_recognised():
    [status] = events(auto.QMAIL_BOUNCE)
    assert isinstance(status, DeliveryStatus)
    assert (status.thread, status.message_id, status.status) == ("gone@example.net", "c.77.m.1.sig@demo.example",
                                                                 "failed")
    assert status.reason == "failure notice"


def test_a_delay_report_fails_nothing():
    raw = auto.DSN_BOUNCE.replace(b"Action: failed", b"Action: delayed")
    [event] = events(raw)
    assert isinstance(event, Unsupported) and event.kind == "email_delivery_delayed"


def test_attachments_arrive_with_their_bytes():
    msg = message(m.ATTACHMENT)
    assert msg.text == "anbei die Rechnung und ein Foto vom Display."
    pdf, png = msg.attachments
    assert (pdf.kind, pdf.ref, pdf.mime, pdf.name, pdf.size, pdf.raw) == (
        "file", "inline:1", "application/pdf", "Rechnung März.pdf", len(m.PDF), m.PDF)
    assert (png.kind, png.ref, png.mime, png.name, png.raw) == ("image", "inline:2", "image/png", "display.png", m.PNG)
    assert pdf.customer == msg.customer and pdf.message_id == msg.message_id


def test_a_forwarded_mail_is_one_file_not_opened():
    msg = message(m.FORWARD_ATTACHED)
    assert msg.text == "Diese Mahnung kam heute, obwohl ich bezahlt habe."
    [forwarded] = msg.attachments
    assert (forwarded.kind, forwarded.mime, forwarded.name) == ("file", "message/rfc822", "forwarded.eml")
    assert b"Subject: Mahnung" in forwarded.raw and b"mahnung.pdf" in forwarded.raw
    assert forwarded.size == len(forwarded.raw)


def test_mail_without_message_id_is_keyed_by_its_bytes():
    [(first, _)] = BRIDGE.deliveries(m.NO_MESSAGE_ID)
    [(again, _)] = BRIDGE.deliveries(m.NO_MESSAGE_ID)
    assert first == again == hashlib.sha256(m.NO_MESSAGE_ID).hexdigest()
    msg = message(m.NO_MESSAGE_ID)
    assert (msg.text, msg.details["message_id"], msg.ts) == ("Wann endet mein Vertrag 55?", "", 0.0)


def test_mail_without_sender_is_acknowledged_not_routed():
    [event] = events(m.NO_SENDER)
    assert isinstance(event, Unsupported) and event.kind == "email_without_sender"


def test_envelope_recipients_keep_the_case_of_a_token():
    raw = mail("Delivered-To: support+AbC.Xy@demo.example\nX-Original-To: support+AbC.Xy@demo.example")
    assert message(raw).details["recipients"] == ["support@demo.example", "support+AbC.Xy@demo.example"]


def test_marker_in_html_alternative_only_is_found():
    raw = m.raw("""
From: kim@example.com
To: support@demo.example
Subject: Re: x
Message-ID: <h.1@example.com>
Content-Type: text/html; charset=utf-8

<p>Noch eine Frage.</p><div>On Tue, Mar 4, 2025 at 10:12 AM Demo Support &lt;support@demo.example&gt; wrote:</div>
<blockquote><p>alt</p><p style="color:#999">[ref:Qw3.rt]</p></blockquote>
""")
    msg = message(raw)
    assert (msg.text, msg.details["marker_tokens"]) == ("Noch eine Frage.", ["Qw3.rt"])


def test_a_list_in_the_mail_is_not_taken_for_a_signature():
    body = "Ich habe schon:\n- den Router neu gestartet\n- das Kabel getauscht\n\nGruß\nKim"
    assert message(mail("", body=body)).text == ("Ich habe schon:\n- den Router neu gestartet\n"
                                                 "- das Kabel getauscht")


def test_an_unknown_charset_does_not_lose_the_mail():
    raw = mail("").replace(b"charset=utf-8", b"charset=x-made-up")
    assert message(raw).text == "Hallo"


@pytest.mark.parametrize("body", [b"", b"   \r\n", b"\x00\x01 not a mail at all"])
def test_what_is_no_mail_is_malformed(body):
    with pytest.raises(Malformed):
        BRIDGE.deliveries(body)


def sign(body: bytes, secret: str = SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def test_webhook_signature():
    body = m.GMAIL_DE
    BRIDGE.verify({"X-Omnirelay-Signature": sign(body)}, body)
    BRIDGE.verify({"x-omnirelay-signature": sign(body)}, body)  # a plain dict, other case
    for headers in ({}, {"X-Omnirelay-Signature": sign(body, "other")},
                    {"X-Omnirelay-Signature": sign(body + b"x")}, {"X-Omnirelay-Signature": "sha256=ü"}):
        with pytest.raises(AuthFailed):
            BRIDGE.verify(headers, body)
    unsigned = EmailBridge(EmailConfig(secret=""))
    with pytest.raises(AuthFailed):  # no secret configured: nothing is accepted
        unsigned.verify({"X-Omnirelay-Signature": sign(body, "")}, body)
    assert BRIDGE.handshake({"challenge": "x"}, b"") is None


async def test_attachments_are_never_fetched():
    with pytest.raises(Fatal, match="arrive with the mail"):
        await BRIDGE.fetch("inline:2", 1000)
