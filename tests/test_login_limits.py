"""Login attempts limited per account (across addresses) and per address (across accounts), over real
HTTP on real Redis: a 429 with Retry-After, the same answer for a name of no account as for an existing
one, and every refusal of an existing account in its tenant's audit trail (once per window for 429s).
tests/test_ingress_login.py keeps the per account-and-address budget and the hashing slots."""

from __future__ import annotations

import aiohttp
import pytest
from conftest import running_gateway

from gateway.audit import audit_entries
from gateway.keys import TenantKeys
from gateway.ratelimit import wait_s

pytestmark = pytest.mark.timeout(60)
DEMO = TenantKeys("demo")


async def _attempt(http, url: str, username: str, client: str, password: str = "nope") -> tuple[int, dict, dict]:
    async with http.post(f"{url}/api/v1/login", json={"username": username, "password": password},
                         headers={"X-Forwarded-For": client}) as r:
        return r.status, await r.json(), dict(r.headers)


@pytest.fixture
async def gw(redis, redis_url, demo_config):
    demo_config.limits.login_attempts_per_account_per_min = 5
    demo_config.limits.login_attempts_per_address_per_min = 8
    demo_config.limits.login_attempts_per_min = 100  # the per account-and-address budget out of the way
    demo_config.server.trusted_proxies = ["127.0.0.0/8"]
    async with running_gateway(demo_config, redis_url) as gateway:
        yield gateway


async def test_one_account_has_one_budget_across_addresses(gw, redis):
    async with aiohttp.ClientSession() as http:
        answers = [await _attempt(http, gw.url, "anna", f"198.51.100.{i}") for i in range(6)]
        assert [a[0] for a in answers] == [401] * 5 + [429]
        status, body, headers = answers[5]
        assert body["error"]["code"] == "rate_limited" and body["error"]["message"]
        assert 1 <= int(headers["Retry-After"]) <= 120
        # even the right password waits: the budget is the account's, not the guesser's
        assert (await _attempt(http, gw.url, "anna", "198.51.100.77", "anna-demo"))[0] == 429
        # another account is not touched
        assert (await _attempt(http, gw.url, "ben", "198.51.100.1", "ben-demo"))[0] == 200
    entries = await audit_entries(redis, DEMO)
    failed = [e for e in entries if e["action"] == "login.failed"]
    limited = [e for e in entries if e["action"] == "login.rate_limited"]
    assert len(failed) == 5 and {e["actor"] for e in failed} == {"anna"}
    assert all(e["details"]["address"] for e in failed)
    assert len(limited) == 1 and limited[0]["details"]["scope"] == "account"  # once per window, not per attempt


async def test_a_name_of_no_account_gets_the_same_answers(gw, redis):
    async with aiohttp.ClientSession() as http:
        real = [await _attempt(http, gw.url, "clara", f"192.0.2.{i}") for i in range(6)]
        made_up = [await _attempt(http, gw.url, "nobody-here", f"192.0.2.{i + 10}") for i in range(6)]
    assert [(s, b) for s, b, _ in real] == [(s, b) for s, b, _ in made_up]
    assert ("Retry-After" in real[5][2]) and ("Retry-After" in made_up[5][2])
    assert [e for e in await audit_entries(redis, DEMO) if "nobody" in e["actor"]] == []


async def test_one_address_has_one_budget_across_accounts_with_retry_after(gw, redis):
    async with aiohttp.ClientSession() as http:
        answers = [await _attempt(http, gw.url, name, "203.0.113.9") for name in
                   ("anna", "ben", "clara", "sam", "x1", "x2", "x3", "x4", "anna")]
        assert [a[0] for a in answers] == [401] * 8 + [429]
        assert int(answers[8][2]["Retry-After"]) >= 1
        assert (await _attempt(http, gw.url, "anna", "203.0.113.10", "anna-demo"))[0] == 200
    limited = [e for e in await audit_entries(redis, DEMO) if e["action"] == "login.rate_limited"]
    assert [(e["actor"], e["details"]["scope"]) for e in limited] == [("anna", "address")]


async def test_retry_after_is_when_the_window_lets_one_in_again(redis):
    keys, start = TenantKeys("_login"), 1_800_000_000.0  # a window starts here
    for _ in range(10):
        assert await wait_s(redis, keys, "s", 10, 60, now=start) == 0.0
    wait = await wait_s(redis, keys, "s", 10, 60, now=start + 1)
    assert 60 <= wait <= 120
    # 30 s into the next window half of the previous one still counts: 5 + 1 <= 10 goes through
    assert await wait_s(redis, keys, "s", 10, 60, now=start + 90) == 0.0
