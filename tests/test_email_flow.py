"""Email end to end on loopback: the widget escalates, the transcript reaches the customer's mail
server, the customer's German Outlook reply comes back through the gateway's own SMTP listener, is
offered on the ``email`` work channel, and the agent's answer arrives threaded under it."""

from __future__ import annotations

import asyncio
import re
from email.message import EmailMessage

import aiosmtplib
import pytest
from email_helpers import CustomerServer, email_gateway, eventually, free_port

from gateway.keys import TenantKeys
from gateway.store.conversations import get_conversation
from gateway.store.messages import read_messages

pytestmark = pytest.mark.timeout(60)
KEYS = TenantKeys("demo")
KIM = "kim@kunde.example"


def outlook_reply(ours: EmailMessage, text: str, *, message_id: str = "<AM0PR01MB1234@kunde.example>",
                  sender: str = KIM, keep_references: bool = True) -> EmailMessage:
    """A reply as German Outlook writes it: "AW:", the answer, a signature, then "Von:/Gesendet:" and the original."""
    reply = EmailMessage()
    reply["From"] = f"Kim Kunde <{sender}>"
    reply["To"] = str(ours["Reply-To"])
    reply["Subject"] = f"AW: {ours['Subject']}"
    reply["Message-ID"] = message_id
    reply["Date"] = "Mon, 01 Dec 2025 10:05:00 +0100"
    if keep_references:
        reply["In-Reply-To"] = str(ours["Message-ID"])
        reply["References"] = str(ours["Message-ID"])
    original = ours.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    reply.set_content(
        f"{text}\n\nMit freundlichen Grüßen\nKim Kunde\n\n"
        f"Von: Demo GmbH Kundenservice <support@demo.example>\nGesendet: Montag, 1. Dezember 2025 10:00\n"
        f"An: {KIM}\nBetreff: {ours['Subject']}\n\n{original}"
    )
    return reply


async def mail_to_gateway(port: int, msg: EmailMessage) -> None:
    await aiosmtplib.send(msg, hostname="127.0.0.1", port=port, timeout=5)


async def test_escalate_transcript_outlook_reply_offered_on_email_answered_threaded(redis, redis_url):
    listen = free_port()
    async with CustomerServer() as kunde, email_gateway(redis_url, kunde.port, listen_port=listen) as gw:
        visitor, _ = await gw.visitor(language="de", name="Kim")
        await visitor.call("message", {"text": "Meine Rechnung ist falsch", "client_id": "v1"}, namespace="/visitor")
        ack = await visitor.call("escalate", {"to": "email", "email": KIM}, namespace="/visitor")
        chat = ack["conversation_id"]
        await visitor.call("close", {}, namespace="/visitor")  # the customer leaves the chat

        await eventually(lambda: kunde.mails, timeout=10)
        transcript = kunde.mails[0]
        assert transcript["To"].addresses[0].addr_spec == KIM
        assert transcript["From"].addresses[0].addr_spec == "support@demo.example"
        assert re.fullmatch(rf"<{chat}\.\d+\.[0-9a-f]{{16}}@demo\.example>", str(transcript["Message-ID"]))
        assert str(transcript["Reply-To"]).startswith(f"support+{chat}.")
        assert transcript["Auto-Submitted"] == "no" and transcript["Thread-Topic"]
        body = transcript.get_body(("plain",)).get_content()
        assert "Vielen Dank für Ihre Geduld" in body and "Meine Rechnung ist falsch" in body

        anna, anna_in = await gw.agent("anna")  # billing 5, German; takes email
        await mail_to_gateway(listen, outlook_reply(transcript, "Hallo,\n\ndie Rechnungsnummer ist 4711."))
        offer = await anna_in.next("offer", timeout=10)
        assert (offer["channel"], offer["channel_type"]) == ("email", "email")
        accepted = await anna.call("accept", {"offer_id": offer["offer_id"]}, namespace="/agent")
        cid = accepted["conversation"]["conversation_id"]
        conv = await get_conversation(redis, KEYS, cid)
        assert conv is not None and conv.linked_to == chat  # it continues the chat, by email
        said = [m for m in await read_messages(redis, KEYS, cid) if m.author_kind == "visitor"]
        assert [m.text.strip() for m in said] == ["Hallo,\n\ndie Rechnungsnummer ist 4711."]
        assert "Von:" in said[0].extra["email"]["quoted"] and said[0].extra["email"]["subject"].startswith("AW:")

        await anna.call("message", {"conversation_id": cid, "text": "Danke, wir korrigieren die Rechnung.",
                                    "client_id": "a1"}, namespace="/agent")
        await eventually(lambda: len(kunde.mails) == 2, timeout=10)
        answer = kunde.mails[1]
        assert answer["In-Reply-To"] == "<AM0PR01MB1234@kunde.example>"
        assert "<AM0PR01MB1234@kunde.example>" in str(answer["References"])
        assert str(answer["Subject"]).startswith("Re: ") and answer["To"].addresses[0].addr_spec == KIM
        plain = answer.get_body(("plain",)).get_content()
        assert plain.index("Danke, wir korrigieren") < plain.index("die Rechnungsnummer ist 4711")  # quoted below
        status = await anna_in.next("message_status", lambda s: s["conversation_id"] == cid)
        assert status["status"] == "sent"


async def test_relay_451_then_250_sends_exactly_once(redis, redis_url):
    async with CustomerServer() as relay, email_gateway(redis_url, relay.port) as gw:
        relay.script = ["451 4.3.0 try again later"]
        visitor, _ = await gw.visitor(language="en")
        await visitor.call("message", {"text": "Please mail me", "client_id": "v1"}, namespace="/visitor")
        await visitor.call("escalate", {"to": "email", "email": KIM}, namespace="/visitor")
        await eventually(lambda: relay.mails, timeout=10)
        body = relay.mails[0].get_body(("plain",)).get_content()
        assert "Thank you for your patience" in body
        await visitor.call("escalate", {"to": "email", "email": KIM}, namespace="/visitor")  # the same again
        await eventually(lambda: relay.attempts >= 2)
        await asyncio.sleep(1.5)
        assert relay.attempts == 2 and len(relay.mails) == 1
