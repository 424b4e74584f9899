"""Messenger bridges (Telegram, WhatsApp, Messenger, Slack)."""
