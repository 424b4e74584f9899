"""`omnirelay channels register|check`: the operator sets Telegram's webhook (with the secret token and
the update types the gateway handles) and reads what Telegram says, without crafting curl calls."""

from __future__ import annotations

import asyncio
import json
import os
import sys

import pytest
from conftest import DEMO_CONFIG, ROOT
from telegram_standin import TOKEN, StandIn, running

pytestmark = pytest.mark.timeout(60)


async def _omnirelay(*args: str, env: dict[str, str]) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "gateway", *args, cwd=ROOT, env={**os.environ, **env},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(proc.communicate(), 30)
    return proc.returncode or 0, out.decode()


async def test_register_and_check_a_telegram_webhook():
    async with running(StandIn()) as api:
        env = {"TELEGRAM_API_BASE": api.url, "TELEGRAM_TOKEN": TOKEN, "TELEGRAM_SECRET": "cli-secret_1"}
        code, out = await _omnirelay("channels", "register", "telegram", "--config", str(DEMO_CONFIG),
                                     "--public-url", "https://chat.example.com/", env=env)
        assert code == 0, out
        call = next(c for c in api.calls if c.method == "setWebhook")
        assert call.json["url"] == "https://chat.example.com/webhooks/telegram/telegram"
        assert call.json["secret_token"] == "cli-secret_1"
        assert set(call.json["allowed_updates"]) >= {"message", "edited_message", "callback_query"}
        assert "cli-secret_1" not in out and TOKEN not in out  # no secret printed

        code, out = await _omnirelay("channels", "check", "telegram", "--config", str(DEMO_CONFIG), env=env)
        assert code == 0, out
        info = json.loads(out)
        assert info["pending_update_count"] == 3 and "502" in info["last_error_message"]


async def test_a_meta_channel_is_set_in_the_dashboard_and_an_unknown_one_is_refused():
    code, out = await _omnirelay("channels", "check", "whatsapp", "--config", str(DEMO_CONFIG), env={})
    assert code == 0 and "docs/channels.md" in out
    code, out = await _omnirelay("channels", "check", "nope", "--config", str(DEMO_CONFIG), env={})
    assert code == 1 and "no messenger channel 'nope'" in out
