"""Labels and wrap-up codes in the historical reports: conversations closed with labels count per
queue, channel, agent and overall in the interval of their close, with the average rating of the
rated ones; in the JSON (with the configured names) and in the CSV; a real chat labelled, closed
with a code and rated shows up in the report."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import aiohttp
import pytest
from conftest import eventually
from history_helpers import history_gateway

from gateway.history import rows

pytestmark = pytest.mark.timeout(90)

DAY = "2025-11-03"
NINE = datetime(2025, 11, 3, 8, 0, tzinfo=UTC).timestamp()  # 09:00 in Berlin
LEGACY = "legacy"  # a label and a code (OLD_CODE) no longer in the configuration: shown by id
OLD_CODE = "old-code"


def conversation(cid: str, queue: str, channel: str, agent: str, closed: float | None, labels: str,
                 rating: int | None = None) -> dict[str, str]:
    """A closed conversation's Redis hash as the archive stores it."""
    raw = {"queue": queue, "work_channel": channel, "channel": "web", "channel_type": "widget", "agent_id": agent,
           "state": "closed" if closed else "assigned", "created_at": repr((closed or NINE) - 300),
           "closed_at": repr(closed or 0), "labels": labels}
    if rating is not None:
        raw["rating_score"] = str(rating)
    return raw


async def labelled_morning(db) -> None:
    """Conversations closed with labels (and ratings) on the morning of DAY, the ACD's close events
    with their wrap-up codes, and what must not count: closed the day before, still open, no label,
    another tenant."""
    convs = {
        ("demo", "c1"): conversation("c1", "billing", "chat", "anna", NINE + 600, "vip,refund", 5),
        ("demo", "c2"): conversation("c2", "billing", "chat", "anna", NINE + 2400, "vip", 2),
        ("demo", "c3"): conversation("c3", "billing", "email", "ben", NINE + 4800, f"vip,{LEGACY}"),
        ("demo", "c4"): conversation("c4", "tech", "chat", "ben", NINE + 1800, "complaint", 1),
        ("demo", "c5"): conversation("c5", "billing", "chat", "anna", NINE + 3000, "", 5),
        ("demo", "c6"): conversation("c6", "billing", "chat", "anna", NINE - 86400, "vip", 1),
        ("demo", "c7"): conversation("c7", "billing", "chat", "anna", None, "vip"),
        ("acme", "c8"): conversation("c8", "billing", "chat", "zed", NINE + 600, "vip", 1),
    }
    await db.executemany(rows.UPSERT_CONVERSATION,
                         [rows.conversation_row(tenant, cid, raw) for (tenant, cid), raw in convs.items()])
    events = []
    for i, (cid, queue, code, t) in enumerate((("c1", "billing", "refund", NINE + 600),
                                               ("c2", "billing", "refund", NINE + 2400),
                                               ("c3", "billing", OLD_CODE, NINE + 4800),
                                               ("c4", "tech", "", NINE + 1800))):
        events.append(("close", t, {"q": queue, "task": cid, "reason": "agent", "code": code}, i))
    await db.executemany(rows.INSERT_ACD_EVENT, [
        rows.acd_event_row("demo", f"{int(t * 1000)}-{n}", {"ev": ev, "ts": repr(t), **f}) for ev, t, f, n in events
    ])


async def fetch(gw, path: str, token: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as http, http.get(
            f"{gw.url}{path}", headers={"Authorization": f"Bearer {token}"}) as r:
        return r.status, await r.text()


def pick(rows_: list[dict], key: str, value: str, interval: str | None = None) -> dict:
    [row] = [r for r in rows_ if r.get(key) == value and (interval is None or r["interval"] == interval)]
    return row


async def test_labels_count_per_queue_interval_channel_agent_and_overall(redis, redis_url, demo_config, database_url,
                                                                         history_db):
    await labelled_morning(history_db)
    async with history_gateway(demo_config, redis_url, database_url) as gw:
        token = (await gw.login("sam"))["token"]
        status, text = await fetch(gw, f"/api/v1/reports/queues?from={DAY}&to={DAY}&interval=hour", token)
        assert status == 200
        body = json.loads(text)
        nine, ten = "2025-11-03T09:00:00+01:00", "2025-11-03T10:00:00+01:00"
        billing9 = pick(body["rows"], "queue", "billing", nine)
        assert billing9["labels"] == {"refund": 1, "vip": 2}  # c5 has no label; c6 closed the day before
        assert billing9["label_ratings"] == {"refund": 1, "vip": 2}
        assert billing9["label_satisfaction"] == {"refund": 5.0, "vip": 3.5}
        assert billing9["wrapup_codes"] == {"refund": 2}
        billing10 = pick(body["rows"], "queue", "billing", ten)
        assert billing10["labels"] == {LEGACY: 1, "vip": 1}
        assert billing10["label_ratings"] == {} and billing10["label_satisfaction"] == {}  # nobody rated c3
        assert billing10["wrapup_codes"] == {OLD_CODE: 1}
        tech9 = pick(body["rows"], "queue", "tech", nine)
        assert (tech9["labels"], tech9["label_satisfaction"]) == ({"complaint": 1}, {"complaint": 1.0})
        quiet = [r for r in body["rows"] if r["interval"] not in (nine, ten)]
        assert quiet and all(r["labels"] == {} for r in quiet)

        billing = pick(body["totals"], "queue", "billing")
        assert billing["labels"] == {LEGACY: 1, "refund": 1, "vip": 3}  # not the open c7, not acme's c8
        assert billing["label_satisfaction"] == {"refund": 5.0, "vip": 3.5}
        overall = body["overall"]
        assert overall["totals"]["labels"] == {"complaint": 1, LEGACY: 1, "refund": 1, "vip": 3}
        assert overall["totals"]["label_satisfaction"] == {"complaint": 1.0, "refund": 5.0, "vip": 3.5}
        assert overall["totals"]["wrapup_codes"] == {OLD_CODE: 1, "refund": 2}
        assert pick(overall["rows"], "interval", nine)["labels"] == {"complaint": 1, "refund": 1, "vip": 2}
        assert len(overall["rows"]) == len(body["buckets"]) == 24
        # the configured names, for the page; LEGACY and OLD_CODE are not among them
        assert body["names"]["labels"] == {"vip": "VIP", "refund": "Refund", "complaint": "Complaint"}
        assert body["names"]["wrapup_codes"]["billing"]["refund"] == "Refund issued"
        assert "tech" not in body["names"]["wrapup_codes"]  # tech has no codes configured

        # by quarter hour the bucket is the close's: c1 at 09:10, c2 at 09:40
        status, text = await fetch(gw, f"/api/v1/reports/queues?from={DAY}&to={DAY}&interval=15min", token)
        quarters = {r["interval"]: r["labels"] for r in json.loads(text)["rows"] if r["queue"] == "billing" and r["labels"]}
        assert quarters == {"2025-11-03T09:00:00+01:00": {"refund": 1, "vip": 1},
                            "2025-11-03T09:30:00+01:00": {"vip": 1}, "2025-11-03T10:15:00+01:00": {LEGACY: 1, "vip": 1}}

        status, text = await fetch(gw, f"/api/v1/reports/channels?from={DAY}&to={DAY}&interval=day", token)
        channels = json.loads(text)["totals"]
        assert pick(channels, "channel", "chat")["labels"] == {"complaint": 1, "refund": 1, "vip": 2}
        assert pick(channels, "channel", "email")["labels"] == {LEGACY: 1, "vip": 1}
        status, text = await fetch(gw, f"/api/v1/reports/agents?from={DAY}&to={DAY}&interval=day", token)
        agents = json.loads(text)["totals"]
        assert pick(agents, "agent", "anna")["labels"] == {"refund": 1, "vip": 2}
        assert pick(agents, "agent", "ben")["labels"] == {"complaint": 1, LEGACY: 1, "vip": 1}
        assert not any(r["agent"] == "zed" for r in agents)


async def test_the_csv_has_the_labels_per_queue_and_interval(redis, redis_url, demo_config, database_url, history_db):
    await labelled_morning(history_db)
    async with history_gateway(demo_config, redis_url, database_url) as gw:
        token = (await gw.login("sam"))["token"]
        status, text = await fetch(gw, f"/api/v1/reports/queues?from={DAY}&to={DAY}&interval=hour&format=csv", token)
        assert status == 200
        table = list(csv.DictReader(io.StringIO(text)))
        assert len(table) == 24 * 3  # every hour for billing, sales and tech
        by = {(r["interval"], r["queue"]): r for r in table}
        billing9 = by[("2025-11-03T09:00:00+01:00", "billing")]
        assert billing9["labels"] == "refund: 1; vip: 2"
        assert billing9["label_ratings"] == "refund: 1; vip: 2"
        assert billing9["label_satisfaction"] == "refund: 5.0; vip: 3.5"
        assert billing9["wrapup_codes"] == "refund: 2"
        billing10 = by[("2025-11-03T10:00:00+01:00", "billing")]
        assert (billing10["labels"], billing10["label_satisfaction"]) == (f"{LEGACY}: 1; vip: 1", "")
        assert by[("2025-11-03T09:00:00+01:00", "tech")]["labels"] == "complaint: 1"
        assert by[("2025-11-03T11:00:00+01:00", "billing")]["labels"] == ""


async def test_a_labelled_chat_closed_with_a_code_and_rated_is_in_the_report(redis, redis_url, demo_config,
                                                                              database_url, history_db):
    async with history_gateway(demo_config, redis_url, database_url) as gw:
        anna, inbox = await gw.agent("anna")
        visitor, _ = await gw.visitor()  # topic billing
        await visitor.call("message", {"text": "I want my money back", "client_id": "v1"}, namespace="/visitor")
        offer = await inbox.next("offer", timeout=10)
        accepted = await anna.call("accept", {"offer_id": offer["offer_id"]}, namespace="/agent")
        cid = accepted["conversation"]["conversation_id"]
        for label in ("vip", "refund"):
            assert (await anna.call("label", {"conversation_id": cid, "add": label}, namespace="/agent"))["ok"]
        closed = await anna.call("close", {"conversation_id": cid, "wrapup_code": "refund"}, namespace="/agent")
        assert closed == {"ok": True}
        assert (await visitor.call("rate", {"conversation_id": cid, "score": 4}, namespace="/visitor"))["ok"]

        # a range of three days around now, so a test at midnight still finds the close
        today = datetime.now(ZoneInfo("Europe/Berlin")).date()
        query = f"from={today - timedelta(days=1)}&to={today + timedelta(days=1)}&interval=day"
        token = (await gw.login("sam"))["token"]

        async def report() -> dict | None:
            status, text = await fetch(gw, f"/api/v1/reports/queues?{query}", token)
            assert status == 200, text
            body = json.loads(text)
            found = [r for r in body["rows"] if r["queue"] == "billing" and r["labels"]]
            # the archive catches up: the conversation (labels, rating) and the close event (code)
            return body if found and found[0]["label_ratings"] and found[0]["wrapup_codes"] else None

        body = await eventually(report, timeout=30, interval=0.5)
        [row] = [r for r in body["rows"] if r["queue"] == "billing" and r["labels"]]
        closed_at = await history_db.fetchval(
            "SELECT extract(epoch FROM closed_at)::float8 FROM conversations WHERE tenant = 'demo' AND id = $1", cid)
        [bucket] = [b for b in body["buckets"] if b["start"] <= closed_at < b["end"]]
        assert row["interval"] == bucket["label"]  # counted in the day of its close
        assert row["labels"] == {"refund": 1, "vip": 1}
        assert row["label_ratings"] == {"refund": 1, "vip": 1}
        assert row["label_satisfaction"] == {"refund": 4.0, "vip": 4.0}
        assert row["wrapup_codes"] == {"refund": 1}
        assert body["names"]["labels"]["vip"] == "VIP" and body["names"]["wrapup_codes"]["billing"]["refund"] == "Refund issued"

        status, text = await fetch(gw, f"/api/v1/reports/queues?{query}&format=csv", token)
        line = next(r for r in csv.DictReader(io.StringIO(text)) if r["queue"] == "billing" and r["labels"])
        assert (line["interval"], line["labels"], line["wrapup_codes"]) == (row["interval"], "refund: 1; vip: 1",
                                                                            "refund: 1")

