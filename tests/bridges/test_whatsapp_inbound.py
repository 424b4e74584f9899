"""WhatsApp webhooks in, without the gateway: every recorded payload through ``deliveries`` + ``parse``,
the signature, the hub.challenge handshake, batches and their dedupe ids."""

from __future__ import annotations

import json

import pytest
from conftest import FIXTURES
from wa_fixtures import BSUID, PHONE_NUMBER_ID, batch, body_of, bridge, message, recorded, sign

from bridges.base import AuthFailed, Malformed
from bridges.events import (
    Attachment,
    Choice,
    Contact,
    DeliveryStatus,
    Location,
    Message,
    Reaction,
    Unsupported,
)

pytestmark = pytest.mark.timeout(10)

PYWA_PHONE = "972987654321"

# What each recorded webhook must become: (event class, the fields to check).
EXPECTED = {
    "whatsapp_text": (Message, {"text": "Does it come in another color?", "ts": 1749416383.0, "reply_to": ""}),
    "whatsapp_text_pywa": (Message, {"text": "Body Text", "ts": 1697043223.0}),
    "whatsapp_text_reply_context": (Message, {"text": "replied text", "reply_to": "wamid.xyzxyz=="}),
    "whatsapp_image": (Attachment, {"kind": "image", "ref": "65463453", "mime": "image/jpeg", "caption": ""}),
    "whatsapp_interactive_button_reply": (Choice, {"value": "callback_data", "label": "title"}),
    "whatsapp_interactive_list_reply": (Choice, {"value": "callback_data", "label": "title",
                                                 "message_id": "wamid.zyzxyz"}),
    "whatsapp_location": (Location, {"latitude": 37.4611978, "longitude": -122.2164385, "name": "Facebook HQ",
                                     "address": "1 Hacker Way, Menlo Park, CA 94025"}),
    "whatsapp_location_current": (Location, {"latitude": 12.25089, "longitude": 43.90539, "name": ""}),
    "whatsapp_reaction": (Reaction, {"target": "wamid.yzxyzx=", "emoji": "😮"}),
    "whatsapp_reaction_removed": (Reaction, {"target": "wamid.yzxyzx=", "emoji": ""}),
    "whatsapp_unsupported": (Unsupported, {"kind": "unsupported", "ts": 1697044706.0}),
    "whatsapp_status_sent": (DeliveryStatus, {"status": "sent", "thread": BSUID, "reason": "", "ts": 1698266945.0}),
    "whatsapp_status_delivered": (DeliveryStatus, {"status": "delivered", "thread": BSUID, "reason": ""}),
    "whatsapp_status_read": (DeliveryStatus, {"status": "read", "thread": BSUID, "ts": 1689380458.0}),
    "whatsapp_status_failed": (DeliveryStatus, {
        "status": "failed", "thread": BSUID, "reason": "User's number is part of an experiment (130472)"}),
}


def test_every_recorded_webhook_is_covered():
    webhooks = {p.stem for p in FIXTURES.glob("whatsapp_*.json") if "entry" in json.loads(p.read_text())["payload"]}
    assert webhooks == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_a_recorded_webhook_becomes_its_canonical_event(name):
    payload = recorded(name)
    wa = bridge(phone_number_id="")  # the official sample is of another business number
    units = wa.deliveries(body_of(payload))
    assert len(units) == 1
    delivery_id, unit = units[0]
    events = wa.parse(unit)
    assert len(events) == 1
    event = events[0]
    cls, fields = EXPECTED[name]
    assert type(event) is cls
    for field, value in fields.items():
        assert getattr(event, field) == value, field
    value = payload["entry"][0]["changes"][0]["value"]
    if isinstance(event, DeliveryStatus):
        item = value["statuses"][0]
        assert delivery_id == f"{item['id']}:{item['status']}" and event.message_id == item["id"]
    else:
        item = value["messages"][0]
        assert delivery_id == item["id"] and event.message_id == item["id"]
        assert event.customer is not None and event.thread == event.customer.id
        assert event.ts == float(item["timestamp"])
    assert event.raw == item


def test_the_bsuid_is_the_customer_and_the_phone_an_attribute():
    [(_, unit)] = bridge().deliveries(body_of(recorded("whatsapp_text_pywa")))
    [event] = bridge().parse(unit)
    who = event.customer
    assert (who.id, who.phone, who.name) == (BSUID, PYWA_PHONE, "Test Name")
    assert event.thread == BSUID


def test_without_a_bsuid_the_wa_id_is_the_customer():
    [(_, unit)] = bridge(phone_number_id="").deliveries(body_of(recorded("whatsapp_text")))
    [event] = bridge().parse(unit)
    assert (event.customer.id, event.customer.phone, event.customer.name) == ("16505551234", "16505551234",
                                                                              "Sheena Nelson")
    assert event.thread == "16505551234"


def test_a_username_user_without_a_phone_number():
    value = message("wamid.u1", "hi", wa_id="", bsuid="")
    value["contacts"] = [{"profile": {"name": "Ana", "username": "ana.k"}, "user_id": "DE.777"}]
    del value["messages"][0]["from"]
    value["messages"][0]["from_user_id"] = "DE.777"
    [(_, unit)] = bridge().deliveries(body_of(batch(value)))
    [event] = bridge().parse(unit)
    assert (event.customer.id, event.customer.phone, event.customer.username) == ("DE.777", "", "ana.k")
    assert event.thread == "DE.777" and event.text == "hi"


def test_a_batch_yields_every_message_and_status_in_order_with_its_dedupe_id():
    first = message("wamid.1", "one")
    second = message("wamid.2", "two", wa_id="4915100000", bsuid="DE.2")
    second["messages"].append({"from": "4915100000", "id": "wamid.3", "timestamp": "1700000001", "type": "text",
                               "text": {"body": "three"}})
    statuses = {"messaging_product": "whatsapp", "metadata": {"phone_number_id": PHONE_NUMBER_ID},
                "statuses": [{"id": "wamid.out", "status": "delivered", "timestamp": "1", "recipient_id": "4915100000",
                              "recipient_user_id": "DE.2"},
                             {"id": "wamid.out", "status": "read", "timestamp": "2", "recipient_id": "4915100000",
                              "recipient_user_id": "DE.2"}]}
    wa = bridge()
    units = wa.deliveries(body_of(batch(first, [second, statuses])))
    assert [d for d, _ in units] == ["wamid.1", "wamid.2", "wamid.3", "wamid.out:delivered", "wamid.out:read"]
    events = [e for _, u in units for e in wa.parse(u)]
    assert [getattr(e, "text", None) or e.status for e in events] == ["one", "two", "three", "delivered", "read"]
    assert [e.thread for e in events] == [BSUID, "DE.2", "DE.2", "DE.2", "DE.2"]


def test_the_same_message_again_has_the_same_dedupe_id_and_each_status_its_own():
    wa = bridge()
    again = [d for d, _ in wa.deliveries(body_of(batch(message("wamid.1", "one"))))]
    assert again == [d for d, _ in wa.deliveries(body_of(batch(message("wamid.1", "one"))))] == ["wamid.1"]
    ids = {wa.deliveries(body_of(recorded(f"whatsapp_status_{s}")))[0][0] for s in ("sent", "delivered", "read", "failed")}
    assert ids == {"wamid.xyzxyz:sent", "wamid.xyzxyz:delivered", "wamid.xyzxyz:read", "wamid.xyzxyz:failed"}


def test_noise_yields_no_delivery():
    template_review = {"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [
        {"field": "message_template_status_update", "value": {"event": "APPROVED"}}]}]}
    assert bridge().deliveries(body_of(template_review)) == []
    other_number = message("wamid.9", "for another number")
    other_number["metadata"]["phone_number_id"] = "999"
    assert bridge().deliveries(body_of(batch(other_number))) == []
    group = message("wamid.10", "in a group")
    group["messages"][0]["group_id"] = "G1"
    assert bridge().deliveries(body_of(batch(group))) == []


@pytest.mark.parametrize("body", [b"{not json", b"[]", b'{"entry": 3}', b'{"entry": [{"changes": [{"field": '
                                  b'"messages", "value": {"messages": [{"type": "text"}]}}]}]}'])
def test_an_unreadable_body_is_malformed(body):
    with pytest.raises(Malformed):
        bridge().deliveries(body)


def test_media_contacts_and_template_buttons():
    value = message("wamid.m", "")
    value["messages"] = [
        {"from": PYWA_PHONE, "id": "wamid.doc", "timestamp": "5", "type": "document",
         "document": {"id": "77", "mime_type": "application/pdf", "filename": "invoice.pdf", "caption": "my bill",
                      "file_size": 1234}},
        {"from": PYWA_PHONE, "id": "wamid.card", "timestamp": "6", "type": "contacts",
         "contacts": [{"name": {"formatted_name": "Bob"}, "phones": [{"phone": "+49 151 1", "wa_id": "491511"}]},
                      {"name": {"formatted_name": "Eve"}, "phones": [{"phone": "+49 151 2"}]}]},
        {"from": PYWA_PHONE, "id": "wamid.btn", "timestamp": "7", "type": "button",
         "button": {"payload": "STOP", "text": "Stop promotions"}},
        {"from": PYWA_PHONE, "id": "wamid.flow", "timestamp": "8", "type": "interactive",
         "interactive": {"type": "nfm_reply", "nfm_reply": {"response_json": "{}"}}},
        {"from": PYWA_PHONE, "id": "wamid.bad", "timestamp": "9", "type": "location", "location": {}},
    ]
    wa = bridge()
    events = [e for _, u in wa.deliveries(body_of(batch(value))) for e in wa.parse(u)]
    doc, bob, eve, button, flow, bad = events
    assert isinstance(doc, Attachment)
    assert (doc.kind, doc.ref, doc.mime, doc.name, doc.size, doc.caption) == (
        "file", "77", "application/pdf", "invoice.pdf", 1234, "my bill")
    assert isinstance(bob, Contact) and (bob.name, bob.phone, bob.user_id, bob.message_id) == (
        "Bob", "+49 151 1", "491511", "wamid.card")
    assert isinstance(eve, Contact) and (eve.name, eve.message_id) == ("Eve", "wamid.card#1")
    assert isinstance(button, Choice) and (button.value, button.label) == ("STOP", "Stop promotions")
    assert isinstance(flow, Unsupported) and flow.kind == "interactive.nfm_reply" and flow.customer.id == BSUID
    assert isinstance(bad, Unsupported) and bad.kind == "location (unreadable)" and bad.message_id == "wamid.bad"


def test_a_failed_131047_status_keeps_the_platform_reason():
    error = recorded("whatsapp_error_131047_reengagement")
    payload = recorded("whatsapp_status_failed")
    payload["entry"][0]["changes"][0]["value"]["statuses"][0]["errors"] = [error]
    [(_, unit)] = bridge().deliveries(body_of(payload))
    [status] = bridge().parse(unit)
    assert status.status == "failed" and status.reason == "Re-engagement message (131047)"


# --- signature and handshake --------------------------------------------------------------------


def test_the_signature_right_wrong_or_missing():
    body = body_of(recorded("whatsapp_text_pywa"))
    wa = bridge()
    wa.verify({"X-Hub-Signature-256": sign(body)}, body)
    wa.verify({"x-hub-signature-256": sign(body).upper().replace("SHA256=", "sha256=")}, body)  # any case
    for headers in ({"X-Hub-Signature-256": sign(body, "other-secret")},
                    {"X-Hub-Signature-256": sign(body + b" ")},
                    {"X-Hub-Signature-256": sign(body)[len("sha256="):]},
                    {"X-Hub-Signature-256": "sha256=ä"},
                    {"X-Hub-Signature": "sha1=abc"},
                    {}):
        with pytest.raises(AuthFailed):
            wa.verify(headers, body)


def test_without_an_app_secret_nothing_verifies():
    body = b'{"entry": []}'
    with pytest.raises(AuthFailed):
        bridge(app_secret="").verify({"X-Hub-Signature-256": sign(body, "")}, body)


def test_the_subscription_handshake():
    wa = bridge()
    query = {"hub.mode": "subscribe", "hub.challenge": "1158201444", "hub.verify_token": "wa-verify"}
    assert wa.handshake(query, b"") == "1158201444"
    assert wa.handshake({}, b"") is None  # an ordinary POST
    for wrong in ({**query, "hub.verify_token": "guess"}, {**query, "hub.mode": "unsubscribe"},
                  {"hub.mode": "subscribe", "hub.challenge": "1"}):
        with pytest.raises(AuthFailed):
            wa.handshake(wrong, b"")
    with pytest.raises(AuthFailed):
        bridge(verify_token="").handshake({**query, "hub.verify_token": ""}, b"")
