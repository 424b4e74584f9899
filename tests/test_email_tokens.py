"""Signed threading tokens: each carrier leads to its conversation; forged, unsigned, foreign or
altered ones lead nowhere."""

from __future__ import annotations

import pytest

from gateway.email.tokens import Tokens

pytestmark = pytest.mark.timeout(10)
CID = "c_0123456789abcdef"
OTHER = "c_fedcba9876543210"


def test_each_carrier_names_the_conversation_and_only_when_signed():
    t = Tokens("a-secret-of-sixteen+")
    token = t.token(CID)
    assert token.startswith(CID + ".") and t.check(token) == CID
    assert t.conversation_of({"recipients": ["support@demo.example", t.reply_address("support@demo.example", CID)]}) == CID
    # a client that upper-cases the local part keeps the token valid (hex ids)
    assert t.conversation_of({"recipients": [t.reply_address("support@demo.example", CID).upper()]}) == CID
    ours = t.message_id(CID, 7, "demo.example")
    assert ours.startswith(f"<{CID}.7.") and ours.endswith("@demo.example>") and t.ours(ours) == (CID, 7)
    assert t.conversation_of({"in_reply_to": "", "references": ["<x@gmail.com>", ours]}) == CID
    assert t.conversation_of({"marker_tokens": [token]}) == CID
    assert t.marker(CID) == f"[ref:{token}]"


def test_forged_foreign_and_altered_tokens_lead_nowhere():
    t, other_install = Tokens("a-secret-of-sixteen+"), Tokens("another-secret-16chars")
    sig = t.token(CID).split(".")[1]
    forged = [f"{OTHER}.{sig}", f"{CID}.0000000000000000", other_install.token(CID), CID, f"{CID}.{sig[:-1]}"]
    for token in forged:
        assert t.check(token) is None
        assert t.conversation_of({"recipients": [f"support+{token}@demo.example"], "marker_tokens": [token]}) is None
    assert t.ours(other_install.message_id(CID, 1, "demo.example")) is None
    assert t.ours(t.message_id(CID, 1, "demo.example").replace(".1.", ".2.")) is None  # another message's signature
    assert t.conversation_of({"references": "not a list", "recipients": None, "in_reply_to": 5}) is None


def test_the_order_of_trust_is_address_then_message_id_then_marker():
    t = Tokens("a-secret-of-sixteen+")
    details = {"recipients": [t.reply_address("support@demo.example", CID)],
               "references": [t.message_id(OTHER, 1, "demo.example")], "marker_tokens": [t.token(OTHER)]}
    assert t.conversation_of(details) == CID
    assert t.conversation_of({**details, "recipients": []}) == OTHER
