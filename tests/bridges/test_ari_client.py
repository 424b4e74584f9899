"""The ARI REST client against a local stand-in of Asterisk: what Asterisk receives, and what each
of its answers (success, 409 on a repeated channel id, 401, 429, 5xx, a refusal) becomes."""

from __future__ import annotations

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from ari_standin import PASSWORD, USER, FakeAri, basic

from bridges.ari.client import AriClient
from bridges.ari.config import AriConfig
from bridges.base import AuthFailed, Fatal, NotReady

pytestmark = pytest.mark.timeout(20)


@pytest.fixture
async def ari():
    fake = FakeAri()
    server = TestServer(fake.app, host="127.0.0.1", port=0)
    await server.start_server()
    fake.url = str(server.make_url("")).rstrip("/")
    yield fake
    await server.close()


@pytest.fixture
async def http():
    async with aiohttp.ClientSession() as session:
        yield session


def client(http, url: str, password: str = PASSWORD) -> AriClient:
    return AriClient(AriConfig(url=url, username=USER, password=password), http)


async def test_originate_names_the_leg_and_a_repeat_is_refused_by_asterisk(ari, http):
    ari_client = client(http, ari.url)
    first = await ari_client.originate("att1-agent", "PJSIP/anna", app_args="agent,+4930123", timeout_s=30,
                                       caller_id='"Callback" <+4930123>')
    again = await ari_client.originate("att1-agent", "PJSIP/anna", app_args="agent,+4930123", timeout_s=30)
    assert (first, again) == (True, False)
    assert list(ari.channels) == ["att1-agent"]  # one phone rang, not two
    query = ari.originated()[0]
    assert query == {"endpoint": "PJSIP/anna", "app": "omnirelay", "appArgs": "agent,+4930123",
                     "channelId": "att1-agent", "timeout": "30", "callerId": '"Callback" <+4930123>'}
    assert ari.requests[0]["auth"] == basic(USER, PASSWORD) == "Basic b21uaXJlbGF5OmFyaS1zZWNyZXQ="


async def test_wrong_credentials_are_auth_failed(ari, http):
    with pytest.raises(AuthFailed, match="ARI user and password"):
        await client(http, ari.url, password="wrong").originate("a-agent", "PJSIP/anna", app_args="agent,+1",
                                                                timeout_s=5)
    assert ari.channels == {}


@pytest.mark.parametrize(("status", "headers", "retry_after"), [(500, {}, None), (503, {"Retry-After": "7"}, 7.0),
                                                                (429, {"Retry-After": "3"}, 3.0)])
async def test_overload_and_server_errors_are_retried_later(ari, http, status, headers, retry_after):
    ari.script["originate"].append((status, {"message": "Internal Server Error"}, headers))
    with pytest.raises(NotReady) as caught:
        await client(http, ari.url).originate("a-agent", "PJSIP/anna", app_args="agent,+1", timeout_s=5)
    assert caught.value.retry_after == retry_after
    # the retry goes through: nothing was created by the refused call
    assert await client(http, ari.url).originate("a-agent", "PJSIP/anna", app_args="agent,+1", timeout_s=5)


async def test_a_refused_request_is_fatal_with_asterisks_words(ari, http):
    with pytest.raises(Fatal) as caught:
        await client(http, ari.url).originate("a-agent", "", app_args="agent,+1", timeout_s=5)
    assert caught.value.code == "400" and "Endpoint must be specified" in caught.value.reason


async def test_an_unreachable_asterisk_is_not_ready(http):
    with pytest.raises(NotReady, match="unreachable"):
        await client(http, "http://127.0.0.1:9").originate("a-agent", "PJSIP/anna", app_args="", timeout_s=5)


async def test_bridging_needs_legs_inside_the_app_and_hanging_up_a_gone_leg_is_fine(ari, http):
    ari_client = client(http, ari.url)
    await ari_client.originate("b-agent", "PJSIP/anna", app_args="agent,+1", timeout_s=5)
    await ari_client.bridge("b")
    with pytest.raises(Fatal, match="not in Stasis"):  # still ringing: Asterisk answers 422
        await ari_client.add_channels("b", ["b-agent"])
    await ari.answer("b-agent")
    await ari_client.add_channels("b", ["b-agent"])
    assert ari.bridges == {"b": ["b-agent"]}
    await ari_client.hangup("b-agent")
    await ari_client.hangup("b-agent")  # 404 now: what we wanted anyway
    assert ari.channels == {}
