"""Messenger webhooks in, through the bridge alone: every recorded page payload through ``deliveries``
and ``parse``, the signature and handshake checks, batches, dedupe ids and what is not supported."""

from __future__ import annotations

import copy
import json

import pytest
from conftest import FIXTURES

from bridges.base import AuthFailed, Malformed
from bridges.events import Choice, DeliveryStatus, Edit, Location, Message, Reaction, Unsupported
from bridges.messenger import SPEC, MessengerConfig
from bridges.messenger.inbound import signature

pytestmark = pytest.mark.timeout(10)

SECRET, VERIFY = "app-secret", "verify-me"
PSID, PAGE = "1134343043305865", "1691462197845448"


@pytest.fixture
def bridge():
    config = MessengerConfig(app_secret=SECRET, verify_token=VERIFY, token="page-token", api_base="http://127.0.0.1:9")
    return SPEC.factory(config, None)  # parsing never touches the HTTP client


def payload(name: str) -> dict:
    return json.loads((FIXTURES / f"messenger_{name}.json").read_text())["payload"]


def body_of(data: dict) -> bytes:
    return json.dumps(data).encode()


def events(bridge, data: dict) -> list:
    return [e for _, unit in bridge.deliveries(body_of(data)) for e in bridge.parse(unit)]


def item(kind: str, value: dict, ts: int = 1700000000000, psid: str = PSID) -> dict:
    return {"sender": {"id": psid}, "recipient": {"id": PAGE}, "timestamp": ts, kind: value}


def page(*entries: list[dict]) -> dict:
    return {"object": "page", "entry": [{"id": PAGE, "time": 1, "messaging": list(m)} for m in entries]}


# --- every recorded page payload --------------------------------------------------------------------

def test_every_recorded_page_payload_is_covered_here():
    recorded = {p.stem.removeprefix("messenger_") for p in FIXTURES.glob("messenger_*.json")
                if json.loads(p.read_text())["payload"].get("object") == "page"}
    assert recorded == {"text", "attachment_image", "quick_reply", "postback", "echo", "delivery", "read"}


def test_text(bridge):
    [(delivery, unit)] = bridge.deliveries(body_of(payload("text")))
    assert delivery == "message:mid.1472026867074:cfb5e1d4bde07a2a55"
    [msg] = bridge.parse(unit)
    assert isinstance(msg, Message) and msg.text == "hello world"
    assert (msg.customer.id, msg.thread) == (PSID, PSID)  # the PSID is who wrote and where replies go
    assert msg.message_id == "mid.1472026867074:cfb5e1d4bde07a2a55"
    assert msg.ts == pytest.approx(1472026867.080) and msg.raw == unit and msg.attachments == ()


def test_two_images_in_one_message(bridge):
    [msg] = events(bridge, payload("attachment_image"))
    assert isinstance(msg, Message) and msg.text == "" and msg.customer.id == "USER_ID"
    assert [(a.kind, a.ref, a.name) for a in msg.attachments] == [
        ("image", "http://facebookimage.com/image.png", "image.png"),
        ("image", "http://facebookimage.com/imageX.png", "imageX.png"),
    ]
    ids = [a.message_id for a in msg.attachments]
    assert len(set(ids)) == 2 and all(i.startswith(msg.message_id) for i in ids)


def test_quick_reply_is_a_choice_with_the_text_shown(bridge):
    [choice] = events(bridge, payload("quick_reply"))
    assert isinstance(choice, Choice)
    assert (choice.label, choice.value, choice.thread) == ("Action", "PICK_ACTION", PSID)
    assert choice.message_id == "mid.1472028637817:ae2763cc036a664b43"


def test_postback_is_a_choice(bridge):
    [choice] = events(bridge, payload("postback"))
    assert isinstance(choice, Choice) and choice.value == "DEVELOPED_DEFINED_PAYLOAD"
    assert choice.customer.id == PSID and choice.ts == pytest.approx(1472028006.107)
    # the current format carries the button's title and a mid
    current = page([item("postback", {"mid": "m_pb1", "title": "Talk to a human", "payload": "HUMAN"})])
    [(delivery, unit)] = bridge.deliveries(body_of(current))
    [choice] = bridge.parse(unit)
    assert delivery == "postback:m_pb1"
    assert (choice.label, choice.value, choice.message_id) == ("Talk to a human", "HUMAN", "m_pb1")


def test_our_own_echo_yields_nothing(bridge):
    [(delivery, unit)] = bridge.deliveries(body_of(payload("echo")))
    assert delivery == "message:mid.1472026868734:832ecbdfc1ffc30139"  # still acknowledged, once
    assert bridge.parse(unit) == []


def test_delivery_is_delivered_for_each_mid_with_the_watermark_time(bridge):
    [status] = events(bridge, payload("delivery"))
    assert status == DeliveryStatus(thread=PSID, message_id="mid.1472028395154:917e24ea99bc7d8f11",
                                    status="delivered", ts=1472028395.190, raw=status.raw)
    both = page([item("delivery", {"mids": ["m_1", "m_2"], "watermark": 1700000000500})])
    assert [(s.message_id, s.status) for s in events(bridge, both)] == [("m_1", "delivered"), ("m_2", "delivered")]
    # mids "may not be present": the watermark alone
    [bare] = events(bridge, page([item("delivery", {"watermark": 1700000000500})]))
    assert (bare.message_id, bare.status, bare.ts) == ("", "delivered", 1700000000.5)


def test_read_is_a_watermark(bridge):
    [status] = events(bridge, payload("read"))
    assert isinstance(status, DeliveryStatus)
    assert (status.thread, status.message_id, status.status) == (PSID, "", "read")
    assert status.ts == pytest.approx(1472026868.763)  # the watermark, not the webhook's timestamp


# --- signature and handshake ------------------------------------------------------------------------

def test_the_signature_is_checked_on_the_raw_bytes(bridge):
    body = body_of(payload("text"))
    bridge.verify({"X-Hub-Signature-256": signature(SECRET, body)}, body)
    bridge.verify({"x-hub-signature-256": signature(SECRET, body)}, body)  # header names are case-free
    bad = [
        {"X-Hub-Signature-256": signature("another-secret", body)},
        {"X-Hub-Signature-256": signature(SECRET, body + b" ")},  # re-serialised JSON is not what was signed
        {"X-Hub-Signature-256": ""},
        {},
        {"X-Hub-Signature": "sha1=0000"},  # the legacy header alone is not enough
        {"X-Hub-Signature-256": "sha256=\u00e9" + "0" * 63},
    ]
    for headers in bad:
        with pytest.raises(AuthFailed):
            bridge.verify(headers, body)


def test_without_an_app_secret_nothing_verifies():
    unset = SPEC.factory(MessengerConfig(verify_token=VERIFY), None)
    with pytest.raises(AuthFailed):
        unset.verify({"X-Hub-Signature-256": signature("", b"{}")}, b"{}")


def test_the_subscription_handshake(bridge):
    ok = {"hub.mode": "subscribe", "hub.challenge": "1158201444", "hub.verify_token": VERIFY}
    assert bridge.handshake(ok, b"") == "1158201444"
    assert bridge.handshake({}, b"") is None  # an ordinary POST
    for wrong in ({**ok, "hub.verify_token": "meatyhamhock"}, {**ok, "hub.mode": "unsubscribe"},
                  {"hub.challenge": "1", "hub.mode": "subscribe"}):
        with pytest.raises(AuthFailed):
            bridge.handshake(wrong, b"")
    with pytest.raises(AuthFailed):  # no verify token configured: no handshake succeeds
        SPEC.factory(MessengerConfig(app_secret=SECRET), None).handshake({**ok, "hub.verify_token": ""}, b"")


# --- batches and dedupe ids ---------------------------------------------------------------------------

def test_a_batch_of_several_entries_yields_every_item_in_order(bridge):
    text, delivery = payload("text")["entry"][0]["messaging"][0], payload("delivery")["entry"][0]["messaging"][0]
    postback, echo = payload("postback")["entry"][0]["messaging"][0], payload("echo")["entry"][0]["messaging"][0]
    read = payload("read")["entry"][0]["messaging"][0]
    second = item("message", {"mid": "m_2", "text": "second entry"})
    found = events(bridge, page([text, delivery], [postback, echo, second], [read]))
    assert [type(e).__name__ for e in found] == ["Message", "DeliveryStatus", "Choice", "Message", "DeliveryStatus"]
    assert [getattr(e, "text", None) for e in found if isinstance(e, Message)] == ["hello world", "second entry"]
    assert len(bridge.deliveries(body_of(page([text, delivery], [postback, echo, second], [read])))) == 6


def test_dedupe_ids_repeat_on_redelivery_and_differ_otherwise(bridge):
    batch = page([item("message", {"mid": "m_1", "text": "a"}), item("postback", {"payload": "P"}, ts=5),
                  item("delivery", {"watermark": 9}), item("read", {"watermark": 9})])
    ids = [d for d, _ in bridge.deliveries(body_of(batch))]
    assert ids == [d for d, _ in bridge.deliveries(body_of(copy.deepcopy(batch)))]
    assert len(set(ids)) == 4  # a delivery and a read at the same watermark are two things
    assert ids[0] == "message:m_1" and ids[2] == f"delivery:{PSID}:9" and ids[3] == f"read:{PSID}:9"
    # an old-format postback is known by (sender, timestamp, payload)
    again = [d for d, _ in bridge.deliveries(body_of(page([item("postback", {"payload": "P"}, ts=5)])))]
    later = [d for d, _ in bridge.deliveries(body_of(page([item("postback", {"payload": "P"}, ts=6)])))]
    other = [d for d, _ in bridge.deliveries(body_of(page([item("postback", {"payload": "P"}, ts=5, psid="7")])))]
    assert again == [ids[1]] and later != again and other != again


def test_unreadable_bodies_are_malformed(bridge):
    for body in (b"{not json", b"\xff\xfe", b"[]", body_of({"object": "instagram", "entry": []}),
                 body_of({"object": "page"}), body_of({"object": "page", "entry": [{"messaging": {}}]}),
                 body_of({"object": "page", "entry": [{"messaging": ["x"]}]})):
        with pytest.raises(Malformed):
            bridge.deliveries(body)
    # a page event with no messaging (a feed change): acknowledged, nothing to do
    assert bridge.deliveries(body_of({"object": "page", "entry": [{"id": PAGE, "changes": []}]})) == []


# --- the rest of the vocabulary -------------------------------------------------------------------------

def test_reactions_edits_stickers_replies_and_places(bridge):
    react = item("reaction", {"reaction": "love", "emoji": "\u2764\ufe0f", "action": "react", "mid": "m_ours"})
    unreact = item("reaction", {"reaction": "love", "action": "unreact", "mid": "m_ours"}, ts=1700000009000)
    edit = item("message_edit", {"mid": "m_1", "text": "hello, fixed", "num_edit": 1})
    sticker = item("message", {"mid": "m_st", "attachments": [
        {"type": "image", "payload": {"url": "https://cdn.example/369239263222822.png", "sticker_id": 369239263222822}}]})
    reply = item("message", {"mid": "m_r", "text": "this one", "reply_to": {"mid": "m_ours"}})
    place = item("message", {"mid": "m_loc", "attachments": [
        {"type": "location", "title": "Pinned", "payload": {"coordinates": {"lat": 52.52, "long": 13.405}}}]})
    got = events(bridge, page([react, unreact, edit, sticker, reply, place]))
    r1, r2, e, s, m, loc = got
    assert isinstance(r1, Reaction) and (r1.target, r1.emoji) == ("m_ours", "\u2764\ufe0f")
    assert isinstance(r2, Reaction) and (r2.target, r2.emoji) == ("m_ours", "") and r1.message_id != r2.message_id
    assert isinstance(e, Edit) and (e.target, e.text) == ("m_1", "hello, fixed")
    assert isinstance(s, Message) and s.attachments[0].kind == "sticker"
    assert isinstance(m, Message) and m.reply_to == "m_ours"
    assert isinstance(loc, Location) and (loc.latitude, loc.longitude, loc.name) == (52.52, 13.405, "Pinned")


def test_what_is_not_supported_is_named_and_platform_events_are_not_the_customers(bridge):
    share = item("message", {"mid": "m_f", "attachments": [{"type": "fallback", "payload": {"url": None}}]})
    referral = item("referral", {"ref": "ad-42", "source": "ADS", "type": "OPEN_THREAD"})
    empty = item("message", {"mid": "m_e"})
    handover = item("pass_thread_control", {"new_owner_app_id": "1", "metadata": ""})
    odd = {"recipient": {"id": PAGE}, "timestamp": 1, "message": {"mid": "m_x", "text": "no sender"}}
    got = events(bridge, page([share, referral, empty, handover, odd]))
    assert all(isinstance(e, Unsupported) for e in got)
    assert [(e.kind, e.thread, e.customer is not None) for e in got] == [
        ("fallback", PSID, True), ("referral", PSID, True), ("message", PSID, True),
        ("pass_thread_control", "", False), ("message", "", False)]
