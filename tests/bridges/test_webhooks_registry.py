"""The places that hold bridge knowledge draw on the registry: config types, health, identity kinds."""

from __future__ import annotations

import pytest
from conftest import DEMO_CONFIG
from echo import SPEC

from bridges.registry import BRIDGES
from gateway.channels_health import channel_health
from gateway.config import ConfigError, load_config_text
from gateway.config.schema import ChannelConfig
from gateway.store.contacts import identity_kinds

ECHO_CHANNEL = "      tg-like:\n        type: echo\n        secret: s3cret\n"
OTHER_TENANT = """
  acme:
    languages: [en]
    topics: {help: {queue: help}}
    queues: {help: {skill: help}}
    channels:
      tg-like: {type: echo, secret: other}
"""


def demo_with(extra_channel: str = "", extra_tenant: str = "") -> str:
    text = DEMO_CONFIG.read_text().replace("    channels:\n", "    channels:\n" + extra_channel, 1)
    return text + extra_tenant


def test_a_channel_type_exists_once_its_bridge_is_registered(monkeypatch):
    with pytest.raises(ConfigError) as info:
        load_config_text(demo_with(ECHO_CHANNEL), "c.yaml", env={})
    assert "type 'echo' is not one of" in "\n".join(info.value.lines())
    monkeypatch.setitem(BRIDGES, "echo", SPEC)
    config = load_config_text(demo_with(ECHO_CHANNEL), "c.yaml", env={})
    assert config.tenants["demo"].channels["tg-like"].type == "echo"


def test_bridged_channel_ids_are_unique_across_tenants(monkeypatch):
    monkeypatch.setitem(BRIDGES, "echo", SPEC)
    with pytest.raises(ConfigError) as info:
        load_config_text(demo_with(ECHO_CHANNEL, OTHER_TENANT), "c.yaml", env={})
    assert any("webhook URLs need ids unique across tenants" in line for line in info.value.lines())


def test_health_follows_the_registry(monkeypatch):
    echo = ChannelConfig(id="e", type="echo", secret="s")
    assert channel_health(ChannelConfig(id="w", type="widget")) == "ok"
    assert channel_health(echo).startswith("unavailable")  # no bridge registered for the type
    monkeypatch.setitem(BRIDGES, "echo", SPEC)
    assert channel_health(echo) == "ok"
    assert channel_health(echo, "auth_failed") == "auth_failed"
    assert channel_health(ChannelConfig(id="e", type="echo")) == "disabled: secret not configured"


def test_a_registered_bridge_brings_its_identity_kind(monkeypatch):
    assert "echo" not in identity_kinds()
    monkeypatch.setitem(BRIDGES, "echo", SPEC)
    assert "echo" in identity_kinds() and "visitor" in identity_kinds()
