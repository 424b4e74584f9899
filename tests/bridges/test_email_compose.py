"""Mail out, as the customer's client will read it: threading headers, both alternatives, the
quoted history, Outlook's Thread-Index, and nothing a person typed turning into markup or headers."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

import pytest

from bridges.base import Fatal, Outbound, OutboundFile
from bridges.email import EmailBridge, EmailConfig, inbound
from bridges.email.compose import compose
from bridges.events import Message

pytestmark = pytest.mark.timeout(10)

CONFIG = EmailConfig(address="support@demo.example", display_name="Demo GmbH Kundenservice", language="de")
NOW = datetime(2025, 3, 5, 9, 30, tzinfo=UTC)
CUSTOMER_ID = "<CAJ8x3Kb7vE@mail.gmail.com>"
HISTORY = [
    {"author": "Kim Lee", "ts": datetime(2025, 3, 4, 10, 0, tzinfo=UTC).timestamp(), "text": "Mein Router startet nicht."},
    {"author": "Anna", "ts": datetime(2025, 3, 4, 10, 12, tzinfo=UTC).timestamp(),
     "text": "Bitte starten Sie ihn neu.\nDanach melden Sie sich."},
]


def context(**over) -> dict:
    ctx = {
        "from": "support@demo.example", "from_name": "Demo GmbH Kundenservice",
        "subject": "AW: Router startet nicht", "message_id": "<c.42.m.8.sig@demo.example>",
        "in_reply_to": CUSTOMER_ID, "references": ["<c.42.m.1.sig@demo.example>", CUSTOMER_ID],
        "reply_to": "support+Tk9xAbC.1@demo.example", "marker": "[ref:Tk9xAbC.1]", "history": HISTORY,
        "intro": "", "language": "de", "thread_topic": "", "thread_index": "",
    }
    return {**ctx, **over}


def mail(text: str = "Der Techniker kommt am Freitag.", files=(), **over) -> EmailMessage:
    """The composed mail as the customer's server receives it: serialised, then read back."""
    out = Outbound(thread="kim.lee@gmail.com", text=text, client_id="c1", files=files, context=context(**over))
    sent = compose(out, CONFIG, now=NOW).as_bytes(policy=policy.SMTP)
    parsed = BytesParser(policy=policy.default).parsebytes(sent)
    assert isinstance(parsed, EmailMessage)
    return parsed


def bodies(msg: EmailMessage) -> tuple[str, str]:
    plain, html = msg.get_body(("plain",)), msg.get_body(("html",))
    assert plain is not None and html is not None
    return plain.get_content().replace("\r\n", "\n"), html.get_content().replace("\r\n", "\n")


def test_threading_headers():
    msg = mail()
    assert msg["From"] == "Demo GmbH Kundenservice <support@demo.example>"
    assert (msg["To"], msg["Reply-To"]) == ("kim.lee@gmail.com", "support+Tk9xAbC.1@demo.example")
    assert msg["Subject"] == "AW: Router startet nicht"
    assert msg["Message-ID"] == "<c.42.m.8.sig@demo.example>"
    assert msg["In-Reply-To"] == CUSTOMER_ID
    assert msg["References"] == f"<c.42.m.1.sig@demo.example> {CUSTOMER_ID}"
    assert msg["Thread-Topic"] == "Router startet nicht"  # Outlook's topic is the subject without AW:
    assert msg["Auto-Submitted"] == "no" and msg["Content-Language"] == "de"
    assert msg["Date"] == "Wed, 05 Mar 2025 09:30:00 +0000"
    assert msg.get_content_type() == "multipart/alternative"


def test_thread_index_is_outlooks_format_and_shared_by_the_thread():
    first = base64.b64decode(mail(references=[], in_reply_to="", message_id="<c.42.m.1.sig@demo.example>")
                             ["Thread-Index"])
    reply = base64.b64decode(mail()["Thread-Index"])
    other = base64.b64decode(mail(references=["<c.7.m.1.sig@demo.example>"])["Thread-Index"])
    assert len(first) == 22 and first[0] == 1 and len(reply) == 22 + 5 * 2  # header, one block per level
    assert first[6:22] == reply[6:22] != other[6:22]  # the GUID: same thread, same conversation in Outlook
    assert mail(thread_index="AQHbjPZ1m2bVY3hZ")["Thread-Index"] == "AQHbjPZ1m2bVY3hZ"  # the gateway's wins


def test_plain_text_has_reply_marker_and_quoted_history():
    plain, _ = bodies(mail())
    assert plain.startswith("Der Techniker kommt am Freitag.\n\n[ref:Tk9xAbC.1]\n\n-- Bisheriger Verlauf --\n")
    assert "Am 04.03.2025 um 10:00 UTC schrieb Kim Lee:\n> Mein Router startet nicht." in plain
    assert "Am 04.03.2025 um 10:12 UTC schrieb Anna:\n> Bitte starten Sie ihn neu.\n> Danach melden Sie sich." in plain
    assert plain.index("Kim Lee:") < plain.index("Anna:")  # oldest first


def test_html_has_the_same_content():
    _, html = bodies(mail(intro="Danke für Ihre Geduld.", language="en"))
    assert html.index("Danke für Ihre Geduld.") < html.index("Der Techniker kommt am Freitag.")
    assert "[ref:Tk9xAbC.1]" in html and "<blockquote" in html
    assert "On 2025-03-04 10:12 UTC, Anna wrote:" in html
    assert "Bitte starten Sie ihn neu.<br>Danach melden Sie sich." in html


def test_nothing_a_person_typed_becomes_markup():
    evil = '<script>alert(1)</script><img src=x onerror="alert(2)"> & "quotes"'
    history = [{"author": '<b onmouseover="x()">Mallory</b>', "ts": 0, "text": "</blockquote><a href='javascript:y()'>"}]
    plain, html = bodies(mail(text=evil, intro="<iframe src=//evil>", history=history, marker="[ref:<i>]"))
    for tag in ("<script", "<img", "<iframe", "<b ", "<a ", "<i>", "</blockquote><a"):
        assert tag not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "&amp; &quot;quotes&quot;" in html
    assert "&lt;b onmouseover=&quot;x()&quot;&gt;Mallory&lt;/b&gt; schrieb:" in html  # no time known: none shown
    assert html.count("<blockquote") == html.count("</blockquote>") == 1
    assert evil in plain  # the plain alternative shows exactly what was typed


def test_no_header_can_be_smuggled_in():
    msg = mail(subject="Hallo\r\nBcc: victim@example.com", from_name="Demo\nX-Evil: 1",
               references=["<a@b>\r\nX-Evil: 2"])
    assert msg["Bcc"] is None and msg["X-Evil"] is None
    assert msg["Subject"] == "Hallo Bcc: victim@example.com"


def test_files_go_along():
    pdf = OutboundFile(name="Gutschrift März.pdf", mime="application/pdf", data=b"%PDF-1.4 ...")
    msg = mail(files=(pdf,))
    assert msg.get_content_type() == "multipart/mixed"
    [part] = list(msg.iter_attachments())
    assert (part.get_filename(), part.get_content_type(), part.get_content()) == (
        "Gutschrift März.pdf", "application/pdf", b"%PDF-1.4 ...")
    plain, html = bodies(msg)
    assert "Der Techniker" in plain and "Der Techniker" in html


def test_the_customers_answer_to_our_mail_comes_back_as_only_their_words():
    """The round trip the issue is about: our mail, quoted by the customer's client, read by us."""
    ours = compose(Outbound(thread="kim.lee@gmail.com", text="Der Techniker kommt am Freitag.", client_id="c1",
                            context=context()), CONFIG, now=NOW)
    plain = ours.get_body(("plain",))
    assert plain is not None
    quoted = "\n".join(f"> {line}" for line in plain.get_content().splitlines())
    answer = (f"From: Kim Lee <kim.lee@gmail.com>\nTo: support+Tk9xAbC.1@demo.example\nSubject: Re: x\n"
              f"Message-ID: <k.2@gmail.com>\nIn-Reply-To: {ours['Message-ID']}\n"
              f"Content-Type: text/plain; charset=utf-8\n\nFreitag passt.\n\n"
              f"Am 05.03.2025 um 10:30 schrieb Demo GmbH Kundenservice:\n{quoted}\n").encode()
    [event] = inbound.parse(answer)
    assert isinstance(event, Message)
    assert event.text == "Freitag passt."
    assert event.details["marker_tokens"] == ["Tk9xAbC.1"]


def test_without_a_message_id_one_is_made():
    out = Outbound(thread="kim.lee@gmail.com", text="Hallo", client_id="c1", context={"subject": "Hallo"})
    msg = compose(out, CONFIG, now=NOW)
    assert msg["From"] == "Demo GmbH Kundenservice <support@demo.example>"  # the channel's own
    assert str(msg["Message-ID"]).endswith("@demo.example>")
    assert "Reply-To" not in msg and "In-Reply-To" not in msg and "References" not in msg


@pytest.mark.parametrize("thread", ["not an address", ""])
async def test_an_impossible_address_is_fatal(thread):
    with pytest.raises(Fatal):
        await EmailBridge(CONFIG).send(Outbound(thread=thread, text="x", client_id="c1", context=context()))
