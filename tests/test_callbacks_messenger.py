"""Callbacks on the messengers, through the real gateway and the local stand-ins of the platforms,
fed with the recorded payloads: the agent offers a callback, the customer's platform shows its own
buttons, a tap / a shared contact / a typed number confirms it (once, whatever is repeated), a bad
number is asked again, an ordinary message still reaches the agent, and a reply cancels it."""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from browser_helpers import _browser, accept_offer, agent_available, agent_log, new_page  # noqa: F401 (the `browser` fixture)
from conftest import DEMO_CONFIG, FIXTURES, running_gateway
from playwright.async_api import expect

from acd import replies
from bridges.messenger.inbound import SIGNATURE_HEADER, signature
from bridges.telegram.inbound import SECRET_HEADER
from gateway.callbacks.records import OPEN_STATES, get_callback
from gateway.config import load_config
from gateway.keys import TenantKeys

sys.path.insert(0, str(Path(__file__).parent / "bridges"))  # the stand-ins and recordings of the bridge tests
from echo import eventually  # noqa: E402
from telegram_standin import TOKEN, StandIn, running  # noqa: E402
from test_messenger_client import FakeGraph as FakeSendApi  # noqa: E402
from test_whatsapp_conversation import URL as WA_URL  # noqa: E402
from test_whatsapp_conversation import whatsapp_config  # noqa: E402
from wa_fixtures import batch, body_of, message, recorded, sign  # noqa: E402
from wa_standin import FakeGraph as FakeCloudApi  # noqa: E402

pytestmark = pytest.mark.timeout(60)
KEYS = TenantKeys("demo")
TG_SECRET = "cb-telegram-secret"
WA_NUMBER = "4915112345678"  # a German mobile: the demo tenant calls DE, AT and CH only


async def served(app):
    server = TestServer(app, host="127.0.0.1", port=0)
    await server.start_server()
    return server, str(server.make_url("")).rstrip("/")


async def agent_holds(gw, name: str):
    """The agent, the inbox of their socket and the conversation they accepted."""
    agent, inbox = await gw.agent(name)
    offer = await inbox.next("offer", timeout=10)
    accepted = await agent.call("accept", {"offer_id": offer["offer_id"]}, namespace="/agent")
    return agent, inbox, accepted["conversation"]["conversation_id"]


async def offer(agent, cid: str, **extra) -> dict:
    ack = await agent.call("escalate", {"conversation_id": cid, "to": "callback_offer", **extra}, namespace="/agent")
    assert "error" not in ack, ack
    return ack


async def scheduled(redis) -> list[str]:
    """Ids of the callbacks not ended yet (an ASAP one leaves the due list at once: its attempt starts)."""
    found = []
    async for key in redis.scan_iter(match=KEYS.callback("*")):
        if replies.maybe_text(await redis.type(key)) == "hash" and \
                replies.maybe_text(await redis.hget(key, "state")) in OPEN_STATES:
            found.append(replies.maybe_text(await redis.hget(key, "id")))
    return found


# --- WhatsApp: the customer's own number, reply buttons ------------------------------------------------


def wa_button(wamid: str, button_id: str, title: str) -> bytes:
    body = recorded("whatsapp_interactive_button_reply")
    value = body["entry"][0]["changes"][0]["value"]
    value["contacts"][0]["wa_id"] = WA_NUMBER
    msg = value["messages"][0]
    msg.update({"from": WA_NUMBER, "id": wamid})
    msg["interactive"]["button_reply"] = {"id": button_id, "title": title}
    return body_of(body)


async def wa_post(http, gw, body: bytes) -> None:
    async with http.post(gw.url + WA_URL, data=body, headers={"X-Hub-Signature-256": sign(body)}) as r:
        assert r.status == 200


async def test_whatsapp_offer_confirmed_by_button_creates_one_callback_and_cancel_by_reply(redis, redis_url):
    cloud = FakeCloudApi()
    server, cloud.url = await served(cloud.app)
    try:
        async with running_gateway(whatsapp_config(cloud.url), redis_url) as gw, aiohttp.ClientSession() as http:
            await wa_post(http, gw, body_of(batch(message("wamid.in1", "Ich habe eine Frage", wa_id=WA_NUMBER))))
            anna, anna_in, cid = await agent_holds(gw, "anna")  # billing, German: the WhatsApp channel

            ack = await offer(anna, cid)
            offer_id = ack["offer"]["id"]
            assert ack["offer"]["phone"] == "+" + WA_NUMBER  # WhatsApp's own number is proposed
            await eventually(lambda: cloud.sent(), timeout=10)
            [sent] = cloud.sent()
            assert sent["to"] == WA_NUMBER and sent["type"] == "interactive"
            assert sent["interactive"] == {
                "type": "button",
                "body": {"text": f"Möchten Sie, dass wir Sie zurückrufen? Wir würden Sie unter +{WA_NUMBER} anrufen."},
                "action": {"buttons": [
                    {"type": "reply", "reply": {"id": f"cb:yes:{offer_id}", "title": "Ja, bitte anrufen"}},
                    {"type": "reply", "reply": {"id": f"cb:other:{offer_id}", "title": "Andere Nummer"}},
                    {"type": "reply", "reply": {"id": f"cb:no:{offer_id}", "title": "Nein, danke"}}]}}

            press = wa_button("wamid.b1", f"cb:yes:{offer_id}", "Ja, bitte anrufen")
            await wa_post(http, gw, press)
            await eventually(lambda: len(cloud.sent()) == 2, timeout=10)
            confirmation = cloud.sent()[1]["interactive"]
            assert confirmation["body"]["text"] == f"Wir rufen Sie so bald wie möglich unter +{WA_NUMBER} an."
            [button] = confirmation["action"]["buttons"]
            assert button["reply"]["title"] == "Rückruf stornieren"
            [cb_id] = await scheduled(redis)
            assert button["reply"]["id"] == f"cb:cancel:{cb_id}"
            cb = await get_callback(redis, KEYS, cb_id)
            assert (cb.phone, cb.state, cb.conversation_id, cb.by) == ("+" + WA_NUMBER, "scheduled", cid, "agent")

            # Meta repeats the delivery, the customer taps again: both reach the agent, nothing new is created
            await wa_post(http, gw, press)
            await wa_post(http, gw, wa_button("wamid.b2", f"cb:yes:{offer_id}", "Ja, bitte anrufen"))
            await wa_post(http, gw, body_of(batch(message("wamid.in2", "Danke!", wa_id=WA_NUMBER))))
            await anna_in.next("message", lambda m: m["text"] == "Danke!", timeout=10)
            taps = [m for m in anna_in.all("message") if m["text"] == "Ja, bitte anrufen"]
            assert len(taps) == 2  # the repeated delivery stored nothing; the second tap is an ordinary message
            assert await scheduled(redis) == [cb_id] and len(cloud.sent()) == 2

            await wa_post(http, gw, body_of(batch(message("wamid.in3", "Stornieren", wa_id=WA_NUMBER))))
            await eventually(lambda: len(cloud.sent()) == 3, timeout=10)
            assert cloud.sent()[2]["text"]["body"] == f"Ihr Rückruf an +{WA_NUMBER} ist storniert."
            assert (await get_callback(redis, KEYS, cb_id)).state == "cancelled"
            assert await scheduled(redis) == []
    finally:
        await server.close()


async def test_whatsapp_offer_declined_with_no_thanks(redis, redis_url):
    cloud = FakeCloudApi()
    server, cloud.url = await served(cloud.app)
    try:
        async with running_gateway(whatsapp_config(cloud.url), redis_url) as gw, aiohttp.ClientSession() as http:
            await wa_post(http, gw, body_of(batch(message("wamid.in1", "Hallo", wa_id=WA_NUMBER))))
            anna, _, cid = await agent_holds(gw, "anna")
            offer_id = (await offer(anna, cid))["offer"]["id"]
            await wa_post(http, gw, wa_button("wamid.b1", f"cb:no:{offer_id}", "Nein, danke"))
            await eventually(lambda: len(cloud.sent()) == 2, timeout=10)
            assert cloud.sent()[1]["text"]["body"] == "In Ordnung, kein Rückruf. Sie können hier weiter schreiben."
            assert await redis.exists(KEYS.callback_offer(cid)) == 0 and await scheduled(redis) == []
    finally:
        await server.close()


# --- Telegram: the contact button, a shared contact, the cancel button ---------------------------------


def tg_update(update_id: int, **message) -> bytes:
    body = json.loads((FIXTURES / "telegram_text.json").read_text())["payload"]
    body["update_id"] = update_id
    body["message"].update(message)
    return json.dumps(body).encode()


def tg_contact(update_id: int, message_id: int, phone: str) -> bytes:
    """The recorded contact, shared in our customer's chat."""
    body = json.loads((FIXTURES / "telegram_contact.json").read_text())["payload"]
    text = json.loads((FIXTURES / "telegram_text.json").read_text())["payload"]["message"]
    body["update_id"] = update_id
    body["message"].update({"message_id": message_id, "from": text["from"], "chat": text["chat"]})
    body["message"]["contact"].update({"phone_number": phone, "user_id": text["from"]["id"]})
    return json.dumps(body).encode()


def tg_tap(update_id: int, query_id: str, data: str) -> bytes:
    body = json.loads((FIXTURES / "telegram_callback_query.json").read_text())["payload"]
    text = json.loads((FIXTURES / "telegram_text.json").read_text())["payload"]["message"]
    query = body["callback_query"]
    body["update_id"] = update_id
    query.update({"id": query_id, "from": text["from"], "data": data})
    query["message"]["chat"] = text["chat"]
    return json.dumps(body).encode()


async def tg_post(http, gw, body: bytes) -> None:
    async with http.post(f"{gw.url}/webhooks/telegram/telegram", data=body, headers={SECRET_HEADER: TG_SECRET}) as r:
        assert r.status == 200


async def test_telegram_contact_confirms_bad_number_asked_again_and_cancel_button(redis, redis_url):
    async with running(StandIn()) as api:
        env = {"TELEGRAM_API_BASE": api.url, "TELEGRAM_SECRET": TG_SECRET, "TELEGRAM_TOKEN": TOKEN}
        async with running_gateway(load_config(DEMO_CONFIG, env=env), redis_url) as gw, aiohttp.ClientSession() as http:
            await tg_post(http, gw, tg_update(1000))
            ben, ben_in, cid = await agent_holds(gw, "ben")  # tech, English: the Telegram channel

            ack = await offer(ben, cid)
            assert ack["offer"]["phone"] is None  # Telegram does not tell the number: the customer shares it
            await eventually(lambda: api.sent_texts(), timeout=10)
            [sent] = [c.json for c in api.calls if c.method == "sendMessage"]
            assert sent["text"].startswith("Would you like us to call you back? Share your phone number")
            assert sent["reply_markup"] == {
                "keyboard": [[{"text": "Share my number", "request_contact": True}], [{"text": "No, thanks"}]],
                "one_time_keyboard": True, "resize_keyboard": True}

            # an ordinary message while the offer is pending: the agent reads it, the offer stays
            await tg_post(http, gw, tg_update(1001, message_id=7001, text="Is my order shipped?"))
            await ben_in.next("message", lambda m: m["text"] == "Is my order shipped?", timeout=10)
            assert await redis.exists(KEYS.callback_offer(cid)) == 1 and len(api.sent_texts()) == 1

            # the recorded contact's number (911) cannot be called: asked again, offer still pending
            await tg_post(http, gw, tg_contact(1002, 7002, "911"))
            await eventually(lambda: len(api.sent_texts()) == 2, timeout=10)
            assert api.sent_texts()[1].startswith("This is not a phone number we can call. Please send it again")
            assert await scheduled(redis) == [] and await redis.exists(KEYS.callback_offer(cid)) == 1

            # the customer's own contact (Telegram gives it without the "+")
            await tg_post(http, gw, tg_contact(1003, 7003, "49301234567"))
            await eventually(lambda: len(api.sent_texts()) == 3, timeout=10)
            confirmation = [c.json for c in api.calls if c.method == "sendMessage"][2]
            assert confirmation["text"] == "We will call you at +49301234567 as soon as possible."
            [cb_id] = await scheduled(redis)
            assert confirmation["reply_markup"] == {
                "inline_keyboard": [[{"text": "Cancel callback", "callback_data": f"cb:cancel:{cb_id}"}]]}
            assert (await get_callback(redis, KEYS, cb_id)).phone == "+49301234567"

            await tg_post(http, gw, tg_tap(1004, "q-cancel-1", f"cb:cancel:{cb_id}"))
            await eventually(lambda: len(api.sent_texts()) == 4, timeout=10)
            assert api.sent_texts()[3] == "Your callback to +49301234567 is cancelled."
            assert (await get_callback(redis, KEYS, cb_id)).state == "cancelled"
            assert any(c.method == "answerCallbackQuery" and c.json["callback_query_id"] == "q-cancel-1"
                       for c in api.calls)
            await tg_post(http, gw, tg_tap(1005, "q-cancel-2", f"cb:cancel:{cb_id}"))  # tapped twice
            await ben_in.next("message", lambda m: m.get("platform_message_id") == "q-cancel-2", timeout=10)
            assert len(api.sent_texts()) == 4


# --- Messenger: the phone-number quick reply, a typed number, too late to cancel ----------------------


def fb_body(name: str, mid: str, text: str, payload: str | None = None) -> bytes:
    body = copy.deepcopy(json.loads((FIXTURES / f"messenger_{name}.json").read_text())["payload"])
    msg = body["entry"][0]["messaging"][0]["message"]
    msg.update({"mid": mid, "text": text})
    if payload is not None:
        msg["quick_reply"] = {"payload": payload}
    return json.dumps(body).encode()


async def fb_post(http, gw, body: bytes) -> None:
    secret = "demo-messenger-secret"
    async with http.post(gw.url + "/webhooks/messenger/messenger", data=body,
                         headers={SIGNATURE_HEADER: signature(secret, body)}) as r:
        assert r.status == 200


async def test_messenger_phone_quick_reply_typed_numbers_and_too_late_to_cancel(redis, redis_url):
    graph = FakeSendApi()
    server, graph.url = await served(graph.app)
    try:
        config = load_config(DEMO_CONFIG, env={"MESSENGER_API_BASE": graph.url})
        async with running_gateway(config, redis_url) as gw, aiohttp.ClientSession() as http:
            await fb_post(http, gw, fb_body("text", "m_in1", "hello world"))
            ben, ben_in, cid = await agent_holds(gw, "ben")  # sales, English: the Messenger channel

            offer_id = (await offer(ben, cid))["offer"]["id"]
            await eventually(lambda: graph.requests, timeout=10)
            assert graph.requests[0]["json"]["message"]["quick_replies"] == [
                {"content_type": "user_phone_number"},
                {"content_type": "text", "title": "No, thanks", "payload": f"cb:no:{offer_id}"}]

            # a typed number of a country the tenant does not call: a clear answer, asked again
            await fb_post(http, gw, fb_body("text", "m_in2", "+1 212 555 0100"))
            await eventually(lambda: len(graph.requests) == 2, timeout=10)
            assert graph.sent_texts()[1] == "We can only call numbers in AT, CH, DE. Please send another number."
            assert await scheduled(redis) == []

            # Messenger's phone quick reply: the number of the customer's profile, as payload and text
            await fb_post(http, gw, fb_body("quick_reply", "m_in3", "+41446681800", payload="+41446681800"))
            await eventually(lambda: len(graph.requests) == 3, timeout=10)
            [cb_id] = await scheduled(redis)
            assert graph.requests[2]["json"]["message"] == {
                "text": "We will call you at +41446681800 as soon as possible.",
                "quick_replies": [{"content_type": "text", "title": "Cancel callback", "payload": f"cb:cancel:{cb_id}"}]}
            assert (await get_callback(redis, KEYS, cb_id)).phone == "+41446681800"

            await redis.hset(KEYS.callback(cb_id), "state", "dialling")  # the agent's phone is ringing
            await fb_post(http, gw, fb_body("text", "m_in4", "Cancel!"))
            await eventually(lambda: len(graph.requests) == 4, timeout=10)
            assert graph.sent_texts()[3] == "Too late to cancel: we are calling you right now."
            assert (await get_callback(redis, KEYS, cb_id)).state == "dialling"
            await ben_in.next("message", lambda m: m["text"] == "Cancel!", timeout=10)  # the agent reads it too
    finally:
        await server.close()


async def test_an_offer_is_refused_outside_messengers_and_for_a_bad_number(gateway):
    visitor, _ = await gateway.visitor()
    await visitor.call("message", {"text": "hi", "client_id": "m1"}, namespace="/visitor")
    anna, anna_in = await gateway.agent("anna")
    got = await anna_in.next("offer", timeout=10)
    cid = (await anna.call("accept", {"offer_id": got["offer_id"]}, namespace="/agent"))["conversation"]["conversation_id"]
    ack = await anna.call("escalate", {"conversation_id": cid, "to": "callback_offer"}, namespace="/agent")
    assert ack["error"]["code"] == "bad_request" and "Telegram, WhatsApp or Messenger" in ack["error"]["message"]


@pytest.mark.browser
@pytest.mark.timeout(90)
async def test_the_console_offers_a_callback_on_whatsapp_with_the_customers_number(redis, redis_url, browser):
    cloud = FakeCloudApi()
    server, cloud.url = await served(cloud.app)
    try:
        async with running_gateway(whatsapp_config(cloud.url), redis_url) as gw, aiohttp.ClientSession() as http:
            _, anna, watch = await new_page(browser, "anna's console", width=1400, height=860)
            await agent_available(anna, gw.url, "anna")
            await wa_post(http, gw, body_of(batch(message("wamid.in1", "Rufen Sie mich an?", wa_id=WA_NUMBER))))
            await accept_offer(anna, "Test Name")

            await anna.click(".conv-actions [data-action=escalate]")
            dialog = anna.locator("dialog")
            await dialog.locator("#esc-to").select_option("callback_offer")
            await expect(dialog.locator("#esc-phone")).to_have_value("+" + WA_NUMBER)  # WhatsApp's own number
            await expect(dialog.locator("#esc-at")).to_have_count(0)  # the customer answers: as soon as possible
            await dialog.locator("button[type=submit]").click()
            await expect(dialog).to_have_count(0)
            await expect(agent_log(anna).locator(".msg").last).to_contain_text("Möchten Sie, dass wir Sie zurückrufen?")
            await eventually(lambda: cloud.sent(), timeout=10)
            assert cloud.sent()[0]["interactive"]["action"]["buttons"][0]["reply"]["title"] == "Ja, bitte anrufen"
            watch.assert_clean()
    finally:
        await server.close()


async def test_a_callback_the_agent_books_reaches_the_whatsapp_customer_and_so_does_its_cancel(redis, redis_url):
    """Lines about a callback are not only in the console: a messenger customer reads the booking (with
    the button that cancels it) and, when they cancel through the signed page, that it is cancelled."""
    cloud = FakeCloudApi()
    server, cloud.url = await served(cloud.app)
    try:
        async with running_gateway(whatsapp_config(cloud.url), redis_url) as gw, aiohttp.ClientSession() as http:
            await wa_post(http, gw, body_of(batch(message("wamid.in9", "Bitte rufen Sie mich an", wa_id=WA_NUMBER))))
            anna, anna_in, cid = await agent_holds(gw, "anna")
            ack = await anna.call("escalate", {"conversation_id": cid, "to": "callback", "phone": "+49 151 99887766"},
                                  namespace="/agent")
            assert "error" not in ack, ack
            await eventually(lambda: cloud.sent(), timeout=10)
            [booked] = cloud.sent()
            assert booked["to"] == WA_NUMBER and booked["type"] == "interactive"
            assert "+4915199887766" in booked["interactive"]["body"]["text"]
            [button] = booked["interactive"]["action"]["buttons"]
            assert button["reply"]["title"] == "Rückruf stornieren"

            line = await anna_in.next("message", lambda m: "manage_url" in m.get("callback", {}))
            url = line["callback"]["manage_url"]
            sig = url.split("sig=", 1)[1].split("&", 1)[0]
            async with http.post(f"{gw.url}/callbacks/{line['callback']['id']}",
                                 data={"tenant": "demo", "sig": sig, "action": "cancel"}) as r:
                assert r.status == 200, await r.text()
            await eventually(lambda: len(cloud.sent()) == 2, timeout=10)
            cancelled = cloud.sent()[1]
            assert cancelled["type"] == "text" and "storniert" in cancelled["text"]["body"]
    finally:
        await server.close()
