"""Telegram webhooks in, as pure functions: the secret-token check, the Update's dedupe id, and
every recorded Telegram update turned into the canonical event an agent will see."""

from __future__ import annotations

import json
from typing import Any

import pytest
from conftest import FIXTURES

from bridges.base import AuthFailed, Malformed
from bridges.events import Attachment, Choice, Contact, Edit, Location, Message, Unsupported
from bridges.telegram import SPEC, TelegramBridge, TelegramConfig
from bridges.telegram.inbound import SECRET_HEADER

pytestmark = pytest.mark.timeout(10)

SECRET = "tg-secret_123"


def payload(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"{name}.json").read_text())["payload"]


def bridge(allow_groups: bool = False) -> TelegramBridge:
    return TelegramBridge(TelegramConfig(secret=SECRET, token="1:t", allow_groups=allow_groups), None)  # type: ignore[arg-type]


def events(name: str, allow_groups: bool = False) -> list:
    """The fixture as Telegram posts it: raw bytes → deliveries → parse."""
    b = bridge(allow_groups)
    return [e for _, unit in b.deliveries(json.dumps(payload(name)).encode()) for e in b.parse(unit)]


def one(name: str, allow_groups: bool = False):
    found = events(name, allow_groups)
    assert len(found) == 1, found
    return found[0]


# fixture → (event type, what the agent must see of it)
EXPECTED: dict[str, tuple[type, dict[str, Any]]] = {
    "telegram_text": (Message, {"text": "hello there", "thread": "218485655", "message_id": "6557", "ts": 1569518342.0}),
    "telegram_coredocs_text": (Message, {"text": "/start", "thread": "1111111", "message_id": "1365"}),
    "telegram_photo": (Attachment, {"kind": "image", "mime": "image/jpeg", "size": 132533, "thread": "86815320"}),
    "telegram_photo_with_caption": (Attachment, {"kind": "image", "caption": "asdasdasdasdasdasd", "size": 84913}),
    "telegram_document": (Attachment, {"kind": "file", "name": "document.pdf", "mime": "application/pdf",
                                       "size": 123456}),
    "telegram_coredocs_document": (Attachment, {"kind": "file", "name": "Testfile.pdf", "size": 536392}),
    "telegram_voice": (Attachment, {"kind": "audio", "mime": "audio/ogg", "size": 6448}),
    "telegram_coredocs_voice": (Attachment, {"kind": "audio", "mime": "audio/ogg", "size": 23000}),
    "telegram_sticker": (Attachment, {"kind": "sticker", "mime": "image/webp", "size": 38662}),
    "telegram_location": (Location, {"latitude": 41.899977, "longitude": 12.501028, "thread": "12345"}),
    "telegram_contact": (Contact, {"name": "911", "phone": "911", "user_id": ""}),
    "telegram_edited_message": (Edit, {"target": "23762", "text": "Editing this message",
                                       "message_id": "23762:edit:1584985245", "ts": 1584985245.0}),
    "telegram_coredocs_edited_message": (Edit, {"target": "1365", "text": "Edited text"}),
    "telegram_callback_query": (Choice, {"value": "thedata", "label": "thedata", "thread": "222222222",
                                         "message_id": "666728699048485871"}),
    "telegram_coredocs_callback_query": (Choice, {"value": "Data from button callback", "thread": "1111111"}),
    # group chats: nothing unless the channel allows them (see below)
    "telegram_group_message": (type(None), {}),
    "telegram_group_forum_topic_message": (type(None), {}),
}


def test_every_recorded_update_is_covered():
    recorded = {p.stem for p in FIXTURES.glob("telegram_*.json") if not p.stem.startswith("telegram_error_")}
    assert recorded == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_recorded_update_becomes_its_event(name):
    kind, fields = EXPECTED[name]
    found = events(name)
    if kind is type(None):
        assert found == []
        return
    assert len(found) == 1 and type(found[0]) is kind
    event = found[0]
    for field, value in fields.items():
        assert getattr(event, field) == value, field
    update = payload(name)
    inner = next(v for k, v in update.items() if k != "update_id")
    assert event.raw == inner  # kept for debugging
    assert event.customer.id == str(inner["from"]["id"])  # the Telegram user, not the chat


def test_the_customer_carries_name_username_and_language():
    event = one("telegram_location")
    assert (event.customer.name, event.customer.username, event.customer.language) == ("Mario Bros", "MarioBros", "it")
    assert one("telegram_coredocs_text").customer.language == ""  # 2015 sample: no language_code


def test_the_largest_photo_is_taken_and_its_ref_tells_fetch_the_size():
    event = one("telegram_photo_with_caption")  # sizes listed out of order: 720x960 is the largest
    assert event.ref.startswith("SAAS?") and "size=84913" in event.ref
    photo = one("telegram_photo")
    assert photo.ref.startswith(payload("telegram_photo")["message"]["photo"][-1]["file_id"] + "?")
    assert one("telegram_document").ref == "a1b2c34d5e6f7g8h9i?size=123456&name=document.pdf&mime=application%2Fpdf"


def test_a_button_reply_carries_the_buttons_text():
    update = payload("telegram_callback_query")
    update["callback_query"]["data"] = "b"
    choice = bridge().parse(update)[0]
    assert (choice.value, choice.label) == ("b", "dsa")


def test_group_messages_only_when_the_channel_allows_them():
    message = one("telegram_group_message", allow_groups=True)
    assert isinstance(message, Message) and message.text == "/report"
    assert (message.thread, message.customer.id, message.reply_to) == ("-1001293752024", "5964236329", "134545")
    topic = one("telegram_group_forum_topic_message", allow_groups=True)
    assert topic.thread == "-1001234567489" and topic.text == "lòklò"
    update = payload("telegram_callback_query")
    update["callback_query"]["message"]["chat"] = {"id": -100, "type": "group", "title": "g"}
    assert bridge().parse(update) == []
    assert len(bridge(allow_groups=True).parse(update)) == 1


def test_bots_channels_and_anonymous_senders_are_not_customers():
    update = payload("telegram_text")
    update["message"]["from"]["is_bot"] = True
    assert bridge().parse(update) == []
    post = {"update_id": 5, "message": {"message_id": 1, "date": 1, "text": "news",
                                        "chat": {"id": -1009, "type": "channel"}, "sender_chat": {"id": -1009}}}
    assert bridge(allow_groups=True).parse(post) == []


def test_an_unsupported_message_names_its_type_for_the_agent():
    update = payload("telegram_text")
    del update["message"]["text"], update["message"]["link_preview_options"]
    update["message"]["poll"] = {"id": "1", "question": "?", "options": []}
    event = one_of(bridge().parse(update))
    assert isinstance(event, Unsupported) and event.kind == "poll"
    assert (event.customer.id, event.thread, event.message_id) == ("218485655", "218485655", "6557")
    other = one_of(bridge().parse({"update_id": 7, "my_chat_member": {"chat": {"id": 1}}}))
    assert isinstance(other, Unsupported) and other.kind == "my_chat_member" and other.customer is None


def test_a_verified_but_misshapen_update_is_acknowledged_not_retried():
    for broken in ({"update_id": 8, "message": {"from": {"id": 1}, "chat": {"id": 1, "type": "private"}, "text": "no id"}},
                   {"update_id": 9, "message": {"from": "nobody", "chat": {"type": "private"}}},
                   {"update_id": 10, "callback_query": {"data": "x"}}):
        event = one_of(bridge().parse(broken))
        assert isinstance(event, Unsupported) and event.kind.startswith("malformed ")


def one_of(found: list):
    assert len(found) == 1
    return found[0]


def test_dedupe_is_by_update_id_not_by_message_id():
    text, voice = payload("telegram_text"), payload("telegram_voice")
    voice["message"]["message_id"] = text["message"]["message_id"]  # same id, another chat
    b = bridge()
    assert b.deliveries(json.dumps(text).encode())[0][0] == "892252934"
    assert b.deliveries(json.dumps(voice).encode())[0][0] == "123456789"
    # the platform's retry of the same update: the same id
    assert b.deliveries(json.dumps(text).encode()) == b.deliveries(json.dumps(text).encode())


@pytest.mark.parametrize("body", [b"{not json", b"[]", b'{"message": {}}', b'{"update_id": "1"}', b"\xff"])
def test_an_unreadable_body_is_malformed(body):
    with pytest.raises(Malformed):
        bridge().deliveries(body)


@pytest.mark.parametrize("headers", [
    {},
    {SECRET_HEADER: ""},
    {SECRET_HEADER: "tg-secret_124"},
    {SECRET_HEADER: SECRET + "x"},
    {SECRET_HEADER: "geheimnis-ß"},  # not ASCII: refused, never a TypeError (a 500)
    {"X-Telegram-Bot-Api-Secret": SECRET},
])
def test_a_wrong_or_missing_secret_token_is_refused(headers):
    with pytest.raises(AuthFailed):
        bridge().verify(headers, b"{}")


def test_the_right_secret_token_passes_in_any_header_case():
    bridge().verify({SECRET_HEADER: SECRET}, b"{}")
    bridge().verify({SECRET_HEADER.lower(): SECRET}, b"{}")


def test_a_channel_without_a_secret_accepts_nothing():
    b = TelegramBridge(TelegramConfig(secret="", token="1:t"), None)  # type: ignore[arg-type]
    with pytest.raises(AuthFailed):
        b.verify({SECRET_HEADER: ""}, b"{}")


def test_no_handshake_and_the_spec():
    assert bridge().handshake({"hub.challenge": "1", "hub.verify_token": "x"}, b"") is None
    assert (SPEC.type, SPEC.work_channel, SPEC.identity_kind) == ("telegram", "messaging", "telegram")
    assert (SPEC.rates.per_chat_s, SPEC.rates.per_channel_per_s) == (1.0, 30.0)
    assert set(SPEC.secrets) == {"secret", "token"}
    assert SECRET not in repr(TelegramConfig(secret=SECRET, token="1:t")) and "1:t" not in repr(bridge().config)
