"""``omnirelay assist seed``: the demo's simulated week of agents' choices imported into the history
database (what ``make run`` does once) gives the demo tenant a measured threshold, so a routine first
message is answered automatically; the same file is never imported twice, and a bad file stores nothing
and says which lines are wrong. The real command in a subprocess, against real PostgreSQL and Redis."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import DEMO_CONFIG
from history_helpers import history_gateway
from test_assist_answers import ROUTINE, answers_config, write

from assist.demo import EVAL_DIR, agent_week
from gateway import appkeys as K

pytestmark = pytest.mark.timeout(120)
WEEK = EVAL_DIR / "agent_week.jsonl"


async def seed(database_url: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": database_url, "OMNIRELAY_DATA_DIR": str(tmp_path)}
    command = [sys.executable, "-m", "gateway", "assist", "seed", "--config", str(DEMO_CONFIG), *args]
    return await asyncio.to_thread(subprocess.run, command, env=env, capture_output=True, text=True, timeout=60)


async def test_the_seeded_week_lets_the_demo_answer_a_routine_message_automatically(
        redis, redis_url, database_url, history_db, tmp_path):
    async with history_gateway(answers_config(), redis_url, database_url) as gw:  # no agent history: never
        assert (await gw.app[K.SERVICES].answers.built("demo")).threshold.threshold is None

    done = await seed(database_url, tmp_path, "--tenant", "demo", str(WEEK))
    assert done.returncode == 0, done.stderr
    chosen = [c for c in agent_week() if c.canned_id]
    assert f"imported {len(chosen)} choices for tenant demo" in done.stdout
    rows = await history_db.fetch("SELECT text, canned_id, language, agent_id FROM assist_choices ORDER BY id")
    assert [(r["text"], r["canned_id"], r["language"]) for r in rows] == [(c.text, c.canned_id, c.language) for c in chosen]
    assert {r["agent_id"] for r in rows} == {"seed"}

    again = await seed(database_url, tmp_path, "--tenant", "demo", str(WEEK))
    assert again.returncode == 0 and "already imported" in again.stdout
    assert await history_db.fetchval("SELECT count(*) FROM assist_choices") == len(chosen)

    await redis.flushdb()
    async with history_gateway(answers_config(), redis_url, database_url) as gw:
        assert (await gw.app[K.SERVICES].answers.built("demo")).threshold.threshold is not None
        visitor, v_in = await gw.visitor(topic="billing", language="en")
        await write(visitor, ROUTINE, "r1")
        answer = await v_in.next("message", lambda m: m.get("auto"), timeout=10)
        assert answer["canned_id"] == "invoice-copy-en"


async def test_a_bad_file_stores_nothing_and_names_its_lines(database_url, history_db, tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "Rechnung bitte", "canned": "invoice-copy-de", "language": "de"}\n'
                   "not json\n"
                   '{"text": "Where is my parcel?", "canned": "no-such-answer", "language": "en"}\n'
                   '{"text": "", "canned": "invoice-copy-en", "language": "en"}\n'
                   '{"text": "Bonjour", "canned": "invoice-copy-en", "language": "fr"}\n', encoding="utf-8")
    done = await seed(database_url, tmp_path, "--tenant", "demo", str(bad))
    assert done.returncode == 1
    lines = done.stderr.splitlines()
    assert [line.split(": ", 1)[0] for line in lines[:4]] == [f"{bad}:{n}" for n in (2, 3, 4, 5)]
    assert "no-such-answer" in lines[1] and "nothing imported" in lines[-1]
    assert await history_db.fetchval("SELECT count(*) FROM assist_choices") == 0

    unknown = await seed(database_url, tmp_path, "--tenant", "nope", str(WEEK))
    assert unknown.returncode == 2 and "no tenant 'nope'" in unknown.stderr
    missing = await seed(database_url, tmp_path, "--tenant", "demo", str(tmp_path / "missing.jsonl"))
    assert missing.returncode == 1 and "missing.jsonl" in missing.stderr
