"""Erlang B and C, numerically stable: the Erlang B recurrence, no factorials or powers.

``B(0) = 1; B(n) = A·B(n-1) / (n + A·B(n-1))`` stays in [0, 1] at every step, so it holds for
10,000 agents and beyond; Erlang C follows from B. Traffic ``A`` is in Erlangs
(arrival rate × average handle time).
"""

from __future__ import annotations

import math


def erlang_b(agents: int, traffic: float) -> float:
    """Blocking probability with ``agents`` servers and ``traffic`` Erlangs offered."""
    if agents < 0 or traffic < 0:
        raise ValueError("agents and traffic must be >= 0")
    b = 1.0
    for n in range(1, agents + 1):
        b = traffic * b / (n + traffic * b)
    return b


def _c_from_b(agents: int, traffic: float, b: float) -> float:
    if agents <= traffic:
        return 1.0
    return agents * b / (agents - traffic * (1.0 - b))


def erlang_c(agents: int, traffic: float) -> float:
    """Probability that a contact has to wait (1.0 when agents <= traffic: the queue grows)."""
    return _c_from_b(agents, traffic, erlang_b(agents, traffic))


def service_level(agents: int, traffic: float, aht_s: float, threshold_s: float) -> float:
    """Share of contacts answered within ``threshold_s``."""
    if agents <= traffic:
        return 0.0
    pw = erlang_c(agents, traffic)
    return 1.0 - pw * math.exp(-(agents - traffic) * threshold_s / aht_s)


def asa(agents: int, traffic: float, aht_s: float) -> float:
    """Average speed of answer in seconds (inf when agents <= traffic)."""
    if agents <= traffic:
        return math.inf
    return erlang_c(agents, traffic) * aht_s / (agents - traffic)


def agents_needed(traffic: float, aht_s: float, threshold_s: float, target: float, limit: int = 100_000) -> int:
    """Fewest agents whose service level reaches ``target`` (0 without traffic)."""
    if traffic <= 0:
        return 0
    b = 1.0
    for n in range(1, limit + 1):
        b = traffic * b / (n + traffic * b)  # B(n), carried along instead of recomputed
        if n > traffic:
            pw = _c_from_b(n, traffic, b)
            if 1.0 - pw * math.exp(-(n - traffic) * threshold_s / aht_s) >= target:
                return n
    raise ValueError(f"no agent count up to {limit} reaches the target")


def traffic(contacts: float, period_s: float, aht_s: float) -> float:
    """Erlangs offered by ``contacts`` arriving in ``period_s`` with handle time ``aht_s``."""
    return contacts / period_s * aht_s
