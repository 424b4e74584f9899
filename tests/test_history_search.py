"""GET /api/v1/search over the history database (real PostgreSQL, fed by the archive): German and
English inflections, every filter, who may find what, tenant isolation, stable pages, safe snippets."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import aiohttp
import pytest
from conftest import eventually, running_gateway, two_tenants_config
from history_helpers import history_gateway

from gateway.history.search import prefixed, snippet_parts
from gateway.keys import TenantKeys
from gateway.store.contacts import resolve_contact
from gateway.store.conversations import close_conversation, create_conversation, update_conversation
from gateway.store.messages import append_message

KEYS = TenantKeys("demo")


async def _conversation(redis, texts: list[str], *, keys: TenantKeys = KEYS, language: str = "de",
                        name: str = "Lena", email: str = "", phone: str = "", ident: tuple[str, str] | None = None,
                        channel: tuple[str, str, str] = ("web", "widget", "chat"), queue: str = "billing",
                        created: float | None = None, close: bool = True, **fields: str) -> str:
    """A conversation written through the store (so the archive takes it to PostgreSQL)."""
    contact = await resolve_contact(redis, keys, [ident or ("visitor", f"v-{name}-{time.monotonic_ns()}")],
                                    name=name, email=email, phone=phone)
    conv = await create_conversation(redis, keys, channel=channel[0], channel_type=channel[1], work_channel=channel[2],
                                     contact_id=contact, topic=queue, queue=queue, language=language, now=created)
    for n, text in enumerate(texts):
        await append_message(redis, keys, conv.id, author_kind="visitor", author_name=name, text=text,
                             client_id=f"c{n}")
    if fields:
        await update_conversation(redis, keys, conv.id, **fields)
    if close:
        await close_conversation(redis, keys, conv.id, "visitor")
    return conv.id


async def _archived(db, *cids: str) -> bool:
    count = await db.fetchval("SELECT count(*) FROM conversations WHERE id = ANY($1::text[])", list(cids))
    pending = await db.fetchval(
        "SELECT count(*) FROM conversations c WHERE id = ANY($1::text[]) AND c.seq <> "
        "(SELECT count(*) FROM messages m WHERE m.conversation_id = c.id)", list(cids))
    return count == len(cids) and pending == 0


class Api:
    def __init__(self, http: aiohttp.ClientSession, url: str, token: str) -> None:
        self.http, self.url, self.headers = http, url, {"Authorization": f"Bearer {token}"}

    async def get(self, status: int = 200, **params) -> dict:
        async with self.http.get(f"{self.url}/api/v1/search", params=params, headers=self.headers) as r:
            body = await r.json()
            assert r.status == status, body
            return body

    async def ids(self, **params) -> list[str]:
        return [r["id"] for r in (await self.get(**params))["results"]]


@pytest.fixture
async def searching(redis, redis_url, demo_config, database_url, history_db):
    """(gateway, the supervisor's Api, the history connection)."""
    async with history_gateway(demo_config, redis_url, database_url) as gw, aiohttp.ClientSession() as http:
        sam = await gw.login("sam")
        yield gw, Api(http, gw.url, sam["token"]), history_db, http


async def test_german_and_english_inflections_and_compounds(redis, searching):
    gw, sam, db, _ = searching
    de = await _conversation(redis, ["Guten Tag", "Meine Rechnung ist falsch"], language="de")
    en = await _conversation(redis, ["My invoice was charged twice"], language="en", name="Joe")
    compound = await _conversation(redis, ["Bitte ändern Sie die Rechnungsadresse"], language="de", name="Kai")
    other = await _conversation(redis, ["Das Paket kam nie an"], language="de", name="Uwe")
    await eventually(lambda: _archived(db, de, en, compound, other), timeout=15)

    found = await sam.get(q="Rechnungen")  # plural finds the singular (German stemming)
    assert set(r["id"] for r in found["results"]) == {de, compound}
    assert found["results"][0]["id"] == de  # the exact word ranks above the compound
    hit = found["results"][0]
    assert hit["snippet"] == "Meine Rechnung ist falsch"
    assert [p for p in hit["snippet_parts"] if p["match"]] == [{"text": "Rechnung", "match": True}]
    assert hit["match"]["seq"] == 2 and hit["contact"]["name"] == "Lena" and hit["language"] == "de"
    assert await sam.ids(q="invoices charging") == [en]  # English: plural and -ing forms
    assert await sam.ids(q='"Rechnung ist falsch"') == [de]  # a phrase
    assert await sam.ids(q="Rechnung -falsch") == [compound]  # a word excluded
    assert await sam.ids(q="Waschmaschine") == []


async def test_each_filter(redis, searching):
    gw, sam, db, _ = searching
    jan, feb = datetime(2026, 1, 15, 12, tzinfo=UTC).timestamp(), datetime(2026, 2, 15, 12, tzinfo=UTC).timestamp()
    a = await _conversation(redis, ["Rechnung eins"], name="Lena Berg", email="lena@example.org", created=jan,
                            agent_id="anna", labels="vip,refund", wrapup_code="solved")
    b = await _conversation(redis, ["Rechnung zwei"], name="Max Mustermann", phone="+49 170 1234567", created=feb,
                            channel=("telegram", "telegram", "messaging"), queue="sales", agent_id="ben",
                            ident=("telegram", "tg-998877"), wrapup_code="callback")
    await eventually(lambda: _archived(db, a, b), timeout=15)

    assert await sam.ids(q="Rechnung") == [b, a]  # same relevance: newest first
    assert await sam.ids(contact="berg") == [a]  # part of the name
    assert await sam.ids(contact="LENA@example") == [a]  # email, any case
    assert await sam.ids(contact="0170 123") == []  # not the number's beginning with the zero …
    assert await sam.ids(contact="170 1234") == [b]  # … but its digits, however spaced
    assert await sam.ids(contact="tg-998877") == [b]  # a messenger id
    assert await sam.ids(channel="telegram") == [b]
    assert await sam.ids(channel="chat") == [a]  # the work channel works too
    assert await sam.ids(queue="sales") == [b]
    assert await sam.ids(agent="anna") == [a]
    assert await sam.ids(label="refund") == [a]
    assert await sam.ids(label="VIP", q="Rechnung") == [a]
    assert await sam.ids(wrapup_code="callback") == [b]
    assert await sam.ids(**{"from": "2026-02-01"}) == [b]
    assert await sam.ids(to="2026-01-31") == [a]
    assert await sam.ids(**{"from": "2026-01-15", "to": "2026-01-15"}) == [a]  # one whole day
    assert await sam.ids(**{"from": "2026-01-15T13:00:00+01:00", "to": str(int(feb))}) == [a]  # 12:00 UTC, epoch
    assert await sam.ids(q="Rechnung", queue="billing", channel="web", agent="anna") == [a]


async def test_bad_parameters_are_refused_clearly(searching):
    _, sam, _, _ = searching
    cases = {
        "limit": ({"limit": "0"}, "'limit'"), "from": ({"from": "yesterday"}, "'from' must be a date"),
        "order": ({"from": "2026-02-02", "to": "2026-02-01"}, "'from' must be before 'to'"),
        "unknown": ({"wrapup": "x"}, "unknown parameter 'wrapup'"), "q": ({"q": "x" * 201}, "'q' is longer"),
        "cursor": ({"cursor": "not-a-cursor"}, "'cursor'"),
    }
    for name, (params, says) in cases.items():
        body = await sam.get(400, **params)
        assert body["error"]["code"] == "bad_request" and says in body["error"]["message"], name
    async with sam.http.get(f"{sam.url}/api/v1/search?q=a&q=b", headers=sam.headers) as r:
        assert r.status == 400 and "more than once" in (await r.json())["error"]["message"]
    async with sam.http.get(f"{sam.url}/api/v1/search?q=Rechnung") as r:
        assert r.status == 401


async def test_pages_are_stable_and_cover_everything_once(redis, searching):
    gw, sam, db, _ = searching
    base = time.time() - 3600
    cids = [await _conversation(redis, ["Rechnung " + "falsch " * (n % 3)], name=f"P{n}", created=base + n // 2)
            for n in range(11)]  # equal ranks and equal times in pairs: the id decides
    await eventually(lambda: _archived(db, *cids), timeout=20)
    for params in ({"q": "Rechnung"}, {}):
        whole = await sam.ids(limit=100, **params)
        seen, cursor = [], None
        while True:
            page = await sam.get(limit=4, **params, **({"cursor": cursor} if cursor else {}))
            assert len(page["results"]) <= 4
            seen += [r["id"] for r in page["results"]]
            cursor = page["next"]
            if not cursor:
                break
        assert seen == whole and sorted(seen) == sorted(cids), params
    # a cursor of one search does not continue another
    first = await sam.get(limit=4, q="Rechnung")
    body = await sam.get(400, limit=4, q="falsch", cursor=first["next"])
    assert "another search" in body["error"]["message"]


async def test_an_agent_finds_what_it_served_and_its_customers_history_only(redis, searching):
    gw, sam, db, http = searching
    # ben served an earlier conversation of a customer; anna served another customer
    bens = await _conversation(redis, ["Rechnung von Tom"], name="Tom", ident=("visitor", "tom"), agent_id="ben")
    annas = await _conversation(redis, ["Rechnung von Eva"], name="Eva", agent_id="anna")
    await eventually(lambda: _archived(db, bens, annas), timeout=15)
    anna = Api(http, gw.url, (await gw.login("anna"))["token"])
    ben = Api(http, gw.url, (await gw.login("ben"))["token"])
    assert await anna.ids(q="Rechnung") == [annas]
    assert await ben.ids(q="Rechnung") == [bens]
    assert await ben.ids(q="Rechnung", agent="anna") == []  # the agent filter does not widen what one sees
    assert set(await sam.ids(q="Rechnung")) == {bens, annas}

    # Tom writes again and anna takes it: now anna serves Tom, and finds his history with ben
    agent, inbox = await gw.agent("anna")
    visitor, _ = await gw.visitor(name="Tom")
    contact = await redis.hget(KEYS.conv(bens), "contact_id")
    ack = await visitor.call("message", {"text": "Noch eine Frage zur Rechnung", "client_id": "t1"},
                             namespace="/visitor", timeout=5)
    # the widget visitor is a new contact; merge it into Tom (as an agent would), so it is the same customer
    kept = await resolve_contact(redis, KEYS, [], merge=[contact, await redis.hget(KEYS.conv(ack["conversation_id"]),
                                                                                  "contact_id")])
    offer = await inbox.next("offer")
    assert (await agent.call("accept", {"offer_id": offer["offer_id"]}, namespace="/agent", timeout=5))["ok"]
    await eventually(lambda: _archived(db, ack["conversation_id"]), timeout=15)
    assert kept
    found = set(await anna.ids(q="Rechnung"))
    assert found == {annas, bens, ack["conversation_id"]}
    # once anna closes it, Tom's old conversation is out of her reach again; hers stay
    await agent.call("close", {"conversation_id": ack["conversation_id"]}, namespace="/agent", timeout=5)

    async def after_close():  # once the close is archived (the archive batches for up to 0.1 s)
        return set(await anna.ids(q="Rechnung")) == {annas, ack["conversation_id"]}

    await eventually(after_close, timeout=10)


async def test_an_agent_keeps_finding_a_conversation_it_transferred(redis, searching):
    gw, sam, db, http = searching
    anna, anna_in = await gw.agent("anna")
    ben, ben_in = await gw.agent("ben")
    visitor, _ = await gw.visitor(language="en", name="Zoe")
    ack = await visitor.call("message", {"text": "My invoices are wrong", "client_id": "z1"}, namespace="/visitor",
                             timeout=5)
    cid = ack["conversation_id"]
    offer = await anna_in.next("offer")
    assert (await anna.call("accept", {"offer_id": offer["offer_id"]}, namespace="/agent", timeout=5))["ok"]
    assert (await anna.call("transfer", {"conversation_id": cid, "agent": "ben"}, namespace="/agent", timeout=5))["ok"]
    offer = await ben_in.next("offer", lambda o: o["conversation_id"] == cid)
    assert (await ben.call("accept", {"offer_id": offer["offer_id"]}, namespace="/agent", timeout=5))["ok"]
    await ben.call("close", {"conversation_id": cid, "wrapup_code": "solved"}, namespace="/agent", timeout=5)

    async def archived_with_code():
        return await db.fetchval("SELECT fields->>'wrapup_code' FROM conversations WHERE id = $1", cid) == "solved" \
            and await db.fetchval("SELECT count(*) FROM acd_events WHERE ev = 'assign'") >= 2
    await eventually(archived_with_code, timeout=15)
    api = Api(http, gw.url, (await gw.login("anna"))["token"])
    assert await api.ids(q="invoice") == [cid]  # assigned to ben in the end, but anna served it first
    assert await sam.ids(agent="anna") == [cid] == await sam.ids(agent="ben")
    assert await sam.ids(wrapup_code="solved") == [cid]  # the code the agent closed with
    clara = Api(http, gw.url, (await gw.login("clara"))["token"])
    assert await clara.ids(q="invoice") == []


async def test_one_tenant_never_finds_anothers_conversations(redis, redis_url, database_url, history_db):
    config = two_tenants_config()
    async with history_gateway(config, redis_url, database_url) as gw, aiohttp.ClientSession() as http:
        demo = await _conversation(redis, ["Invoice for demo"], language="en", name="Same Name", agent_id="zed")
        acme = await _conversation(redis, ["Invoice for acme"], keys=TenantKeys("acme"), language="en",
                                   name="Same Name", queue="help", agent_id="zed")
        await eventually(lambda: _archived(history_db, demo, acme), timeout=15)
        sue = Api(http, gw.url, (await gw.login("sue", "anna-demo"))["token"])
        zed = Api(http, gw.url, (await gw.login("zed", "anna-demo"))["token"])
        sam = Api(http, gw.url, (await gw.login("sam"))["token"])
        assert await sue.ids(q="invoice") == [acme] == await sue.ids(contact="Same Name")
        assert await zed.ids(q="invoice") == [acme]  # "zed" as agent_id in demo is not this zed
        assert await sam.ids(q="invoice") == [demo] == await sam.ids(contact="same")
        assert await sue.ids() == [acme]


async def test_without_a_history_database_search_answers_503(redis, redis_url, demo_config):
    async with running_gateway(demo_config, redis_url) as gw, aiohttp.ClientSession() as http:
        token = (await gw.login("sam"))["token"]
        async with http.get(f"{gw.url}/api/v1/search", params={"q": "Rechnung"},
                            headers={"Authorization": f"Bearer {token}"}) as r:
            body = await r.json()
    assert r.status == 503 and body["error"]["code"] == "history_unavailable"


def test_snippet_markers_become_parts_and_prefixes_only_for_longer_words():
    assert snippet_parts("a <b>\ue000Rechnung\ue001</b> \ue000x\ue001") == [
        {"text": "a <b>", "match": False}, {"text": "Rechnung", "match": True}, {"text": "</b> ", "match": False},
        {"text": "x", "match": True}]
    assert prefixed("'rechnung' & !'ab' <-> 'o''neil'") == "'rechnung':* & !'ab' <-> 'o''neil':*"


async def test_a_snippet_keeps_what_the_customer_typed_and_marks_matches_apart(redis, searching):
    gw, sam, db, _ = searching
    text = "Die <script>alert(1)</script> Rechnung &amp; <b>Mahnung</b>"
    cid = await _conversation(redis, [text])
    await eventually(lambda: _archived(db, cid), timeout=15)
    hit = (await sam.get(q="Rechnung"))["results"][0]
    assert hit["snippet"] == text  # tags and entities as typed: the client shows text, never HTML
    assert [p["text"] for p in hit["snippet_parts"] if p["match"]] == ["Rechnung"]
    assert "".join(p["text"] for p in hit["snippet_parts"]) == text
