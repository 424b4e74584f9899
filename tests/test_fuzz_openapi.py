"""schemathesis against GET /api/v1/openapi.json of a running gateway (real HTTP, real Redis, the
history database): every documented operation called with generated requests (valid ones and invalid ones), as sam (the demo
tenant's supervisor and admin). No answer is a 5xx, and every answer matches what the document
says of it: a documented status, its content type and its schema.
"""

from __future__ import annotations

import asyncio
import os

import pytest
import schemathesis
from conftest import DEMO_CONFIG
from fuzz_helpers import PROFILE, SCALE
from history_helpers import history_gateway
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from gateway.config import load_config

pytestmark = pytest.mark.timeout(300 * SCALE)
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
# operations that would end the run's own login, or wait on the network by design
SKIP = {("POST", "/api/v1/logout")}
EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "12")) * SCALE


def _run(base: str, token: str) -> list[str]:
    """Every operation, ``EXAMPLES`` generated requests each; the failures, one line per operation."""
    schema = schemathesis.openapi.from_url(f"{base}/api/v1/openapi.json")
    failures: list[str] = []
    for result in schema.get_all_operations():
        op = result.ok()
        if (op.method.upper(), op.path) in SKIP:
            continue

        headers = {"Authorization": f"Bearer {token}"} if op.definition.raw.get("security") else {}
        check = _check(op, base, headers)
        try:
            check()
        except (Exception, BaseExceptionGroup) as err:  # every operation is tried; the failures are reported together
            failures.append(f"{op.method.upper()} {op.path}: {_describe(err)}")
    return failures


def _check(op, base: str, headers: dict):
    """The hypothesis test of one operation: generated valid and invalid requests, each one validated."""

    @settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck),
              derandomize=PROFILE == "ci")
    @given(op.as_strategy(generation_mode=GenerationMode.POSITIVE)
           | op.as_strategy(generation_mode=GenerationMode.NEGATIVE))
    def check(case) -> None:
        case.call_and_validate(base_url=base, headers=headers, checks=CHECKS, timeout=10)

    return check


def _describe(err: BaseException) -> str:
    parts = err.exceptions if isinstance(err, BaseExceptionGroup) else (err,)
    return " | ".join(" ".join(str(p).split())[:400] for p in parts)


async def test_the_api_answers_as_its_openapi_document_says(redis, redis_url, history_db, database_url):
    config = load_config(DEMO_CONFIG, env={})
    for channel in config.tenants["demo"].channels.values():
        channel.api_base = "http://127.0.0.1:9"
        channel.listen_host = ""
    async with history_gateway(config, redis_url, database_url) as gw:
        token = (await gw.login("sam"))["token"]
        failures = await asyncio.to_thread(_run, gw.url, token)
    assert failures == [], "\n\n".join(failures)
