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

from gateway.embedded_redis import EmbeddedRedis  # noqa: E402
from gateway.history import migrate, rows  # noqa: E402
from gateway.history.archive import Archiver  # noqa: E402
from gateway.history.embedded import EmbeddedPostgres  # noqa: E402
from gateway.history.evict import evict_closed  # noqa: E402
from gateway.history.search import Scope, SearchQuery, search  # noqa: E402
from gateway.keys import TenantKeys  # noqa: E402
from gateway.redis_client import connect  # noqa: E402
from gateway.store.conversations import close_conversation, create_conversation  # noqa: E402
from gateway.store.messages import append_message  # noqa: E402

KEYS = TenantKeys("bench")
TEXT = "Guten Tag, meine Rechnung vom letzten Monat ist doppelt abgebucht worden, bitte prüfen Sie das."


async def fill(redis, conversations: int, messages: int) -> None:
    """Closed conversations with their messages, as the gateway stores them (outbox entries included)."""
    for start in range(0, conversations, 100):
        convs = await asyncio.gather(*(
            create_conversation(redis, KEYS, channel="web", channel_type="widget", work_channel="chat",
                                contact_id="k_0000000000000001", topic="billing", queue="billing", language="de")
            for _ in range(start, min(start + 100, conversations))
        ))
        await asyncio.gather(*(
            append_message(redis, KEYS, c.id, author_kind="visitor" if n % 2 else "agent", author_name="Kim", text=TEXT)
            for c in convs for n in range(messages)
        ))
        await asyncio.gather(*(close_conversation(redis, KEYS, c.id, "agent") for c in convs))


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
    parser = argparse.ArgumentParser()
    parser.add_argument("--conversations", type=int, default=2000)
    parser.add_argument("--messages", type=int, default=10)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--search", type=int, default=0, metavar="N",
                        help="also measure search over N archived messages (the issue asks for 1,000,000)")
    parser.add_argument("--search-repeat", type=int, default=20)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="omnirelay-history-bench-"))
    server = EmbeddedRedis(tmp / "redis", appendfsync="everysec")
    pg = EmbeddedPostgres(tmp / "postgres")
    redis = connect(await server.start())
    dsn = await pg.start()
    await migrate.upgrade(dsn)
    pool = await asyncpg.create_pool(dsn, min_size=1, max_size=4)
    try:
        if args.conversations > 0:
            total = args.conversations * args.messages
            await redis.flushdb()
            empty = int((await redis.info("memory"))["used_memory"])
            await fill(redis, args.conversations, args.messages)
            seconds = await archive_all(redis, pool, args.batch)
            base = await baseline(pool, total, args.batch)
            rate, base_rate = total / seconds, total / base
            print(json.dumps({"bench": "archive_throughput", "messages": total, "batch": args.batch,
                              "messages_per_s": round(rate), "baseline_messages_per_s": round(base_rate),
                              "ratio": round(rate / base_rate, 3)}), flush=True)

            kept = int((await redis.info("memory"))["used_memory"]) - empty
            evicted = 0
            while (n := await evict_closed(redis, "bench", 0.0001)) > 0:
                evicted += n
            after = int((await redis.info("memory"))["used_memory"]) - empty
            print(json.dumps({"bench": "redis_memory_after_closed", "conversations": args.conversations,
                              "messages": total, "evicted": evicted, "bytes_eviction_off": kept,
                              "bytes_eviction_on": after, "ratio": round(after / kept, 4) if kept else None}), flush=True)
        if args.search:
            await search_bench(pool, args.search, args.search_repeat)
    finally:
        await pool.close()
        await redis.aclose()
        await pg.stop()
        await server.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    asyncio.run(main())
