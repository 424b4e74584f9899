"""The automatic answer on the email channel: a routine first mail gets the approved canned answer as a
threaded reply mail ending with how to reach a person, and the customer's reply asking for a person
queues the conversation with its priority and waiting time kept. Real SMTP both ways (the gateway's
listener, a recording customer server), real Redis and PostgreSQL with a week of agents' choices."""

from __future__ import annotations

from email.message import EmailMessage

import aiosmtplib
import pytest
from conftest import eventually
from test_assist_answers import seed_agent_week
from test_assist_confirm import mail_gateway
from test_assist_routing import chat_conversation, task_of

from gateway import appkeys as K
from gateway.keys import TenantKeys

pytestmark = pytest.mark.timeout(90)
KEYS = TenantKeys("demo")
PAT = "pat@customer.example"


async def send(port: int, msg: EmailMessage) -> None:
    await aiosmtplib.send(msg, hostname="127.0.0.1", port=port, timeout=5)


async def test_a_routine_mail_is_answered_by_mail_and_a_reply_asking_for_a_person_queues_it(
        redis, redis_url, database_url, history_db):
    await seed_agent_week(history_db)
    async with mail_gateway(redis_url, database_url) as (gw, port):
        relay = gw.relay
        assert (await gw.app[K.SERVICES].answers.built("demo")).threshold.threshold is not None
        first = EmailMessage()
        first["From"], first["To"], first["Subject"] = f"Pat <{PAT}>", "support@demo.example", "Invoice"
        first["Message-ID"] = "<first-1@customer.example>"
        first.set_content("Can you send me my invoice again please?")
        await send(port, first)

        await eventually(lambda: relay.mails, timeout=15)
        answer = relay.mails[0]
        assert answer["To"].addresses[0].addr_spec == PAT
        assert answer["In-Reply-To"] == "<first-1@customer.example>"  # threaded under the customer's mail
        assert "<first-1@customer.example>" in str(answer["References"])
        assert str(answer["Subject"]).startswith("Re: Invoice")
        body = answer.get_body(("plain",)).get_content()
        assert "download all your invoices" in body and 'Reply "person" to talk to one of us.' in body
        conv = await chat_conversation(redis, "email", PAT)
        assert (conv.state, conv.queue) == ("auto_answered", "billing")
        assert await gw.app[K.ROUTER].engine("demo").task(conv.id) is None  # nobody's work yet

        # the customer answers the automatic mail (from their mail program: Reply-To, threading) asking for a person
        reply = EmailMessage()
        reply["From"], reply["To"] = f"Pat <{PAT}>", str(answer["Reply-To"] or answer["From"])
        reply["Subject"], reply["Message-ID"] = f"Re: {answer['Subject']}", "<reply-1@customer.example>"
        reply["In-Reply-To"] = reply["References"] = str(answer["Message-ID"])
        reply.set_content("That is not what I need, I want to talk to a person.\n\n> " + body.replace("\n", "\n> "))
        await send(port, reply)

        task = await task_of(gw, conv.id)
        assert task["queue"] == "billing"
        assert task["enqueued_at"] == conv.created_at  # in line since the first mail
        assert task["priority"] == gw.app[K.CONFIG].tenants["demo"].queues["billing"].priority
        figures = await redis.hgetall(KEYS.auto_snippet("invoice-copy-en"))
        assert (figures["sent"], figures["asked"]) == ("1", "1")
        assert len(relay.mails) == 1  # a mail's next answer is the agent's own, no "one of us" mail in between
        anna, anna_in = await gw.agent("anna")
        offer = await anna_in.next("offer", lambda o: o["conversation_id"] == conv.id, timeout=10)
        assert offer["channel_type"] == "email"
