"""The Grafana dashboard and the Prometheus alert rules in deploy/ name only metrics and labels a
live gateway exports, so they cannot drift from the code unnoticed."""

from __future__ import annotations

import json
import re
from pathlib import Path

import aiohttp
import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from gateway.metrics import Metrics

ROOT = Path(__file__).resolve().parent.parent
DASHBOARD = ROOT / "deploy" / "grafana" / "omnirelay.json"
ALERTS = ROOT / "deploy" / "prometheus" / "alerts.yml"

pytestmark = pytest.mark.timeout(60)

METRIC = re.compile(r"\b((?:omnirelay|process)_[a-z0-9_]+)(\{[^}]*\})?")
BY = re.compile(r"\b(?:by|without)\s*\(([^)]*)\)")
LABEL = re.compile(r"([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)")
TARGET_LABELS = {"job", "instance"}  # added by Prometheus to every scraped series
SCRAPED = {"up"}  # series Prometheus makes itself, not the gateway
SUFFIXES = {"counter": ("_total", "_created"), "histogram": ("_bucket", "_sum", "_count", "_created"), "gauge": ("",)}


def dashboard_exprs() -> list[str]:
    exprs: list[str] = []

    def walk(panels: list[dict]) -> None:
        for panel in panels:
            exprs.extend(t["expr"] for t in panel.get("targets", []))
            walk(panel.get("panels", []))

    board = json.loads(DASHBOARD.read_text())
    walk(board["panels"])
    exprs.extend(v["query"] for v in board["templating"]["list"] if v["type"] == "query")
    return exprs


def alert_rules() -> list[dict]:
    return [rule for group in yaml.safe_load(ALERTS.read_text())["groups"] for rule in group["rules"]]


def labels_by_series() -> dict[str, set[str]]:
    """Each series name the gateway's registry can export, with its label names (from the code)."""
    metrics = Metrics()
    out: dict[str, set[str]] = {}
    for item in vars(metrics).values():
        kind = getattr(item, "_type", None)
        if kind not in SUFFIXES:
            continue
        for suffix in SUFFIXES[kind]:
            out[item._name + suffix] = set(item._labelnames) | ({"le"} if suffix == "_bucket" else set())
    return out


async def exported_names(gw) -> set[str]:
    async with aiohttp.ClientSession() as http, http.get(f"{gw.url}/metrics") as r:
        text = await r.text()
    names = set()
    for family in text_string_to_metric_families(text):
        names.update(s.name for s in family.samples)
        names.update(family.name + suffix for suffix in SUFFIXES.get(family.type, ("",)))  # no sample yet
    return names


def check(expr: str, exported: set[str], labels: dict[str, set[str]]) -> list[str]:
    problems, used = [], set()
    for name, selector in METRIC.findall(expr):
        if name not in exported:
            problems.append(f"{name} is not on /metrics")
            continue
        known = labels.get(name, set()) | TARGET_LABELS
        used |= known
        for label in LABEL.findall(selector or ""):
            if label not in known:
                problems.append(f"{name} has no label {label}")
    for clause in BY.findall(expr):
        for label in (x.strip() for x in clause.split(",") if x.strip()):
            if label not in used | TARGET_LABELS | {"le"}:
                problems.append(f"grouped by {label}, which none of its metrics has")
    for other in re.findall(r"\b(up)\{", expr):
        assert other in SCRAPED
    return problems


async def test_every_metric_the_dashboard_and_the_alerts_name_is_exported_with_those_labels(gateway):
    exported = await exported_names(gateway)
    labels = labels_by_series()
    exprs = dashboard_exprs() + [rule["expr"] for rule in alert_rules()]
    assert len(exprs) > 40
    problems = {expr: p for expr in exprs if (p := check(expr, exported, labels))}
    assert problems == {}


def test_the_check_itself_catches_a_renamed_metric_and_a_wrong_label():
    labels = labels_by_series()
    exported = set(labels)
    assert check("max by (tenant) (omnirelay_ingest_lag_seconds)", exported, labels) == []
    assert check("omnirelay_ingest_lag_secs > 3", exported, labels) == ["omnirelay_ingest_lag_secs is not on /metrics"]
    assert check('rate(omnirelay_offers_total{result="made"}[5m])', exported, labels) == [
        "omnirelay_offers_total has no label result"
    ]
    assert check("sum by (queue) (omnirelay_ingest_pending)", exported, labels) == [
        "grouped by queue, which none of its metrics has"
    ]


def test_the_alert_rules_are_well_formed():
    rules = alert_rules()
    names = [rule["alert"] for rule in rules]
    assert len(names) == len(set(names))
    for rule in rules:
        assert set(rule) <= {"alert", "expr", "for", "labels", "annotations"}, rule["alert"]
        assert rule["labels"]["severity"] in {"critical", "warning", "info"}
        assert rule["annotations"]["summary"] and rule["annotations"]["description"]
        assert "for" not in rule or re.fullmatch(r"\d+[smh]", rule["for"])
    covered = " ".join(rule["expr"] for rule in rules)
    for metric in ("omnirelay_ingest_lag_seconds", "omnirelay_archive_lag_seconds", "omnirelay_outbox_oldest_due_seconds",
                   "omnirelay_event_webhook_deliveries_total", "omnirelay_history_database_up", "omnirelay_redis_up",
                   "omnirelay_channel_up", "omnirelay_replica_waits_total"):
        assert metric in covered, metric


def test_the_dashboard_is_well_formed():
    board = json.loads(DASHBOARD.read_text())
    ids = [p["id"] for p in board["panels"]]
    assert len(ids) == len(set(ids))
    variables = {v["name"] for v in board["templating"]["list"]} | {"__rate_interval", "__interval"}
    titles = {p["title"] for p in board["panels"] if p["type"] == "row"}
    assert {"Traffic", "Latency", "Queues and routing", "Lags", "Deliveries", "Sockets and health"} <= titles
    for panel in board["panels"]:
        if panel["type"] == "row":
            continue
        assert panel["targets"] and panel["gridPos"]["w"] > 0, panel["title"]
        for target in panel["targets"]:
            for var in re.findall(r"\$\{?(\w+)", target["expr"]):
                assert var in variables, (panel["title"], var)
