"""POST /api/v1/login at the boundary: bounded fields, clean 400s, throttles that cannot be sidestepped,
a cap on concurrent password hashing, and tokens that only ever pass as their own kind."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac

import aiohttp
import pytest
from conftest import running_gateway

from gateway import auth
from gateway.appkeys import SESSIONS

pytestmark = pytest.mark.timeout(60)


async def _post(http: aiohttp.ClientSession, url: str, body, headers=None) -> tuple[int, dict, aiohttp.ClientResponse]:
    kwargs = {"json": body} if not isinstance(body, bytes) else {"data": body, "headers": {"Content-Type": "application/json"}}
    if headers:
        kwargs["headers"] = {**kwargs.get("headers", {}), **headers}
    async with http.post(f"{url}/api/v1/login", **kwargs) as r:
        return r.status, await r.json(), r


async def _key_names(redis) -> list[str]:
    return [k async for k in redis.scan_iter(count=1000)]


async def test_oversized_fields_are_refused_before_anything_is_stored(gateway, redis):
    huge = "u" * 200_000
    async with aiohttp.ClientSession() as http:
        for _ in range(3):
            status, body, _ = await _post(http, gateway.url, {"username": huge, "password": "x"})
            assert status == 400 and body["error"]["code"] == "too_long"
        status, body, _ = await _post(http, gateway.url, {"username": "anna", "password": "p" * 1025})
        assert status == 400 and body["error"]["code"] == "too_long"
        for tenant in ("demo:x", "t" * 65, "", 7):
            status, body, _ = await _post(http, gateway.url, {"username": "anna", "password": "x", "tenant": tenant})
            assert status == 400 and body["error"]["code"] == "bad_tenant", tenant
    assert all(len(k) < 200 for k in await _key_names(redis))


async def test_no_typed_username_reaches_a_redis_key(gateway, redis):
    async with aiohttp.ClientSession() as http:
        status, _, _ = await _post(http, gateway.url, {"username": "mallory-was-here", "password": "x"})
        assert status == 401
    assert not [k for k in await _key_names(redis) if "mallory" in k]


@pytest.mark.parametrize("raw", [
    b'{"username": "\\ud800", "password": "x"}',  # a lone surrogate: no UTF-8 store takes it
    b'{"username": "anna", "password": "\\udfff\\ud800"}',
    b'{"username": ' + b"[" * 5000 + b"]" * 5000 + b', "password": "x"}',  # nested past any sane depth
    b"\xff\xfe{}",
])
async def test_undecodable_bodies_are_400_bad_json(gateway, raw):
    async with aiohttp.ClientSession() as http:
        status, body, _ = await _post(http, gateway.url, raw)
    assert status == 400 and body["error"]["code"] == "bad_json"


async def test_naming_the_tenant_does_not_buy_more_attempts(gateway):
    async with aiohttp.ClientSession() as http:
        statuses = []
        for i in range(11):
            body = {"username": "anna", "password": "nope"} | ({"tenant": "demo"} if i % 2 else {})
            statuses.append((await _post(http, gateway.url, body))[0])
    assert statuses[:10] == [401] * 10 and statuses[10] == 429


async def test_one_address_has_one_budget_across_usernames(redis, redis_url, demo_config):
    demo_config.limits.login_attempts_per_address_per_min = 6
    demo_config.server.trusted_proxies = ["127.0.0.0/8"]
    async with running_gateway(demo_config, redis_url) as gw, aiohttp.ClientSession() as http:
        async def attempt(user: str, client: str) -> int:
            return (await _post(http, gw.url, {"username": user, "password": "nope"}, {"X-Forwarded-For": client}))[0]

        statuses = [await attempt(f"user{i}", "203.0.113.5") for i in range(7)]
        assert statuses[:6] == [401] * 6 and statuses[6] == 429
        # another client behind the same load balancer keeps its own budget
        assert await attempt("user99", "203.0.113.6") == 401


async def test_logins_beyond_the_hashing_slots_get_busy_with_retry_after(redis, redis_url, demo_config):
    demo_config.limits.login_hash_concurrency = 2
    async with running_gateway(demo_config, redis_url) as gw, aiohttp.ClientSession() as http:
        slots = gw.app[SESSIONS].hash_slots
        with contextlib.ExitStack() as held:  # two logins are being hashed right now
            held.enter_context(slots.take())
            held.enter_context(slots.take())
            status, body, response = await _post(http, gw.url, {"username": "anna", "password": "anna-demo"})
            assert status == 429 and body["error"]["code"] == "busy"
            assert response.headers["Retry-After"] == "1"
        status, body, _ = await _post(http, gw.url, {"username": "anna", "password": "anna-demo"})
        assert status == 200 and body["token"]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


async def test_a_token_signed_for_another_purpose_or_with_the_bare_secret_is_refused(gateway):
    secret = gateway.app[SESSIONS].config.server.secret_key
    token = (await gateway.login("anna"))["token"]
    payload = token.split(".")[0]
    forged = [
        f"{payload}.{auth.sign(auth.purpose_key(secret, 'visitor-token'), payload)}",  # a visitor token's key
        f"{payload}.{_b64(hmac.new(secret.encode(), payload.encode(), hashlib.sha256).digest())}",  # the old shared key
        f"{payload}.{'é' * 43}",  # non-ASCII: a 401, not a 500
    ]
    async with aiohttp.ClientSession() as http:
        for candidate in forged:
            async with http.get(f"{gateway.url}/api/v1/me", headers={"Authorization": f"Bearer {candidate}"}) as r:
                assert r.status == 401, candidate
        async with http.get(f"{gateway.url}/api/v1/me", headers={"Authorization": f"Bearer {token}"}) as r:
            assert r.status == 200


async def test_a_visitor_token_signed_with_the_login_key_opens_nothing(gateway):
    secret = gateway.app[SESSIONS].config.server.secret_key
    first, inbox = await gateway.visitor()
    issued = (await inbox.next("session"))["visitor_token"]
    body = issued.rsplit(".", 1)[0]
    forged = f"{body}.{auth.sign(auth.purpose_key(secret, 'login-token'), body)}"
    again, inbox2 = await gateway.visitor(visitor_token=forged)
    assert (await inbox2.next("session"))["visitor_token"] != forged  # a new visitor, not the first one
    resumed, inbox3 = await gateway.visitor(visitor_token=issued)
    assert (await inbox3.next("session"))["visitor_token"] == issued


async def test_the_allowance_is_not_spent_twice_around_a_window_boundary(redis):
    from gateway.keys import TenantKeys
    from gateway.ratelimit import allow

    keys, end_of_minute = TenantKeys("_login"), 1_800_000_000 - 1.0  # one second before a window starts
    assert all([await allow(redis, keys, "s", 10, 60, now=end_of_minute) for _ in range(10)])
    # two seconds later, in the next fixed window: the ten attempts just made still count
    assert not await allow(redis, keys, "s", 10, 60, now=end_of_minute + 2)
    # a full window later they no longer do
    assert await allow(redis, keys, "s", 10, 60, now=end_of_minute + 61)
