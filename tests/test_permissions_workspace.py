"""Who may call the workspace's actions (issue 13), over real sockets on real Redis: an agent calls no
supervisor action; a supervisor of one tenant touches nothing of another; an agent acts only on the
conversations it holds; a visitor only on its own; a rating link only with our signature, in time.
Every refused case also checks that nothing changed — the state, not only the error."""

from __future__ import annotations

import re

import aiohttp
import pytest
import socketio
from conftest import eventually, running_gateway, two_tenants_config

from acd import replies
from acd.keys import AcdKeys
from gateway.appkeys import SERVICES
from gateway.audit import audit_entries
from gateway.config.schema import LabelConfig
from gateway.conversations.rating import rating_links, rating_signature
from gateway.keys import TenantKeys
from gateway.sockets.agent import AgentNamespace
from gateway.sockets.supervisor import SupervisorNamespace

pytestmark = pytest.mark.timeout(90)
SUP, AGENT, VISITOR = "/supervisor", "/agent", "/visitor"
DEMO = TenantKeys("demo")
# every action of the /supervisor namespace (the last test keeps this list complete)
SUPERVISOR_EVENTS = ("agent_state", "logout_agent", "agent_detail", "assign", "pick_up", "move", "monitor",
                     "unmonitor", "whisper", "barge", "message", "assist_correct")


def config():
    cfg = two_tenants_config()
    cfg.tenants["demo"].labels = {"vip": LabelConfig("vip", "VIP"), "refund": LabelConfig("refund", "Refund")}
    return cfg


@pytest.fixture
async def gw(redis, redis_url):
    async with running_gateway(config(), redis_url) as gateway:
        yield gateway


class World:
    """Demo: Vera's conversation held by Anna (labelled vip), Wanda's closed by Anna and in wrap-up,
    Quinn waiting in the sales queue; Acme: Ann waiting."""

    def __init__(self, gw):
        self.gw = gw
        self.svc = gw.app[SERVICES]

    async def build(self) -> World:
        gw = self.gw
        self.anna, self.anna_in = await gw.agent("anna")
        self.ben, self.ben_in = await gw.agent("ben", available=False)
        self.vera, self.vera_in = await gw.visitor(name="Vera")
        self.held = await self._served(self.vera, "v1")
        assert (await self.anna.call("label", {"conversation_id": self.held, "add": "vip"}, namespace=AGENT))["ok"]
        self.wanda, _ = await gw.visitor(name="Wanda")
        self.wrapup = await self._served(self.wanda, "w1")
        assert (await self.anna.call("close", {"conversation_id": self.wrapup}, namespace=AGENT))["ok"]
        self.quinn, _ = await gw.visitor(name="Quinn", topic="sales")  # only ben and clara sell: both away
        self.queued = (await self.quinn.call("message", {"text": "a quote?", "client_id": "q1"},
                                             namespace=VISITOR))["conversation_id"]
        self.ann, _ = await gw.visitor(tenant="acme", name="Ann", topic="help", language="en")
        self.acme_conv = (await self.ann.call("message", {"text": "help!", "client_id": "a1"},
                                              namespace=VISITOR))["conversation_id"]
        return self

    async def _served(self, visitor, client_id: str) -> str:
        cid = (await visitor.call("message", {"text": "hello", "client_id": client_id}, namespace=VISITOR))["conversation_id"]
        offer = await self.anna_in.next("offer", lambda o: o["conversation_id"] == cid)
        assert (await self.anna.call("accept", {"offer_id": offer["offer_id"]}, namespace=AGENT))["ok"]
        return cid

    async def state(self) -> dict:
        """What a refused action must leave as it was, in both tenants."""
        redis = self.svc.redis
        out: dict = {}
        for tenant, cid in (("demo", self.held), ("demo", self.wrapup), ("demo", self.queued), ("acme", self.acme_conv)):
            keys = TenantKeys(tenant)
            conv = replies.fields(await redis.hgetall(keys.conv(cid)))
            task = await self.svc.router.engine(tenant).task(cid) or {}
            out[cid] = {
                **{f: conv.get(f, "") for f in ("state", "agent_id", "queue", "labels", "wrapup_code",
                                                "handover_note", "rating_score")},
                "messages": await redis.xlen(keys.conv_messages(cid)),
                "barged": sorted(replies.members(await redis.smembers(keys.conv_barged(cid)))),
                "task": (task.get("state"), task.get("agent"), task.get("queue")),
            }
        for tenant, agent in (("demo", "anna"), ("demo", "ben"), ("acme", "zed")):
            info = await self.svc.router.engine(tenant).agent(agent)
            out[agent] = (info.get("state"), info.get("load"))
        out["sessions"] = len([k async for k in redis.scan_iter(match=DEMO.session("*"))])
        out["audit"] = len(await audit_entries(redis, DEMO)), len(await audit_entries(redis, TenantKeys("acme")))
        out["rated"] = [f for _, f in replies.entries(await redis.xrange(AcdKeys("demo").events())) if f.get("ev") == "rated"]
        return out


async def supervisor(gw, username: str, password: str | None = None):
    login = await gw.login(username, password)
    return await gw.socket(SUP, {"token": login["token"]}, ["snapshot", "message"])


async def test_an_agent_can_neither_join_supervisor_nor_call_its_actions(gw):
    world = await World(gw).build()
    token = (await gw.login("anna"))["token"]
    with pytest.raises(socketio.exceptions.ConnectionError):
        await gw.socket(SUP, {"token": token})
    before = await world.state()
    everything = {"conversation_id": world.queued, "agent_id": "anna", "queue": "billing", "state": "offline",
                  "text": "x", "client_id": "s1", "topic": "sales"}
    own = {name[3:] for name in vars(AgentNamespace) if name.startswith("on_")}
    for event in SUPERVISOR_EVENTS:
        # "message" is also the agent's own event: there the agent's rules hold (not a conversation it holds)
        expected = "forbidden" if event in own else "unknown_event"
        for cid in (world.queued, world.wrapup) if event in own else (world.held, world.queued):
            ack = await world.anna.call(event, {**everything, "conversation_id": cid}, namespace=AGENT, timeout=5)
            assert ack.get("error", {}).get("code") == expected, (event, ack)
            assert await world.state() == before, event


async def test_a_supervisor_touches_nothing_of_another_tenant(gw):
    world = await World(gw).build()
    sue, sue_in = await supervisor(gw, "sue", "anna-demo")  # acme's supervisor
    sam, _ = await supervisor(gw, "sam")
    held, queued, acme = world.held, world.queued, world.acme_conv
    cases = [  # (who, event, data, expected error code; None: no error, but nothing may change)
        (sue, "agent_state", {"agent_id": "anna", "state": "offline", "reason": "x"}, "not_found"),
        (sue, "logout_agent", {"agent_id": "anna"}, "not_found"),
        (sue, "agent_detail", {"agent_id": "anna"}, "not_found"),
        (sue, "assign", {"conversation_id": queued, "agent_id": "zed"}, "not_found"),
        (sue, "assign", {"conversation_id": acme, "agent_id": "anna"}, "not_found"),
        (sue, "pick_up", {"conversation_id": queued}, "not_found"),
        (sue, "move", {"conversation_id": queued, "queue": "help"}, "not_found"),
        (sue, "move", {"conversation_id": acme, "queue": "billing"}, "not_found"),
        (sue, "monitor", {"conversation_id": held}, "not_found"),
        (sue, "unmonitor", {"conversation_id": held}, None),
        (sue, "whisper", {"conversation_id": held, "text": "psst", "client_id": "w"}, "not_found"),
        (sue, "barge", {"conversation_id": held}, "not_found"),
        (sue, "message", {"conversation_id": held, "text": "hi from acme", "client_id": "m"}, "not_found"),
        (sue, "assist_correct", {"conversation_id": held, "topic": "help"}, "not_found"),
        # and the other way round: the demo supervisor on acme's ids
        (sam, "assign", {"conversation_id": acme, "agent_id": "anna"}, "not_found"),
        (sam, "assign", {"conversation_id": queued, "agent_id": "zed"}, "not_found"),
        (sam, "agent_state", {"agent_id": "zed", "state": "away"}, "not_found"),
        (sam, "logout_agent", {"agent_id": "zed"}, "not_found"),
        (sam, "move", {"conversation_id": acme, "queue": "help"}, "not_found"),
        (sam, "monitor", {"conversation_id": acme}, "not_found"),
        (sam, "barge", {"conversation_id": acme}, "not_found"),
        (sam, "whisper", {"conversation_id": acme, "text": "psst"}, "not_found"),
        (sam, "assist_correct", {"conversation_id": acme, "topic": "sales"}, "not_found"),
    ]
    assert {c[1] for c in cases} == set(SUPERVISOR_EVENTS)
    before = await world.state()
    for who, event, data, code in cases:
        ack = await who.call(event, data, namespace=SUP, timeout=5)
        if code is None:
            assert "error" not in ack, (event, ack)
        else:
            assert ack["error"]["code"] == code and ack["error"]["message"], (event, data, ack)
        assert await world.state() == before, (event, data)
    # the refused monitor and barge left sue outside the conversation: Vera's next words never reach her
    await world.vera.call("message", {"text": "still there?", "client_id": "v2"}, namespace=VISITOR)
    await world.anna_in.next("message", lambda m: m["text"] == "still there?")
    assert sue_in.all("message") == []
    assert all(m["author"]["kind"] != "note" and m["author"]["name"] not in ("Sue", "Sam") for m in world.vera_in.all("message"))


async def test_an_agent_acts_only_on_the_conversations_it_holds(gw):
    world = await World(gw).build()
    assert (await world.ben.call("state", {"state": "available"}, namespace=AGENT))["state"] == "available"
    await world.ben_in.next("offer", lambda o: o["conversation_id"] == world.queued)  # offered to ben, not held
    held, wrapup, queued = world.held, world.wrapup, world.queued
    cases = [  # (agent socket, event, data, expected error code)
        *[(world.ben, event, {"conversation_id": cid, **data}, "forbidden")
          for cid in (held, wrapup) for event, data in (
              ("note", {"text": "psst", "client_id": "n1"}),
              ("label", {"add": "refund"}),
              ("label", {"remove": "vip"}),
              ("transfer", {"queue": "tech", "note": "over to you"}),
              ("transfer", {"agent": "clara", "note": "over to you"}),
              ("close", {"wrapup_code": "resolved"}),
              ("message", {"text": "hi", "client_id": "b1"}),
              ("history", {"after_seq": 0}),
          )],
        (world.ben, "wrapup", {"conversation_id": wrapup, "wrapup_code": "resolved"}, "forbidden"),
        (world.ben, "wrapup", {"conversation_id": held, "wrapup_code": "resolved"}, "forbidden"),
        # anna has a waiting conversation offered to somebody else, not held by her
        *[(world.anna, event, {"conversation_id": queued, **data}, "forbidden") for event, data in (
            ("note", {"text": "psst"}), ("label", {"add": "vip"}), ("transfer", {"queue": "tech", "note": "x"}),
            ("close", {"wrapup_code": "resolved"}), ("wrapup", {"wrapup_code": "resolved"}))],
    ]
    before = await world.state()
    for agent, event, data, code in cases:
        ack = await agent.call(event, data, namespace=AGENT, timeout=5)
        assert ack.get("error", {}).get("code") == code, (event, data, ack)
        assert await world.state() == before, (event, data)
    # the holder may: the same actions go through for anna (so the refusals above were about who asked)
    ok = await world.anna.call("note", {"conversation_id": held, "text": "mine"}, namespace=AGENT)
    assert "error" not in ok, ok
    assert (await world.anna.call("wrapup", {"conversation_id": wrapup, "wrapup_code": "resolved"},
                                  namespace=AGENT))["ok"]
    assert await world.svc.redis.hget(DEMO.conv(wrapup), "wrapup_code") == "resolved"
    # once closed in the ACD too, the code stays the holder's: nobody else overwrites it
    late = await world.ben.call("wrapup", {"conversation_id": wrapup, "wrapup_code": "spam"}, namespace=AGENT)
    assert late["error"]["code"] == "forbidden"
    assert await world.svc.redis.hget(DEMO.conv(wrapup), "wrapup_code") == "resolved"


async def test_a_visitor_acts_only_on_its_own_conversation(gw):
    world = await World(gw).build()
    assert (await world.wanda.call("end_chat", {}, namespace=VISITOR))["ok"]  # wanda's ended (closed by anna before)
    mallory, _ = await gw.visitor(name="Mallory")
    acme_visitor, _ = await gw.visitor(tenant="acme", name="Eve", topic="help")
    cases = [  # (visitor socket, event, data, expected error code)
        (mallory, "end_chat", {"conversation_id": world.held}, "no_conversation"),
        (mallory, "rate", {"conversation_id": world.wrapup, "score": 1}, "not_found"),
        (mallory, "rate", {"conversation_id": world.held, "score": 1}, "not_found"),
        (mallory, "transcript", {"conversation_id": world.held, "email": "mallory@evil.example"}, "not_found"),
        (mallory, "transcript", {"conversation_id": world.wrapup, "email": "mallory@evil.example"}, "not_found"),
        (acme_visitor, "rate", {"conversation_id": world.wrapup, "score": 1}, "not_found"),
        (acme_visitor, "transcript", {"conversation_id": world.wrapup, "email": "eve@evil.example"}, "not_found"),
        (world.ann, "end_chat", {"conversation_id": world.held}, None),  # ends ann's own (acme) conversation only
    ]
    ann_state = None
    for visitor, event, data, code in cases:
        before = await world.state()
        ack = await visitor.call(event, data, namespace=VISITOR, timeout=5)
        if code is None:
            assert ack == {"ok": True, "conversation_id": world.acme_conv}, ack
            after = await world.state()
            ann_state = after.pop(world.acme_conv)
            before.pop(world.acme_conv)
            before.pop("audit"), after.pop("audit")
            assert after == before, (event, data)
        else:
            assert ack["error"]["code"] == code, (event, data, ack)
            assert await world.state() == before, (event, data)
    assert ann_state is not None and ann_state["state"] == "closed"
    assert await world.svc.redis.hget(DEMO.conv(world.held), "state") == "assigned"


async def test_a_rating_link_needs_our_signature_for_that_tenant_and_time(gw):
    world = await World(gw).build()
    assert (await world.wanda.call("end_chat", {}, namespace=VISITOR))["ok"]
    svc, cid = world.svc, world.wrapup
    good = re.sub(r"^https?://[^/]+", "", rating_links(svc, "demo", cid)[3])  # score=4
    sig = good.split("/")[4].split("?")[0]
    secret = svc.config.server.secret_key
    refused = {
        "forged": (good.replace(sig, "f" * 32), 404),
        "one character off": (good.replace(sig, sig[:-1] + ("0" if sig[-1] != "0" else "1")), 404),
        "another tenant in the path": (good.replace("/rate/demo/", "/rate/acme/"), 404),
        "signed for another tenant": (f"/rate/acme/{cid}/{rating_signature(secret, 'acme', cid)}?score=4", 404),
        "demo's id signed for acme, under demo": (f"/rate/demo/{cid}/{rating_signature(secret, 'acme', cid)}", 404),
        "another conversation's signature": (good.replace(cid, world.held), 404),
        "unknown tenant": (f"/rate/nowhere/{cid}/{rating_signature(secret, 'nowhere', cid)}", 404),
    }
    before = await world.state()
    async with aiohttp.ClientSession() as http:
        for name, (path, status) in refused.items():
            async with http.get(gw.url + path) as r:
                assert r.status == status, name
                assert "Send rating" not in await r.text(), name
            async with http.post(gw.url + path, data={"score": "1", "comment": "forged"}) as r:
                assert r.status == status, name
            assert await world.state() == before, name

        # expired: the ACD kept the ended conversation its 24 hours and let it go
        await svc.redis.delete(AcdKeys("demo").task(cid))
        async with http.post(gw.url + good, data={"score": "4"}) as r:
            page = await r.text()
            assert r.status == 410 and "no longer be rated" in page
    after = await world.state()
    assert after["rated"] == [] and after[cid]["rating_score"] == ""


async def test_a_visitor_rates_its_own_closed_conversation_once(gw):
    """The counterpart of the refusals: the owner's rating goes through, once."""
    world = await World(gw).build()
    assert (await world.wanda.call("end_chat", {}, namespace=VISITOR))["ok"]
    first = await world.wanda.call("rate", {"conversation_id": world.wrapup, "score": 5}, namespace=VISITOR)
    assert first["ok"] and first["rating"]["score"] == 5
    again = await world.wanda.call("rate", {"conversation_id": world.wrapup, "score": 1}, namespace=VISITOR)
    assert again["error"]["code"] == "already_rated"
    state = await world.state()
    assert state[world.wrapup]["rating_score"] == "5" and [e["score"] for e in state["rated"]] == ["5"]


def test_the_list_of_supervisor_actions_is_complete():
    handlers = {name[3:] for name in vars(SupervisorNamespace) if name.startswith("on_")} - {"connect", "disconnect"}
    assert handlers == set(SUPERVISOR_EVENTS), "a new supervisor action needs its permission cases here"


async def test_transcripts_go_to_the_address_given_a_few_times_per_conversation(redis, redis_url):
    from email_helpers import CustomerServer, email_gateway

    async with CustomerServer() as inbox, email_gateway(redis_url, inbox.port) as gateway:
        anna, anna_in = await gateway.agent("anna")
        visitor, _ = await gateway.visitor(name="Vera", email="vera.profile@kunde.example")
        cid = (await visitor.call("message", {"text": "hello", "client_id": "v1"}, namespace=VISITOR))["conversation_id"]
        offer = await anna_in.next("offer")
        await anna.call("accept", {"offer_id": offer["offer_id"]}, namespace=AGENT)
        assert (await visitor.call("end_chat", {}, namespace=VISITOR))["ok"]

        bad = await visitor.call("transcript", {"conversation_id": cid, "email": "not an address"}, namespace=VISITOR)
        assert bad["error"]["code"] == "bad_email"
        addresses = ["kim@kunde.example", "kim.work@kunde.example", "kim@kunde.example"]
        for address in addresses:
            ack = await visitor.call("transcript", {"conversation_id": cid, "email": address}, namespace=VISITOR)
            assert ack == {"ok": True, "conversation_id": cid}, ack
        fourth = await visitor.call("transcript", {"conversation_id": cid, "email": "other@kunde.example"},
                                    namespace=VISITOR)
        assert fourth["error"]["code"] == "too_many_transcripts" and fourth["error"]["message"]

        await eventually(lambda: len(inbox.mails) == 3, timeout=15)
        sent_to = sorted(m["To"].addresses[0].addr_spec for m in inbox.mails)
        assert sent_to == sorted(addresses)  # each to the address given, never the profile's, nobody copied
        assert all(len(m["To"].addresses) == 1 and not m["Cc"] and not m["Bcc"] for m in inbox.mails)
        lines = [m for _, m in replies.entries(await redis.xrange(DEMO.conv_messages(cid)))
                 if '"transcript"' in m.get("extra", "") or "transcript" in m.get("text", "")]
        assert len(lines) == 3  # the refused fourth left no line either
