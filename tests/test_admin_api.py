"""The admin API's answers: every bad body refused with its field (and nothing changed anywhere), what is
in use cannot go, stale writes are refused, only admins of the token's own tenant get in, every write
is audited without a password, and the widget's look and business hours apply at once."""

from __future__ import annotations

import json
import time

import pytest
from admin_helpers import call, fresh_config, token
from conftest import running_gateway, two_tenants_config

from gateway import appkeys as K
from gateway.admin.overlay import Stored, effective
from gateway.audit import audit_entries
from gateway.keys import TenantKeys


@pytest.fixture
async def db(history_db):
    await history_db.execute("TRUNCATE admin_settings, admin_revisions")
    yield history_db


@pytest.fixture
async def gw(redis, redis_url, database_url, db):
    async with running_gateway(fresh_config(), redis_url, database_url) as gateway:
        yield gateway


NEW = {"id": "dora", "name": "Dora", "password": "dora-secret-1", "languages": ["en"], "skills": {"sales": 3},
       "capacity": {"chat": 1}}
BAD = [
    ("POST", "/api/v1/admin/agents", {**NEW, "id": "Dora Smith"}, "id"),
    ("POST", "/api/v1/admin/agents", {**NEW, "password": "short"}, "password"),
    ("POST", "/api/v1/admin/agents", {**NEW, "skills": {"sales": 6}}, "skills.sales"),
    ("POST", "/api/v1/admin/agents", {**NEW, "skills": {"cooking": 3}}, "skills.cooking"),  # no queue has it
    ("POST", "/api/v1/admin/agents", {**NEW, "capacity": {"fax": 1}}, "capacity.fax"),
    ("POST", "/api/v1/admin/agents", {**NEW, "capacity": {"chat": 51}}, "capacity.chat"),
    ("POST", "/api/v1/admin/agents", {**NEW, "languages": ["en", "fr"]}, "languages.1"),
    ("POST", "/api/v1/admin/agents", {**NEW, "name": "x" * 101}, "name"),
    ("POST", "/api/v1/admin/agents", {**NEW, "colour": "red"}, "colour"),
    ("PATCH", "/api/v1/admin/agents/anna", {"auto_accept": "yes"}, "auto_accept"),
    ("PUT", "/api/v1/admin/queues/billing", {"skill": "billing", "policy": "random"}, "policy"),
    ("PUT", "/api/v1/admin/queues/billing", {"skill": "billing", "steps": [{"min_proficiency": 9}]},
     "steps.0.min_proficiency"),
    ("PUT", "/api/v1/admin/queues/billing", {"skill": "billing", "steps": [{"overflow": "nowhere"}]},
     "steps.0.overflow"),
    ("PUT", "/api/v1/admin/queues/billing", {"skill": "billing", "steps": [{}, {}]}, "steps.0"),
    ("PUT", "/api/v1/admin/queues/billing", {"skill": "billing", "sla_target": 1.5}, "sla_target"),
    ("PUT", "/api/v1/admin/queues/billing", {"skill": "billing", "wrapup_required": True}, "wrapup_required"),
    ("PUT", "/api/v1/admin/queues/Bad%20Id", {"skill": "billing"}, "id"),
    ("PUT", "/api/v1/admin/topics/extra", {"queue": "nope"}, "queue"),
    ("PUT", "/api/v1/admin/topics/extra", {"queue": "sales", "label": {"fr": "Ventes"}}, "label.fr"),
    ("PUT", "/api/v1/admin/canned/x", {"title": "", "text": "Hello"}, "title"),
    ("PUT", "/api/v1/admin/canned/x", {"title": "Hi", "text": "y" * 4097}, "text"),
    ("PUT", "/api/v1/admin/labels/x", {"name": "n" * 65}, "name"),
    ("PUT", "/api/v1/admin/widget", {"colour": "red; background: url(x)"}, "colour"),
    ("PUT", "/api/v1/admin/widget", {"logo_url": "javascript:alert(1)"}, "logo_url"),
    ("PUT", "/api/v1/admin/widget", {"greeting": {"en": "g" * 501}}, "greeting.en"),
    ("PUT", "/api/v1/admin/hours", {"timezone": "Mars/Olympus"}, "timezone"),
    ("PUT", "/api/v1/admin/hours", {"weekly": {"mon": ["25:00-26:00"]}}, "weekly.mon.0"),
    ("PUT", "/api/v1/admin/hours", {"when_closed": "panic"}, "when_closed"),
]


async def _stored(db) -> tuple:
    return (await db.fetchval("SELECT count(*) FROM admin_settings"),
            await db.fetchval("SELECT coalesce(max(revision), 0) FROM admin_revisions"))


async def test_each_bad_body_is_refused_with_its_field_and_nothing_changes(gw, db):
    sam = await token(gw)
    before = json.dumps((await call(gw, "GET", "/api/v1/admin/settings", sam))[1], sort_keys=True, default=str)
    tenant = gw.app[K.CONFIG].tenants["demo"]
    for method, path, body, field in BAD:
        status, answer, _ = await call(gw, method, path, sam, body)
        error = answer["error"]
        assert status == 400 and error["code"] == "invalid" and error["field"] == field, (path, body, answer)
        assert error["message"]
    status, answer, _ = await call(gw, "PUT", "/api/v1/admin/labels/x", sam, raw=b"{not json")
    assert status == 400 and answer["error"]["code"] == "invalid"
    assert gw.app[K.CONFIG].tenants["demo"] is tenant  # the running config was never swapped
    assert await _stored(db) == (0, 0)
    after = json.dumps((await call(gw, "GET", "/api/v1/admin/settings", sam))[1], sort_keys=True, default=str)
    assert after == before


async def test_what_is_in_use_cannot_be_deleted_and_a_stale_revision_is_refused(gw, db):
    sam = await token(gw)
    used = await call(gw, "DELETE", "/api/v1/admin/queues/billing", sam)  # the topic "billing" names it
    assert used[0] == 409 and used[1]["error"]["code"] == "in_use" and "billing" in used[1]["error"]["message"]
    assert (await call(gw, "DELETE", "/api/v1/admin/queues/nothing", sam))[0] == 404

    # a queue with a waiting customer cannot go, even once no topic names it any more
    assert (await call(gw, "PUT", "/api/v1/admin/queues/extra", sam, {"skill": "sales", "name": "Extra"}))[0] == 200
    assert (await call(gw, "PUT", "/api/v1/admin/topics/extra", sam, {"queue": "extra", "label": {"en": "Extra"}}))[0] == 200
    visitor, _ = await gw.visitor(topic="extra")
    await visitor.call("message", {"text": "hi", "client_id": "c1"}, namespace="/visitor")
    assert (await call(gw, "DELETE", "/api/v1/admin/topics/extra", sam))[0] == 204
    waiting = await call(gw, "DELETE", "/api/v1/admin/queues/extra", sam)
    assert waiting[0] == 409 and waiting[1]["error"]["code"] == "in_use" and "waiting" in waiting[1]["error"]["message"]
    assert "extra" in gw.app[K.CONFIG].tenants["demo"].queues

    view = (await call(gw, "GET", "/api/v1/admin/settings", sam))[1]
    revision = view["revision"]
    ok = await call(gw, "PUT", "/api/v1/admin/labels/loyal", sam, {"name": "Loyal"}, headers={"If-Match": str(revision)})
    assert ok[0] == 200 and ok[2]["X-Revision"] == str(revision + 1)
    stale = await call(gw, "PUT", "/api/v1/admin/labels/loyal", sam, {"name": "L.O.Y.A.L."}, headers={"If-Match": str(revision)})
    assert stale[0] == 409 and stale[1]["error"]["code"] == "stale"
    assert gw.app[K.CONFIG].tenants["demo"].labels["loyal"].name == "Loyal"


async def test_only_admins_of_the_tokens_own_tenant_get_in(redis, redis_url, database_url, db):
    async with running_gateway(two_tenants_config(), redis_url, database_url) as gw:
        anna = await token(gw, "anna")
        sue = await gw.login("sue", "anna-demo")  # acme's supervisor, without the admin permission
        assert sue["admin"] is False and (await gw.login("sam"))["admin"] is True
        for who in (anna, sue["token"]):
            status, body, _ = await call(gw, "GET", "/api/v1/admin/settings", who)
            assert status == 403 and body["error"]["code"] == "not_admin"
            assert (await call(gw, "PUT", "/api/v1/admin/labels/x", who, {"name": "x"}))[0] == 403
        assert (await call(gw, "GET", "/api/v1/admin/settings"))[0] == 401
        sam = await token(gw)
        me = (await call(gw, "GET", "/api/v1/me", sam))[1]
        assert me["admin"] is True
        view = (await call(gw, "GET", "/api/v1/admin/settings", sam))[1]
        assert "zed" not in [a["id"] for a in view["agents"]] and "help" not in [q["id"] for q in view["queues"]]
        assert "help" not in view["skills"]
        # acme's agent and queue are not there for sam: not found, and acme is unchanged
        assert (await call(gw, "PATCH", "/api/v1/admin/agents/zed", sam, {"disabled": True}))[0] == 404
        assert (await call(gw, "DELETE", "/api/v1/admin/topics/help", sam))[0] == 404
        assert gw.app[K.CONFIG].tenants["acme"].agents["zed"].disabled is False
        assert "help" in gw.app[K.CONFIG].tenants["acme"].topics

    async with running_gateway(fresh_config(), redis_url) as nodb:  # no history database
        status, body, _ = await call(nodb, "GET", "/api/v1/admin/settings", await token(nodb))
        assert status == 503 and body["error"]["code"] == "admin_unavailable"


async def test_a_database_that_is_down_changes_nothing(gw, db):
    sam = await token(gw)
    tenant = gw.app[K.CONFIG].tenants["demo"]
    await gw.app[K.HISTORY].pool.close()
    status, body, _ = await call(gw, "PUT", "/api/v1/admin/labels/loyal", sam, {"name": "Loyal"})
    assert status == 503 and body["error"]["code"] == "database_unavailable"
    assert gw.app[K.CONFIG].tenants["demo"] is tenant and "loyal" not in tenant.labels
    assert await _stored(db) == (0, 0)


async def test_each_write_leaves_one_audit_entry_without_a_password(gw, db):
    sam = await token(gw)
    writes = [
        ("POST", "/api/v1/admin/agents", NEW, "admin.agent.create"),
        ("PATCH", "/api/v1/admin/agents/dora", {"capacity": {"chat": 2}}, "admin.agent.update"),
        ("POST", "/api/v1/admin/agents/dora/password", {"password": "another-secret-2"}, "admin.agent.password"),
        ("PUT", "/api/v1/admin/labels/loyal", {"name": "Loyal"}, "admin.label.save"),
        ("DELETE", "/api/v1/admin/labels/loyal", None, "admin.label.delete"),
        ("PUT", "/api/v1/admin/widget", {"colour": "#123456"}, "admin.widget.save"),
        ("DELETE", "/api/v1/admin/overrides/widget/-", None, "admin.revert"),
    ]
    for method, path, body, _ in writes:
        status, answer, _ = await call(gw, method, path, sam, body)
        assert status in (200, 201, 204), (path, answer)
    rows = await db.fetch("SELECT action, actor, details FROM audit WHERE tenant = 'demo' AND action LIKE 'admin.%' "
                          "ORDER BY ts")
    assert [r["action"] for r in rows] == [w[3] for w in writes]
    assert all(r["actor"] == "sam" for r in rows)
    details = [json.loads(r["details"]) for r in rows]
    assert details[0]["id"] == "dora" and details[1]["fields"] == ["capacity"]
    assert details[2]["fields"] == ["password"]
    text = json.dumps(details)
    assert "dora-secret-1" not in text and "another-secret-2" not in text and "argon2" not in text
    live = [e["action"] for e in await audit_entries(gw.app[K.REDIS], TenantKeys("demo"))]
    assert sorted(a for a in live if a.startswith("admin.")) == sorted(w[3] for w in writes)


async def test_widget_look_and_business_hours_apply_at_once(gw, db):
    sam = await token(gw)
    look = {"colour": "#ff0000", "position": "left", "greeting": {"en": "Hello from the admin"},
            "launcher_text": {"de": "Fragen?"}}
    status, body, _ = await call(gw, "PUT", "/api/v1/admin/widget", sam, look)
    assert status == 200 and body["colour"] == "#ff0000" and body["source"] == "admin"
    public = (await call(gw, "GET", "/api/v1/widget/config?tenant=demo"))[1]
    assert public["look"]["colour"] == "#ff0000" and public["look"]["position"] == "left"
    assert public["greeting"] == {"en": "Hello from the admin"} and public["look"]["launcher_text"] == {"de": "Fragen?"}
    assert public["open"] is True

    status, body, _ = await call(gw, "PUT", "/api/v1/admin/hours", sam, {"timezone": "Europe/Berlin", "closed": True})
    assert status == 200 and body["hours"]["closed"] is True and body["hours"]["source"] == "admin"
    assert (await call(gw, "GET", "/api/v1/widget/config?tenant=demo"))[1]["open"] is False
    snap = await gw.app[K.ROUTER].snapshot("demo", time.time())
    assert {q["open"] for q in snap["queues"]} == {False}  # routing holds the work until the opening

    status, body, _ = await call(gw, "PUT", "/api/v1/admin/hours", sam, raw=b"null")  # always open
    assert status == 200 and body["hours"] is None and body["hours_meta"]["source"] == "admin"
    assert (await call(gw, "GET", "/api/v1/widget/config?tenant=demo"))[1]["open"] is True
    snap = await gw.app[K.ROUTER].snapshot("demo", time.time())
    assert {q["open"] for q in snap["queues"]} == {True}


def test_a_stored_item_that_no_longer_fits_a_changed_config_file_is_left_out_with_its_problem():
    yaml_now = fresh_config().tenants["demo"]
    del yaml_now.queues["sales"]  # the file dropped the sales queue (and what named it)
    del yaml_now.topics["sales"]
    yaml_now.channels["messenger"].topic = ""
    for agent in yaml_now.agents.values():
        agent.skills.pop("sales", None)
    items = [Stored("agent", "dora", {"name": "Dora", "languages": ["en"], "skills": {"sales": 3},
                                      "password_hash": "$argon2id$x"}),
             Stored("label", "loyal", {"name": "Loyal"})]
    eff = effective(yaml_now, items, quiet=True)
    assert "dora" not in eff.tenant.agents and "loyal" in eff.tenant.labels
    assert "sales" in eff.problems[("agent", "dora")]
