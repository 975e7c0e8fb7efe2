"""The Relay port on SMTP (stdlib smtplib): notifications leave through the help desk's own mail servers when
Gmail may not send them.

One connection per message: connect, EHLO, STARTTLS, EHLO again, AUTH, MAIL/RCPT/DATA, QUIT. With
`starttls=True` (the default) nothing is sent in the clear: a relay that does not offer STARTTLS is refused before
any credential or mail leaves this process, and the certificate is verified (`ssl_context`, default: the system's
trust store). The password is read from its callable (e.g. Secrets) only when authenticating, so it never sits in
configuration, in this object or in a log line. Message bodies are never logged either.

Errors, by what the caller should do:
- TransientError, worth retrying: 4xx answers, a dropped connection, nothing listening, timeouts, TLS failures.
- RelayRejected, not worth retrying: 5xx answers, authentication refused, no STARTTLS, every recipient refused.
- RecipientsRefused (a RelayRejected) when the relay took the message for some recipients but not others: the
  accepted ones have their copy, so retrying the whole message would send them a duplicate. It is raised after
  the message went and names the refused addresses, for the caller to report.
- DeliveryUncertain when the whole message, with its final ".", was sent but the connection failed before the
  relay answered (relays that scan content after DATA do this): it may have been accepted, so it is not retried.
"""

from __future__ import annotations

import logging
import re
import smtplib
import ssl
from collections.abc import Callable, Sequence
from typing import Any

from gmail_tickets.domain.model import unique_addresses
from gmail_tickets.errors import DeliveryUncertain, RelayRejected, TransientError
from gmail_tickets.ports import Secrets
from gmail_tickets.secret_names import RELAY_PASSWORD

log = logging.getLogger(__name__)

_LINE_ENDING = re.compile(rb"\r\n|\r|\n")


class RecipientsRefused(RelayRejected):
    """The relay accepted the message for some recipients and refused the others: do not resend it.

    `refused` maps each refused address to the relay's (code, reply); `accepted` lists those that got the mail.
    A caller wanting to retry may resend to the refused addresses whose code is 4xx, and to those only.
    """

    def __init__(self, refused: dict[str, tuple[int, str]], accepted: Sequence[str]) -> None:
        detail = ", ".join(f"{address} ({code} {reply})" for address, (code, reply) in refused.items())
        super().__init__(f"relay delivered to {len(accepted)} recipient(s) but refused {detail}")
        self.refused = refused
        self.accepted = tuple(accepted)


class _SMTP(smtplib.SMTP):
    """smtplib's client, noting when the message's final "." has left: from then on, a failure before the relay's
    answer leaves the outcome unknown, where before it the relay certainly discarded the partial message."""

    payload_sent = False
    _in_data = False

    def data(self, msg: Any) -> tuple[int, bytes]:
        self._in_data = True
        try:
            return super().data(msg)
        finally:
            self._in_data = False

    def send(self, s: bytes | str) -> None:
        super().send(s)
        if self._in_data and isinstance(s, bytes) and s.endswith(b"\r\n.\r\n"):
            self.payload_sent = True


def to_crlf(raw: bytes) -> bytes:
    """SMTP wants CRLF line endings; many relays refuse bare LF (an SMTP-smuggling defence), so normalise."""
    return _LINE_ENDING.sub(b"\r\n", raw)


def _reply(reply: bytes | str) -> str:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    return " ".join(text.split())


class SmtpRelay:
    """Send RFC 822 bytes through an SMTP relay (submission port 587 with STARTTLS and AUTH, typically).

    `password` is a callable so the secret is fetched per send (rotations apply without a restart) and never
    stored here; it is called only when the relay is about to receive it, over TLS unless `starttls=False`.
    `starttls=False` is for a trusted local relay only (e.g. localhost): it sends everything in the clear.
    `timeout` bounds each network operation (connect, each reply), not the whole send.
    """

    def __init__(
        self,
        host: str,
        port: int = 587,
        *,
        username: str | None = None,
        password: Callable[[], str | None] | None = None,
        starttls: bool = True,
        timeout: float = 30.0,
        ssl_context: ssl.SSLContext | None = None,
        local_hostname: str | None = None,
    ) -> None:
        if username and password is None:
            raise ValueError("a relay username needs a password callable")
        self.host = host
        self.port = port
        self.username = username
        self._password = password
        self.starttls = starttls
        self.timeout = timeout
        self.ssl_context = ssl_context
        self.local_hostname = local_hostname

    @classmethod
    def from_secrets(cls, host: str, port: int, username: str, secrets: Secrets, **options: Any) -> SmtpRelay:
        """A relay whose password is the RELAY_PASSWORD secret, read at each send (so a rotation just works)."""
        return cls(host, port, username=username, password=lambda: secrets.get(RELAY_PASSWORD), **options)

    def __repr__(self) -> str:
        return f"SmtpRelay({self.host!r}, {self.port!r}, username={self.username!r}, starttls={self.starttls!r})"

    @property
    def _where(self) -> str:
        return f"{self.host}:{self.port}"

    def send(self, raw: bytes, sender: str, recipients: Sequence[str]) -> None:
        """Hand the mail to the relay; returns once it answered 250 to DATA. See the module docstring for errors."""
        recipients = list(unique_addresses(recipients))  # a duplicate RCPT (any case) would deliver twice
        if not recipients:
            raise ValueError("no recipients")
        message = to_crlf(raw)
        smtp: _SMTP | None = None
        try:
            # Host given to the constructor (not to connect()): smtplib checks the certificate against that name.
            smtp = _SMTP(self.host, self.port, local_hostname=self.local_hostname, timeout=self.timeout)
            refused = self._transact(smtp, message, sender, recipients)
            self._quit(smtp)  # the mail is accepted: a failing QUIT changes nothing
        except smtplib.SMTPRecipientsRefused as exc:  # every recipient refused: nothing was sent
            raise self._all_refused(exc.recipients) from exc
        except smtplib.SMTPResponseException as exc:
            raise self._answer(exc.smtp_code, exc.smtp_error) from exc
        except smtplib.SMTPServerDisconnected as exc:
            if smtp is not None and smtp.payload_sent:
                raise self._uncertain(exc) from exc
            raise TransientError(f"relay {self._where} closed the connection: {exc}") from exc
        except smtplib.SMTPException as exc:  # no AUTH offered, "No suitable authentication method found", ...
            raise RelayRejected(f"relay {self._where}: {exc}") from exc
        except ssl.SSLError as exc:
            if smtp is not None and smtp.payload_sent:
                raise self._uncertain(exc) from exc
            raise TransientError(f"TLS with relay {self._where} failed: {exc}") from exc
        except OSError as exc:  # refused, unreachable, timed out, DNS
            if smtp is not None and smtp.payload_sent:
                raise self._uncertain(exc) from exc
            raise TransientError(f"relay {self._where} unreachable: {type(exc).__name__}: {exc}") from exc
        finally:
            if smtp is not None:
                smtp.close()
        if refused:
            log.warning("relay %s refused %d of %d recipients", self._where, len(refused), len(recipients))
            accepted = [r for r in recipients if r not in refused]
            raise RecipientsRefused({a: (c, _reply(m)) for a, (c, m) in refused.items()}, accepted)
        log.info("relayed %d bytes to %d recipient(s) via %s", len(message), len(recipients), self._where)

    def _transact(
        self, smtp: smtplib.SMTP, message: bytes, sender: str, recipients: list[str]
    ) -> dict[str, tuple[int, bytes]]:
        smtp.ehlo_or_helo_if_needed()
        if self.starttls:
            if not smtp.has_extn("starttls"):
                raise RelayRejected(
                    f"relay {self._where} does not offer STARTTLS: refusing to send mail and credentials in the "
                    "clear (use a relay that supports TLS, or starttls=False for a trusted local relay)"
                )
            smtp.starttls(context=self.ssl_context or ssl.create_default_context())
            smtp.ehlo()  # the capabilities (AUTH among them) may differ once encrypted
        if self.username:
            self._login(smtp)
        options = []
        if not message.isascii() and smtp.has_extn("8bitmime"):  # without it, sent as is: most relays cope
            options.append("BODY=8BITMIME")
        if not (sender + "".join(recipients)).isascii():
            if not smtp.has_extn("smtputf8"):
                raise RelayRejected(f"relay {self._where} does not support SMTPUTF8, needed for a non-ASCII address")
            options.append("SMTPUTF8")
            smtp.command_encoding = "utf-8"
        return smtp.sendmail(sender, recipients, message, mail_options=options)

    def _login(self, smtp: smtplib.SMTP) -> None:
        assert self._password is not None and self.username is not None
        password = self._password()
        if not password:
            raise RelayRejected(f"no password is configured for relay user {self.username} (secret {RELAY_PASSWORD})")
        try:
            smtp.login(self.username, password)
        except smtplib.SMTPAuthenticationError as exc:
            if 400 <= exc.smtp_code < 500:
                raise TransientError(f"relay {self._where} could not authenticate now: {exc.smtp_code}") from exc
            # The reply is the server's; the password is never part of it, nor of this message.
            raise RelayRejected(
                f"relay {self._where} refused the credentials of {self.username}: "
                f"{exc.smtp_code} {_reply(exc.smtp_error)}"
            ) from exc

    def _uncertain(self, exc: BaseException) -> DeliveryUncertain:
        return DeliveryUncertain(f"relay {self._where} had the whole message but gave no answer "
                                 f"({type(exc).__name__}): it may or may not have accepted it")

    def _answer(self, code: int, reply: bytes | str) -> Exception:
        text = f"relay {self._where} answered {code} {_reply(reply)}"
        return RelayRejected(text) if 500 <= code < 600 else TransientError(text)

    def _all_refused(self, refused: dict[str, tuple[int, bytes]]) -> Exception:
        detail = ", ".join(f"{address} ({code} {_reply(reply)})" for address, (code, reply) in refused.items())
        text = f"relay {self._where} refused every recipient: {detail}"
        # Only when every refusal is temporary is a retry of the whole message worth it.
        if refused and all(400 <= code < 500 for code, _ in refused.values()):
            return TransientError(text)
        return RelayRejected(text)

    def _quit(self, smtp: smtplib.SMTP) -> None:
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError) as exc:
            log.debug("relay %s: QUIT failed after the message was accepted: %s", self._where, exc)
