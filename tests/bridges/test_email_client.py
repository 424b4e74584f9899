"""Sending against a real SMTP server on loopback (aiosmtpd) that answers as relays do: a mail
taken once, 451 then 250, 550, a refused login, STARTTLS and implicit TLS, a server that is down
or silent, each mapped to what the gateway's outbox does next."""

from __future__ import annotations

import asyncio
import socket
import ssl
import subprocess
import warnings
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from bridges.base import AuthFailed, Fatal, Health, NotReady, Outbound
from bridges.email import EmailBridge, EmailConfig, client

pytestmark = pytest.mark.timeout(20)


@dataclass
class Relay:
    """The tenant's SMTP server: what it accepted, and scripted refusals for the next commands."""

    script: dict[str, list[str]] = field(default_factory=dict)  # command -> replies to give first
    accepted: list[Envelope] = field(default_factory=list)
    data_attempts: int = 0
    logins: list[tuple[str, str]] = field(default_factory=list)
    tls: list[bool] = field(default_factory=list)  # per accepted mail: did it travel encrypted
    port: int = 0

    def _next(self, command: str) -> str | None:
        replies = self.script.get(command) or []
        return replies.pop(0) if replies else None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if refusal := self._next("RCPT"):
            return refusal
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 Ok"

    async def handle_DATA(self, server, session: Session, envelope: Envelope):
        self.data_attempts += 1
        if refusal := self._next("DATA"):
            return refusal
        self.accepted.append(envelope)
        self.tls.append(server.transport.get_extra_info("ssl_object") is not None)
        return "250 2.0.0 Ok: queued as 4Z1Kp20x3Bz9G"

    def authenticate(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        assert isinstance(auth_data, LoginPassword)
        login = (auth_data.login.decode(), auth_data.password.decode())
        self.logins.append(login)
        ok = login == ("support@demo.example", "app-password")
        return AuthResult(success=ok, handled=False)  # aiosmtpd answers: 235, or 535 5.7.8


@pytest.fixture(scope="module")
def certificate(tmp_path_factory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (the relay's STARTTLS and implicit TLS)."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True, timeout=30)
    return cert, key


async def serve(relay: Relay, *, auth: bool = False, tls: ssl.SSLContext | None = None,
                implicit_tls: bool = False) -> asyncio.Server:
    def factory() -> SMTP:
        with warnings.catch_warnings():  # AUTH without TLS: aiosmtpd warns, and loopback is what we test
            warnings.simplefilter("ignore", UserWarning)
            return SMTP(relay, hostname="relay.test", authenticator=relay.authenticate if auth else None,
                        auth_require_tls=False, tls_context=None if implicit_tls else tls)
    server = await asyncio.get_running_loop().create_server(factory, "127.0.0.1", 0,
                                                            ssl=tls if implicit_tls else None)
    relay.port = server.sockets[0].getsockname()[1]
    return server


@pytest.fixture
async def relay() -> AsyncIterator[Relay]:
    relay = Relay()
    server = await serve(relay)
    yield relay
    server.close()
    await server.wait_closed()


def bridge(port: int, tls: str = "none", username: str = "", password: str = "") -> EmailBridge:
    return EmailBridge(EmailConfig(address="support@demo.example", display_name="Demo GmbH", smtp_host="127.0.0.1",
                                   smtp_port=port, smtp_tls=tls, smtp_username=username, smtp_password=password))


def reply(text: str = "Der Techniker kommt am Freitag.") -> Outbound:
    return Outbound(thread="kim.lee@gmail.com", text=text, client_id="c1", context={
        "from": "support@demo.example", "from_name": "Demo GmbH", "subject": "AW: Router",
        "message_id": "<c.42.m.8.sig@demo.example>", "in_reply_to": "<k.1@gmail.com>", "references": ["<k.1@gmail.com>"],
        "reply_to": "support+Tk9.1@demo.example", "language": "de"})


async def test_a_reply_is_handed_to_the_server_once(relay):
    mailer = bridge(relay.port)
    assert mailer.health is Health.CONNECTING
    sent = await mailer.send(reply())
    assert sent.message_id == "c.42.m.8.sig@demo.example" and "queued as 4Z1Kp20x3Bz9G" in sent.raw
    [envelope] = relay.accepted
    assert (envelope.mail_from, envelope.rcpt_tos) == ("support@demo.example", ["kim.lee@gmail.com"])
    received = BytesParser(policy=policy.default).parsebytes(envelope.original_content or b"")
    assert received["Message-ID"] == "<c.42.m.8.sig@demo.example>" and received["In-Reply-To"] == "<k.1@gmail.com>"
    assert "Der Techniker kommt am Freitag." in received.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert mailer.health is Health.OK


async def test_451_then_250_is_not_ready_then_sent_exactly_once(relay):
    relay.script["DATA"] = ["451 4.3.0 Temporary lookup failure, try again later"]
    mailer = bridge(relay.port)
    with pytest.raises(NotReady, match="451 4.3.0 Temporary lookup failure"):
        await mailer.send(reply())
    assert (relay.data_attempts, relay.accepted) == (1, [])  # no retry hidden inside one call
    assert mailer.health is Health.TRANSIENT_ERROR
    await mailer.send(reply())
    assert (relay.data_attempts, len(relay.accepted)) == (2, 1)
    assert mailer.health is Health.OK


async def test_a_greylisting_451_at_rcpt_is_not_ready(relay):
    relay.script["RCPT"] = ["451 4.7.1 Greylisted, please try again in 300 seconds"]
    with pytest.raises(NotReady, match="Greylisted"):
        await bridge(relay.port).send(reply())
    assert relay.data_attempts == 0


async def test_550_is_fatal_with_the_servers_words(relay):
    relay.script["RCPT"] = ["550 5.1.1 <kim.lee@gmail.com>: Recipient address rejected: User unknown"]
    mailer = bridge(relay.port)
    with pytest.raises(Fatal) as info:
        await mailer.send(reply())
    assert info.value.code == "550"
    assert info.value.reason == "5.1.1 <kim.lee@gmail.com>: Recipient address rejected: User unknown"
    assert relay.accepted == [] and mailer.health is Health.OK  # the server works; this mail never will


async def test_554_after_data_is_fatal(relay):
    relay.script["DATA"] = ["554 5.7.1 Message rejected as spam"]
    with pytest.raises(Fatal, match="rejected as spam") as info:
        await bridge(relay.port).send(reply())
    assert info.value.code == "554"


async def test_login_is_used_and_a_refused_login_holds_the_channel():
    relay = Relay()
    server = await serve(relay, auth=True)
    try:
        await bridge(relay.port, username="support@demo.example", password="app-password").send(reply())
        assert len(relay.accepted) == 1
        mailer = bridge(relay.port, username="support@demo.example", password="wrong")
        with pytest.raises(AuthFailed, match="535"):
            await mailer.send(reply())
        assert mailer.health is Health.AUTH_FAILED and len(relay.accepted) == 1
        assert relay.logins[-1] == ("support@demo.example", "wrong")
    finally:
        server.close()
        await server.wait_closed()


async def test_an_address_the_server_cannot_take_fails_only_that_mail(relay):
    mailer = bridge(relay.port)
    with pytest.raises(Fatal) as info:  # a non-ASCII domain needs SMTPUTF8, which this relay lacks
        await mailer.send(Outbound(thread="kim@bücher.example", text="Hallo", client_id="c2",
                                   context={"from": "support@demo.example"}))
    assert info.value.code == "smtputf8" and mailer.health is Health.OK
    with pytest.raises(Fatal) as info:  # a non-ASCII mailbox name: the email package refuses it
        await mailer.send(Outbound(thread="jürgen@beispiel.de", text="Hallo", client_id="c3",
                                   context={"from": "support@demo.example"}))
    assert info.value.code == "bad_address"
    await mailer.send(reply())
    assert len(relay.accepted) == 1


async def test_a_server_that_is_down_is_not_ready():
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    mailer = bridge(port)
    with pytest.raises(NotReady, match="unreachable"):
        await mailer.send(reply())
    assert mailer.health is Health.TRANSIENT_ERROR


async def test_a_silent_server_times_out_as_not_ready(monkeypatch):
    monkeypatch.setattr(client, "TIMEOUT_S", 0.3)
    held: list[asyncio.StreamWriter] = []
    server = await asyncio.start_server(lambda r, w: held.append(w), "127.0.0.1", 0)  # accepts, never greets
    try:
        with pytest.raises(NotReady):
            await bridge(server.sockets[0].getsockname()[1]).send(reply())
    finally:
        for writer in held:
            writer.close()
        server.close()
        await server.wait_closed()


async def test_starttls_asked_but_not_offered_holds_the_channel(relay):
    mailer = bridge(relay.port, tls="starttls")
    with pytest.raises(AuthFailed, match="smtp_tls"):
        await mailer.send(reply())
    assert relay.accepted == []  # never sent in the clear when encryption was asked for


def server_context(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    return context


@pytest.mark.parametrize(("mode", "implicit"), [("starttls", False), ("tls", True)])
async def test_encrypted_sending(certificate, monkeypatch, mode, implicit):
    relay = Relay()
    server = await serve(relay, tls=server_context(certificate), implicit_tls=implicit)
    try:
        with pytest.raises(AuthFailed, match="certificate"):  # an untrusted server gets no mail
            await bridge(relay.port, tls=mode).send(reply())
        assert relay.accepted == []
        monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))  # now the system trusts it
        await bridge(relay.port, tls=mode).send(reply())
        assert relay.tls == [True]
    finally:
        server.close()
        await server.wait_closed()


async def test_an_unknown_tls_mode_is_refused_without_a_connection(relay):
    with pytest.raises(AuthFailed, match="smtp_tls"):
        await bridge(relay.port, tls="ssl").send(reply())
    assert relay.data_attempts == 0
