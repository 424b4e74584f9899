"""Which conversation a customer's mail enters, through the gateway's own SMTP listener and the email
bridge: the token leads back (without References too), another sender never enters someone else's
conversation, a forged token is a new mail, a repeat is stored once, automatic mail never opens
routing and is never answered, a bounce shows on the message it bounced."""

from __future__ import annotations

import asyncio
from email.message import EmailMessage

import aiosmtplib
import pytest
from email_helpers import SECRET, CustomerServer, email_gateway, eventually, free_port

from gateway.email.tokens import Tokens
from gateway.keys import TenantKeys
from gateway.store.contacts import get_contact
from gateway.store.conversations import Conversation, get_conversation
from gateway.store.messages import read_messages
from gateway.store.statuses import statuses

pytestmark = pytest.mark.timeout(60)
KEYS = TenantKeys("demo")
KIM, EVE = "kim@kunde.example", "eve@elsewhere.example"
TOKENS = Tokens(SECRET)


def mail(sender: str, text: str, message_id: str, *, to: str = "support@demo.example", **headers: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"], msg["Message-ID"] = sender, to, "Rechnung", message_id
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    msg.set_content(text)
    return msg


async def conversation_of(redis, sender: str) -> Conversation:
    async def found() -> Conversation | None:
        cid = await redis.hget(KEYS.platform_chat("email", sender), "conversation_id")
        return await get_conversation(redis, KEYS, cid) if cid else None

    conv = await eventually(found, timeout=10)
    assert isinstance(conv, Conversation)
    return conv


async def texts(redis, cid: str, kind: str = "visitor") -> list[str]:
    return [m.text.strip() for m in await read_messages(redis, KEYS, cid) if m.author_kind == kind]


async def first_mail(redis, port: int) -> Conversation:
    await aiosmtplib.send(mail(KIM, "Meine Rechnung ist falsch", "<first@kunde.example>"), hostname="127.0.0.1", port=port)
    conv = await conversation_of(redis, KIM)
    await eventually(lambda: texts(redis, conv.id))
    return conv


@pytest.fixture
async def gateway(redis_url):
    port = free_port()
    async with CustomerServer() as kunde, email_gateway(redis_url, kunde.port, listen_port=port) as gw:
        yield gw, port, kunde


async def test_token_without_references_enters_the_conversation_and_verifies_the_address(redis, gateway):
    gw, port, _ = gateway
    conv = await first_mail(redis, port)
    assert conv.channel_type == "email" and conv.work_channel == "email" and conv.state == "queued"
    contact = await get_contact(redis, KEYS, conv.contact_id)
    assert contact is not None and contact.email == KIM and not contact.email_verified  # a From is only a claim
    # the client dropped In-Reply-To and References; the plus-address still carries the token
    await aiosmtplib.send(mail(KIM, "Nummer 4711", "<second@kunde.example>", to=TOKENS.reply_address(
        "support@demo.example", conv.id)), hostname="127.0.0.1", port=port)
    await eventually(lambda: _equals(texts(redis, conv.id), ["Meine Rechnung ist falsch", "Nummer 4711"]))
    contact = await get_contact(redis, KEYS, conv.contact_id)
    assert contact is not None and contact.email_verified and f"email:{KIM}" in contact.identities  # the round trip
    # the body marker alone is enough too
    await aiosmtplib.send(mail(KIM, f"Noch etwas\n\n[ref:{TOKENS.token(conv.id)}]", "<third@kunde.example>"),
                          hostname="127.0.0.1", port=port)
    await eventually(lambda: _length(texts(redis, conv.id), 3))


async def test_another_sender_with_a_valid_token_gets_a_new_linked_conversation(redis, gateway):
    gw, port, _ = gateway
    conv = await first_mail(redis, port)
    await aiosmtplib.send(mail(EVE, "Ich habe das weitergeleitet bekommen", "<eve1@elsewhere.example>",
                               to=TOKENS.reply_address("support@demo.example", conv.id)), hostname="127.0.0.1", port=port)
    eve = await conversation_of(redis, EVE)
    assert eve.id != conv.id and eve.linked_to == conv.id and eve.contact_id != conv.contact_id
    assert await texts(redis, conv.id) == ["Meine Rechnung ist falsch"]  # never merged into Kim's
    assert await texts(redis, eve.id) == ["Ich habe das weitergeleitet bekommen"]
    assert EVE in (await texts(redis, conv.id, "system"))[0] and conv.id in (await texts(redis, eve.id, "system"))[0]


async def test_a_forged_token_is_treated_as_a_new_mail(redis, gateway):
    gw, port, _ = gateway
    conv = await first_mail(redis, port)
    forged = f"support+{conv.id}.0123456789abcdef@demo.example"
    await aiosmtplib.send(mail(EVE, "Hallo", "<eve2@elsewhere.example>", to=forged, In_Reply_To=f"<{conv.id}.1.0123456789abcdef@demo.example>"),
                          hostname="127.0.0.1", port=port)
    eve = await conversation_of(redis, EVE)
    assert eve.id != conv.id and eve.linked_to == "" and await texts(redis, eve.id) == ["Hallo"]
    assert await texts(redis, conv.id) == ["Meine Rechnung ist falsch"]


async def test_the_same_message_id_twice_is_stored_once(redis, gateway):
    gw, port, _ = gateway
    conv = await first_mail(redis, port)
    await aiosmtplib.send(mail(KIM, "Meine Rechnung ist falsch", "<first@kunde.example>"), hostname="127.0.0.1", port=port)
    await asyncio.sleep(0.8)
    assert await texts(redis, conv.id) == ["Meine Rechnung ist falsch"]


async def test_auto_replies_are_shown_but_never_routed_nor_answered(redis, gateway):
    gw, port, kunde = gateway
    await aiosmtplib.send(mail(KIM, "Ich bin bis Montag nicht im Büro.", "<ooo@kunde.example>",
                               Auto_Submitted="auto-replied"), hostname="127.0.0.1", port=port)
    conv = await conversation_of(redis, KIM)
    assert conv.state == "closed"  # kept for the agent to see, never queued
    msgs = await read_messages(redis, KEYS, conv.id)
    assert msgs[0].extra["email"]["auto"] in ("auto_submitted", "out_of_office")
    # the person writes afterwards: a new conversation is routed; the out-of-office stays where it was
    await aiosmtplib.send(mail(KIM, "Jetzt bin ich da", "<back@kunde.example>"), hostname="127.0.0.1", port=port)
    person = await eventually(lambda: _reopened(redis, conv.id), timeout=10)
    assert person.state == "queued" and await texts(redis, person.id) == ["Jetzt bin ich da"]
    await asyncio.sleep(0.5)
    assert kunde.attempts == 0  # nothing ever went back


async def test_a_bounce_fails_the_message_marks_the_address_and_sends_nothing(redis, gateway):
    gw, port, kunde = gateway
    visitor, _ = await gw.visitor(language="en")
    await visitor.call("message", {"text": "Write me", "client_id": "v1"}, namespace="/visitor")
    chat = (await visitor.call("escalate", {"to": "email", "email": KIM}, namespace="/visitor"))["conversation_id"]
    await eventually(lambda: kunde.mails, timeout=10)
    ours = str(kunde.mails[0]["Message-ID"])
    cid, seq = TOKENS.ours(ours) or ("", 0)
    assert cid == chat
    await aiosmtplib.send(dsn(KIM, ours), sender="mailer-daemon@kunde.example", recipients=["support@demo.example"], hostname="127.0.0.1", port=port)
    await eventually(lambda: _failed(redis, chat, seq), timeout=10)
    contact = await get_contact(redis, KEYS, (await get_conversation(redis, KEYS, chat)).contact_id)  # type: ignore[union-attr]
    assert contact is not None
    await eventually(lambda: _hget_is(redis, KEYS.contact(contact.id), "email_undeliverable", KIM))
    await asyncio.sleep(0.5)
    assert kunde.attempts == 1  # only the transcript: nothing answered the bounce


async def test_the_listener_refuses_foreign_domains_and_oversized_mail(redis_url, redis):
    port = free_port()

    def small(config):
        config.limits.webhook_body_bytes = 4000

    async with CustomerServer() as kunde, email_gateway(redis_url, kunde.port, listen_port=port, configure=small):
        with pytest.raises(aiosmtplib.SMTPRecipientsRefused) as refused:
            await aiosmtplib.send(mail(KIM, "hi", "<x@k>", to="someone@other.example"), hostname="127.0.0.1", port=port)
        assert refused.value.recipients[0].code == 550
        with pytest.raises(aiosmtplib.SMTPResponseException) as big:
            await aiosmtplib.send(mail(KIM, "x" * 6000, "<big@k>"), hostname="127.0.0.1", port=port)
        assert big.value.code == 552 and "4000 bytes" in big.value.message
        assert await redis.xlen(KEYS.webhooks_in()) == 0


def dsn(recipient: str, ours: str) -> bytes:
    """An RFC 3464 bounce of our mail ``ours``, as a mail server sends it."""
    return (
        "From: MAILER-DAEMON@kunde.example\r\nTo: support@demo.example\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\nMessage-ID: <bounce1@kunde.example>\r\n"
        "MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\r\n\r\n"
        "--B\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n"
        "--B\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.kunde.example\r\n\r\n"
        f"Final-Recipient: rfc822; {recipient}\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        "Diagnostic-Code: smtp; 550 5.1.1 user unknown\r\n\r\n"
        "--B\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"Message-ID: {ours}\r\nFrom: support@demo.example\r\nTo: {recipient}\r\n\r\n--B--\r\n"
    ).encode()


async def _failed(redis, cid: str, seq: int) -> bool:
    found = (await statuses(redis, KEYS, cid)).get(seq)
    return found is not None and found.status == "failed" and "user unknown" in found.reason


async def _reopened(redis, closed: str) -> Conversation | None:
    cid = await redis.hget(KEYS.platform_chat("email", KIM), "conversation_id")
    return await get_conversation(redis, KEYS, cid) if cid and cid != closed else None


async def _hget_is(redis, key: str, field: str, expected: str) -> bool:
    return await redis.hget(key, field) == expected


async def _equals(value, expected) -> bool:
    return await value == expected


async def _length(value, n: int) -> bool:
    return len(await value) == n
