"""Storage: numbered idempotent messages, conversations, contacts merged across channels."""

from __future__ import annotations

import asyncio

import pytest

from gateway.keys import TenantKeys
from gateway.store.contacts import get_contact, resolve_contact
from gateway.store.conversations import (
    close_conversation,
    conversations_of_contact,
    create_conversation,
    get_conversation,
)
from gateway.store.messages import ConversationClosed, ConversationMissing, append_message, read_messages

K = TenantKeys("demo")


async def _conv(redis, contact="k_1", channel="web", ctype="widget"):
    return await create_conversation(
        redis, K, channel=channel, channel_type=ctype, work_channel="chat", contact_id=contact,
        topic="billing", queue="billing", language="en",
    )


async def test_messages_are_numbered_in_order_and_history_fills_a_gap(redis):
    conv = await _conv(redis)
    sent = [await append_message(redis, K, conv.id, author_kind="visitor", author_name="V", text=f"m{i}") for i in range(5)]
    assert [m.seq for m in sent] == [1, 2, 3, 4, 5]
    after = await read_messages(redis, K, conv.id, after_seq=2)
    assert [m.text for m in after] == ["m2", "m3", "m4"]
    assert [m.seq for m in after] == [3, 4, 5]
    assert (await get_conversation(redis, K, conv.id)).seq == 5


async def test_same_client_id_stores_once_and_returns_the_first_ack(redis):
    conv = await _conv(redis)
    first = await append_message(redis, K, conv.id, author_kind="visitor", author_name="V", text="hi", client_id="c1")
    again = await append_message(redis, K, conv.id, author_kind="visitor", author_name="V", text="hi", client_id="c1")
    assert (again.id, again.seq, again.ts) == (first.id, first.seq, first.ts)
    assert again.duplicate and not first.duplicate
    assert len(await read_messages(redis, K, conv.id)) == 1


async def test_concurrent_appends_get_distinct_consecutive_seqs(redis):
    conv = await _conv(redis)
    msgs = await asyncio.gather(*[
        append_message(redis, K, conv.id, author_kind="agent", author_name="A", text=str(i), client_id=f"c{i % 50}")
        for i in range(200)
    ])
    assert sorted({m.seq for m in msgs}) == list(range(1, 51))
    stored = await read_messages(redis, K, conv.id)
    assert [m.seq for m in stored] == list(range(1, 51))


async def test_closed_and_missing_conversations_refuse_messages(redis):
    conv = await _conv(redis)
    assert await close_conversation(redis, K, conv.id, "agent")
    assert not await close_conversation(redis, K, conv.id, "agent")
    with pytest.raises(ConversationClosed):
        await append_message(redis, K, conv.id, author_kind="visitor", author_name="V", text="late")
    with pytest.raises(ConversationMissing):
        await append_message(redis, K, "c_nope", author_kind="visitor", author_name="V", text="x")


async def test_contact_is_merged_when_the_same_verified_email_shows_up_on_another_channel(redis):
    web = await resolve_contact(redis, K, [("visitor", "v1"), ("email", "Eva@Example.com")], name="Eva")
    tg = await resolve_contact(redis, K, [("telegram", "4711")], name="eva_tg")
    assert web != tg
    c1 = await _conv(redis, contact=web)
    c2 = await _conv(redis, contact=tg, channel="telegram", ctype="telegram")
    # the Telegram user later proves the same email (answered from it): both become one person
    merged = await resolve_contact(redis, K, [("telegram", "4711"), ("email", "eva@example.com ")])
    assert merged == web  # the older contact survives
    contact = await get_contact(redis, K, tg)
    assert contact.id == web
    assert {"visitor:v1", "telegram:4711", "email:eva@example.com"} <= set(contact.identities)
    assert contact.name == "Eva" and contact.email_verified
    history = await conversations_of_contact(redis, K, web)
    assert {c.id for c in history} == {c1.id, c2.id}


async def test_a_typed_email_or_phone_is_a_claim_and_never_merges(redis):
    owner = await resolve_contact(redis, K, [("visitor", "v1"), ("email", "eva@example.com")], name="Eva")
    impostor = await resolve_contact(redis, K, [("visitor", "v2")], name="Mallory", email="EVA@example.com",
                                     phone="+49 30 1234567")
    assert impostor != owner
    claimed = await get_contact(redis, K, impostor)
    assert (claimed.name, claimed.email, claimed.email_verified) == ("Mallory", "eva@example.com", False)
    assert (claimed.phone, claimed.phone_verified) == ("49301234567", False)
    assert "email:eva@example.com" not in claimed.identities
    # the owner's contact is untouched, and a later claim cannot overwrite a verified address
    await resolve_contact(redis, K, [("visitor", "v1")], email="mallory@evil.example")
    still = await get_contact(redis, K, owner)
    assert (still.email, still.email_verified, still.name) == ("eva@example.com", True, "Eva")


async def test_an_agent_merges_two_contacts_explicitly(redis):
    first = await resolve_contact(redis, K, [("visitor", "v1")], name="Eva", email="eva@example.com")
    second = await resolve_contact(redis, K, [("telegram", "99")], name="eva_tg")
    c2 = await _conv(redis, contact=second, channel="telegram", ctype="telegram")
    kept = await resolve_contact(redis, K, [], merge=[first, second])
    assert kept == first
    assert (await get_contact(redis, K, second)).id == first
    assert c2.id in {c.id for c in await conversations_of_contact(redis, K, first)}
    # the telegram identity now finds the merged contact
    assert await resolve_contact(redis, K, [("telegram", "99")]) == first


async def test_tenants_do_not_share_contacts(redis):
    a = await resolve_contact(redis, TenantKeys("a"), [("email", "x@y.z")])
    b = await resolve_contact(redis, TenantKeys("b"), [("email", "x@y.z")])
    assert a != b
    assert await get_contact(redis, TenantKeys("b"), a) is None


async def test_calls_batched_into_one_pipeline_fail_alone(redis):
    conv = await _conv(redis)
    results = await asyncio.gather(
        *[append_message(redis, K, conv.id, author_kind="visitor", author_name="V", text=str(i)) for i in range(5)],
        append_message(redis, K, "c_missing", author_kind="visitor", author_name="V", text="lost"),
        return_exceptions=True,
    )
    assert isinstance(results[-1], ConversationMissing)
    assert sorted(m.seq for m in results[:-1]) == [1, 2, 3, 4, 5]


async def test_scripts_are_loaded_again_after_redis_forgot_them(redis):
    conv = await _conv(redis)
    await append_message(redis, K, conv.id, author_kind="visitor", author_name="V", text="a")
    await redis.script_flush()
    again = await append_message(redis, K, conv.id, author_kind="visitor", author_name="V", text="b")
    assert again.seq == 2
