"""Shared helpers of the WhatsApp bridge tests: recorded payloads, signing, a configured bridge."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from conftest import FIXTURES

from bridges.whatsapp.bridge import WhatsAppBridge
from bridges.whatsapp.config import WhatsAppConfig

APP_SECRET = "wa-app-secret"
VERIFY_TOKEN = "wa-verify"
TOKEN = "wa-token"
PHONE_NUMBER_ID = "1122334455667"  # the business number of the PYWA recordings
BSUID = "US.13491208655302741918"


def recorded(name: str) -> dict[str, Any]:
    """The ``payload`` of a recorded fixture (``whatsapp_text`` → tests/fixtures/webhooks/whatsapp_text.json)."""
    return json.loads((FIXTURES / f"{name}.json").read_text())["payload"]


def body_of(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, ensure_ascii=False).encode()


def sign(body: bytes, secret: str = APP_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def config(api_base: str = "", **overrides: str) -> WhatsAppConfig:
    fields = {"app_secret": APP_SECRET, "verify_token": VERIFY_TOKEN, "token": TOKEN,
              "phone_number_id": PHONE_NUMBER_ID, "api_base": api_base, **overrides}
    return WhatsAppConfig(**fields)


def bridge(http: Any = None, api_base: str = "", **overrides: str) -> WhatsAppBridge:
    """A bridge for the inbound side (no HTTP needed) or, given a session, for the client side."""
    return WhatsAppBridge(config(api_base, **overrides), http)


def message(mid: str, text: str, *, wa_id: str = "972987654321", bsuid: str = BSUID, ts: str = "1700000000",
            name: str = "Test Name") -> dict[str, Any]:
    """One change value with one text message, as Meta sends it (contacts beside the messages)."""
    contact: dict[str, Any] = {"profile": {"name": name}, "wa_id": wa_id}
    if bsuid:
        contact["user_id"] = bsuid
    return {"messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "972123456789", "phone_number_id": PHONE_NUMBER_ID},
            "contacts": [contact],
            "messages": [{"from": wa_id, "id": mid, "timestamp": ts, "type": "text", "text": {"body": text}}]}


def batch(*values: dict[str, Any] | list[dict[str, Any]]) -> dict[str, Any]:
    """A webhook body: one entry per argument (a list = several changes of one entry)."""
    entries = []
    for i, value in enumerate(values):
        changes = value if isinstance(value, list) else [value]
        entries.append({"id": f"waba{i}", "changes": [{"field": "messages", "value": v} for v in changes]})
    return {"object": "whatsapp_business_account", "entry": entries}
