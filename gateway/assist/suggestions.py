"""Answer suggestions per tenant: the three canned answers most likely to fit a customer's message, in the
conversation's language, each with why (assist/suggest.py), and the confidence at which an automatic
answer is precise enough (assist/autoanswer.py), measured on the tenant's held-back examples.

They learn from which canned answer agents send in reply to which customer message: each such reply is a
row of ``assist_choices`` (migration 0007), and the tenant's suggestions are rebuilt in the background a
moment later (off the event loop, on one worker thread). Other gateway processes notice the new rows by
polling the newest row id. Without a history database the suggestions use the canned answers and their
example phrasings only.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any

import asyncpg

from acd import replies
from assist.autoanswer import ThresholdChoice, threshold_from_history
from assist.suggest import AgentChoice, Snippet, Suggester, Suggestion, build_suggester
from gateway import appkeys as K
from gateway.assist.auto_answer import close_quiet
from gateway.background import Background
from gateway.config.schema import TenantConfig
from gateway.keys import TenantKeys
from gateway.rooms import agent_room
from gateway.services import Services
from gateway.store.messages import Posted

log = logging.getLogger(__name__)

CHOICES_MAX = 20_000  # the newest agent choices a tenant's suggestions learn from
POLL_S = 5.0  # how often a process looks for choices another process stored
LANGUAGES = ("de", "en")  # what assist.suggest indexes (stop words and stems)
DATABASE_ERRORS = (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError)
_WORKER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="assist-answers")  # training is CPU work


@dataclass(frozen=True)
class Built:
    """One tenant's suggestions as trained, and the automatic-answer threshold measured with them."""

    suggester: Suggester
    snippets: dict[str, Snippet]
    threshold: ThresholdChoice
    fingerprint: str  # of the canned answers it was built from
    last_choice: int  # the newest assist_choices row it learned from


def snippets_of(tenant: TenantConfig) -> list[Snippet]:
    """The tenant's canned answers as assist snippets (answers without a German or English language are left out)."""
    return [Snippet(c.id, c.language, c.title, c.text, c.topic or None, tuple(c.examples))
            for c in tenant.canned if c.language in LANGUAGES]


def _fingerprint(snippets: list[Snippet]) -> str:
    return hashlib.sha256(repr(snippets).encode()).hexdigest()[:16]


def _train(snippets: list[Snippet], choices: list[AgentChoice], target: float) -> tuple[Suggester, ThresholdChoice]:
    """Build the suggester on everything; measure the threshold with every 5th example and choice held back."""
    suggester = build_suggester(snippets, choices)
    examples = [AgentChoice(e, s.id, s.language) for s in snippets for e in s.examples]
    bare = [replace(s, examples=()) for s in snippets]  # the held-back examples must not be trained on
    return suggester, threshold_from_history(bare, examples + choices, target=target)


class Answers:
    """Every tenant's suggestions in this process (``Services.answers``)."""

    def __init__(self, svc: Services) -> None:
        self.svc = svc
        self.tasks = Background()
        self._built: dict[str, Built] = {}
        self._building: dict[str, asyncio.Future[Built]] = {}
        self._stored: dict[str, int] = {}  # tenant -> newest choice row id known to be stored
        self._rebuild_due: set[str] = set()

    # --- the model -------------------------------------------------------------------------
    async def built(self, tenant_id: str) -> Built:
        """The tenant's current suggestions (built now when there are none or the canned answers changed)."""
        tenant = self.svc.config.tenants[tenant_id]
        current = self._built.get(tenant_id)
        if current is not None and current.fingerprint == _fingerprint(snippets_of(tenant)):
            return current
        return await self.rebuild(tenant_id)

    async def rebuild(self, tenant_id: str) -> Built:
        """Train the tenant's suggestions again (one build per tenant at a time; callers share it)."""
        running = self._building.get(tenant_id)
        if running is not None:
            return await asyncio.shield(running)
        future: asyncio.Future[Built] = asyncio.get_running_loop().create_future()
        self._building[tenant_id] = future
        try:
            built = await self._build(tenant_id)
            self._built[tenant_id] = built
            future.set_result(built)
            return built
        except BaseException as err:
            future.set_exception(err)
            future.exception()  # retrieved: a build nobody else awaited must not warn
            raise
        finally:
            del self._building[tenant_id]

    async def _build(self, tenant_id: str) -> Built:
        tenant = self.svc.config.tenants[tenant_id]
        snippets = snippets_of(tenant)
        last, choices = await self._choices(tenant_id, {s.id for s in snippets})
        suggester, threshold = await asyncio.get_running_loop().run_in_executor(
            _WORKER, _train, snippets, choices, tenant.assist.precision_target)
        log.info("answer suggestions trained", extra={
            "tenant": tenant_id, "snippets": len(snippets), "choices": len(choices),
            "threshold": threshold.threshold, "why": threshold.reason})
        return Built(suggester, {s.id: s for s in snippets}, threshold, _fingerprint(snippets), last)

    async def _choices(self, tenant_id: str, known: set[str]) -> tuple[int, list[AgentChoice]]:
        """The newest agents' choices of canned answers that still exist, oldest first, and the newest row id."""
        pool = self.svc.history.pool if self.svc.history is not None else None
        if pool is None:
            return 0, []
        try:
            rows = await pool.fetch(
                "SELECT id, text, canned_id, language FROM assist_choices WHERE tenant_id = $1 ORDER BY id DESC LIMIT $2",
                tenant_id, CHOICES_MAX, timeout=10)
        except DATABASE_ERRORS:
            log.warning("agents' choices could not be read: suggestions from the canned answers alone",
                        extra={"tenant": tenant_id}, exc_info=True)
            return 0, []
        rows.reverse()
        last = rows[-1]["id"] if rows else 0
        self._stored[tenant_id] = max(self._stored.get(tenant_id, 0), last)
        return last, [AgentChoice(r["text"], r["canned_id"], r["language"] or None) for r in rows if r["canned_id"] in known]

    # --- suggestions -------------------------------------------------------------------------
    async def suggest(self, tenant_id: str, text: str, language: str, k: int = 3) -> list[Suggestion]:
        built = await self.built(tenant_id)
        return built.suggester.suggest(text, language, k=k)

    def wire(self, tenant_id: str, suggestions: list[Suggestion]) -> list[dict[str, Any]]:
        """Suggestions as the console and the REST API show them (the canned text with its placeholders)."""
        canned = {c.id: c for c in self.svc.config.tenants[tenant_id].canned}
        return [{"canned_id": s.canned_id, "title": canned[s.canned_id].title, "text": canned[s.canned_id].text,
                 "score": round(s.score, 4), "confidence": round(s.confidence, 4), "why": s.why, "why_kind": s.why_kind}
                for s in suggestions if s.canned_id in canned]

    async def for_conversation(self, tenant_id: str, conversation_id: str) -> dict[str, Any]:
        """The suggestions for a conversation's last customer message: ``{conversation_id, after_seq, language, suggestions}``."""
        keys = TenantKeys(tenant_id)
        language = replies.maybe_text(await self.svc.redis.hget(keys.conv(conversation_id), "language")) or ""
        seq, text = await last_customer_message(self.svc, keys, conversation_id)
        found = await self.suggest(tenant_id, text, language) if text else []
        return {"conversation_id": conversation_id, "after_seq": seq, "language": language,
                "suggestions": self.wire(tenant_id, found)}

    def push_later(self, tenant_id: str, posted: Posted) -> None:
        """After a customer message: the agent holding the conversation gets ``assist_suggestions`` (in the background)."""
        if posted.agent_id and not posted.message.duplicate and posted.message.text.strip():
            self.tasks.start("assist-suggestions", self._push(tenant_id, posted))

    async def _push(self, tenant_id: str, posted: Posted) -> None:
        cid = posted.message.conversation_id
        found = await self.suggest(tenant_id, posted.message.text, posted.language)
        await self.svc.sio.emit("assist_suggestions", {
            "conversation_id": cid, "after_seq": posted.message.seq, "suggestions": self.wire(tenant_id, found),
        }, room=agent_room(tenant_id, posted.agent_id), namespace="/agent")

    # --- learning ----------------------------------------------------------------------------
    def learn_later(self, tenant_id: str, conversation_id: str, canned_id: str, agent_id: str, reply_seq: int) -> None:
        """An agent sent ``canned_id`` as message ``reply_seq``: store it with the customer message it answered."""
        self.tasks.start("assist-learn", self._learn(tenant_id, conversation_id, canned_id, agent_id, reply_seq))

    async def _learn(self, tenant_id: str, conversation_id: str, canned_id: str, agent_id: str, reply_seq: int) -> None:
        pool = self.svc.history.pool if self.svc.history is not None else None
        if pool is None:
            return  # nowhere to keep it: suggestions stay as configured
        keys = TenantKeys(tenant_id)
        _, text = await last_customer_message(self.svc, keys, conversation_id, before=reply_seq)
        if not text.strip():
            return
        language = replies.maybe_text(await self.svc.redis.hget(keys.conv(conversation_id), "language")) or ""
        row = await pool.fetchval(
            "INSERT INTO assist_choices (tenant_id, conversation_id, text, canned_id, language, agent_id) "
            "VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            tenant_id, conversation_id, text, canned_id, language, agent_id, timeout=10)
        self._stored[tenant_id] = max(self._stored.get(tenant_id, 0), row)
        self._rebuild_soon(tenant_id)

    def _rebuild_soon(self, tenant_id: str) -> None:
        """Retrain once the agents' choices come to rest for a moment (several choices, one build)."""
        if tenant_id in self._rebuild_due:
            return
        self._rebuild_due.add(tenant_id)

        async def later() -> None:
            try:
                await asyncio.sleep(self.svc.config.tenants[tenant_id].assist.retrain_after_s)
            finally:
                self._rebuild_due.discard(tenant_id)
            await self.rebuild(tenant_id)

        self.tasks.start("assist-answers-retrain", later())

    async def poll(self) -> None:
        """Rebuild the tenants whose stored choices are newer than what this process learned from."""
        pool = self.svc.history.pool if self.svc.history is not None else None
        if pool is None or not self._built:
            return
        rows = await pool.fetch("SELECT tenant_id, max(id) AS last FROM assist_choices GROUP BY tenant_id", timeout=10)
        for row in rows:
            built = self._built.get(row["tenant_id"])
            if built is not None and row["last"] > built.last_choice:
                self._rebuild_soon(row["tenant_id"])


async def last_customer_message(svc: Services, keys: TenantKeys, conversation_id: str,
                                before: int | None = None) -> tuple[int, str]:
    """The seq and text of the conversation's newest customer message (before seq ``before``); (0, "") for none."""
    newest = f"({before}-0" if before else "+"
    entries = replies.entries(await svc.redis.xrevrange(keys.conv_messages(conversation_id), max=newest, min="-", count=50))
    for entry_id, fields in entries:
        if fields.get("kind") == "visitor" and fields.get("text", "").strip():
            return int(entry_id.split("-", 1)[0]), fields["text"]
    return 0, ""


async def answers_ctx(app: Any) -> Any:
    """cleanup_ctx: the process's Answers on Services, the poll for other processes' choices, teardown."""
    svc: Services = app[K.SERVICES]
    answers = Answers(svc)
    svc.answers = answers
    answers.tasks.every("assist-answers-poll", POLL_S, answers.poll)
    answers.tasks.every("assist-auto-answered", 1.0, lambda: close_quiet(svc))
    yield
    await answers.tasks.stop()
