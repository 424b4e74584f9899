"""Every bridge's webhook parsing and the email parser, fuzzed (hypothesis): random payloads and the
recorded fixtures mutated. A body is either refused as ``Malformed`` (the route answers 400 and keeps
nothing) or split into deliveries whose ``parse`` yields canonical events — never another exception,
which the ingest worker would retry twenty times and then drop.
"""

from __future__ import annotations

import dataclasses
import typing
from typing import Any

import pytest
from fuzz_helpers import BODIES, JSON, SCALE, as_body, fuzz, payloads
from hypothesis import example, given
from hypothesis import strategies as st

from bridges.base import Malformed
from bridges.dialer import DialOutcome
from bridges.dialer_webhook.inbound import parse_report
from bridges.email import inbound as email_inbound
from bridges.events import Event
from bridges.registry import BRIDGES
from gateway.webhooks.channels import bridge_config

pytestmark = pytest.mark.timeout(120 * SCALE)  # a long campaign (HYPOTHESIS_PROFILE=long) runs longer
EVENT_TYPES = typing.get_args(Event)

# the fixtures' file prefix of each bridge type (their recorded webhooks); email has its own strategy
PREFIX = {"telegram": "telegram", "whatsapp": "whatsapp", "messenger": "messenger", "slack": "slack"}


def bridge(kind: str, **settings: Any):
    """A bridge of ``kind`` with demo secrets (parsing needs no network: the HTTP session is never used)."""
    spec = BRIDGES[kind]
    names = {f.name for f in dataclasses.fields(spec.config)}
    values = {n: "fuzz-secret" for n in ("secret", "token", "app_secret", "verify_token", "signing_secret") if n in names}
    return spec.factory(spec.config(**values, **settings), None)


def events_of(b, body: bytes) -> list[Event]:
    """What the route and the ingest worker do with a verified body, asserting the bridge's contract."""
    try:
        deliveries = b.deliveries(body)
    except Malformed as err:
        assert str(err), "a Malformed needs a reason the platform can read"
        return []
    assert isinstance(deliveries, list)
    out: list[Event] = []
    for delivery_id, unit in deliveries:
        assert isinstance(delivery_id, str) and delivery_id, delivery_id
        events = b.parse(unit)
        assert isinstance(events, list)
        for event in events:
            assert isinstance(event, EVENT_TYPES), event
            thread = getattr(event, "thread", "")
            assert isinstance(thread, str)
        out.extend(events)
    return out


def _json_kinds() -> list[str]:
    return [k for k in BRIDGES if k != "email"]


@pytest.mark.parametrize("kind", _json_kinds())
def test_a_json_bridge_reads_any_body_or_refuses_it(kind):
    b = bridge(kind)

    @fuzz(1500)
    @given(st.one_of(payloads(PREFIX.get(kind, kind)).map(as_body), BODIES))
    @example(b"")
    @example(b"null")
    @example(b"[]")
    @example(b'"text"')
    @example(b"\xff\xfe")
    def check(body: bytes) -> None:
        events_of(b, body)

    check()


def test_telegram_groups_allowed_reads_any_body():
    """Group chats take another path through the parser (forum topics, group titles)."""
    b = bridge("telegram", allow_groups=True)

    @fuzz(600)
    @given(payloads("telegram").map(as_body))
    def check(body: bytes) -> None:
        events_of(b, body)

    check()


# --- email: raw MIME ----------------------------------------------------------------------------

HEADER_NAMES = ("From", "To", "Cc", "Reply-To", "Subject", "Message-ID", "In-Reply-To", "References", "Date",
                "Content-Type", "Content-Transfer-Encoding", "Content-Disposition", "Auto-Submitted",
                "Precedence", "X-Autoreply", "Return-Path", "Delivered-To", "Thread-Index", "MIME-Version")
HEADER_VALUES = st.one_of(
    st.text(max_size=60).map(lambda s: s.replace("\r", " ").replace("\n", " ")),
    st.sampled_from([
        "Kim <kim@kunde.example>", "=?utf-8?b?S8O2bmln?= <k@x.example>", "=?utf-8?q?broken", "<>", "<a@b>",
        "undisclosed-recipients:;", "\"a, b\" <c@d.example>, e@f.example", "MAILER-DAEMON@mx.example",
        "multipart/mixed; boundary=\"b1\"", "multipart/alternative; boundary=b2", "text/plain; charset=utf-8",
        "text/html; charset=\"unknown-8bit\"", "text/plain; charset=x-nonsense", "multipart/report; report-type=delivery-status; boundary=b3",
        "message/delivery-status", "message/rfc822", "application/pdf; name=\"a.pdf\"", "image/png",
        "base64", "quoted-printable", "8bit", "x-uuencode", "attachment; filename=\"../../etc/passwd\"",
        "attachment; filename*=utf-8''%E2%82%AC.txt", "inline", "auto-replied", "bulk",
        "Mon, 1 Jan 2024 10:00:00 +0100", "Thu, 31 Feb 99999 99:99:99 +9999", "not a date",
        "<1@a> <2@b>", "<" + "x" * 300 + "@y>",
    ]),
)
BODY_LINES = st.one_of(
    st.text(max_size=80),
    st.sampled_from(["--b1", "--b1--", "--b2", "--b2--", "--b3", "Content-Type: text/plain", "Content-Type: text/html",
                     "Content-Type: message/delivery-status", "Final-Recipient: rfc822; kim@kunde.example",
                     "Action: failed", "Status: 5.1.1", "Original-Recipient: rfc822;x", "",
                     "<html><body><p>Hallo</p><blockquote>quoted</blockquote><script>x()</script></body></html>",
                     "Am 01.01.2024 um 10:00 schrieb Support <support@demo.example>:", "> quoted line",
                     "On Mon, Jan 1, 2024 at 10:00 AM Support wrote:", "=E2=82=AC=", "SGVsbG8=", "===",
                     "Content-Transfer-Encoding: base64", "Content-Disposition: attachment; filename=a.txt",
                     "[ref:abc.def]", "-- ", "begin 644 a.txt"]),
)


@st.composite
def mails(draw: st.DrawFn) -> bytes:
    """A raw mail: a random set of headers (well-formed or not) and a body of MIME-ish lines."""
    headers = draw(st.lists(st.tuples(st.sampled_from(HEADER_NAMES), HEADER_VALUES), max_size=12))
    lines = draw(st.lists(BODY_LINES, max_size=25))
    text = "".join(f"{n}: {v}\r\n" for n, v in headers) + "\r\n" + "\r\n".join(lines)
    raw = text.encode("utf-8", "surrogateescape")
    if draw(st.booleans()):  # byte-level damage: a cut, a stray byte, a NUL
        cut = draw(st.integers(min_value=0, max_value=len(raw)))
        raw = raw[:cut] + draw(st.binary(max_size=8)) + raw[cut:]
    return raw


GOOD_MAIL = (b"From: Kim <kim@kunde.example>\r\nTo: support@demo.example\r\nSubject: Rechnung\r\n"
             b"Message-ID: <m1@kunde.example>\r\nMIME-Version: 1.0\r\n"
             b"Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
             b"Hallo, meine Rechnung fehlt.\r\n--b1\r\nContent-Type: application/pdf; name=\"a.pdf\"\r\n"
             b"Content-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename=\"a.pdf\"\r\n\r\nJVBERi0xLjQK\r\n--b1--\r\n")


@st.composite
def damaged(draw: st.DrawFn, raw: bytes) -> bytes:
    """``raw`` with a few bytes replaced, removed or inserted."""
    out = bytearray(raw)
    for _ in range(draw(st.integers(min_value=1, max_value=6))):
        i = draw(st.integers(min_value=0, max_value=len(out)))
        op = draw(st.integers(min_value=0, max_value=2))
        if op == 0 and i < len(out):
            out[i] = draw(st.integers(min_value=0, max_value=255))
        elif op == 1:
            del out[i:i + draw(st.integers(min_value=1, max_value=40))]
        else:
            out[i:i] = draw(st.binary(min_size=1, max_size=8))
    return bytes(out)


def test_the_email_parser_reads_any_mail_or_refuses_it():
    b = bridge("email")

    @fuzz(1200)
    @given(st.one_of(mails(), damaged(GOOD_MAIL), BODIES))
    @example(GOOD_MAIL)
    @example(b"From: <>\r\n\r\n")
    @example(b"\r\n\r\n")
    def check(raw: bytes) -> None:
        events_of(b, raw)
        email_inbound.parse(raw)  # the SMTP listener hands mail straight to parse

    check()


# --- the callback dialer's progress reports ---------------------------------------------------------

def test_a_dialer_report_is_read_or_refused():
    @fuzz(800)
    @given(st.one_of(
        st.fixed_dictionaries({"attempt_id": JSON, "status": st.sampled_from(["ringing", "answered", "failed", "x"]) | JSON},
                              optional={"reason": JSON}).map(as_body),
        JSON.map(as_body), BODIES))
    def check(body: bytes) -> None:
        try:
            outcome = parse_report(body)
        except Malformed as err:
            assert str(err)
            return
        assert isinstance(outcome, DialOutcome) and outcome.attempt_id

    check()


def test_bridge_config_is_what_the_gateway_builds():
    """The fuzzed bridges are built like the gateway's (the same config fields, by name)."""
    from conftest import DEMO_CONFIG

    from gateway.config import load_config

    config = load_config(DEMO_CONFIG, env={})
    for channel in config.tenants["demo"].channels.values():
        spec = BRIDGES.get(channel.type)
        if spec is not None:
            assert isinstance(bridge_config(spec, channel), spec.config)
