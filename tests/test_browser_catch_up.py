"""An event published while a gateway process was not subscribed to the fan-out (Redis restarted, a
Sentinel failover) never reaches that process's sockets. Once the process listens again it tells them
to catch up (gateway/sockets/reannounce.py): the console shows the offer it never heard of, the widget
the agent's reply it never received. Here those events are dropped on their way to the page, and the
fan-out's subscription is cut in Redis."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from browser_helpers import (  # noqa: F401  (_browser is the `browser` fixture)
    _browser,
    accept_offer,
    agent_available,
    agent_send,
    new_page,
    open_widget,
    start_chat,
    visitor_send,
)
from conftest import eventually
from playwright.async_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.timeout(90)]

SOCKET_IO = re.compile(r"/socket\.io/")


def dropping_first(lost: list[str], event: str, also: str = "") -> Callable:
    """A websocket route passing everything on but the first ``event`` frame (containing ``also``)."""

    def route(ws) -> None:
        server = ws.connect_to_server()

        def to_page(message) -> None:
            frame = str(message)
            if not lost and f'["{event}",' in frame and also in frame:
                lost.append(frame)
                return
            ws.send(message)

        server.on_message(to_page)

    return route


async def test_an_offer_and_a_reply_lost_on_the_way_arrive_once_the_gateway_caught_up(gateway_server, redis, browser):
    gw = gateway_server
    _, anna, console = await new_page(browser, "anna's console", width=1400, height=860)
    lost_offer: list[str] = []
    await anna.route_web_socket(SOCKET_IO, dropping_first(lost_offer, "offer"))
    await agent_available(anna, gw.url)

    _, kim, widget = await new_page(browser, "kim's widget")
    lost_reply: list[str] = []
    await kim.route_web_socket(SOCKET_IO, dropping_first(lost_reply, "message", also='"kind":"agent"'))
    await open_widget(kim, gw.url)
    await start_chat(kim, "Kim")
    await visitor_send(kim, "Is anyone there?")

    await eventually(lambda: lost_offer, 10)
    await anna.wait_for_timeout(500)
    await expect(anna.locator(".offer-card")).to_have_count(0)  # the console never heard of it
    await redis.client_kill_filter(_type="pubsub")  # the fan-out drops and subscribes again
    await accept_offer(anna, "Kim")  # listed by the fresh hello, and announced

    await agent_send(anna, "Hi Kim, how can I help?")
    await eventually(lambda: lost_reply, 10)
    reply = kim.locator(".log .msg[data-author=agent]", has_text="how can I help")
    await kim.wait_for_timeout(500)
    await expect(reply).to_have_count(0)  # the widget never received it
    await redis.client_kill_filter(_type="pubsub")
    await expect(reply).to_have_count(1)  # `resync`: fetched with the history
    console.assert_clean()
    widget.assert_clean()
