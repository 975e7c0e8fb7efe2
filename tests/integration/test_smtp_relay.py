"""SmtpRelay against a real SMTP server: aiosmtpd in this process on 127.0.0.1, one per test, on a free port.

The server's handler records what it was given (envelope, bytes, whether TLS and AUTH were in force), so each test
checks what actually crossed the wire, not what smtplib was asked to do. STARTTLS uses a self-signed certificate
made here; the client trusts it through its own ssl_context, as a deployment would trust a private CA.
"""

from __future__ import annotations

import base64
import datetime as dt
import ipaddress
import logging
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from devstack.emulators import free_port
from gmail_tickets.adapters.local_secrets import FileSecrets
from gmail_tickets.adapters.smtp_relay import RecipientsRefused, SmtpRelay
from gmail_tickets.errors import RelayRejected, TransientError
from gmail_tickets.ports import Relay
from gmail_tickets.secret_names import RELAY_PASSWORD

USER = "relay-user"
PASSWORD = "s3cret-Pa55word-do-not-log"
SENDER = "help@acme.test"

MAIL = (
    b"From: Acme Help <help@acme.test>\r\n"
    b"To: ann@customer.test\r\n"
    b"Subject: =?utf-8?q?Ticket_=2342_updated?=\r\n"
    b"MIME-Version: 1.0\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"Content-Transfer-Encoding: 8bit\r\n"
    b"\r\n"
    b"Hello Ann,\r\n"
    b".a line that starts with a dot (SMTP dot-stuffing must undo itself)\r\n"
    b".\r\n"
    b"Gr\xc3\xbc\xc3\x9fe \xe2\x80\x94 Acme\r\n"
)


# --------------------------------------------------------------------------- the server


@dataclass(frozen=True)
class Delivery:
    mail_from: str
    rcpt_tos: list[str]
    content: bytes
    mail_options: list[str]
    tls: bool
    user: str | None


@dataclass
class Recorder:
    """aiosmtpd handler: records deliveries; `refuse` answers RCPT for given addresses, `data_reply` answers DATA."""

    refuse: dict[str, str] = field(default_factory=dict)
    data_reply: str | None = None
    received: list[Delivery] = field(default_factory=list)

    async def handle_RCPT(  # aiosmtpd's hook names
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.data_reply:
            return self.data_reply
        assert envelope.mail_from is not None and envelope.original_content is not None
        user = session.auth_data.login.decode() if isinstance(session.auth_data, LoginPassword) else None
        self.received.append(Delivery(
            envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content, list(envelope.mail_options),
            tls=session.ssl is not None, user=user,
        ))
        return "250 2.0.0 queued"


def authenticator(server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any) -> AuthResult:
    """Accepts one user; keeps its credentials as auth_data so the handler can tell who sent."""
    ok = isinstance(auth_data, LoginPassword) and auth_data == (USER.encode(), PASSWORD.encode())
    return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)  # handled=False: answer 535


@dataclass(frozen=True)
class Tls:
    server: ssl.SSLContext
    client: ssl.SSLContext  # trusts the self-signed certificate, and only it


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> Tls:
    """A self-signed certificate for 127.0.0.1 (the client checks the name against the IP SAN)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "relay.test")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder: Path = tmp_path_factory.mktemp("tls")
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    (folder / "cert.pem").write_bytes(cert_pem)
    (folder / "key.pem").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(folder / "cert.pem", folder / "key.pem")
    return Tls(server=server, client=ssl.create_default_context(cadata=cert_pem.decode()))


@dataclass
class RunningServer:
    recorder: Recorder
    port: int


StartServer = Callable[..., RunningServer]


@pytest.fixture
def smtp_server() -> Iterator[StartServer]:
    """Start an aiosmtpd server with the given SMTP options (tls_context, authenticator, …); stopped after the test."""
    controllers: list[Controller] = []

    def start(**smtp_options: Any) -> RunningServer:
        recorder = Recorder()
        port = free_port()
        controller = Controller(recorder, hostname="127.0.0.1", port=port, server_hostname="relay.test",
                                ready_timeout=5.0, **smtp_options)
        controller.start()
        controllers.append(controller)
        return RunningServer(recorder, port)

    yield start
    for controller in controllers:
        controller.stop()


@pytest.fixture
def secure_server(smtp_server: StartServer, tls: Tls) -> RunningServer:
    """A submission server as relays run them: STARTTLS required, then AUTH required (offered only over TLS)."""
    return smtp_server(tls_context=tls.server, require_starttls=True, authenticator=authenticator,
                       auth_required=True)


class PasswordSource:
    """Stands in for Secrets: counts reads, so tests see when the password is fetched."""

    def __init__(self, value: str | None = PASSWORD) -> None:
        self.value = value
        self.calls = 0

    def __call__(self) -> str | None:
        self.calls += 1
        return self.value


def plain_relay(port: int, **options: Any) -> SmtpRelay:
    return SmtpRelay("127.0.0.1", port, starttls=False, timeout=5.0, local_hostname="client.test", **options)


def secure_relay(port: int, tls: Tls, password: Callable[[], str | None], **options: Any) -> SmtpRelay:
    return SmtpRelay("127.0.0.1", port, username=USER, password=password, ssl_context=tls.client, timeout=5.0,
                     local_hostname="client.test", **options)


def chained_text(exc: BaseException) -> str:
    """Everything an error would show in a log: its text, repr and every cause's."""
    parts: list[str] = []
    current: BaseException | None = exc
    while current is not None:
        parts += [str(current), repr(current), repr(current.args)]
        current = current.__cause__ or current.__context__
    return "\n".join(parts)


# --------------------------------------------------------------------------- delivery


def test_plain_delivery_arrives_byte_for_byte(smtp_server: StartServer) -> None:
    server = smtp_server()
    relay: Relay = plain_relay(server.port)

    relay.send(MAIL, SENDER, ["ann@customer.test", "bob@customer.test", "ann@customer.test"])

    [got] = server.recorder.received
    assert got.mail_from == SENDER
    assert got.rcpt_tos == ["ann@customer.test", "bob@customer.test"]  # the duplicate is not delivered twice
    assert got.content == MAIL
    assert "BODY=8BITMIME" in got.mail_options  # the body has 8-bit bytes and the server offers 8BITMIME
    assert not got.tls and got.user is None


def test_bare_line_feeds_are_sent_as_crlf(smtp_server: StartServer) -> None:
    server = smtp_server()

    plain_relay(server.port).send(MAIL.replace(b"\r\n", b"\n"), SENDER, ["ann@customer.test"])

    assert server.recorder.received[0].content == MAIL


def test_starttls_then_auth_delivers(secure_server: RunningServer, tls: Tls) -> None:
    password = PasswordSource()

    secure_relay(secure_server.port, tls, password).send(MAIL, SENDER, ["ann@customer.test"])

    [got] = secure_server.recorder.received
    assert (got.tls, got.user, got.content, got.rcpt_tos) == (True, USER, MAIL, ["ann@customer.test"])


def test_non_ascii_addresses_use_smtputf8(smtp_server: StartServer) -> None:
    server = smtp_server(enable_SMTPUTF8=True)

    plain_relay(server.port).send(MAIL, "hilfe@bücher.test", ["jürgen@kunde.test"])

    [got] = server.recorder.received
    assert (got.mail_from, got.rcpt_tos) == ("hilfe@bücher.test", ["jürgen@kunde.test"])
    assert "SMTPUTF8" in got.mail_options


def test_non_ascii_addresses_are_refused_without_smtputf8(smtp_server: StartServer) -> None:
    server = smtp_server(enable_SMTPUTF8=False)  # the Controller enables it by default

    with pytest.raises(RelayRejected, match="SMTPUTF8"):
        plain_relay(server.port).send(MAIL, SENDER, ["jürgen@kunde.test"])

    assert server.recorder.received == []


# --------------------------------------------------------------------------- the password


def test_the_password_is_read_only_when_sending(secure_server: RunningServer, tls: Tls) -> None:
    password = PasswordSource()
    relay = secure_relay(secure_server.port, tls, password)
    assert password.calls == 0

    relay.send(MAIL, SENDER, ["ann@customer.test"])
    relay.send(MAIL, SENDER, ["bob@customer.test"])

    assert password.calls == 2  # once per send: a rotated secret applies at the next message
    assert PASSWORD not in repr(relay) and PASSWORD not in repr(vars(relay))


def test_from_secrets_reads_the_relay_password_secret(secure_server: RunningServer, tls: Tls, tmp_path: Path) -> None:
    secrets = FileSecrets(tmp_path / "secrets.json")
    relay = SmtpRelay.from_secrets("127.0.0.1", secure_server.port, USER, secrets, ssl_context=tls.client,
                                   timeout=5.0, local_hostname="client.test")
    secrets.put(RELAY_PASSWORD, PASSWORD)  # set after the relay was built: read at send time

    relay.send(MAIL, SENDER, ["ann@customer.test"])

    assert secure_server.recorder.received[0].user == USER


def test_a_wrong_password_is_rejected_without_showing_it(secure_server: RunningServer, tls: Tls) -> None:
    wrong = "Wr0ng-Pa55word-do-not-log"

    with pytest.raises(RelayRejected, match="refused the credentials of relay-user") as caught:
        secure_relay(secure_server.port, tls, PasswordSource(wrong)).send(MAIL, SENDER, ["ann@customer.test"])

    text = chained_text(caught.value)
    assert wrong not in text and base64.b64encode(wrong.encode()).decode() not in text
    assert secure_server.recorder.received == []


def test_a_temporary_authentication_failure_is_transient(smtp_server: StartServer, tls: Tls) -> None:
    def busy(server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any) -> AuthResult:
        return AuthResult(success=False, handled=False, message="454 4.7.0 temporary authentication failure")

    server = smtp_server(tls_context=tls.server, authenticator=busy, auth_required=True)

    with pytest.raises(TransientError, match="could not authenticate now: 454"):
        secure_relay(server.port, tls, PasswordSource()).send(MAIL, SENDER, ["ann@customer.test"])


def test_our_logs_hold_neither_password_nor_body(
    secure_server: RunningServer, tls: Tls, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="gmail_tickets")
    secure_server.recorder.refuse["nobody@customer.test"] = "550 5.1.1 no such user"

    with pytest.raises(RecipientsRefused):
        secure_relay(secure_server.port, tls, PasswordSource()).send(
            MAIL, SENDER, ["ann@customer.test", "nobody@customer.test"])
    secure_relay(secure_server.port, tls, PasswordSource()).send(MAIL, SENDER, ["ann@customer.test"])

    ours = [r.getMessage() for r in caplog.records if r.name.startswith("gmail_tickets")]
    assert any("relayed" in line for line in ours)
    assert not any(PASSWORD in line or "Hello Ann" in line for line in ours)


def test_a_missing_password_is_rejected_with_the_secret_name(secure_server: RunningServer, tls: Tls) -> None:
    with pytest.raises(RelayRejected, match=RELAY_PASSWORD):
        secure_relay(secure_server.port, tls, PasswordSource(None)).send(MAIL, SENDER, ["ann@customer.test"])

    assert secure_server.recorder.received == []


# --------------------------------------------------------------------------- refusing to send in the clear


def test_a_server_without_starttls_gets_nothing(smtp_server: StartServer, tls: Tls) -> None:
    server = smtp_server(authenticator=authenticator, auth_require_tls=False)  # would even take AUTH in the clear
    password = PasswordSource()

    with pytest.raises(RelayRejected, match="does not offer STARTTLS"):
        secure_relay(server.port, tls, password).send(MAIL, SENDER, ["ann@customer.test"])

    assert password.calls == 0  # the credentials never left, not even the secret store
    assert server.recorder.received == []


def test_an_untrusted_certificate_gets_nothing(secure_server: RunningServer) -> None:
    password = PasswordSource()
    relay = SmtpRelay("127.0.0.1", secure_server.port, username=USER, password=password, timeout=5.0,
                      local_hostname="client.test")  # system trust store: the self-signed certificate fails

    with pytest.raises(TransientError, match=r"TLS with relay .* failed"):
        relay.send(MAIL, SENDER, ["ann@customer.test"])

    assert password.calls == 0
    assert secure_server.recorder.received == []


# --------------------------------------------------------------------------- refusals and failures


def test_a_refused_recipient_is_rejected(smtp_server: StartServer) -> None:
    server = smtp_server()
    server.recorder.refuse["nobody@customer.test"] = "550 5.1.1 no such user"

    with pytest.raises(RelayRejected, match=r"refused every recipient: nobody@customer\.test \(550 5\.1\.1 no such"):
        plain_relay(server.port).send(MAIL, SENDER, ["nobody@customer.test"])

    assert server.recorder.received == []


def test_a_partial_refusal_delivers_to_the_rest_then_reports_the_refused(smtp_server: StartServer) -> None:
    server = smtp_server()
    server.recorder.refuse["nobody@customer.test"] = "550 5.1.1 no such user"

    with pytest.raises(RecipientsRefused) as caught:
        plain_relay(server.port).send(MAIL, SENDER, ["ann@customer.test", "nobody@customer.test"])

    assert isinstance(caught.value, RelayRejected)  # not retried: ann already has her copy
    assert caught.value.refused == {"nobody@customer.test": (550, "5.1.1 no such user")}
    assert caught.value.accepted == ("ann@customer.test",)
    assert [d.rcpt_tos for d in server.recorder.received] == [["ann@customer.test"]]


def test_temporarily_refused_recipients_are_transient(smtp_server: StartServer) -> None:
    server = smtp_server()
    server.recorder.refuse["ann@customer.test"] = "450 4.2.1 mailbox busy"

    with pytest.raises(TransientError, match=r"450 4\.2\.1 mailbox busy"):
        plain_relay(server.port).send(MAIL, SENDER, ["ann@customer.test"])


def test_a_451_temporary_failure_is_transient(smtp_server: StartServer) -> None:
    server = smtp_server()
    server.recorder.data_reply = "451 4.3.0 try again later"

    with pytest.raises(TransientError, match=r"answered 451 4\.3\.0 try again later"):
        plain_relay(server.port).send(MAIL, SENDER, ["ann@customer.test"])


def test_a_554_permanent_failure_is_rejected(smtp_server: StartServer) -> None:
    server = smtp_server()
    server.recorder.data_reply = "554 5.7.1 message refused as spam"

    with pytest.raises(RelayRejected, match=r"answered 554 5\.7\.1"):
        plain_relay(server.port).send(MAIL, SENDER, ["ann@customer.test"])


def test_nothing_listening_is_transient() -> None:
    with pytest.raises(TransientError, match="unreachable: ConnectionRefusedError"):
        plain_relay(free_port()).send(MAIL, SENDER, ["ann@customer.test"])


def test_a_server_that_hangs_up_is_transient() -> None:
    with socket.create_server(("127.0.0.1", 0)) as listener:
        def hang_up() -> None:
            connection, _ = listener.accept()
            connection.close()

        thread = threading.Thread(target=hang_up, daemon=True)
        thread.start()
        with pytest.raises(TransientError, match="closed the connection"):
            plain_relay(listener.getsockname()[1]).send(MAIL, SENDER, ["ann@customer.test"])
        thread.join(5)


def test_a_silent_server_times_out_as_transient() -> None:
    with socket.create_server(("127.0.0.1", 0)) as listener:  # connects (backlog), never greets
        relay = SmtpRelay("127.0.0.1", listener.getsockname()[1], starttls=False, timeout=0.3,
                          local_hostname="client.test")
        with pytest.raises(TransientError, match="timed out"):
            relay.send(MAIL, SENDER, ["ann@customer.test"])


def test_no_recipients_is_a_caller_error() -> None:
    with pytest.raises(ValueError, match="no recipients"):
        plain_relay(free_port()).send(MAIL, SENDER, [])
