"""A consistency check of one tenant's routing state, for tests and for debugging a live system.

It reads everything (SCAN), so it is slow on a big tenant; the engine itself never calls it.
``check`` returns human-readable problems; an empty list means every invariant holds:
one holder per task, loads equal open tasks and stay within capacity, each task in exactly the
waiting structures of its state, indexes and counters agree with the agents, every refusal has
its cool-down timer, every conversation record says what its task says, and (optionally) no
waiting task sits next to an available agent that could take it.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

import orjson

from .. import replies
from ..model import REALTIME_CHANNELS, TASK_STATES, WORK_CHANNELS

if TYPE_CHECKING:
    from ..engine import Engine

LIVE = ("offered", "assigned", "wrapup")
AT_REST = tuple(s for s in TASK_STATES if s != "between")  # "between" never outlives a script


def offerable(agent: dict[str, Any], rules: dict[str, Any]) -> set[str]:
    """Channels an agent may be offered now (the rule of acd/lua/agents.lua, restated)."""
    if agent["state"] != "available":
        return set()
    load, cap = agent["load"], agent["cap"]
    rt = min(1.0, sum(load[c] / cap[c] for c in REALTIME_CHANNELS if cap.get(c, 0) > 0))
    out: set[str] = set()
    for c in WORK_CHANNELS:
        if load[c] >= cap.get(c, 0):
            continue
        if any(load[b] > 0 and c in rules.get(b, {}).get("blocks", []) for b in WORK_CHANNELS):
            continue
        ceiling = rules.get(c, {}).get("max_realtime_occupancy")
        if ceiling is not None and rt >= ceiling:
            continue
        out.add(c)
    return out


async def _scan(engine: Engine, pattern: str) -> list[str]:
    return [k async for k in engine.redis.scan_iter(match=pattern, count=1000)]


async def load_state(engine: Engine) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    """Every task hash and every agent (hash, open task set) of the tenant."""
    k, r = engine.keys, engine.redis
    prefix = k.task("")
    tasks: dict[str, dict[str, Any]] = {}
    for key in await _scan(engine, prefix + "*"):
        if key.endswith(":tried"):
            continue
        task: dict[str, Any] = replies.fields(await r.hgetall(key))
        task["tried"] = replies.members(await r.smembers(key + ":tried"))
        tasks[key[len(prefix):]] = task
    agents: dict[str, dict[str, Any]] = {}
    for aid in replies.members(await r.smembers(k.agents())):
        h = replies.fields(await r.hgetall(k.agent(aid)))
        agents[aid] = {
            "state": h["state"],
            "langs": orjson.loads(h["langs"]),
            "skills": orjson.loads(h["skills"]),
            "cap": orjson.loads(h["cap"]),
            "load": {c: int(float(h.get(f"l:{c}", 0))) for c in WORK_CHANNELS},
            "tasks": await r.smembers(k.agent_tasks(aid)),
        }
    return tasks, agents


async def check(engine: Engine, work_conserving: bool = False) -> list[str]:
    """Every broken invariant, as one line each."""
    k, r = engine.keys, engine.redis
    tasks, agents = await load_state(engine)
    rules = orjson.loads(await r.hget(k.cfg(), "rules") or "{}")
    bad: list[str] = []

    holders: Counter[str] = Counter()
    for aid, a in agents.items():
        per_channel: Counter[str] = Counter()
        for tid in a["tasks"]:
            t = tasks.get(tid)
            if t is None or t.get("state") not in LIVE or t.get("agent") != aid:
                bad.append(f"agent {aid} holds {tid} in state {t and t.get('state')} of {t and t.get('agent')}")
                continue
            holders[tid] += 1
            per_channel[t["ch"]] += 1
        for c in WORK_CHANNELS:
            if a["load"][c] != per_channel[c]:
                bad.append(f"agent {aid} load {c}={a['load'][c]} but holds {per_channel[c]}")
            if a["load"][c] > a["cap"].get(c, 0) or a["load"][c] < 0:
                bad.append(f"agent {aid} load {c}={a['load'][c]} outside capacity {a['cap'].get(c, 0)}")

    offers = replies.fields(await r.hgetall(k.offers()))
    timers = set(replies.texts(await r.zrange(k.timers(), 0, -1)))
    live_ids = replies.members(await r.smembers(k.tasks()))
    for tid, t in tasks.items():
        st = t.get("state")
        if st not in AT_REST:
            bad.append(f"task {tid} in state {st}")
            continue
        if (st != "closed") != (tid in live_ids):
            bad.append(f"task {tid} ({st}) live-set membership wrong")
        if st in LIVE and holders[tid] != 1:
            bad.append(f"task {tid} ({st}) held by {holders[tid]} agents")
        waiting = st in ("queued", "offered")
        q, ch = t.get("queue"), t.get("ch")
        # str(): a broken task may lack them; the key then names nothing, which the check reports
        in_order = await r.zscore(k.queue_order(str(q), str(ch)), tid) is not None
        in_enq = await r.zscore(k.queue_enqueued(str(q)), tid) is not None
        if waiting != in_order or waiting != in_enq or (waiting and t.get("inq") != q):
            bad.append(f"task {tid} ({st}) waiting sets: order={in_order} enq={in_enq} inq={t.get('inq')}")
        wqk = t.get("wqk", "")
        if (st == "queued") != bool(wqk) or (wqk and await r.zscore(wqk, tid) is None):
            bad.append(f"task {tid} ({st}) waiting bucket {wqk!r} wrong")
        if st == "offered":
            if offers.get(t["offer"]) != tid:
                bad.append(f"task {tid} offer {t['offer']} not in the offers hash")
            if f"offer|{t['offer']}" not in timers:
                bad.append(f"task {tid} offer {t['offer']} has no expiry timer")
        for aid in t["tried"]:
            if f"cool|{aid}|{tid}" not in timers:
                bad.append(f"task {tid} refused by {aid} has no cool-down timer")
        bad += await record_problems(engine, tid, t)
    for oid, tid in offers.items():
        if tasks.get(tid, {}).get("offer") != oid or tasks[tid].get("state") != "offered":
            bad.append(f"offer {oid} of {tid} is stale")

    for key in await _scan(engine, k.prefix + "acd:wq:*"):
        for tid in replies.texts(await r.zrange(key, 0, -1)):
            if tasks.get(tid, {}).get("wqk") != key or tasks[tid].get("state") != "queued":
                bad.append(f"waiting bucket {key} holds {tid} ({tasks.get(tid, {}).get('state')})")

    # Agent indexes: exactly the available agents, under the channels they may take now.
    want: set[tuple[str, str]] = set()
    for aid, a in agents.items():
        for ch in offerable(a, rules):
            for skill, p in a["skills"].items():
                for lang in ["*", *a["langs"]]:
                    want.add((k.agent_index(skill, p, lang, ch), aid))
    have = set()
    for key in await _scan(engine, k.prefix + "acd:ix:*"):
        have |= {(key, aid) for aid in replies.texts(await r.zrange(key, 0, -1))}
    for key, aid in sorted(want ^ have):
        bad.append(f"agent index {key} {'lacks' if (key, aid) in want else 'wrongly has'} {aid}")

    logged_in: Counter[str] = Counter()
    serving: Counter[str] = Counter()
    for a in agents.values():
        for skill, p in a["skills"].items():
            if a["state"] != "offline":
                for lang in ["*", *a["langs"]]:
                    for c in WORK_CHANNELS:
                        if a["cap"].get(c, 0) > 0:
                            logged_in[f"{skill}:{p}:{lang}:{c}"] += 1
            if a["state"] == "available":
                serving[skill] += 1
                for c in WORK_CHANNELS:
                    serving[f"{skill}:{c}"] += a["cap"].get(c, 0)
    for name, want_counts in (("in", logged_in), ("serving", serving)):
        key = k.logged_in() if name == "in" else k.serving()
        got = {f: int(v) for f, v in (await r.hgetall(key)).items() if int(v) != 0}
        if got != {f: v for f, v in want_counts.items() if v}:
            bad.append(f"{name} counters {got} != {dict(want_counts)}")

    if work_conserving:
        bad += await _idle_with_work(engine, tasks, agents, rules)
    return bad


def expected_record(t: dict[str, str]) -> dict[str, str]:
    """The fields of a task's conversation record (acd/lua/record.lua, restated)."""
    st, queue, agent = t.get("state"), t.get("queue", ""), t.get("agent", "")
    if st in ("queued", "between"):
        return {"state": "queued", "agent_id": "", "queue": queue}
    if st == "offered":
        return {"state": "offered", "agent_id": agent, "queue": queue}
    if st == "assigned":
        return {"state": "assigned", "agent_id": agent, "assigned_at": t.get("assigned_at", ""), "queue": queue}
    ended = t.get("ended_at", "")
    out = {"state": "closed", "closed_at": ended or t.get("closed_at", ""), "close_reason": t.get("close_reason", ""),
           "queue": queue}
    if st == "wrapup":
        out["agent_id"] = agent
    elif not ended:
        out["agent_id"] = ""
    return out


async def record_problems(engine: Engine, tid: str, t: dict[str, str]) -> list[str]:
    """Where the task's conversation record (if it has one that exists) differs from the task."""
    if not t.get("rec"):
        return []
    have = await engine.redis.hgetall(t["rec"])
    if not have:
        return []
    want = expected_record(t)
    diff = {f: (have.get(f), v) for f, v in want.items() if have.get(f) != v}
    return [f"record of {tid} ({t.get('state')}) differs: {diff}"] if diff else []


async def _idle_with_work(engine: Engine, tasks: dict, agents: dict, rules: dict) -> list[str]:
    """A queued task that an available agent with room could take (and has not refused); a queue
    outside its business hours (as last flipped) holds its work on purpose."""
    bad = []
    queues = engine.config.queues
    hours = await engine.hours()
    for tid, t in tasks.items():
        if t.get("state") != "queued" or (t["queue"] in hours and not hours[t["queue"]].open):
            continue
        q = queues[t["queue"]]
        step = q.steps[int(t["step"]) - 1]
        for aid, a in agents.items():
            p = a["skills"].get(q.skill, 0)
            lang_ok = step.relax_language or t["lang"] in a["langs"]
            if (t["ch"] in offerable(a, rules) and p >= step.min_proficiency and lang_ok
                    and aid not in t["tried"]):
                bad.append(f"task {tid} waits while {aid} could take it")
    return bad
