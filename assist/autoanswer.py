"""When a routine request is answered automatically, and when an automatic answer is switched off.

A supervisor approves a canned answer for automatic use; this module picks the confidence threshold at which
the answer was right at least 95 % of the time on held-back examples (or says none is), decides per message
with a reason, and switches a snippet off when customers escalate after it too often.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass

from .suggest import AgentChoice, Snippet, Suggestion, build_suggester
from .topics import TopicPrediction

TARGET_PRECISION = 0.95
MIN_ACCEPTED = 10  # a threshold must let at least this many held-back messages through to count as measured
HOLD_OUT_EVERY = 5  # every 5th agent choice is held back to measure precision


@dataclass(frozen=True)
class Outcome:
    """One held-back message: the top suggestion and its confidence, and the answer that was right."""

    confidence: float
    predicted: str | None  # the top suggestion (None: nothing suggested)
    right: str | None  # the canned answer the agent sent (None: no canned answer fitted)

    @property
    def correct(self) -> bool:
        return self.predicted == self.right


@dataclass(frozen=True)
class ThresholdChoice:
    threshold: float | None  # None: no threshold reaches the target precision on the held-back data
    precision: float  # measured at the threshold (0 when none)
    coverage: float  # share of held-back messages answered automatically at the threshold
    accepted: int  # held-back messages at or above the threshold
    held_back: int
    reason: str


@dataclass(frozen=True)
class Approval:
    """A canned answer approved for automatic use in a queue, with its measured threshold."""

    canned_id: str
    threshold: float | None
    enabled: bool = True  # False once the escalation rule switched it off


@dataclass(frozen=True)
class Decision:
    send: bool
    canned_id: str | None
    reason: str


def choose_threshold(
    outcomes: Sequence[Outcome], canned_id: str | None = None, *, target: float = TARGET_PRECISION,
    min_accepted: int = MIN_ACCEPTED,
) -> ThresholdChoice:
    """The lowest confidence at which precision over everything at or above it is ≥ target.

    Coverage is the share of held-back messages answered automatically; with `canned_id` only messages whose
    top suggestion is that snippet count, and coverage is over the held-back messages it was the answer to.
    """
    if canned_id is None:
        candidates = [o for o in outcomes if o.predicted is not None]
        relevant = len(outcomes)
    else:
        candidates = [o for o in outcomes if o.predicted == canned_id]
        relevant = sum(1 for o in outcomes if o.right == canned_id)
    candidates.sort(key=lambda o: -o.confidence)
    best: tuple[float, float, int, int] | None = None
    right = 0
    for i, outcome in enumerate(candidates, start=1):
        right += outcome.correct
        at_tie = i < len(candidates) and candidates[i].confidence == outcome.confidence
        if at_tie:
            continue  # a threshold admits all messages of equal confidence at once
        if i >= min_accepted and right / i >= target:
            best = (outcome.confidence, right / i, i, right)
    if best is None:
        return ThresholdChoice(None, 0.0, 0.0, 0, len(outcomes),
                               f"no threshold reaches {target:.0%} precision on {len(candidates)} held-back messages "
                               f"(at least {min_accepted} must pass it)")
    threshold, precision, accepted, hits = best
    coverage = (accepted if canned_id is None else hits) / relevant if relevant else 0.0
    return ThresholdChoice(threshold, precision, coverage, accepted, len(outcomes),
                           f"{precision:.1%} precise on {accepted} held-back messages at confidence ≥ {threshold:.3f}")


def outcomes_for(
    snippets: Iterable[Snippet], train: Iterable[AgentChoice], held_back: Iterable[tuple[str, str, str | None]],
) -> list[Outcome]:
    """Train suggestions on `train`, then score each held-back (text, language, right canned id or None)."""
    suggester = build_suggester(snippets, train)
    out = []
    for text, language, right in held_back:
        top = suggester.suggest(text, language, k=1)
        out.append(Outcome(top[0].confidence, top[0].canned_id, right) if top else Outcome(0.0, None, right))
    return out


def threshold_from_history(
    snippets: Sequence[Snippet], choices: Sequence[AgentChoice], canned_id: str | None = None, *,
    target: float = TARGET_PRECISION, min_accepted: int = MIN_ACCEPTED,
) -> ThresholdChoice:
    """Hold back every 5th agent choice, learn from the rest, and choose the threshold on the held-back ones.

    A held-back choice is in its `language`, else in its snippet's; free-text replies without a language are
    skipped (there is nothing to measure them in).
    """
    language_of = {s.id: s.language for s in snippets}
    train = [c for i, c in enumerate(choices) if i % HOLD_OUT_EVERY != HOLD_OUT_EVERY - 1]
    held = []
    for i, choice in enumerate(choices):
        language = choice.language or language_of.get(choice.canned_id or "")
        if i % HOLD_OUT_EVERY == HOLD_OUT_EVERY - 1 and language:
            held.append((choice.text, language, choice.canned_id))
    return choose_threshold(outcomes_for(snippets, train, held), canned_id, target=target, min_accepted=min_accepted)


def decide(
    suggestions: Sequence[Suggestion],
    *,
    language: str,
    topic: TopicPrediction | str | None,
    snippets: dict[str, Snippet],
    approvals: dict[str, Approval],
    excluded_topics: Collection[str],
    first_message: bool = True,
    exclusion_margin: float = 0.2,
) -> Decision:
    """Send the top suggestion automatically, or not, with the reason.

    Never for an excluded topic: neither when the message's topic is excluded, nor when an excluded topic
    still has `exclusion_margin` probability, nor when the snippet itself belongs to one.
    """
    if not first_message:
        return Decision(False, None, "only a conversation's first message is answered automatically")
    if not suggestions:
        return Decision(False, None, "no canned answer fits")
    top = suggestions[0]
    snippet = snippets.get(top.canned_id)
    approval = approvals.get(top.canned_id)
    if snippet is None or approval is None:
        return Decision(False, top.canned_id, f"{top.canned_id} is not approved for automatic answers")
    if not approval.enabled:
        return Decision(False, top.canned_id, f"{top.canned_id} was switched off for automatic answers")
    if approval.threshold is None:
        return Decision(False, top.canned_id, f"{top.canned_id} has no threshold with 95 % measured precision")
    if snippet.language != language:
        return Decision(False, top.canned_id, f"the answer is in {snippet.language}, the customer writes {language}")
    excluded = _excluded_topic(topic, snippet, excluded_topics, exclusion_margin)
    if excluded:
        return Decision(False, top.canned_id, f"topic {excluded} is excluded from automatic answers")
    if top.confidence < approval.threshold:
        return Decision(False, top.canned_id,
                        f"confidence {top.confidence:.3f} is below the threshold {approval.threshold:.3f}")
    return Decision(True, top.canned_id, f"confidence {top.confidence:.3f} ≥ threshold {approval.threshold:.3f}")


def _excluded_topic(
    topic: TopicPrediction | str | None, snippet: Snippet, excluded: Collection[str], margin: float
) -> str | None:
    if snippet.topic in excluded:
        return snippet.topic
    if isinstance(topic, str):
        return topic if topic in excluded else None
    if isinstance(topic, TopicPrediction):
        if topic.best in excluded:
            return topic.best
        risky = [t for t in excluded if topic.scores.get(t, 0.0) >= margin]
        return max(risky, key=lambda t: topic.scores[t]) if risky else None
    return None


@dataclass(frozen=True)
class EscalationVerdict:
    switch_off: bool
    rate: float  # escalations / automatic sends (0 with none sent)
    reason: str


def escalation_verdict(sent: int, escalated: int, *, max_rate: float, min_samples: int) -> EscalationVerdict:
    """Switch a snippet off when customers escalated after more than `max_rate` of at least `min_samples` sends.

    "Escalated" counts a request for a person or a return within a day after the automatic answer.
    """
    if sent < 0 or escalated < 0 or escalated > sent:
        raise ValueError(f"counts do not fit: {escalated} escalations of {sent} sends")
    if not 0.0 <= max_rate <= 1.0:
        raise ValueError(f"max_rate must be between 0 and 1, not {max_rate}")
    rate = escalated / sent if sent else 0.0
    if sent < min_samples:
        return EscalationVerdict(False, rate, f"only {sent} of {min_samples} sends needed to judge")
    if rate > max_rate:
        return EscalationVerdict(True, rate, f"{escalated} of {sent} customers escalated ({rate:.0%} > {max_rate:.0%})")
    return EscalationVerdict(False, rate, f"{escalated} of {sent} customers escalated ({rate:.0%} ≤ {max_rate:.0%})")


def wilson_lower(right: int, total: int, z: float = 1.96) -> float:
    """The lower end of the 95 % Wilson interval of a measured precision (how sure the measurement is)."""
    if total == 0:
        return 0.0
    p = right / total
    centre = p + z * z / (2 * total)
    spread = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total))
    return (centre - spread) / (1 + z * z / total)
