"""Each tenant's topic classifier and language detection, as one service of the gateway (``Services.assist``).

A tenant's model is trained from its topics' example messages (the config's ``examples``) and the topics
its agents confirmed (gateway/assist/store.py), in one process-wide worker thread, never on the event
loop. It is stored in the history database with its version, so another gateway process or a restart
loads it instead of training. Until a tenant has a model (no examples, or still training) classification
abstains and the default topic applies. With the database down, routing goes on with the model in memory
and the signals kept in memory until it is back (said once in the log).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import asyncpg

from gateway.assist import store
from gateway.assist.store import Signal, StoredModel
from gateway.background import Background
from gateway.config.schema import Config, TenantConfig

if TYPE_CHECKING:  # the leaf library is imported lazily: scikit-learn and py3langid take seconds to load
    from assist.topics import TopicModel

log = logging.getLogger(__name__)

MAX_TEXT_CHARS = 4000  # what the classifier reads of a message (its start says what it is about)
START_WAIT_S = 10.0  # start-up waits this long for the first models; longer training goes on in the background
REFRESH_S = 3.0  # how often a process looks for new signals or a changed config (another process's corrections)
CACHE_MODELS = 16  # trained models kept per process by version (test gateways and restarts in one process)
AUTO = "auto"  # ChannelConfig.topic: the classifier picks the topic
# signals an agent gave by naming the topic: a correction, or a wrap-up code that names one (confirm.py)
CORRECTIONS = ("correction", "supervisor_correction", "wrapup")

_worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="assist-train")  # one training at a time per process
_cache: OrderedDict[str, TopicModel] = OrderedDict()
_cache_lock = threading.Lock()
_counts = {"trained": 0, "loaded": 0}  # models this process trained / loaded from the database (tests, logs)
_DB_ERRORS = (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError, ConnectionError)


@dataclass(frozen=True)
class Classification:
    language: str
    language_confidence: float
    language_changed: bool
    topic: str | None  # None: the classifier abstained (or has no model yet)
    queue: str | None  # where the conversation goes: the topic's queue, abstaining the default topic's
    topic_confidence: float
    abstained: bool
    model_version: str  # "" without a model

    def wire(self) -> dict[str, Any]:
        """The REST answer's fields."""
        return {"language": self.language, "language_confidence": round(self.language_confidence, 4),
                "language_changed": self.language_changed, "topic": self.topic, "queue": self.queue,
                "topic_confidence": round(self.topic_confidence, 4), "abstained": self.abstained,
                "model_version": self.model_version}


@dataclass
class _Tenant:
    """One tenant's model and what it was made from (this process)."""

    model: TopicModel | None = None
    made_for: object = None  # the tenant's topics dict it was trained for (the admin replaces it on a change)
    threshold: float = -1.0
    last_signal: int = 0  # the newest stored signal it was trained with
    stored: list[Signal] = field(default_factory=list)  # the stored signals, as last read
    pending: list[Signal] = field(default_factory=list)  # signals not stored yet (no database, or it is down)
    task: asyncio.Task | None = None
    again: bool = False  # something changed while training: train once more
    no_model_said: bool = False


def training_counts() -> dict[str, int]:
    """How many models this process trained and loaded from the database so far."""
    return dict(_counts)


def forget_cached_models() -> None:
    """Drop this process's trained models (a test that wants the database's model, as a restart would)."""
    with _cache_lock:
        _cache.clear()


def _warm_up(language_sets: list[tuple[str, ...]]) -> None:
    """Load the language model and the classifier's code (seconds, once per process)."""
    import assist.topics  # noqa: F401
    from assist.language import model_probabilities

    for languages in language_sets:
        model_probabilities("warm up", languages)


def _examples(tenant: TenantConfig, confirmed: list[tuple[str, str]],
              handled: Sequence[tuple[str, str]] = ()) -> dict[str, list[str]]:
    """{topic: example texts of every language, then the texts agents handled under it} of the tenant's
    topics that have any of them or confirmations."""
    confirmed_topics = {topic for _, topic in confirmed}
    out = {}
    for tid, topic in tenant.topics.items():
        texts = [t for texts in topic.examples.values() for t in texts if t.strip()]
        texts += [text for text, about in handled if about == tid]
        if texts or tid in confirmed_topics:
            out[tid] = texts
    return out if any(out.values()) else {}


def _confirmed(tenant: TenantConfig, signals: Iterable[Signal]) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(text, topic) of the signals of topics the tenant still has, the latest per conversation: those an
    agent named in a correction (weighing ``CONFIRMED_WEIGHT``), and those only confirmed by how the
    conversation was handled, a close or a transfer (weighing as much as one config example)."""
    latest: dict[str, tuple[str, str]] = {}
    named: dict[str, set[str]] = {}
    for i, s in enumerate(signals):
        if s.topic and s.topic in tenant.topics and s.text.strip():
            key = s.conversation_id or f"#{i}"
            latest[key] = (s.text[:MAX_TEXT_CHARS], s.topic)
            if s.source in CORRECTIONS:
                named.setdefault(key, set()).add(s.topic)
    corrected = [pair for key, pair in latest.items() if pair[1] in named.get(key, ())]
    handled = [pair for key, pair in latest.items() if pair[1] not in named.get(key, ())]
    return corrected, handled


def _version_or_cached(examples: dict[str, list[str]], confirmed: list[tuple[str, str]],
                       threshold: float) -> tuple[str, TopicModel | None]:
    from assist.linear import DEFAULT_PARAMS
    from assist.topics import CONFIRMED_WEIGHT, model_version

    version = model_version(examples, confirmed, threshold, CONFIRMED_WEIGHT, DEFAULT_PARAMS)
    with _cache_lock:
        model = _cache.get(version)
        if model is not None:
            _cache.move_to_end(version)
    return version, model


def _load_or_train(examples: dict[str, list[str]], confirmed: list[tuple[str, str]], threshold: float,
                   stored: StoredModel | None, version: str) -> tuple[TopicModel, bytes | None]:
    """The model of this data: the stored one when its version matches, else trained (then its bytes to store)."""
    from assist.topics import TopicModel, train_topics

    model, body = None, None
    if stored is not None and stored.version == version:
        try:
            model = TopicModel.from_bytes(stored.body)
            _counts["loaded"] += 1
        except ValueError:
            log.warning("the stored topic model does not load: training a new one")
    if model is None:
        model = train_topics(examples, confirmed, threshold=threshold)
        _counts["trained"] += 1
        body = model.to_bytes()
    with _cache_lock:
        _cache[model.version] = model
        while len(_cache) > CACHE_MODELS:
            _cache.popitem(last=False)
    return model, body


class Assist:
    """The tenants' topic models and language detection of one gateway process."""

    def __init__(self, config: Config, pool: Callable[[], asyncpg.Pool | None] = lambda: None):
        self.config = config
        self._pool = pool  # the history database's pool, asked each time (None: the app runs without one)
        self._tenants: dict[str, _Tenant] = {}
        self._tasks = Background()
        self._warm: asyncio.Future | None = None
        self._db_down = False

    # --- life ----------------------------------------------------------------------------------
    async def start(self, wait_s: float = START_WAIT_S) -> None:
        """Load or train every tenant's model (waiting at most ``wait_s``), then look for changes every few seconds."""
        loop = asyncio.get_running_loop()
        sets = sorted({tuple(sorted(set(t.languages))) for t in self.config.tenants.values() if t.languages})
        self._warm = loop.run_in_executor(None, _warm_up, sets)
        first = [self._train_soon(tid) for tid in self.config.tenants]
        try:
            await asyncio.wait_for(asyncio.shield(asyncio.gather(self._warm, *first, return_exceptions=True)), wait_s)
        except TimeoutError:
            log.warning("assist models still loading after start-up: the default topics apply until they are ready")
        self._tasks.every("assist-refresh", REFRESH_S, self.refresh)

    async def stop(self) -> None:
        await self._tasks.stop()

    # --- what the gateway asks -------------------------------------------------------------------
    def topic_model(self, tenant: str) -> TopicModel | None:
        """The tenant's current topic model (None: none yet)."""
        state = self._tenants.get(tenant)
        return state.model if state is not None else None

    def default_topic(self, tenant: str, channel: str | None = None) -> str | None:
        """The topic of a conversation the classifier is unsure about: the channel's, the tenant's, the first."""
        cfg = self.config.tenants[tenant]
        ch = cfg.channels.get(channel or "")
        for candidate in (ch.default_topic if ch else "", ch.topic if ch else "", cfg.assist.default_topic):
            if candidate and candidate != AUTO and candidate in cfg.topics:
                return candidate
        return next(iter(cfg.topics), None)

    async def classify(self, tenant: str, text: str, *, channel: str | None = None, language_hint: str | None = None,
                       current_language: str | None = None) -> Classification:
        """The language and topic of a customer's message (microseconds once the models are loaded)."""
        cfg = self.config.tenants[tenant]
        text = text[:MAX_TEXT_CHARS]
        if self._warm is not None and not self._warm.done():
            await asyncio.shield(self._warm)
        from assist.language import detect_language

        guess = detect_language(text, cfg.languages, hint=language_hint, current=current_language)
        language, confidence, changed = guess.language, guess.confidence, guess.changed
        if changed and confidence < cfg.assist.language_threshold:  # the tenant asks for more certainty
            language, changed = current_language or language, False
        state = self._state(tenant)
        self._notice_changes(tenant, state)
        model, topic, topic_confidence = state.model, None, 0.0
        if model is None:
            if not state.no_model_said:
                state.no_model_said = True
                log.info("no topic model yet: the default topic applies", extra={"tenant": tenant})
        else:
            prediction = model.classify(text)
            topic_confidence = prediction.confidence
            if not prediction.abstained and prediction.best in cfg.topics:
                topic = prediction.best
        routed = topic or self.default_topic(tenant, channel)
        return Classification(
            language=language, language_confidence=confidence, language_changed=changed, topic=topic,
            queue=cfg.topics[routed].queue if routed in cfg.topics else None, topic_confidence=topic_confidence,
            abstained=topic is None, model_version=model.version if model is not None else "",
        )

    async def record_signal(self, tenant: str, signal: Signal) -> bool:
        """Keep an agent's confirmation and train it in soon; True once it is in the database."""
        state = self._state(tenant)
        pool, stored = self._pool(), False
        if pool is not None:
            new_id = await self._db(store.add_signal(pool, tenant, signal))
            if new_id is not None:
                state.stored.append(replace(signal, id=new_id))
                stored = True
        if not stored:
            state.pending.append(signal)
        if signal.topic:
            self._train_soon(tenant, delay=self.config.tenants[tenant].assist.retrain_after_s)
        return stored

    # --- training ------------------------------------------------------------------------------
    def _state(self, tenant: str) -> _Tenant:
        return self._tenants.setdefault(tenant, _Tenant())

    def _notice_changes(self, tenant: str, state: _Tenant) -> None:
        """An admin changed the tenant's topics (a new dict) or its threshold: train for them."""
        cfg = self.config.tenants[tenant]
        if state.task is None and (state.made_for is not cfg.topics or state.threshold != cfg.assist.topic_threshold):
            self._train_soon(tenant)

    def _train_soon(self, tenant: str, delay: float = 0.0) -> asyncio.Task:
        state = self._state(tenant)
        if state.task is not None and not state.task.done():
            state.again = True
            return state.task
        state.task = self._tasks.start(f"assist-train-{tenant}", self._training(tenant, delay))
        return state.task

    async def _training(self, tenant: str, delay: float) -> None:
        state = self._state(tenant)
        if delay:
            await asyncio.sleep(delay)
        try:
            while True:
                state.again = False
                await self._train(tenant, state)
                if not state.again:
                    break
        finally:
            state.task = None

    async def _train(self, tenant: str, state: _Tenant) -> None:
        cfg = self.config.tenants[tenant]
        topics, threshold = cfg.topics, cfg.assist.topic_threshold
        pool = self._pool()
        newest = await self._read_signals(tenant, state, pool)
        confirmed, handled = _confirmed(cfg, [*state.stored, *state.pending])
        examples = _examples(cfg, confirmed, handled)
        if len(examples) < 2:  # nothing to tell apart
            state.model, state.made_for, state.threshold, state.last_signal = None, topics, threshold, newest
            return
        loop = asyncio.get_running_loop()
        version, cached = await loop.run_in_executor(_worker, _version_or_cached, examples, confirmed, threshold)
        stored_version = await self._db(store.stored_version(pool, tenant)) if pool is not None else None
        body: bytes | None = None
        if cached is not None:
            model = cached
        else:
            stored = await self._db(store.load_model(pool, tenant)) if pool is not None and stored_version == version else None
            model, body = await loop.run_in_executor(_worker, _load_or_train, examples, confirmed, threshold, stored, version)
            how = "trained" if body is not None else "loaded from the database"
            log.info(f"topic model {how}", extra={"tenant": tenant, "version": model.version,
                                                   "examples": sum(map(len, examples.values())), "confirmed": len(confirmed),
                                                   "handled": len(handled)})
        if pool is not None and stored_version != version and not state.pending:  # kept for the other processes
            body = body if body is not None else await loop.run_in_executor(_worker, model.to_bytes)
            await self._db(store.save_model(pool, tenant, StoredModel(version, body, newest)))
        state.model, state.made_for, state.threshold, state.last_signal = model, topics, threshold, newest
        state.no_model_said = False

    async def _read_signals(self, tenant: str, state: _Tenant, pool: asyncpg.Pool | None) -> int:
        """Store the pending signals and read all stored ones (kept as they were when the database is down)."""
        if pool is None:
            return state.last_signal
        while state.pending:
            new_id = await self._db(store.add_signal(pool, tenant, state.pending[0]))
            if new_id is None:
                return state.last_signal
            state.pending.pop(0)
        signals = await self._db(store.topic_signals(pool, tenant))
        if signals is None:
            return state.last_signal
        state.stored = signals
        return max((s.id for s in signals), default=0)

    async def refresh(self) -> None:
        """Train again where another process stored new signals, signals were erased (a contact's erasure),
        the config changed, or signals wait to be stored."""
        pool = self._pool()
        for tenant in self.config.tenants:
            state = self._state(tenant)
            if state.task is not None:
                continue
            self._notice_changes(tenant, state)
            if state.task is None and pool is not None:
                mark = await self._db(store.signal_mark(pool, tenant))
                if mark is not None and (state.pending or mark[0] > state.last_signal or mark[1] != len(state.stored)
                                         or mark[2] != sum(s.id for s in state.stored)):
                    self._train_soon(tenant)

    async def _db(self, call: Any) -> Any:
        """Await a database call; None when the database is unreachable (said once, and once when it is back)."""
        try:
            result = await call
        except _DB_ERRORS as err:
            if not self._db_down:
                self._db_down = True
                log.warning("assist: the history database is unreachable; topic models stay as they are and "
                            "corrections are kept in memory until it is back", extra={"error": f"{type(err).__name__}: {err}"})
            return None
        if self._db_down:
            self._db_down = False
            log.warning("assist: the history database is reachable again")
        return result
