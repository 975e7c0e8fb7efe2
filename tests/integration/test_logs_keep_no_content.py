"""No mail content, token or secret in the logs (Google's Limited Use rules; docs/security.md): the whole path —
connect, ingest, the acknowledgement sent via Gmail, an agent's reply with a file sent via the relay, a crash and
its retry — runs with every log record of the package captured at DEBUG through the product's own JSON formatter,
and none of the mail's words, its sender's name, the refresh token or the relay password may appear in them."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest

from devstack.gmail_sim import GmailSimulator, SimServer
from devstack.relay_server import RelayServer
from gmail_tickets import logs, secret_names
from gmail_tickets.domain.model import Attachment
from gmail_tickets.services.agent_reply import reply_as_agent
from gmail_tickets.services.send_notification import send_notification
from gmail_tickets.services.sync_mailbox import sync_mailbox
from tests.integration.ingest_harness import customer_mail
from tests.integration.send_harness import SUPPORT, SendHarness

BODY_WORDS = "zebra-quartz-body-words"
SUBJECT_WORDS = "walrus-subject-words"
SENDER_NAME = "Ophelia Lognotfound"
REPLY_WORDS = "marmot-agent-reply-words"


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    """Every record of the package, DEBUG and up, as the product writes it (JSON lines)."""
    stream = io.StringIO()
    root = logging.getLogger("gmail_tickets")
    saved = (root.handlers[:], root.level, root.propagate)
    logs.configure("DEBUG", stream)
    try:
        yield stream
    finally:
        root.handlers[:], root.level, root.propagate = saved


def _mail() -> bytes:
    msg = message_from_bytes(customer_mail(SUBJECT_WORDS), policy=policy.default)
    assert isinstance(msg, EmailMessage)
    del msg["From"]
    msg["From"] = f"{SENDER_NAME} <ophelia@example.net>"
    msg.set_content(f"Hello, {BODY_WORDS}.\n")
    return msg.as_bytes()


def test_the_logs_hold_no_mail_content_token_or_secret(sim: GmailSimulator, sim_server: SimServer, store,  # type: ignore[no-untyped-def]
                                                        tmp_path: Path, relay: RelayServer,
                                                        captured: io.StringIO) -> None:
    harness = SendHarness(sim, sim_server, store, tmp_path, relay)
    gmail_id = harness.deliver(_mail())
    sync_mailbox(harness.deps, SUPPORT)
    entry = harness.store.atomically(lambda uow: uow.get_ledger(SUPPORT, gmail_id))
    assert entry is not None and entry.ticket_id is not None
    for note in harness.pending(entry.ticket_id):
        send_notification(harness.deps, note.id)
    harness.deps.blobs.put("attachments/log-test", b"file bytes " + BODY_WORDS.encode())
    reply_as_agent(harness.deps, entry.ticket_id, author="admin", body=f"Dear customer, {REPLY_WORDS}",
                   attachments=[Attachment("notes.txt", "text/plain", 30, blob_key="attachments/log-test")])
    for note in harness.pending(entry.ticket_id):
        send_notification(harness.deps, note.id)
    assert harness.sent_copies() and harness.relay_copies(), "the path ran: mail went out both ways"

    text = captured.getvalue()
    assert text.count("\n") >= 5, "the run logged (or this test would prove nothing)"
    secrets = [harness.deps.secrets.get(secret_names.refresh_token(SUPPORT)),
               harness.deps.secrets.get(secret_names.RELAY_PASSWORD)]
    assert all(secrets), "the secrets the run used are known to the test"
    for needle in (BODY_WORDS, SUBJECT_WORDS, SENDER_NAME, REPLY_WORDS, *secrets):
        assert needle not in text, f"{needle[:12]}… reached the logs"
