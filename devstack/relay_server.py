"""A real SMTP relay on localhost for the demo, the bench and tests: the help desk's relay as the product meets it.

aiosmtpd on 127.0.0.1 behaves as a submission server does: STARTTLS required before anything else, then AUTH
(PLAIN or LOGIN, one user) required before MAIL. Its certificate is self-signed, made at start, and written as a
PEM file that clients trust explicitly (`Config.relay_ca_file`, `GT_RELAY_CA_FILE`), so the product's SmtpRelay
runs with certificate verification on, exactly as it does against a private CA in production.

It records every accepted message (envelope, bytes, whether TLS was in force, who authenticated), so callers
count what actually crossed the wire. `stop()` then `start()` brings it back on the same port: "relay down".
It offers SMTPUTF8 (mail to addresses with a non-ASCII local part) unless told not to (`smtputf8=False`,
`offer_smtputf8(False)`).

    with RelayServer() as relay:
        config = bootstrap.Config(**relay.config_fields())
        secrets.put(RELAY_PASSWORD, relay.password)
"""

from __future__ import annotations

import argparse
import datetime as dt
import ipaddress
import logging
import secrets
import shutil
import ssl
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass
from email.parser import BytesHeaderParser
from pathlib import Path
from types import TracebackType
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from devstack.emulators import free_port

DEFAULT_USER = "helpdesk-relay"


def _not_login_data_notice(record: logging.LogRecord) -> bool:
    """aiosmtpd 1.4 warns about its own legacy `login_data` on every AUTH; that says nothing about the relay."""
    return "login_data is deprecated" not in record.getMessage()


logging.getLogger("mail.log").addFilter(_not_login_data_notice)


@dataclass(frozen=True)
class RelayDelivery:
    """One message the relay accepted (answered 250 to DATA)."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    content: bytes
    tls: bool
    user: str | None
    message_id: str | None  # angle brackets stripped, as the store keeps Message-IDs
    at: float  # time.time() when accepted


def message_id_of(raw: bytes) -> str | None:
    """The Message-ID header of raw mail, without angle brackets."""
    value = BytesHeaderParser().parsebytes(raw).get("Message-ID")
    if value is None:
        return None
    return str(value).strip().strip("<>").strip() or None


def _self_signed(directory: Path, host: str) -> tuple[Path, Path]:
    """A certificate for `host` (IP SAN, plus localhost), its own issuer: the PEM file is the CA to trust."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "gmail-tickets dev relay")])
    now = dt.datetime.now(dt.UTC)
    names: list[x509.GeneralName] = [x509.DNSName("localhost")]
    try:
        names.append(x509.IPAddress(ipaddress.ip_address(host)))
    except ValueError:
        names.append(x509.DNSName(host))
    cert = (
        x509.CertificateBuilder()
        .subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=7))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / "relay-ca.pem", directory / "relay-key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.touch(mode=0o600)
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_file, key_file


class _Handler:
    """aiosmtpd hooks: record each accepted message (the hooks run on the server's own event-loop thread)."""

    def __init__(self, server: RelayServer) -> None:
        self._server = server

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # aiosmtpd's name
        content = envelope.original_content or b""
        user = session.auth_data.login.decode() if isinstance(session.auth_data, LoginPassword) else None
        self._server._record(RelayDelivery(
            mail_from=envelope.mail_from or "", rcpt_tos=tuple(envelope.rcpt_tos), content=content,
            tls=session.ssl is not None, user=user, message_id=message_id_of(content), at=time.time(),
        ))
        return "250 2.0.0 Ok: queued"

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope, address: str,
                          rcpt_options: list[str]) -> str:  # aiosmtpd's name
        refusal = self._server.refusal_for(address)
        if refusal is not None:
            return refusal
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 OK"


class RelayServer:
    """A local SMTP submission relay: STARTTLS required, AUTH PLAIN/LOGIN required, deliveries recorded.

    `directory` receives the certificate (`ca_file`) and its key; a temporary folder (removed on close) when
    None. `port` 0 picks a free one at the first start; restarts keep it. The password is random unless given.
    """

    def __init__(self, directory: Path | None = None, *, host: str = "127.0.0.1", port: int = 0,
                 username: str = DEFAULT_USER, password: str | None = None, smtputf8: bool = True) -> None:
        self.host = host
        self.smtputf8 = smtputf8  # offer SMTPUTF8 in EHLO (as Postfix 3 and Gmail's relays do); False withholds it
        self.port = port
        self.username = username
        self.password = password or secrets.token_urlsafe(18)
        self._own_dir = directory is None
        self.directory = Path(tempfile.mkdtemp(prefix="gmail-tickets-relay-")) if directory is None else directory
        self.directory.mkdir(parents=True, exist_ok=True)
        self.ca_file, self._key_file = _self_signed(self.directory, host)
        self._tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self._tls.load_cert_chain(self.ca_file, self._key_file)
        self._lock = threading.Lock()
        self._deliveries: list[RelayDelivery] = []
        self._refusals: dict[str, str] = {}
        self._controller: Controller | None = None

    # -- life cycle

    def start(self) -> RelayServer:
        """Listen (again) on the same port; a no-op when running."""
        if self._controller is not None:
            return self
        if not self.port:
            self.port = free_port()
        controller = Controller(
            _Handler(self), hostname=self.host, port=self.port, server_hostname="relay.localhost",
            ready_timeout=10.0, tls_context=self._tls, require_starttls=True, auth_required=True,
            auth_require_tls=True, authenticator=self._authenticate, enable_SMTPUTF8=self.smtputf8,
        )
        controller.start()
        self._controller = controller
        return self

    def stop(self) -> None:
        """Stop listening (connections are refused: the relay is down); deliveries so far are kept."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def offer_smtputf8(self, offered: bool) -> None:
        """Offer or withhold SMTPUTF8 from now on (a running relay restarts on the same port)."""
        running = self.running
        self.stop()
        self.smtputf8 = offered
        if running:
            self.start()

    def refuse(self, address: str, reply: str = "550 5.1.1 No such user") -> None:
        """Answer RCPT for `address` with `reply` from now on (a 5xx: the mailbox does not exist; a 4xx: later)."""
        with self._lock:
            self._refusals[address.lower()] = reply

    def refusal_for(self, address: str) -> str | None:
        with self._lock:
            return self._refusals.get(address.lower())

    def close(self) -> None:
        self.stop()
        if self._own_dir:
            shutil.rmtree(self.directory, ignore_errors=True)

    @property
    def running(self) -> bool:
        return self._controller is not None

    def __enter__(self) -> RelayServer:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    # -- what the product needs to reach it

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    def config_fields(self) -> dict[str, Any]:
        """bootstrap.Config's relay fields (the password goes to Secrets as RELAY_PASSWORD, never here)."""
        return {"relay_host": self.host, "relay_port": self.port, "relay_username": self.username,
                "relay_ca_file": str(self.ca_file)}

    def env(self) -> dict[str, str]:
        """The same as GT_RELAY_* environment variables, for processes configured by bootstrap.Config.from_env."""
        return {"GT_RELAY_HOST": self.host, "GT_RELAY_PORT": str(self.port), "GT_RELAY_USERNAME": self.username,
                "GT_RELAY_CA_FILE": str(self.ca_file)}

    def client_context(self) -> ssl.SSLContext:
        """A client TLS context that trusts this relay's certificate (and nothing else)."""
        return ssl.create_default_context(cafile=str(self.ca_file))

    # -- what it received

    def deliveries(self) -> list[RelayDelivery]:
        with self._lock:
            return list(self._deliveries)

    def message_ids(self) -> Counter[str]:
        """Copies received per Message-ID: a count above 1 is a duplicate."""
        return Counter(d.message_id for d in self.deliveries() if d.message_id)

    def clear(self) -> None:
        with self._lock:
            self._deliveries.clear()

    def _record(self, delivery: RelayDelivery) -> None:
        with self._lock:
            self._deliveries.append(delivery)

    def _authenticate(self, server: SMTP, session: Session, envelope: Envelope, mechanism: str,
                      auth_data: Any) -> AuthResult:
        ok = (isinstance(auth_data, LoginPassword) and secrets.compare_digest(auth_data.login, self.username.encode())
              and secrets.compare_digest(auth_data.password, self.password.encode()))
        # handled=False: aiosmtpd answers 535 on failure; auth_data kept so the handler knows who sent.
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)


def main(argv: list[str] | None = None) -> int:
    """`python -m devstack.relay_server`: serve until Ctrl-C, printing how to reach it (password included)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--dir", type=Path, default=None, help="where to write the certificate (default: a temp dir)")
    args = parser.parse_args(argv)
    with RelayServer(args.dir, port=args.port) as relay:
        print(f"relay at {relay.address}  user {relay.username}  password {relay.password}  CA {relay.ca_file}",
              file=sys.stderr, flush=True)
        seen = 0
        try:
            while True:
                time.sleep(0.5)
                for d in relay.deliveries()[seen:]:
                    print(f"{d.mail_from} -> {', '.join(d.rcpt_tos)}  {len(d.content)} bytes  <{d.message_id}>",
                          flush=True)
                seen = len(relay.deliveries())
        except KeyboardInterrupt:
            return 0


if __name__ == "__main__":
    sys.exit(main())
