"""devstack/relay_server.py, the local relay the demo and the bench send through, met by the product's own SmtpRelay
as bootstrap builds it: if these hold, the demo's relay counts are what crossed the wire under TLS and AUTH."""

from __future__ import annotations

import smtplib
from collections.abc import Iterator
from pathlib import Path

import pytest

from devstack.relay_server import RelayServer
from gmail_tickets import bootstrap
from gmail_tickets.adapters.local_secrets import FileSecrets
from gmail_tickets.adapters.smtp_relay import SmtpRelay
from gmail_tickets.errors import RelayRejected, TransientError
from gmail_tickets.ports import Relay
from gmail_tickets.secret_names import RELAY_PASSWORD

SENDER = "support@example.com"


def mail(message_id: str) -> bytes:
    return (f"From: {SENDER}\r\nTo: ann@customer.test\r\nSubject: Ticket #1\r\nMessage-ID: <{message_id}>\r\n"
            "\r\nHello Ann\r\n").encode()


@pytest.fixture
def relay_server(tmp_path: Path) -> Iterator[RelayServer]:
    with RelayServer(tmp_path / "relay") as server:
        yield server


@pytest.fixture
def secrets(tmp_path: Path, relay_server: RelayServer) -> FileSecrets:
    store = FileSecrets(tmp_path / "secrets.json")
    store.put(RELAY_PASSWORD, relay_server.password)
    return store


@pytest.fixture
def product_relay(relay_server: RelayServer, secrets: FileSecrets) -> Relay:
    """The SmtpRelay bootstrap wires from the server's config fields: STARTTLS, verified against its CA file."""
    relay = bootstrap.build_relay(bootstrap.Config(**relay_server.config_fields()), secrets)
    assert relay is not None
    return relay


def test_delivers_over_starttls_with_auth_and_records_it(relay_server: RelayServer, product_relay: Relay) -> None:
    product_relay.send(mail("t1.a@example.com"), SENDER, ["ann@customer.test", "bob@customer.test"])

    [got] = relay_server.deliveries()
    assert (got.mail_from, got.rcpt_tos, got.tls, got.user) == (
        SENDER, ("ann@customer.test", "bob@customer.test"), True, relay_server.username)
    assert got.message_id == "t1.a@example.com" and b"Hello Ann" in got.content


def test_nothing_is_taken_in_the_clear(relay_server: RelayServer) -> None:
    with pytest.raises(RelayRejected, match="530"):
        SmtpRelay(relay_server.host, relay_server.port, starttls=False, timeout=5).send(
            mail("t1.b@example.com"), SENDER, ["ann@customer.test"])
    with smtplib.SMTP(relay_server.host, relay_server.port, timeout=5) as smtp:  # AUTH before STARTTLS: refused
        smtp.ehlo()
        assert not smtp.has_extn("auth")
        code, _ = smtp.docmd("AUTH", "PLAIN")
        assert code == 530

    assert relay_server.deliveries() == []


def test_a_wrong_password_is_refused(relay_server: RelayServer, product_relay: Relay, secrets: FileSecrets) -> None:
    secrets.put(RELAY_PASSWORD, "not-the-password")

    with pytest.raises(RelayRejected, match="535"):
        product_relay.send(mail("t1.c@example.com"), SENDER, ["ann@customer.test"])

    assert relay_server.deliveries() == []


def test_stopped_it_is_down_and_it_comes_back_on_the_same_port(relay_server: RelayServer, product_relay: Relay) -> None:
    port = relay_server.port
    product_relay.send(mail("t1.d@example.com"), SENDER, ["ann@customer.test"])
    relay_server.stop()

    with pytest.raises(TransientError, match="unreachable"):
        product_relay.send(mail("t1.e@example.com"), SENDER, ["ann@customer.test"])

    relay_server.start()
    product_relay.send(mail("t1.d@example.com"), SENDER, ["ann@customer.test"])  # the same mail again
    assert relay_server.port == port
    assert relay_server.message_ids() == {"t1.d@example.com": 2}  # a duplicate shows as a count of 2


def test_env_names_what_config_from_env_reads(relay_server: RelayServer) -> None:
    config = bootstrap.Config.from_env(relay_server.env())

    assert (config.relay_host, config.relay_port, config.relay_username, config.relay_ca_file, config.relay_starttls) \
        == (relay_server.host, relay_server.port, relay_server.username, str(relay_server.ca_file), True)
    assert relay_server.password not in repr(relay_server.env()) + repr(relay_server.config_fields())
