"""Hypothesis settings and payload strategies shared by the fuzz tests (tests/test_fuzz_*.py).

Profiles: ``ci`` (the default: bounded so the whole fuzz set stays around a minute in ``make test``)
and ``long`` (a campaign: ``HYPOTHESIS_PROFILE=long .venv/bin/python -m pytest tests/test_fuzz_*.py``,
fifty times the examples, no per-example deadline, failures kept in ``.hypothesis/`` to replay).
Each test names its own budget of examples for ``ci``; ``long`` multiplies it.
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "webhooks"
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")
SCALE = {"ci": 1, "long": 50}.get(PROFILE, 1)


def fuzz(examples: int) -> settings:
    """Settings for a fuzz test worth ``examples`` examples in the ci profile."""
    return settings(
        max_examples=examples * SCALE,
        deadline=None,  # a gateway round trip varies with the machine's load; the test's timeout bounds it
        database=None if PROFILE == "ci" else settings.default.database,  # ci writes nothing into the checkout
        derandomize=PROFILE == "ci",  # make test sees the same examples every run; a campaign explores
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                               HealthCheck.data_too_large, HealthCheck.filter_too_much],
        print_blob=True,
    )


def recorded(prefix: str) -> list[Any]:
    """The recorded webhook payloads of one platform (``payload`` of each fixture named ``<prefix>_*.json``)."""
    out = []
    for path in sorted(FIXTURES.glob(f"{prefix}_*.json")):
        data = json.loads(path.read_text())
        payload = data.get("payload", data) if isinstance(data, dict) else data
        # requests and answers of our own API calls are no webhooks
        if "error" in path.stem or "send_" in path.stem:
            continue
        out.append(payload)
    return out


# JSON values: what a platform (or somebody pretending to be one) could post
SCALARS = (st.none() | st.booleans() | st.integers(min_value=-(2**63), max_value=2**64)
           | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=40))
JSON = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=5),
                    max_leaves=25)


@st.composite
def mutated(draw: st.DrawFn, payloads: list[Any]) -> Any:
    """One of ``payloads`` with a few of its nodes replaced, removed or re-typed."""
    payload = draw(st.sampled_from(payloads))
    return _mutate(draw, json.loads(json.dumps(payload)), depth=0)


def _mutate(draw: st.DrawFn, node: Any, depth: int) -> Any:
    choice = draw(st.integers(min_value=0, max_value=9))
    if choice == 0 and depth > 0:
        return draw(JSON)  # this whole subtree becomes anything
    if choice == 1 and depth > 0:
        return draw(SCALARS)  # an object or list where a scalar was, or the other way round
    if isinstance(node, dict) and node:
        keys = sorted(node)
        if choice == 2:
            node.pop(draw(st.sampled_from(keys)))
            return node
        if choice == 3:
            node[draw(st.text(max_size=10))] = draw(JSON)
            return node
        key = draw(st.sampled_from(keys))
        node[key] = _mutate(draw, node[key], depth + 1)
        return node
    if isinstance(node, list) and node:
        if choice == 2:
            return []
        if choice == 3:
            return node + node  # a batch that repeats itself
        i = draw(st.integers(min_value=0, max_value=len(node) - 1))
        node[i] = _mutate(draw, node[i], depth + 1)
        return node
    return draw(SCALARS) if choice < 5 else node


def payloads(prefix: str) -> st.SearchStrategy[Any]:
    """Random JSON, and the recorded payloads of ``prefix`` mutated (the more telling half)."""
    found = recorded(prefix)
    return st.one_of(JSON, mutated(found)) if found else JSON


def as_body(value: Any) -> bytes:
    """The HTTP body of a fuzzed value: JSON for structured values; raw bytes stay bytes."""
    if isinstance(value, bytes):
        return value
    return json.dumps(value).encode()


BODIES = st.one_of(st.binary(max_size=200), st.text(max_size=200).map(str.encode))


async def explore(config: settings, strategy: st.SearchStrategy[Any], check, per_example_s: float = 30.0) -> None:
    """Run the async ``check(value)`` on values of ``strategy`` as one hypothesis test (shrinking included).

    Hypothesis drives the examples from a worker thread; each one runs on this event loop (where the
    gateway under test lives), so the loop stays free between them."""
    loop = asyncio.get_running_loop()

    @config
    @given(strategy)
    def run(value: Any) -> None:
        asyncio.run_coroutine_threadsafe(check(value), loop).result(timeout=per_example_s)

    await asyncio.to_thread(run)
