"""Slack takes about one post per second per channel, whoever posts: every gateway process posting to
one channel keeps that pace together (a slot reserved in Redis), not each on its own; without Redis a
process still keeps its own pace."""

from __future__ import annotations

import asyncio
import logging

import aiohttp
import pytest
from conftest import eventually, running_gateway
from slack_standin import TOKEN, SlackStandIn, running
from test_slack_surface import CHANNEL, mirrored_thread, slack_config, slack_ready

from bridges.slack.client import SlackClient
from gateway.appkeys import SLACK
from gateway.redis_client import connect
from gateway.slack.pacing import shared_spacer

pytestmark = pytest.mark.timeout(60)
INTERVAL_S = 0.3
# posts are let go a slot apart; they reach Slack with the network's jitter, so a gap is checked
# against half the slot (posts that are not spaced at all arrive together: the controls below)
SPACED_S = INTERVAL_S / 2


def gaps(api: SlackStandIn, channel: str) -> list[float]:
    times = sorted(call.at for call in api.posts(channel))
    return [b - a for a, b in zip(times, times[1:], strict=False)]


async def two_processes_post(api: SlackStandIn, redis_url: str | None, per_process: int) -> None:
    """Two clients, each with its own HTTP session and (when ``redis_url``) its own Redis connection, as
    two gateway processes have, post ``per_process`` messages each to one channel at the same time."""
    async with aiohttp.ClientSession() as http_a, aiohttp.ClientSession() as http_b:
        clients = [SlackClient(http_a, api.url, TOKEN, post_interval_s=INTERVAL_S),
                   SlackClient(http_b, api.url, TOKEN, post_interval_s=INTERVAL_S)]
        stores = [connect(redis_url) for _ in clients] if redis_url else []
        for client, store in zip(clients, stores, strict=False):
            client.spacer = shared_spacer(store, "demo", "slack")
        try:
            await asyncio.gather(*(client.post_message("C1", f"{n}:{i}")
                                   for n, client in enumerate(clients) for i in range(per_process)),
                                 clients[0].post_message("C2", "another channel"))
        finally:
            for store in stores:
                await store.aclose()


async def test_two_processes_posting_to_one_channel_keep_one_pace(redis, redis_url):
    async with running(SlackStandIn()) as api:
        await two_processes_post(api, None, 3)  # each on its own: they post at the same moments
        assert min(gaps(api, "C1")) < SPACED_S / 2, "the control: without sharing, two posts go together"

    async with running(SlackStandIn()) as api:
        await two_processes_post(api, redis_url, 3)
        assert len(api.posts("C1")) == 6
        assert min(gaps(api, "C1")) >= SPACED_S, gaps(api, "C1")  # one pace for both
        first = min(call.at for call in api.posts("C1"))
        [other] = api.posts("C2")
        assert other.at - first < INTERVAL_S, "another channel is not held back"


async def test_without_redis_a_process_keeps_its_own_pace(caplog):
    dead = connect("redis://127.0.0.1:9/0")  # nothing listens on the discard port
    async with running(SlackStandIn()) as api, aiohttp.ClientSession() as http:
        client = SlackClient(http, api.url, TOKEN, post_interval_s=INTERVAL_S)
        client.spacer = shared_spacer(dead, "demo", "slack")
        with caplog.at_level(logging.WARNING, logger="bridges.slack.client"):
            for i in range(3):
                assert await client.post_message("C1", f"m{i}")
        assert len(api.posts("C1")) == 3 and min(gaps(api, "C1")) >= SPACED_S
        assert any("not shared" in r.getMessage() for r in caplog.records)
    await dead.aclose()


async def test_the_gateway_posts_in_the_slots_every_process_shares(redis, redis_url):
    """The mirror's posts reserve the channel's slots: another process's post waits for them."""
    async with running(SlackStandIn()) as api:
        async with running_gateway(slack_config(api), redis_url) as gw, aiohttp.ClientSession() as http:
            await slack_ready(gw)
            assert gw.app[SLACK].apps.app("demo", "slack").client.spacer is not None
            await mirrored_thread(gw, api)  # the thread's first message and the customer's line
            other = SlackClient(http, api.url, TOKEN)  # a second process, default pace (1 s)
            other.spacer = shared_spacer(redis, "demo", "slack")
            await other.post_message(CHANNEL, "from another process")
            await eventually(lambda: len(api.posts(CHANNEL)) >= 3, timeout=10)
            assert min(gaps(api, CHANNEL)) >= 0.5, gaps(api, CHANNEL)  # a second apart, less the jitter
