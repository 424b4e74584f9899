"""Config loading and `omnirelay check-config`: every error points at its line."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from gateway.config import ConfigError, load_config, load_config_text

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "config" / "demo.yaml"
HASH = "$argon2id$v=19$m=65536,t=3,p=4$TJYkFnUj3ksgqEoJpJYIhA$YcUKVNC3GA2YWxzrw3RVlbIMLZx9CwwPmf8le2hUcMk"

BROKEN = f"""server:
  secret_key: a-long-enough-secret-key
  port: eighty
tenants:
  acme:
    languages: [en]
    colour: blue
    topics:
      help: {{queue: support}}
    queues:
      support:
        skill: support
    agents:
      zoe:
        name: Zoe
        password_hash: "{HASH}"
        skills: {{support: 5, juggling: 3}}
    channels:
      tg:
        type: telegram
        secret: ${{OMNIRELAY_TEST_MISSING_SECRET}}
"""


def test_demo_config_has_the_contract_data():
    config = load_config(DEMO, env={})
    demo = config.tenants["demo"]
    assert demo.languages == ["de", "en"]
    assert set(demo.topics) == {"billing", "tech", "sales", "delivery", "cancellation", "complaint"}
    assert {c.type for c in demo.channels.values()} >= {"widget", "telegram", "whatsapp", "messenger"}
    assert set(demo.channels) >= {"web", "telegram", "whatsapp", "messenger"}
    assert demo.agents["anna"].skills == {"billing": 5, "tech": 3}
    assert demo.agents["ben"].capacity == {"chat": 2, "messaging": 2, "email": 5, "voice": 1}
    assert demo.agents["clara"].languages == ["de"]
    assert set(demo.supervisors) == {"sam"}
    assert demo.channels["telegram"].secret == "demo-telegram-secret"  # default from ${TELEGRAM_SECRET:-…}


def test_secret_comes_from_environment():
    config = load_config(DEMO, env={"TELEGRAM_SECRET": "from-env"})
    assert config.tenants["demo"].channels["telegram"].secret == "from-env"


def test_every_error_is_reported_with_its_line():
    with pytest.raises(ConfigError) as info:
        load_config_text(BROKEN, "broken.yaml", env={})
    lines = info.value.lines()
    assert any(line.startswith("broken.yaml:3:") and "whole number" in line for line in lines), lines
    assert any(line.startswith("broken.yaml:7:") and "unknown key 'colour'" in line for line in lines), lines
    assert any(line.startswith("broken.yaml:21:") and "OMNIRELAY_TEST_MISSING_SECRET" in line for line in lines), lines


def test_skill_no_queue_knows_is_an_error_at_its_line():
    text = BROKEN.replace("  port: eighty\n", "").replace("    colour: blue\n", "").replace(
        "${OMNIRELAY_TEST_MISSING_SECRET}", "s3cret")
    with pytest.raises(ConfigError) as info:
        load_config_text(text, "c.yaml", env={})
    line = text.splitlines().index("        skills: {support: 5, juggling: 3}") + 1
    assert info.value.lines() == [f"c.yaml:{line}: agent 'zoe': skill 'juggling' is not the skill of any queue"]


def test_check_config_command(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(BROKEN)
    result = subprocess.run(
        [sys.executable, "-m", "gateway", "check-config", str(bad)], capture_output=True, text=True,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 1
    out = result.stdout.strip().splitlines()
    assert all(line.startswith(f"{bad}:") for line in out)
    assert len(out) == 3
    ok = subprocess.run([sys.executable, "-m", "gateway", "check-config", str(DEMO)], capture_output=True, text=True)
    assert ok.returncode == 0, ok.stdout + ok.stderr


def test_yaml_syntax_error_has_a_line():
    with pytest.raises(ConfigError) as info:
        load_config_text("server:\n  port: [1, 2\n", "s.yaml", env={})
    assert info.value.lines()[0].startswith("s.yaml:")
    assert "YAML syntax" in info.value.lines()[0]


def test_ids_with_separator_characters_are_refused():
    text = DEMO.read_text().replace("      anna:\n", "      'an:na':\n")
    with pytest.raises(ConfigError) as info:
        load_config_text(text, "d.yaml", env={})
    assert any("agent id 'an:na'" in line for line in info.value.lines())


@pytest.mark.parametrize("lease", ["2", "1000"])
def test_a_node_lease_out_of_bounds_is_refused_at_its_line(lease):
    text = DEMO.read_text().replace("server:\n", f"server:\n  node_lease_s: {lease}\n", 1)
    with pytest.raises(ConfigError) as err:
        load_config_text(text, "omnirelay.yaml", env={})
    assert err.value.lines() == ["omnirelay.yaml:4: server.node_lease_s must be between 4 and 300 seconds: shorter "
                                 "takes a busy process for dead, longer leaves a dead one's agents waiting"]


async def test_a_process_holds_the_lease_it_is_configured_with(tmp_path, redis, redis_url, demo_config):
    from conftest import running_gateway

    from acd.keys import AcdKeys
    from gateway import appkeys as K

    demo_config.server.node_lease_s = 8.0
    async with running_gateway(demo_config, redis_url) as gw:
        node = gw.app[K.SERVICES].node_id
        expires = await redis.zscore(AcdKeys("demo").nodes(), node)
        assert expires is not None and 7.0 <= expires - time.time() <= 8.5  # renewed every 2 s
