"""The widget keeps the conversation whole through a reload, a second tab and a network loss."""

from __future__ import annotations

import pytest
from browser_helpers import (  # noqa: F401  (_browser is the `browser` fixture)
    _browser,
    accept_offer,
    agent_available,
    agent_log,
    agent_messages,
    agent_send,
    assert_no_doubles,
    new_page,
    open_widget,
    start_chat,
    visitor_send,
    widget_messages,
)
from playwright.async_api import expect

pytestmark = pytest.mark.browser


async def wait_for_texts(page, texts: list[str]) -> list[dict]:
    """Wait until the widget shows each of ``texts`` (as a stored message), then return all."""
    for text in texts:
        await expect(page.locator(".log .msg[data-seq]", has_text=text)).to_have_count(1)
    return await widget_messages(page)


async def test_reload_second_tab_and_network_loss_lose_nothing_and_double_nothing(gateway_server, browser):
    base = gateway_server.url
    _, agent, agent_watch = await new_page(browser, "agent console")
    await agent_available(agent, base, "anna")

    vctx, visitor, visitor_watch = await new_page(browser, "widget")
    await open_widget(visitor, base)
    await start_chat(visitor, "Rita Reload", topic="billing", language="en")
    await visitor_send(visitor, "one: my parcel is late")
    await accept_offer(agent, "Rita Reload")
    await agent_send(agent, "two: which order number?")
    await expect(visitor.locator(".msg[data-author=agent]", has_text="two:")).to_be_visible()
    await visitor_send(visitor, "three: 4711")
    await expect(agent_log(agent).locator(".msg", has_text="three:")).to_be_visible()
    texts = ["one: my parcel is late", "two: which order number?", "three: 4711"]
    before = await wait_for_texts(visitor, texts)

    # Reload: the same conversation comes back (panel still open), each message once.
    await visitor.reload()
    await expect(visitor.locator("#or-panel")).to_be_visible()
    after_reload = await wait_for_texts(visitor, texts)
    assert_no_doubles(after_reload)
    assert [(m["seq"], m["text"]) for m in after_reload] == [(m["seq"], m["text"]) for m in before]
    await expect(visitor.locator(".head .sub")).to_have_text("Anna")

    # A second tab resumes the same visitor; what one tab sends shows in the other.
    tab2 = await vctx.new_page()
    await tab2.goto(f"{base}/demo")
    await expect(tab2.locator("#or-panel")).to_be_visible()
    await wait_for_texts(tab2, texts)
    await visitor_send(tab2, "four: from the second tab")
    texts.append("four: from the second tab")
    await wait_for_texts(visitor, texts)
    assert_no_doubles(await widget_messages(tab2))
    await tab2.close()

    # Network loss: the agent writes meanwhile, the visitor writes too; when the network is
    # back everything arrives, once.
    await vctx.set_offline(True)
    await expect(visitor.locator(".banner")).to_contain_text("offline")
    await agent_send(agent, "five: found it")
    await agent_send(agent, "six: it ships today")
    await visitor_send(visitor, "seven: typed while offline")
    pending = visitor.locator(".msg[data-author=visitor]", has_text="seven:")
    await expect(pending).to_be_visible()
    await visitor.wait_for_timeout(1500)
    assert await pending.get_attribute("data-state") in (
        "sending",
        "failed",
    )  # not acknowledged while offline
    await vctx.set_offline(False)
    texts += ["five: found it", "six: it ships today", "seven: typed while offline"]
    final = await wait_for_texts(visitor, texts)
    await expect(visitor.locator(".msg[data-author=visitor]", has_text="seven:")).to_have_attribute(
        "data-state", "sent"
    )
    await expect(visitor.locator(".banner")).to_have_text("")
    final = await widget_messages(visitor)
    assert_no_doubles(final)
    assert sorted(m["text"] for m in final) == sorted(texts)
    assert len(final) == len(texts)

    await expect(agent_log(agent).locator(".msg", has_text="seven:")).to_have_count(1)
    console = [m for m in await agent_messages(agent) if m["author"] in ("visitor", "agent")]
    assert_no_doubles(console)
    assert [m["text"] for m in console] == [m["text"] for m in final]

    # The agent's network drops while the visitor writes; back online, the console catches up,
    # each message once.
    await agent.context.set_offline(True)
    await expect(agent.locator(".conn")).to_have_text("Reconnecting…")
    await visitor_send(visitor, "eight: still there?")
    await visitor_send(visitor, "nine: hello?")
    texts += ["eight: still there?", "nine: hello?"]
    final = await wait_for_texts(visitor, texts)
    await agent.context.set_offline(False)
    await expect(agent.locator(".conn")).to_have_text("Connected")
    await expect(agent_log(agent).locator(".msg", has_text="nine:")).to_have_count(1)
    console = [m for m in await agent_messages(agent) if m["author"] in ("visitor", "agent")]
    assert_no_doubles(console)
    assert [m["text"] for m in console] == [m["text"] for m in final]

    # The agent console survives a reload too (token in sessionStorage, history re-fetched).
    await agent.reload()
    await expect(agent.locator(".conn")).to_have_text("Connected")
    await agent.click(".conv-item")
    await expect(
        agent_log(agent).locator(".msg[data-author=visitor], .msg[data-author=agent]")
    ).to_have_count(len(texts))
    reloaded = [m for m in await agent_messages(agent) if m["author"] in ("visitor", "agent")]
    assert [m["text"] for m in reloaded] == [m["text"] for m in final]

    agent_watch.assert_clean()
    visitor_watch.assert_clean()


async def widget_log_lines(page) -> list[str]:
    """Every line of the widget's log in display order: messages by text, notices by their words."""
    return await page.evaluate(
        """() => {
            const root = document.getElementById('omnirelay-widget').shadowRoot;
            return [...root.querySelectorAll('.log > *')]
                .filter(e => !e.classList.contains('greeting'))
                .map(e => (e.querySelector('.text') || e).textContent);
        }"""
    )


async def test_joined_line_keeps_its_place_after_a_reload(gateway_server, browser):
    base = gateway_server.url
    _, agent, agent_watch = await new_page(browser, "agent console")
    await agent_available(agent, base, "anna")
    _, visitor, visitor_watch = await new_page(browser, "widget")
    await open_widget(visitor, base)
    await start_chat(visitor, "Olga Order", topic="billing", language="en")
    await visitor_send(visitor, "first: hello")
    await accept_offer(agent, "Olga Order")
    await agent_send(agent, "second: hi, I am Anna")
    await visitor_send(visitor, "third: thanks")
    expected = ["first: hello", "Anna has joined the conversation.", "second: hi, I am Anna", "third: thanks"]
    await wait_for_texts(visitor, ["third: thanks"])
    assert await widget_log_lines(visitor) == expected

    # After a reload the server repeats `assigned` before the history is back: the line stays put.
    await visitor.reload()
    await expect(visitor.locator(".head .sub")).to_have_text("Anna")
    await wait_for_texts(visitor, ["first: hello", "second: hi, I am Anna", "third: thanks"])
    await expect(visitor.locator(".notice", has_text="Anna has joined")).to_have_count(1)
    assert await widget_log_lines(visitor) == expected

    agent_watch.assert_clean()
    visitor_watch.assert_clean()
