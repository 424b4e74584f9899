"""The inbound rules with hand-made canonical mails (what the email bridge's ``parse`` yields):
floods are capped per sender, our own mail coming back is dropped, a mail's files are stored as
ready media at once (no fetch), and an agent's reply carries the whole threading context."""

from __future__ import annotations

import pytest
from email_helpers import SECRET, CustomerServer, email_gateway, mail, services

from bridges.events import Attachment, Customer
from gateway.conversations.bridged import bridged_event
from gateway.email import threads
from gateway.email.compose import reply_context
from gateway.email.tokens import Tokens
from gateway.keys import TenantKeys
from gateway.media.records import get_record
from gateway.store.conversations import get_conversation
from gateway.store.messages import read_messages

pytestmark = pytest.mark.timeout(30)
KEYS = TenantKeys("demo")
KIM = "kim@kunde.example"


@pytest.fixture
async def svc(redis_url):
    async with CustomerServer() as kunde, email_gateway(redis_url, kunde.port) as gw:
        yield services(gw)


async def pointer(redis, sender: str = KIM) -> str:
    return await redis.hget(KEYS.platform_chat("email", sender), "conversation_id") or ""


async def test_a_flood_from_one_sender_is_capped(redis, svc, monkeypatch):
    monkeypatch.setattr(threads, "RATE_CAP", (3, 600))
    for n in range(5):
        await bridged_event(svc, "demo", "email", mail(KIM, f"mail {n}", message_id=f"<m{n}@kunde.example>"))
    stored = [m.text for m in await read_messages(redis, KEYS, await pointer(redis))]
    assert stored == ["mail 0", "mail 1", "mail 2"]
    # another sender is not held back by it
    await bridged_event(svc, "demo", "email", mail("ola@kunde.example", "hej", message_id="<o1@kunde.example>"))
    assert await pointer(redis, "ola@kunde.example")


async def test_our_own_mail_coming_back_is_dropped(redis, svc):
    ours = Tokens(SECRET).message_id("c_0123456789abcdef", 3, "demo.example")
    await bridged_event(svc, "demo", "email", mail("support@demo.example", "looped", message_id=ours))
    assert await pointer(redis, "support@demo.example") == ""


async def test_a_mails_files_are_ready_at_once(redis, svc):
    base = mail(KIM, "see attached", message_id="<f1@kunde.example>")
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
    att = Attachment(customer=Customer(id=KIM), thread=KIM, message_id=base.message_id, kind="image",
                     ref="inline:2", mime="image/png", name="scan.png", size=len(png), raw=png)
    event = type(base)(customer=base.customer, thread=KIM, message_id=base.message_id, text=base.text,
                       details=base.details, attachments=(att,))
    await bridged_event(svc, "demo", "email", event)
    await bridged_event(svc, "demo", "email", event)  # a redelivery registers nothing new
    msgs = await read_messages(redis, KEYS, await pointer(redis))
    assert len(msgs) == 1 and len(msgs[0].extra["attachments"]) == 1
    record = await get_record(redis, "demo", msgs[0].extra["attachments"][0]["id"])
    assert record is not None and (record.state, record.mime, record.name, record.seq) == ("ready", "image/png", "scan.png", 1)
    assert await redis.zcard(KEYS.media_due()) == 0  # no fetch job


async def test_a_reply_carries_subject_threading_token_marker_and_history(redis, svc):
    await bridged_event(svc, "demo", "email", mail(KIM, "Erste Frage", message_id="<q1@kunde.example>",
                                                   subject="Rechnung 4711"))
    await bridged_event(svc, "demo", "email", mail(KIM, "Zweite Frage", message_id="<q2@kunde.example>",
                                                   references=("<q1@kunde.example>",)))
    conv = await get_conversation(redis, KEYS, await pointer(redis))
    assert conv is not None
    ctx = await reply_context(svc, conv, 3)
    tokens = Tokens(SECRET)
    assert ctx["subject"] == "Re: Rechnung 4711" and ctx["thread_topic"] == "Rechnung 4711"
    assert ctx["in_reply_to"] == "<q2@kunde.example>" and ctx["references"] == ["<q1@kunde.example>", "<q2@kunde.example>"]
    assert tokens.ours(ctx["message_id"]) == (conv.id, 3) and ctx["message_id"].endswith("@demo.example>")
    assert tokens.conversation_of({"recipients": [ctx["reply_to"]]}) == conv.id
    assert ctx["marker"] == tokens.marker(conv.id)
    assert [h["text"] for h in ctx["history"]] == ["Erste Frage", "Zweite Frage"]
    assert (ctx["from"], ctx["from_name"], ctx["language"]) == ("support@demo.example", "Demo GmbH Kundenservice", "de")
