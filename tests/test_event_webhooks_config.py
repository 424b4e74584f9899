"""The config file's event webhook subscriptions (the CONTRACT's demo subscription): with
EVENTS_WEBHOOK_URL set the demo tenant sends every event, signed with EVENTS_WEBHOOK_SECRET's demo
default, to that receiver — even a loopback one the private-target rule refuses to admins; the
subscription is ensured at every start under the same id, is marked as the config file's and cannot be
deleted, rotated or redirected through the API; dropped from the file, it goes. Bad entries are config
errors with their line."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from conftest import DEMO_CONFIG, eventually, running_gateway
from event_webhook_helpers import FAST, Admin, Receiver, docs_verifier

from gateway.config import load_config
from gateway.config.loader import ConfigError
from gateway.event_webhooks.subscriptions import config_id
from gateway.keys import TenantKeys
from gateway.signing import verify

pytestmark = pytest.mark.timeout(90)
STRICT = replace(FAST, allow_private_targets=False)  # what a deployment has: admins cannot point inward
DEMO_ENTRY = ("        - url: ${EVENTS_WEBHOOK_URL:-}\n          secret: ${EVENTS_WEBHOOK_SECRET:-demo-events-secret}\n"
              "          events: [\"*\"]\n          name: demo events\n")


def demo(env: dict[str, str]):
    cfg = load_config(DEMO_CONFIG, env=env)
    cfg.event_webhooks = STRICT
    return cfg


async def test_the_demo_subscription_sends_every_event_signed_and_survives_restarts(redis, redis_url):
    receiver = await Receiver().start()
    try:
        env = {"EVENTS_WEBHOOK_URL": receiver.url}
        async with running_gateway(demo(env), redis_url) as gw:
            admin = await Admin.login(gw.url)
            status, listed = await admin.call("GET", "")
            assert status == 200
            (sub,) = listed["subscriptions"]
            assert sub["id"] == config_id("demo", receiver.url) and sub["origin"] == "config"
            assert sub["events"] == ["*"] and sub["enabled"] and sub["url"] == receiver.url
            assert sub["secret_hint"] == "…" + "demo-events-secret"[-4:] and "secret" not in sub

            vera, _ = await gw.visitor(name="Vera")
            cid = (await vera.call("message", {"text": "hello from the demo", "client_id": "c1"},
                                   namespace="/visitor"))["conversation_id"]
            got = await eventually(lambda: {json.loads(r.body)["type"] for r in receiver.delivered()}
                                   >= {"conversation.created", "message.created", "contact.created"}, timeout=15)
            assert got
            docs_verify = docs_verifier()
            for r in receiver.delivered():
                header = r.headers["X-Omnirelay-Signature"]
                assert verify("demo-events-secret", header, r.body) and docs_verify("demo-events-secret", r.body, header)
            created = next(json.loads(r.body) for r in receiver.delivered()
                           if json.loads(r.body)["type"] == "conversation.created")
            assert created["data"]["conversation"]["id"] == cid and created["tenant"] == "demo"

            # an admin may pause it, but not delete, re-point or re-key it: the file decides those
            for method, path, body in (("DELETE", f"/{sub['id']}", None), ("POST", f"/{sub['id']}/rotate", None),
                                       ("PATCH", f"/{sub['id']}", {"url": "https://example.com/elsewhere"}),
                                       ("PATCH", f"/{sub['id']}", {"events": ["message.created"], "enabled": False})):
                status, out = await admin.call(method, path, body)
                assert status == 409 and out["error"]["code"] == "config_defined", (method, path, out)
                assert "config file" in out["error"]["message"]
            status, out = await admin.call("PATCH", f"/{sub['id']}", {"enabled": False})
            assert status == 200 and out["subscription"]["enabled"] is False
            # an admin's own subscription to a loopback address is refused (only the operator's file may)
            status, out = await admin.call("POST", "", {"url": receiver.url})
            assert status == 400 and "private" in out["error"]["message"]

        # a restart ensures it again: same id, one subscription, the admin's pause kept, nothing doubled
        async with running_gateway(demo(env), redis_url) as gw:
            admin = await Admin.login(gw.url)
            (again,) = (await admin.call("GET", ""))[1]["subscriptions"]
            assert again["id"] == sub["id"] and again["created_at"] == sub["created_at"]
            assert again["enabled"] is False and again["origin"] == "config"
            assert (await admin.call("PATCH", f"/{sub['id']}", {"enabled": True}))[0] == 200

        # a new secret in the file is in effect after the restart
        env2 = {**env, "EVENTS_WEBHOOK_SECRET": "a-rotated-events-secret"}
        async with running_gateway(demo(env2), redis_url) as gw:
            admin = await Admin.login(gw.url)
            status, _ = await admin.call("POST", f"/{sub['id']}/test")
            assert status == 202
            test = await eventually(lambda: [r for r in receiver.delivered() if b"webhook.test" in r.body], timeout=10)
            assert verify("a-rotated-events-secret", test[0].headers["X-Omnirelay-Signature"], test[0].body)
            assert not verify("demo-events-secret", test[0].headers["X-Omnirelay-Signature"], test[0].body)

        # without EVENTS_WEBHOOK_URL the entry is off: the subscription goes, and with it the consumer group
        async with running_gateway(demo({}), redis_url) as gw:
            admin = await Admin.login(gw.url)
            assert (await admin.call("GET", ""))[1]["subscriptions"] == []
            assert await redis.scard(TenantKeys("demo").hook_subs()) == 0
    finally:
        await receiver.stop()


@pytest.mark.parametrize(("entry", "message"), [
    ("{url: 'ftp://x.example/h', secret: a-long-enough-secret}", "http or https"),
    ("{url: 'https://x.example/h', secret: short}", "at least 16 characters"),
    ("{url: 'https://x.example/h', secret: a-long-enough-secret, events: [conversation.nope]}",
     "unknown event type 'conversation.nope'"),
    ("{url: 'https://x.example/h', secret: a-long-enough-secret, retry_window_s: 0}", "retry_window_s"),
])
def test_a_bad_config_subscription_is_an_error_with_its_line(tmp_path, entry, message):
    text = DEMO_CONFIG.read_text()
    assert DEMO_ENTRY in text
    line = text[:text.index(DEMO_ENTRY)].count("\n") + 1
    path = tmp_path / "config.yaml"
    path.write_text(text.replace(DEMO_ENTRY, f"        - {entry}\n", 1))
    with pytest.raises(ConfigError) as err:
        load_config(path, env={})
    assert [i.line for i in err.value.issues] == [line], err.value.lines()
    assert message in err.value.issues[0].message


def test_the_same_url_twice_is_an_error(tmp_path):
    text = DEMO_CONFIG.read_text()
    twice = "        - {url: 'https://x.example/h', secret: a-long-enough-secret}\n" * 2
    path = tmp_path / "config.yaml"
    path.write_text(text.replace(DEMO_ENTRY, twice, 1))
    with pytest.raises(ConfigError) as err:
        load_config(path, env={})
    assert any("listed twice" in i.message for i in err.value.issues), err.value.lines()
