"""The CRM block of the config and what the gateway makes of an answer: `check-config` names every
mistake with its line; priority rules match as documented (case ignored, numbers from text, a missing
field never); the panel gets only configured fields, bounded, and a link only for an http(s) address;
the signature scheme refuses a changed body, another secret and an old timestamp."""

from __future__ import annotations

import pytest
from conftest import DEMO_CONFIG

from gateway.config import load_config_text
from gateway.config.loader import ConfigError
from gateway.config.schema import CrmConfig, CrmFieldConfig, CrmRuleConfig
from gateway.crm.answer import OK, UNAVAILABLE, Answer, card, priority
from gateway.signing import SigningError, sign, verify

BLOCK = """    crm:
      url: {url}
      secret: s3cret
{extra}
    widget:
      long_wait_s"""


def load(url: str = "https://crm.example/lookup", extra: str = ""):
    text = DEMO_CONFIG.read_text()
    start = text.index("    # CRM lookup when a conversation opens")
    end = text.index("    widget:\n      long_wait_s")
    text = text[:start] + BLOCK.format(url=url, extra=extra) + text[end + len("    widget:\n      long_wait_s"):]
    return load_config_text(text, "demo.yaml", env={})


def problems(**kw) -> list[str]:
    with pytest.raises(ConfigError) as err:
        load(**kw)
    return err.value.lines()


def test_a_valid_crm_block_loads_and_the_demo_has_none_without_its_url():
    crm = load(extra="      timeout_s: 0.5\n      rules:\n        - {field: tier, one_of: [gold, platinum], priority: 3}").tenants["demo"].crm
    assert crm.url == "https://crm.example/lookup" and crm.timeout_s == 0.5
    assert crm.rules == [CrmRuleConfig(field="tier", priority=3, one_of=["gold", "platinum"])]
    assert load_config_text(DEMO_CONFIG.read_text(), env={}).tenants["demo"].crm.url == ""


@pytest.mark.parametrize(("kw", "message"), [
    ({"url": "ftp://crm.example/x"}, "crm.url must be an http(s) address"),
    ({"url": "https://user:pw@crm.example/x"}, "crm.url must not carry a user or password"),
    ({"extra": "      timeout_s: 30"}, "crm.timeout_s must be between 0.05 and 10 seconds"),
    ({"extra": "      timeout_s: 2\n      answer_timeout_s: 1"}, "crm.answer_timeout_s must be at least timeout_s"),
    ({"extra": "      max_bytes: 99999999"}, "crm.max_bytes must be between 1 and 1048576"),
    ({"extra": "      fields:\n        - {key: segment, type: html}"}, "crm field 'segment': type must be one of text, link"),
    ({"extra": "      fields:\n        - {key: segment, label: {fr: Segment}}"}, "label language 'fr' is not one of en, de"),
    ({"extra": "      fields:\n        - {key: a}\n        - {key: a}"}, "crm field 'a' is listed twice"),
    ({"extra": "      rules:\n        - {field: segment, equals: vip, at_least: 3, priority: 5}"}, "give exactly one of equals, one_of, at_least"),
    ({"extra": "      rules:\n        - {field: segment, priority: 5}"}, "give exactly one of equals, one_of, at_least"),
    ({"extra": "      rules:\n        - {field: segment, equals: vip, priority: 500}"}, "priority must be between 1 and 100"),
    ({"extra": "      rules:\n        - {field: segment, when: 'segment == vip', priority: 5}"}, "unknown key 'when'"),
])
def test_check_config_names_each_mistake_with_its_line(kw, message):
    found = problems(**kw)
    assert any(message in line and line.startswith("demo.yaml:") for line in found), found
    line = int(next(line for line in found if message in line).split(":")[1])
    assert line > 400  # the line of the crm block, not the top of the file


RULES = CrmConfig(url="https://crm.example", rules=[
    CrmRuleConfig(field="segment", equals="vip", priority=5),
    CrmRuleConfig(field="account.tier", one_of=["gold", "platinum"], priority=3),
    CrmRuleConfig(field="revenue", at_least=10000, priority=7),
])


@pytest.mark.parametrize(("data", "expected"), [
    ({"segment": " VIP "}, 5),
    ({"segment": "vipx"}, 0),
    ({"account": {"tier": "Gold"}}, 3),
    ({"account": "gold"}, 0),  # not an object: the path is not there
    ({"revenue": "12500.50"}, 7),
    ({"revenue": 9999}, 0),
    ({"revenue": True}, 0),  # true is no number
    ({"segment": "vip", "revenue": 20000}, 7),  # the highest matching rule wins
    ({}, 0),
])
def test_priority_rules(data, expected):
    assert priority(RULES, Answer(OK, data=data)) == expected


def test_no_priority_without_an_answer():
    assert priority(RULES, None) == 0
    assert priority(RULES, Answer(UNAVAILABLE, reason="timeout")) == 0


def test_the_card_holds_only_configured_fields_bounded_and_safe_links():
    crm = CrmConfig(url="https://crm.example", fields=[
        CrmFieldConfig("number", {"en": "No.", "de": "Nr."}),
        CrmFieldConfig("notes"),
        CrmFieldConfig("tags"),
        CrmFieldConfig("nested"),
        CrmFieldConfig("home", type="link"),
        CrmFieldConfig("evil", type="link"),
        CrmFieldConfig("missing"),
    ])
    shown = card(crm, Answer(OK, data={
        "number": 1001, "notes": "x" * 2000, "tags": ["a", 2, {"no": 1}, None], "nested": {"a": 1},
        "home": "https://crm.example/c/1", "evil": "javascript:alert(1)", "secret_field": "never shown"}))
    fields = {f["key"]: f for f in shown["fields"]}
    assert list(fields) == ["number", "notes", "tags", "home", "evil"]
    assert fields["number"] == {"key": "number", "label": {"en": "No.", "de": "Nr."}, "type": "text", "value": 1001}
    assert len(fields["notes"]["value"]) == 500
    assert fields["tags"]["value"] == ["a", 2]
    assert fields["home"]["type"] == "link"
    assert fields["evil"] == {"key": "evil", "label": {}, "type": "text", "value": "javascript:alert(1)"}
    assert "never shown" not in str(shown)
    assert card(crm, None) == {"status": "pending", "fields": []}
    assert card(crm, Answer(UNAVAILABLE, reason="not_json"))["reason"] == "not_json"


def test_the_signature():
    body = b'{"a": 1}'
    header = sign("k", body, now=1_700_000_000)
    assert header == "t=1700000000,v1=" + __import__("hmac").new(
        b"k", b'1700000000.{"a": 1}', "sha256").hexdigest()
    assert verify("k", header, body, now=1_700_000_100)
    assert not verify("k", header, body + b" ", now=1_700_000_100)
    assert not verify("other", header, body, now=1_700_000_100)
    assert not verify("k", header, body, now=1_700_000_000 + 301)  # too old: a replay
    assert not verify("", header, body, now=1_700_000_000)
    assert not verify("k", "v1=abc", body, now=1_700_000_000)
    rotated = header + ",v1=" + "0" * 64
    assert verify("k", rotated, body, now=1_700_000_000)
    with pytest.raises(SigningError):
        sign("", body)
