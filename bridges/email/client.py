"""A thin SMTP client (aiosmtplib): one connection per mail, the server's answers mapped to the
error trio. It never retries by itself: the gateway's outbox decides, and so a mail is handed to
the server at most once per call.
"""

from __future__ import annotations

import ssl
from email.message import EmailMessage

import aiosmtplib

from bridges.base import AuthFailed, Fatal, NotReady
from bridges.email.config import TLS_MODES, EmailConfig

TIMEOUT_S = 30.0  # per SMTP command; a server slower than this is "not ready", tried again later
AUTH_CODES = frozenset({530, 535})  # 530: a login is required; 535: the login was refused


class SmtpClient:
    """Sends through the channel's SMTP server with its TLS mode and login."""

    def __init__(self, config: EmailConfig) -> None:
        self.config = config

    async def send(self, msg: EmailMessage, sender: str, recipient: str) -> str:
        """Hand ``msg`` to the server for ``recipient`` (envelope from ``sender``, where bounces go);
        the server's answer to DATA. NotReady / AuthFailed / Fatal from what the server said."""
        c = self.config
        if not c.smtp_host:
            raise AuthFailed("no SMTP server configured (smtp_host)")
        if c.smtp_tls not in TLS_MODES:
            raise AuthFailed(f"smtp_tls must be one of {', '.join(TLS_MODES)}, not {c.smtp_tls!r}")
        smtp = aiosmtplib.SMTP(
            hostname=c.smtp_host, port=c.smtp_port, timeout=TIMEOUT_S,
            use_tls=c.smtp_tls == "tls",
            start_tls=c.smtp_tls == "starttls",  # "none" says False: no upgrade even when offered
            username=c.smtp_username or None, password=c.smtp_password or None,
        )
        try:
            async with smtp:
                _, answer = await smtp.send_message(msg, sender=sender, recipients=[recipient])
        except aiosmtplib.SMTPRecipientsRefused as err:
            first = err.recipients[0] if err.recipients else None
            raise _answer(first.code if first else 550, first.message if first else "recipient refused") from err
        except aiosmtplib.SMTPResponseException as err:  # every refusal with a code, also at connect
            raise _answer(err.code, err.message) from err
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as err:
            raise _unanswered(err) from err
        except ValueError as err:  # an address the email package or aiosmtplib will not put on the wire
            raise Fatal(f"cannot be sent: {err}", code="bad_address") from err
        return answer


def _unanswered(err: BaseException) -> Exception:
    """The bridge error when the server gave no code: down, silent, or not what the config says."""
    words = " ".join(str(err).split())
    untrusted = _cause(err, ssl.SSLCertVerificationError)
    if untrusted is not None:  # a wrong or self-signed certificate: only the config can fix it
        return AuthFailed(f"SMTP server's certificate not trusted: {untrusted.verify_message}")
    if "non-ASCII" in words:  # this one customer's address needs SMTPUTF8, which the server lacks
        return Fatal(f"SMTP server: {words}", code="smtputf8")
    if isinstance(err, aiosmtplib.SMTPNotSupported) or "not supported by server" in words:
        # the server lacks what the config asks for (STARTTLS, AUTH): no retry can fix that
        return AuthFailed(f"SMTP server: {words} (check smtp_tls and the login)")
    return NotReady(f"SMTP server unreachable ({type(err).__name__}: {words})")  # refused, reset, timed out


def _cause(err: BaseException | None, kind: type[ssl.SSLCertVerificationError]) -> ssl.SSLCertVerificationError | None:
    """``err`` or the error it was raised from, when of ``kind`` (aiosmtplib wraps TLS errors)."""
    seen = 0
    while err is not None and seen < 5:
        if isinstance(err, kind):
            return err
        err, seen = err.__cause__ or err.__context__, seen + 1
    return None


def _answer(code: int, message: str) -> Exception:
    """The bridge error for a refused command: 4xx try again later, 5xx never, a refused login holds."""
    words = " ".join(str(message).split())
    if code in AUTH_CODES:
        return AuthFailed(f"SMTP login refused: {code} {words}")
    if 400 <= code < 500 or code < 0:  # aiosmtplib uses -1 for a connection lost mid-command
        return NotReady(f"SMTP {code} {words}")
    return Fatal(words or f"refused ({code})", code=str(code))
