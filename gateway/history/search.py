"""Search over the history database: full text in each conversation's language (German and
English stemming, prefixes for compound words), contact, channel, queue, agent, label, wrap-up
code and date filters; conversations ranked by relevance, then newest first, in keyset pages.

Snippets come back as text with the matches marked out-of-band (``parts``), never as HTML.
Who sees what is the caller's ``Scope``: the whole tenant, or what one agent served plus the
conversations of the contacts it serves now."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg

from gateway.errors import ClientError

MAX_Q = 200
MAX_TERM = 200
MAX_LIMIT = 100
DEFAULT_LIMIT = 20
FILTERS = ("contact", "channel", "queue", "agent", "label", "wrapup_code")
PARAMS = {"q", *FILTERS, "from", "to", "limit", "cursor"}
CONFIGS = ("german", "english", "simple")
PREFIX_MIN = 4  # a lexeme this long also matches as a prefix ("rechnung" finds "rechnungsadress")
# ts_headline marks matches with these private-use characters (taken out of the text first), which
# become the snippet's parts: the client renders them as text nodes, so a message is never HTML
START, STOP = "\ue000", "\ue001"
# ts_headline's parser would drop what looks like HTML tags or entities from the snippet: these
# characters stand in for < > & while it runs, and are turned back afterwards
STAND_IN = {"<": "\ue002", ">": "\ue003", "&": "\ue004"}
_BACK = str.maketrans({v: k for k, v in STAND_IN.items()})
HIDE_FROM = "".join(STAND_IN) + START + STOP + "".join(STAND_IN.values())  # translate(): the rest is removed
HIDE_TO = "".join(STAND_IN.values())
HEADLINE_OPTS = f'StartSel={START}, StopSel={STOP}, MaxWords=30, MinWords=12, ShortWord=2, MaxFragments=2, ' \
                'FragmentDelimiter=" … "'
WHOLE_UP_TO = 240  # a message this short is its own snippet, whole (fragments would cut it at words)
WHOLE_OPTS = f"StartSel={START}, StopSel={STOP}, HighlightAll=true"
PLAIN_SNIPPET = 200  # characters of the latest message shown when there is no text query
_LEXEME = re.compile(r"'((?:[^']|'')*)'")
_PHONE = re.compile(r"^\+?[\d\s()./-]+$")


def bad(message: str) -> ClientError:
    return ClientError("bad_request", message, 400)


@dataclass(frozen=True)
class SearchQuery:
    """What the caller asked for, checked."""

    q: str = ""
    contact: str = ""
    channel: str = ""
    queue: str = ""
    agent: str = ""
    label: str = ""
    wrapup_code: str = ""
    start: datetime | None = None  # created at or after
    end: datetime | None = None  # created before
    limit: int = DEFAULT_LIMIT
    after: tuple[float, int | None, str] | None = None  # the cursor: (rank, created µs, id) of the last row

    def digest(self) -> str:
        """Names the filters, so a cursor is refused for another search."""
        parts = [self.q, *(getattr(self, f) for f in FILTERS), str(self.start), str(self.end)]
        return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:12]


def parse_query(params: Any) -> SearchQuery:
    """The query string (a multidict) as a SearchQuery; ClientError 400 for anything wrong."""
    unknown = sorted(set(params.keys()) - PARAMS)
    if unknown:
        raise bad(f"unknown parameter '{unknown[0]}'; known: {', '.join(sorted(PARAMS))}")
    values: dict[str, str] = {}
    for name in PARAMS:
        got = params.getall(name, [])
        if len(got) > 1:
            raise bad(f"'{name}' is given more than once")
        if got:
            values[name] = got[0].strip()
    if any("\x00" in v for v in values.values()):
        raise bad("a parameter contains a NUL character")
    q = values.get("q", "")
    if len(q) > MAX_Q:
        raise bad(f"'q' is longer than {MAX_Q} characters")
    terms = {}
    for name in FILTERS:
        term = values.get(name, "")
        if len(term) > MAX_TERM:
            raise bad(f"'{name}' is longer than {MAX_TERM} characters")
        terms[name] = term
    start = _when(values.get("from", ""), "from", end=False)
    end = _when(values.get("to", ""), "to", end=True)
    if start and end and start >= end:
        raise bad("'from' must be before 'to'")
    try:
        limit = int(values.get("limit") or DEFAULT_LIMIT)
    except ValueError:
        raise bad(f"'limit' must be a whole number from 1 to {MAX_LIMIT}") from None
    if not 1 <= limit <= MAX_LIMIT:
        raise bad(f"'limit' must be a whole number from 1 to {MAX_LIMIT}")
    query = SearchQuery(q=q, contact=terms["contact"], channel=terms["channel"], queue=terms["queue"],
                        agent=terms["agent"], label=terms["label"], wrapup_code=terms["wrapup_code"],
                        start=start, end=end, limit=limit)
    if values.get("cursor"):
        query = replace(query, after=_decode_cursor(values["cursor"], query.digest()))
    return query


def _when(value: str, name: str, *, end: bool) -> datetime | None:
    """An ISO date (a whole day, UTC; ``to`` includes it), an ISO time with or without offset (UTC
    when none), or epoch seconds."""
    if not value:
        return None
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            day = datetime.combine(date.fromisoformat(value), datetime.min.time(), UTC)
            return day + timedelta(days=1) if end else day
        if re.fullmatch(r"\d+(\.\d+)?", value):
            return datetime.fromtimestamp(float(value), UTC)
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    except (ValueError, OverflowError, OSError):
        raise bad(f"'{name}' must be a date (2026-07-01), a time (2026-07-01T14:30:00+02:00) or epoch seconds") \
            from None


def _encode_cursor(rank: float, created: datetime | None, cid: str, digest: str) -> str:
    micros = None if created is None else round(created.timestamp() * 1_000_000)
    raw = json.dumps([rank, micros, cid, digest], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str, digest: str) -> tuple[float, int | None, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        rank, micros, cid, made_for = json.loads(raw)
        if not isinstance(rank, int | float) or not isinstance(cid, str) or (
                micros is not None and not isinstance(micros, int)):
            raise ValueError
    except (ValueError, TypeError):
        raise bad("'cursor' is not one this search gave out") from None
    if made_for != digest:
        raise bad("'cursor' belongs to another search: start again without it")
    return float(rank), micros, cid


@dataclass(frozen=True)
class Scope:
    """What the caller may see: the tenant (``agent_id`` None) or one agent's conversations."""

    tenant: str
    agent_id: str | None = None
    contact_ids: tuple[str, ...] = ()  # the contacts the agent serves now


@dataclass
class SearchPage:
    results: list[dict[str, Any]] = field(default_factory=list)
    next: str | None = None

    def to_wire(self) -> dict[str, Any]:
        return {"results": self.results, "next": self.next}


def prefixed(tsquery: str) -> str:
    """A tsquery's text with its longer lexemes made prefixes (German compounds start with the word)."""
    def one(m: re.Match[str]) -> str:
        return f"{m.group(0)}:*" if len(m.group(1).replace("''", "'")) >= PREFIX_MIN else m.group(0)
    return _LEXEME.sub(one, tsquery)


async def _tsqueries(conn: asyncpg.Connection, q: str) -> dict[str, tuple[str, str]]:
    """For each configuration: (exact tsquery, with prefixes), as text."""
    row = await conn.fetchrow(
        "SELECT " + ", ".join(f"websearch_to_tsquery('{c}', $1)::text AS {c}" for c in CONFIGS), q)
    return {c: (row[c], prefixed(row[c])) for c in CONFIGS}


def _like(term: str) -> str:
    return "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


class _Sql:
    """Parameters numbered as they are added."""

    def __init__(self) -> None:
        self.args: list[Any] = []

    def __call__(self, value: Any) -> str:
        self.args.append(value)
        return f"${len(self.args)}"


def _conversation_filters(query: SearchQuery, scope: Scope, p: _Sql) -> list[str]:
    """WHERE clauses on the conversations row ``c`` (parameter 1 is the tenant)."""
    where = []
    if query.channel:
        where.append(f"{p(query.channel)} IN (c.channel, c.channel_type, c.work_channel)")
    if query.queue:
        where.append(f"c.queue = {p(query.queue)}")
    if query.label:
        where.append(f"{p(query.label.lower())} = ANY(string_to_array(lower(c.fields->>'labels'), ','))")
    if query.wrapup_code:
        where.append(f"c.fields->>'wrapup_code' = {p(query.wrapup_code)}")
    if query.start:
        where.append(f"c.created_at >= {p(query.start)}")
    if query.end:
        where.append(f"c.created_at < {p(query.end)}")
    if query.agent:
        where.append(_served_by(p(query.agent)))
    if query.contact:
        where.append(f"c.contact_id IN ({_contacts_matching(query.contact, p)})")
    if scope.agent_id is not None:
        me = p(scope.agent_id)
        where.append(f"""({_served_by(me)} OR c.contact_id IN (
            WITH RECURSIVE now_served(id) AS (
                SELECT unnest({p(list(scope.contact_ids))}::text[])
                UNION SELECT k.id FROM contacts k JOIN now_served ON k.tenant = $1 AND k.merged_into = now_served.id
            ) SELECT id FROM now_served))""")
    return where


def _served_by(agent: str) -> str:
    """The conversation is (or was) assigned to this agent: now, or in the ACD's log."""
    return (f"(c.agent_id = {agent} OR EXISTS (SELECT 1 FROM acd_events e WHERE e.tenant = $1 AND e.ev = 'assign' "
            f"AND e.fields->>'task' = c.id AND e.fields->>'agent' = {agent}))")


def _contacts_matching(term: str, p: _Sql) -> str:
    """Ids of the contacts named, addressed, numbered or known by a messenger id like ``term``
    (and of the contacts merged into those)."""
    like = p(_like(term))
    matches = [f"k.name ILIKE {like}", f"k.email ILIKE {like}"]
    ident = [f"i.value ILIKE {like}"]
    digits = re.sub(r"\D", "", term)
    if _PHONE.match(term) and len(digits) >= 4:
        d = p(f"%{digits}%")
        matches.append(f"regexp_replace(k.phone, '\\D', '', 'g') LIKE {d}")
        ident.append(f"regexp_replace(i.value, '\\D', '', 'g') LIKE {d}")
    return f"""
        WITH RECURSIVE hit(id) AS (
            SELECT k.id FROM contacts k WHERE k.tenant = $1 AND ({" OR ".join(matches)})
            UNION SELECT i.contact_id FROM identities i WHERE i.tenant = $1 AND ({" OR ".join(ident)})
            UNION SELECT k.id FROM contacts k JOIN hit ON k.tenant = $1 AND k.merged_into = hit.id
        ) SELECT id FROM hit"""


CREATED = "coalesce(c.created_at, '-infinity'::timestamptz)"


async def search(pool: asyncpg.Pool, query: SearchQuery, scope: Scope, timeout: float = 10.0) -> SearchPage:
    """One page of the conversations matching ``query`` that ``scope`` may see (a search running
    longer than ``timeout`` seconds is cancelled by the server: QueryCanceledError)."""
    async with pool.acquire(timeout=timeout) as conn, conn.transaction(readonly=True):
        await conn.execute(f"SET LOCAL statement_timeout = {int(timeout * 1000)}")
        p = _Sql()
        p(scope.tenant)
        tq = await _tsqueries(conn, query.q) if query.q else None
        where = _conversation_filters(query, scope, p)
        if tq is not None:
            for c in CONFIGS:
                exact, prefix = tq[c]
                tq[c] = (p(exact), p(prefix))
            rank_sql = "CASE m.search_config " + " ".join(
                f"WHEN '{c}'::regconfig THEN ts_rank(m.search, {tq[c][0]}::tsquery) "
                f"+ ts_rank(m.search, {tq[c][1]}::tsquery) / 2" for c in CONFIGS[:2]
            ) + f" ELSE ts_rank(m.search, {tq['simple'][0]}::tsquery) + ts_rank(m.search, {tq['simple'][1]}::tsquery) / 2 END"
            # one condition per configuration with a constant query, so each can use the GIN index
            match_sql = " OR ".join(
                [f"(m.search_config = '{c}'::regconfig AND m.search @@ {tq[c][1]}::tsquery)" for c in CONFIGS[:2]]
                + [f"(m.search_config NOT IN ('german'::regconfig, 'english'::regconfig) "
                   f"AND m.search @@ {tq['simple'][1]}::tsquery)"])
            source = f"""(
                SELECT DISTINCT ON (m.conversation_id) m.conversation_id AS cid, m.seq AS hit_seq,
                       ({rank_sql})::real AS rank
                FROM messages m WHERE m.tenant = $1 AND ({match_sql})
                ORDER BY m.conversation_id, rank DESC, m.seq
            ) hits JOIN conversations c ON c.tenant = $1 AND c.id = hits.cid"""
            rank, hit_seq = "hits.rank", "hits.hit_seq"
            one = "ts_headline(m.search_config, translate(m.text, {hide}, {to}), CASE m.search_config " + " ".join(
                f"WHEN '{c}'::regconfig THEN {tq[c][1]}::tsquery" for c in CONFIGS[:2]
            ) + f" ELSE {tq['simple'][1]}::tsquery END, {{opts}})"
            hide, to = p(HIDE_FROM), p(HIDE_TO)
            headline = (f"CASE WHEN length(m.text) <= {WHOLE_UP_TO} THEN {one.format(hide=hide, to=to, opts=p(WHOLE_OPTS))} "
                        f"ELSE {one.format(hide=hide, to=to, opts=p(HEADLINE_OPTS))} END")
        else:
            source = "conversations c"
            where.insert(0, "c.tenant = $1")
            rank, hit_seq = "0::real", "c.seq"
            headline = f"left(m.text, {PLAIN_SNIPPET})"
        if query.after is not None:
            r, micros, cid = query.after
            created = datetime.fromtimestamp(0, UTC) + timedelta(microseconds=micros) if micros is not None else None
            after_created = p(created) if created else "'-infinity'::timestamptz"
            where.append(f"({rank}, {CREATED}, c.id) < ({p(r)}::real, {after_created}, {p(cid)})")
        sql = f"""
            SELECT page.*, k.name AS contact_name, k.email AS contact_email, k.phone AS contact_phone,
                   m.id AS message_id, m.author_kind, m.author_name, m.ts AS message_ts,
                   CASE WHEN m.text IS NULL THEN NULL ELSE {headline} END AS snippet
            FROM (
                SELECT c.*, {rank} AS rank, {hit_seq} AS hit_seq, {CREATED} AS created_key
                FROM {source}
                {"WHERE " + " AND ".join(where) if where else ""}
                ORDER BY rank DESC, created_key DESC, c.id DESC
                LIMIT {p(query.limit + 1)}
            ) page
            LEFT JOIN contacts k0 ON k0.tenant = $1 AND k0.id = page.contact_id
            LEFT JOIN contacts k ON k.tenant = $1 AND k.id = coalesce(nullif(k0.merged_into, ''), page.contact_id)
            LEFT JOIN messages m ON m.tenant = $1 AND m.conversation_id = page.id AND m.seq = page.hit_seq
            ORDER BY page.rank DESC, page.created_key DESC, page.id DESC
        """
        rows = await conn.fetch(sql, *p.args)
    page = SearchPage(results=[_result(r) for r in rows[:query.limit]])
    if len(rows) > query.limit:
        last = rows[query.limit - 1]
        created = last["created_at"]
        page.next = _encode_cursor(float(last["rank"]), created, last["id"], query.digest())
    return page


def _epoch(value: datetime | None) -> float | None:
    return value.timestamp() if value is not None else None


def snippet_parts(marked: str) -> list[dict[str, Any]]:
    """ts_headline's output (matches between START and STOP) as [{text, match}] parts."""
    parts: list[dict[str, Any]] = []
    for i, piece in enumerate(re.split(f"[{START}{STOP}]", marked.translate(_BACK))):
        if piece:
            match = i % 2 == 1
            if parts and parts[-1]["match"] == match:
                parts[-1]["text"] += piece
            else:
                parts.append({"text": piece, "match": match})
    return parts


def _result(r: asyncpg.Record) -> dict[str, Any]:
    fields = json.loads(r["fields"] or "{}")
    parts = snippet_parts(r["snippet"]) if r["snippet"] is not None else []
    labels = [x.strip() for x in str(fields.get("labels", "")).split(",") if x.strip()]
    return {
        "id": r["id"], "channel": r["channel"], "channel_type": r["channel_type"], "work_channel": r["work_channel"],
        "queue": r["queue"], "topic": r["topic"], "language": r["language"], "state": r["state"],
        "agent_id": r["agent_id"], "created_at": _epoch(r["created_at"]), "closed_at": _epoch(r["closed_at"]),
        "wrapup_code": fields.get("wrapup_code") or None, "labels": labels,
        "contact": {"id": r["contact_id"], "name": r["contact_name"] or "", "email": r["contact_email"] or "",
                    "phone": r["contact_phone"] or ""},
        "rank": round(float(r["rank"]), 6),
        "match": None if r["message_id"] is None else {
            "message_id": r["message_id"], "seq": r["hit_seq"],
            "author": {"kind": r["author_kind"], "name": r["author_name"]}, "ts": _epoch(r["message_ts"]),
        },
        "snippet": "".join(p["text"] for p in parts),
        "snippet_parts": parts,
    }
