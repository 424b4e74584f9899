"""The history database: archive throughput (messages/s from the Redis outbox into PostgreSQL)
next to a baseline measured in the same run (the same rows written straight into PostgreSQL, no
Redis, no outbox), and Redis memory after N closed conversations with eviction on vs off.

    .venv/bin/python bench/history.py                          # 2,000 conversations × 10 messages
    .venv/bin/python bench/history.py --conversations 200      # a quick look
    .venv/bin/python bench/history.py --conversations 0 --search 1000000   # search p95 only, 1M messages

Runs an embedded redis-server and an embedded PostgreSQL in a temporary directory; prints JSON lines.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from history_relay import relay_phase  # noqa: E402

from gateway.config.loader import load_config_text  # noqa: E402
from gateway.embedded_redis import EmbeddedRedis  # noqa: E402
from gateway.history import migrate, rows  # noqa: E402
from gateway.history.archive import Archiver, lag  # noqa: E402
from gateway.history.embedded import EmbeddedPostgres  # noqa: E402
from gateway.history.search import Scope, SearchQuery, search  # noqa: E402
from gateway.history.service import History  # noqa: E402
from gateway.keys import TenantKeys  # noqa: E402
from gateway.redis_client import connect  # noqa: E402
from gateway.store.conversations import close_conversation, create_conversation  # noqa: E402
from gateway.store.messages import append_message  # noqa: E402

KEYS = TenantKeys("bench")
BATCH = 100  # conversations written at once
TEXT = "Guten Tag, meine Rechnung vom letzten Monat ist doppelt abgebucht worden, bitte prüfen Sie das."


async def fill(redis, conversations: int, messages: int, first: int = 0, close: bool = True) -> list[str]:
    """Conversations with their messages, as the gateway stores them (outbox entries included); the
    calls of one batch go to Redis in one pipeline (the Lua runner's auto-pipelining)."""
    ids = []
    for start in range(first, first + conversations, BATCH):
        convs = await asyncio.gather(*(
            create_conversation(redis, KEYS, channel="web", channel_type="widget", work_channel="chat",
                                contact_id=f"k_{n // 3:016x}", topic="billing", queue="billing", language="de")
            for n in range(start, min(start + BATCH, first + conversations))
        ))
        await asyncio.gather(*(
            append_message(redis, KEYS, c.id, author_kind="visitor" if n % 2 else "agent", author_name="Kim", text=TEXT)
            for c in convs for n in range(messages)
        ))
        if close:
            await asyncio.gather(*(close_conversation(redis, KEYS, c.id, "agent") for c in convs))
        ids += [c.id for c in convs]
    return ids


async def archive_all(redis, pool, batch: int) -> float:
    archiver = Archiver(redis, pool, ["bench"], "bench-node", batch_size=batch)
    task = asyncio.ensure_future(archiver.run("bench"))
    start = time.perf_counter()
    while await redis.xlen(KEYS.archive()) > 0:  # noqa: ASYNC110 - polling Redis is the measurement
        await asyncio.sleep(0.01)
    seconds = time.perf_counter() - start
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    return seconds


async def baseline(pool, total: int, batch: int) -> float:
    """The same message rows straight into PostgreSQL in the same batch size."""
    data = [rows.message_row("base", f"c_{i // 10:016x}", i % 10 + 1, {"id": f"m{i}", "kind": "visitor", "name": "Kim",
            "text": TEXT, "ts": repr(time.time())}, "de") for i in range(total)]
    start = time.perf_counter()
    for i in range(0, total, batch):
        async with pool.acquire() as conn, conn.transaction():
            await conn.executemany(rows.UPSERT_MESSAGE, data[i:i + batch])
    return time.perf_counter() - start


# --- Redis memory while N closed conversations go through: eviction on, and off as the baseline ---
CONFIG = """
server: {secret_key: bench-secret-not-for-production}
history: {evict_closed_after_s: %s, evict_every_s: %s, batch_size: %d}
tenants:
  bench:
    name: Bench
    languages: [de]
    topics: {billing: {queue: billing, label: {de: Rechnung}}}
    queues: {billing: {name: Billing, skill: chat, steps: [{min_proficiency: 1}]}}
    channels: {web: {type: widget, name: Website}}
"""


async def used_memory(redis) -> tuple[int, int]:
    """(used_memory, used_memory_dataset): the second leaves out client buffers, the AOF buffer and
    the script cache, which a burst of pipelined writes inflates for a while."""
    info = await redis.info("memory")
    return int(info["used_memory"]), int(info["used_memory_dataset"])


SETTLE_S = 2.0  # Redis frees a client's grown query buffer only in its cron, a second or so after a burst


async def drained(redis, eviction: bool, timeout: float) -> None:
    """Wait (bounded) until the archive has taken everything written, and the evictor every closed one."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not (await lag(redis, "bench"))[1] and (not eviction or await redis.zcard(KEYS.archive_closed()) == 0):
            return
        await asyncio.sleep(0.2)


async def memory_run(redis, dsn: str, tmp: Path, args: argparse.Namespace, eviction: bool) -> dict:
    """The gateway's History service (archive consumers, evictor) on this Redis, while the bench
    writes closed conversations; prints Redis' used_memory every --sample-s."""
    config = load_config_text(CONFIG % (args.evict_after_s if eviction else 0, args.evict_every_s, args.batch))
    label = "on" if eviction else "off"
    await redis.flushdb()
    history = History(redis, config, "bench-node", dsn, tmp)
    await history.start()
    state = {"written": 0, "peak": 0}
    t0 = time.monotonic()

    async def report(final: bool = False) -> None:
        used, dataset = await used_memory(redis)
        state["peak"] = max(state["peak"], dataset)
        age, waiting = await lag(redis, "bench")
        print(json.dumps({"bench": "redis_memory", "eviction": label, "t_s": round(time.monotonic() - t0, 1),
                          "closed_written": state["written"], "closed_in_redis": await redis.zcard(KEYS.archive_closed()),
                          "archive_pending": waiting, "archive_lag_s": round(age, 2), "used_memory": used,
                          "dataset": dataset, "dataset_above_live": dataset - state.get("live_mark", dataset)} | ({"final": True} if final else {})), flush=True)

    async def sampler() -> None:
        while True:
            await asyncio.sleep(args.sample_s)
            await report()

    try:
        await asyncio.sleep(SETTLE_S)
        empty = (await used_memory(redis))[1]
        await fill(redis, args.live, args.messages, close=False)  # the open conversations Redis must hold
        await drained(redis, False, args.drain_s)
        await asyncio.sleep(SETTLE_S)
        state["live_mark"] = (await used_memory(redis))[1]
        task = asyncio.ensure_future(sampler())
        t_write = time.monotonic()
        for start in range(0, args.conversations, BATCH):
            await fill(redis, min(BATCH, args.conversations - start), args.messages, first=args.live + start)
            state["written"] += min(BATCH, args.conversations - start)
            if args.write_rate:  # closed conversations per second: the archive keeps pace, as in service
                await asyncio.sleep(max(0.0, t_write + state["written"] / args.write_rate - time.monotonic()))
        written_s = time.monotonic() - t_write
        await drained(redis, eviction, args.drain_s)
        await asyncio.sleep(SETTLE_S)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await report(final=True)
        end = (await used_memory(redis))[1]
        return {"bench": "redis_memory_after_closed", "eviction": label, "conversations": args.conversations,
                "messages_each": args.messages, "live_conversations": args.live,
                "written_per_s": round(args.conversations / written_s), "drained_after_s": round(time.monotonic() - t0, 1),
                "closed_in_redis": await redis.zcard(KEYS.archive_closed()), "archive_pending": (await lag(redis, "bench"))[1],
                # bytes of the dataset above an empty Redis:
                "bytes_live": state["live_mark"] - empty, "bytes_end": end - empty, "bytes_peak": state["peak"] - empty,
                "bytes_per_closed_conversation": round((end - state["live_mark"]) / max(1, args.conversations))}
    finally:
        await history.stop()


async def memory_phase(redis, dsn: str, tmp: Path, args: argparse.Namespace) -> None:
    runs = {}
    for eviction in (False, True):
        runs[eviction] = await memory_run(redis, dsn, tmp, args, eviction)
        print(json.dumps(runs[eviction]), flush=True)
    off, on = runs[False], runs[True]
    print(json.dumps({"bench": "redis_memory_after_closed", "compare": "eviction on vs off",
                      "conversations": args.conversations, "bytes_live": on["bytes_live"],
                      "bytes_end": {"on": on["bytes_end"], "off": off["bytes_end"]},
                      "bytes_peak": {"on": on["bytes_peak"], "off": off["bytes_peak"]},
                      "ratio_end": round(on["bytes_end"] / off["bytes_end"], 4) if off["bytes_end"] > 0 else None,
                      "on_end_over_live": round(on["bytes_end"] / on["bytes_live"], 2) if on["bytes_live"] > 0 else None}),
          flush=True)


# --- search: p95 over N archived messages (written straight into PostgreSQL, as the archive leaves them) ---
WORDS_DE = ("Rechnung Rechnungen Rechnungsadresse Mahnung Lieferung Paket Vertrag Kündigung Passwort Konto Zahlung "
            "Überweisung Gutschrift Tarif Router Störung Techniker Termin Bestellung Rücksendung").split()
WORDS_EN = ("invoice invoices charged refund delivery parcel contract cancel password account payment transfer "
            "credit plan router outage technician appointment order return").split()
FILLER = ("bitte danke heute gestern leider schon noch wieder immer nicht mein meine ihre the my your please "
          "thanks today still again yesterday never").split()


def _search_rows(messages: int, seed: int = 12) -> tuple[list[tuple], list[tuple], list[tuple]]:
    """(conversations, messages, contacts): 10 messages a conversation, half German, half English;
    a topic word in one message of three, a rare made-up word in about one in ten thousand."""
    import random
    from datetime import UTC, datetime

    rnd = random.Random(seed)
    start = datetime(2025, 1, 1, tzinfo=UTC).timestamp()
    convs, msgs, contacts = [], [], []
    for n in range(max(1, messages // 10)):
        cid, kid, de = f"c_{n:016x}", f"k_{n // 3:016x}", n % 2 == 0
        created = start + n * 30.0
        if n % 3 == 0:
            contacts.append(("bench", kid, f"Kunde {n // 3} {rnd.choice(['Berg', 'Smith', 'Meyer', 'Jones'])}",
                             f"kunde{n // 3}@example.org", f"+4917{n // 3:08d}"))
        convs.append(("bench", cid, "web", "widget", "chat", kid, "closed", "billing", "billing", "de" if de else "en",
                      f"agent{n % 50}", 10, rows.when(created), rows.when(created + 600)))
        words = WORDS_DE if de else WORDS_EN
        for seq in range(1, 11):
            text = [rnd.choice(FILLER) for _ in range(rnd.randint(6, 18))]
            if rnd.random() < 1 / 3:
                text.insert(rnd.randrange(len(text)), rnd.choice(words))
            if rnd.random() < 1 / 10000:
                text.append("Quasselstrippe")
            msgs.append(("bench", cid, seq, f"m_{n:012x}{seq:04x}", "visitor" if seq % 2 else "agent", "Kim",
                         " ".join(text), rows.when(created + seq * 20), "german" if de else "english"))
    return convs, msgs, contacts


async def search_bench(pool, messages: int, repeat: int) -> None:
    convs, msgs, contacts = _search_rows(messages)
    start = time.perf_counter()
    async with pool.acquire() as conn:
        await conn.copy_records_to_table("conversations", records=convs, columns=(
            "tenant", "id", "channel", "channel_type", "work_channel", "contact_id", "state", "topic", "queue",
            "language", "agent_id", "seq", "created_at", "closed_at"))
        await conn.copy_records_to_table("contacts", records=contacts, columns=("tenant", "id", "name", "email", "phone"))
        # COPY has no binary encoder for regconfig: through a table with the configuration as text
        await conn.execute("CREATE TEMP TABLE bench_messages (LIKE messages INCLUDING DEFAULTS) ON COMMIT PRESERVE ROWS")
        await conn.execute("ALTER TABLE bench_messages DROP COLUMN search, ALTER COLUMN search_config TYPE text")
        await conn.copy_records_to_table("bench_messages", records=msgs, columns=(
            "tenant", "conversation_id", "seq", "id", "author_kind", "author_name", "text", "ts", "search_config"))
        await conn.execute("""
            INSERT INTO messages (tenant, conversation_id, seq, id, author_kind, author_name, text, ts, search_config)
            SELECT tenant, conversation_id, seq, id, author_kind, author_name, text, ts, search_config::regconfig
            FROM bench_messages""")
        await conn.execute("DROP TABLE bench_messages")
        await conn.execute("ANALYZE")
    load_s = time.perf_counter() - start
    queries = {
        "common word (de)": (SearchQuery(q="Rechnungen"), Scope("bench")),
        "common word (en)": (SearchQuery(q="invoices"), Scope("bench")),
        "two words": (SearchQuery(q="Paket bitte"), Scope("bench")),
        "phrase": (SearchQuery(q='"meine Rechnung"'), Scope("bench")),
        "rare word": (SearchQuery(q="Quasselstrippe"), Scope("bench")),
        "word + date range": (SearchQuery(q="refund", start=rows.when(1735689600 + len(convs) * 12),
                                          end=rows.when(1735689600 + len(convs) * 15)), Scope("bench")),
        "contact": (SearchQuery(contact="Kunde 42 "), Scope("bench")),
        "no words (newest)": (SearchQuery(), Scope("bench")),
        "agent's own": (SearchQuery(q="Rechnung"), Scope("bench", agent_id="agent8")),
    }
    every: list[float] = []
    for name, (query, scope) in queries.items():
        times = []
        for _ in range(repeat):
            t = time.perf_counter()
            page = await search(pool, query, scope, timeout=60)
            times.append(time.perf_counter() - t)
        times.sort()
        every += times
        print(json.dumps({"bench": "search_query", "query": name, "results": len(page.results),
                          "p50_ms": round(times[len(times) // 2] * 1000, 1),
                          "p95_ms": round(times[min(len(times) - 1, int(len(times) * 0.95))] * 1000, 1)}), flush=True)
    every.sort()
    print(json.dumps({"bench": "search", "messages": len(msgs), "conversations": len(convs), "load_s": round(load_s, 1),
                      "queries": len(every), "p50_ms": round(every[len(every) // 2] * 1000, 1),
                      "p95_ms": round(every[int(len(every) * 0.95)] * 1000, 1)}), flush=True)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=100_000,
                        help="closed conversations written for the Redis memory figures (0: skip them)")
    parser.add_argument("--messages", type=int, default=4, help="messages per closed conversation")
    parser.add_argument("--live", type=int, default=200, help="open conversations kept throughout (what Redis must hold)")
    parser.add_argument("--write-rate", type=float, default=0.0, metavar="PER_S",
                        help="closed conversations written per second (0: as fast as Redis takes them)")
    parser.add_argument("--evict-after-s", type=float, default=1.0, help="history.evict_closed_after_s with eviction on")
    parser.add_argument("--evict-every-s", type=float, default=0.05, help="history.evict_every_s")
    parser.add_argument("--sample-s", type=float, default=2.0, help="print used_memory this often")
    parser.add_argument("--drain-s", type=float, default=180.0, help="longest wait for the archive and evictor at the end")
    parser.add_argument("--throughput", type=int, default=2000, metavar="N",
                        help="archive throughput over min(N, --conversations) conversations x 10 messages (0: skip)")
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--relay-s", type=float, default=20.0,
                        help="archive lag while the relay runs: seconds per run, history off then on (0: skip)")
    parser.add_argument("--relay-rate", type=float, default=1000.0, help="messages/s the relay offers (both sides)")
    parser.add_argument("--relay-conversations", type=int, default=250)
    parser.add_argument("--relay-warmup-s", type=float, default=3.0)
    parser.add_argument("--lag-every-s", type=float, default=0.1, help="how often /healthz's archive lag is sampled")
    parser.add_argument("--search", type=int, default=0, metavar="N",
                        help="also measure search over N archived messages (the issue asks for 1,000,000)")
    parser.add_argument("--search-repeat", type=int, default=20)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="omnirelay-history-bench-"))
    server = EmbeddedRedis(tmp / "redis", appendfsync="everysec")
    pg = EmbeddedPostgres(tmp / "postgres")
    try:
        redis = connect(await server.start())
        dsn = await asyncio.wait_for(pg.start(), 60)
        await asyncio.wait_for(migrate.upgrade(dsn), 60)
        pool = await asyncpg.create_pool(dsn, min_size=1, max_size=4)
        try:
            if args.relay_s > 0:
                await relay_phase(args, dsn)
            if (throughput := min(args.conversations, args.throughput)) > 0:
                await throughput_phase(redis, pool, throughput, args.batch)
            if args.conversations > 0:
                await memory_phase(redis, dsn, tmp, args)
            if args.search:
                await search_bench(pool, args.search, args.search_repeat)
        finally:
            await pool.close()
            await redis.aclose()
    finally:
        await pg.stop()
        await server.stop()
        shutil.rmtree(tmp, ignore_errors=True)


async def throughput_phase(redis, pool, conversations: int, batch: int) -> None:
    """The outbox drained by one Archiver, next to the same message rows straight into PostgreSQL."""
    total = conversations * 10
    await redis.flushdb()
    await fill(redis, conversations, 10)
    seconds = await archive_all(redis, pool, batch)
    base = await baseline(pool, total, batch)
    rate, base_rate = total / seconds, total / base
    print(json.dumps({"bench": "archive_throughput", "messages": total, "batch": batch,
                      "messages_per_s": round(rate), "baseline_messages_per_s": round(base_rate),
                      "ratio": round(rate / base_rate, 3)}), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
