"""SQLite only: a file written by an earlier release (schema version 1 to 5) opens in this release, is
upgraded in place to the current version, and keeps every row it had.

Embedded installs keep their one SQLite file across upgrades, so an upgrade that fails, or silently drops
data, loses a customer's whole help desk. Not parametrized: this is the SQLite adapter's own concern.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from gmail_tickets.adapters.sqlite_store import RECENT_MAIL_COUNT_SQL, SqliteStore
from gmail_tickets.adapters.sqlite_store.schema import MIGRATIONS, SCHEMA_VERSION, SchemaTooNew, _statements
from gmail_tickets.domain.model import (
    AccountKind,
    AddressKind,
    Attachment,
    Brand,
    Comment,
    Connection,
    ConnectionStatus,
    LedgerEntry,
    OAuthFlow,
    Outcome,
    SupportAddress,
    SuspendedMail,
    Ticket,
)
from gmail_tickets.domain.outbox import Notification, NotificationState, SendWindow, notification_id
from gmail_tickets.ports import UnitOfWork

T0 = datetime(2024, 5, 17, 9, 30, 15, 123456, tzinfo=UTC)
HELP = "help@acme.test"
ANN = "ann@customer.test"
V1_DDL_SHA256 = "9a6476557adc620ad920aae61f1b51859ecebe7668baa16c198538876ba21243"
V2_DDL_SHA256 = "32c70b7fec3cb3c1f024bf9d88fdaf0426166a9c9b7ed6dcb8c789ec116b2ba1"
V3_DDL_SHA256 = "728a9c6b1c3e2a93fdb1629209cdc8b29752db58938169cc1fd2ada11fbb08b5"
V4_DDL_SHA256 = "8400aff87602ca396134e3bbde19ba067db2779db7ee7a3733375fd8cc67b8db"
V5_DDL_SHA256 = "3b19154c591f27ff36e3b32ffca42bdfcf5c1d4ab9c524ffa70b7df7a3ae4430"


def _ts(value: datetime) -> str:
    return value.isoformat(timespec="microseconds")


def _write_v1_file(path: Path) -> None:
    """A database as release 1 left it: the version-1 DDL, version 1 recorded, and rows in v1's formats."""
    db = sqlite3.connect(path, isolation_level=None)
    try:
        db.execute("BEGIN")
        db.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
        for statement in _statements(MIGRATIONS[0]):
            db.execute(statement)
        db.execute("INSERT INTO schema_version (version) VALUES (1)")
        db.execute(
            "INSERT INTO tickets (id, subject, requester, connection, brand_id, requester_name, followers, status, "
            "created_at, suppress_triggers) VALUES (7, 'Printer on fire', ?, ?, 'default', 'Ann', '[]', 'new', ?, 0)",
            (ANN, HELP, _ts(T0)),
        )
        v1_attachments = [{"filename": "smoke.jpg", "content_type": "image/jpeg", "size": 5000}]
        db.execute(
            "INSERT INTO comments (id, ticket_id, author, body_text, created_at, connection, gmail_message_id, "
            "message_id, matched_by, attachments) VALUES ('c-1', 7, ?, 'It smokes.', ?, ?, 'g-1', 'm1@x', NULL, ?)",
            (ANN, _ts(T0), HELP, json.dumps(v1_attachments)),
        )
        db.execute(
            "INSERT INTO ledger (connection, gmail_message_id, outcome, ticket_id, comment_id, rfc_message_id, "
            "thread_id, created_at) VALUES (?, 'g-1', 'ticket', 7, 'c-1', 'm1@x', 'thread-1', ?)",
            (HELP, _ts(T0)),
        )
        db.execute(
            "INSERT INTO ledger (connection, gmail_message_id, outcome, created_at) VALUES (?, 'g-2', 'suspended', ?)",
            (HELP, _ts(T0)),
        )
        db.execute(
            "INSERT INTO quarantine (id, connection, reason, raw, source, created_at) "
            "VALUES ('q-1', ?, 'unparseable', X'00FF', 'gmail', ?)",
            (HELP, _ts(T0)),
        )
        db.execute("COMMIT")
    finally:
        db.close()


def _write_v2_file(path: Path) -> None:
    """A database as release 2 left it: the v1 file upgraded by migration 2, plus rows only v2 can hold."""
    _write_v1_file(path)
    db = sqlite3.connect(path, isolation_level=None)
    try:
        db.execute("BEGIN")
        for statement in _statements(MIGRATIONS[1]):
            db.execute(statement)
        db.execute("UPDATE schema_version SET version = 2")
        db.execute(
            "INSERT INTO connections (address, brand_id, status, account_kind, history_id, watch_expiration, "
            "label_id, send_via_gmail, last_sync_at, last_error, warnings, created_at, disconnected_at) "
            "VALUES (?, 'acme', 'error', 'workspace', 9876543210, ?, 'Label_42', 0, ?, 'quota', ?, ?, NULL)",
            (HELP, _ts(T0 + timedelta(days=7)), _ts(T0), json.dumps(["spf_missing"]), _ts(T0 - timedelta(days=30))),
        )
        db.execute(
            "INSERT INTO ledger (connection, gmail_message_id, outcome, created_at, sender, raw_key) "
            "VALUES (?, 'g-4', 'suspended', ?, ?, 'raw/g-4')",
            (HELP, _ts(T0), ANN),
        )
        db.execute(
            "INSERT INTO suspended (id, connection, gmail_message_id, sender, subject, reason, created_at, raw_key) "
            "VALUES ('s-0', ?, 'g-4', ?, 'Out of office', 'auto_reply', ?, 'raw/g-4')",
            (HELP, ANN, _ts(T0)),
        )
        db.execute("UPDATE comments SET body_html = '<p>It smokes.</p>' WHERE id = 'c-1'")
        db.execute("COMMIT")
    finally:
        db.close()


def _write_v3_file(path: Path) -> None:
    """A database as release 3 left it: the v2 file upgraded by migration 3, plus a second mail comment."""
    _write_v2_file(path)
    db = sqlite3.connect(path, isolation_level=None)
    try:
        db.execute("BEGIN")
        for statement in _statements(MIGRATIONS[2]):
            db.execute(statement)
        db.execute("UPDATE schema_version SET version = 3")
        db.execute("UPDATE connections SET import_total = 300, import_done = 300")
        db.execute(
            "INSERT INTO comments (id, ticket_id, author, body_text, created_at, connection, gmail_message_id, "
            "message_id, matched_by, attachments, body_html) "
            "VALUES ('c-2', 7, ?, 'Still smoking.', ?, ?, 'g-5', 'm5@x', 'thread', '[]', NULL)",
            (ANN, _ts(T0 + timedelta(hours=1)), HELP),
        )
        db.execute("COMMIT")
    finally:
        db.close()


def _write_v4_file(path: Path) -> None:
    """A database as release 4 left it: the v3 file upgraded by migration 4, plus a brand and an agent reply."""
    _write_v3_file(path)
    db = sqlite3.connect(path, isolation_level=None)
    try:
        db.execute("BEGIN")
        for statement in _statements(MIGRATIONS[3]):
            db.execute(statement)
        db.execute("UPDATE schema_version SET version = 4")
        db.execute("INSERT INTO brands (id, name) VALUES ('acme', 'Acme')")
        db.execute(
            "INSERT INTO comments (id, ticket_id, author, body_text, created_at, connection, attachments, "
            "author_kind) VALUES ('c-3', 7, 'agent@acme.test', 'Unplug it.', ?, ?, '[]', 'agent')",
            (_ts(T0 + timedelta(hours=2)), HELP),
        )
        db.execute("COMMIT")
    finally:
        db.close()


def _write_v5_file(path: Path) -> None:
    """A database as release 5 left it: the v4 file upgraded by migration 5, plus rows of every other table
    (leases, OAuth flows, support addresses, a notification, a send window), a second ticket on the same thread
    and a ticket counter ahead of the highest id (as after a rolled-back insert)."""
    _write_v4_file(path)
    db = sqlite3.connect(path, isolation_level=None)
    try:
        db.execute("BEGIN")
        for statement in _statements(MIGRATIONS[4]):
            db.execute(statement)
        db.execute("UPDATE schema_version SET version = 5")
        db.execute(
            "INSERT INTO tickets (id, subject, requester, connection, brand_id, requester_name, followers, status, "
            "created_at, suppress_triggers, gmail_thread_id) VALUES (9, 'Follow-up', ?, ?, 'acme', '', ?, 'open', ?, "
            "1, 'thread-1')",
            (ANN, HELP, json.dumps(["bob@customer.test"]), _ts(T0)),
        )
        db.execute(
            "INSERT INTO ledger (connection, gmail_message_id, outcome, ticket_id, rfc_message_id, thread_id, "
            "created_at, sender) VALUES (?, 'g-9', 'ticket', 9, 'm9@x', 'thread-1', ?, ?)",
            (HELP, _ts(T0), ANN),
        )
        db.execute("UPDATE sqlite_sequence SET seq = 20 WHERE name = 'tickets'")
        db.execute("INSERT INTO support_addresses (address, brand_id, is_default, kind) VALUES (?, 'acme', 1, "
                   "'forwarding')", (HELP,))
        db.execute("INSERT INTO leases (key, holder, expires_at, look_again) VALUES ('sync:help', 'w-1', ?, 1)",
                   (_ts(T0 + timedelta(minutes=5)),))
        db.execute(
            "INSERT INTO oauth_flows (nonce, session_id, address, brand_id, import_recent, code_verifier, "
            "redirect_uri, created_at, expires_at, reconnect) VALUES ('n-5', 's', ?, 'acme', 0, 'v', 'https://cb', "
            "?, ?, 1)",
            (HELP, _ts(T0), _ts(T0 + timedelta(minutes=10))),
        )
        db.execute(
            "INSERT INTO quarantine (id, connection, reason, raw, source, created_at) "
            "VALUES ('q-2', NULL, 'bad event', X'7B7D', 'event', ?)",
            (_ts(T0),),
        )
        notification = {
            "id": "t7-created-x", "ticket_id": 7, "event": "created", "connection": HELP, "from_address": HELP,
            "from_name": "", "to": [ANN], "cc": [], "reply_to": None, "subject": "[#7] Printer on fire",
            "text": "Got it.", "html": None, "message_id": "t7.created@acme.test", "in_reply_to": None,
            "references": [], "automatic": True, "attachments": [], "gmail_thread_id": "thread-1", "state": "sent",
            "route": "gmail", "route_reason": "", "force_relay": False, "attempts": 1, "last_error": None,
            "holder": None, "lease_until": None, "created_at": _ts(T0), "updated_at": _ts(T0), "sent_at": _ts(T0),
            "gmail_message_id": "g-sent",
        }
        db.execute("INSERT INTO outbox (id, ticket_id, state, created_at, doc) VALUES (?, 7, 'sent', ?, ?)",
                   (notification["id"], _ts(T0), json.dumps(notification)))
        window = {"address": HELP, "buckets": {_ts(T0.replace(minute=0, second=0, microsecond=0)): 3},
                  "blocked_until": None}
        db.execute("INSERT INTO send_windows (address, doc) VALUES (?, ?)", (HELP, json.dumps(window)))
        db.execute("COMMIT")
    finally:
        db.close()


def _version(path: Path) -> int:
    db = sqlite3.connect(path)
    try:
        return int(db.execute("SELECT version FROM schema_version").fetchone()[0])
    finally:
        db.close()


def _columns(path: Path, table: str) -> list[str]:
    db = sqlite3.connect(path)
    try:
        return [row[1] for row in db.execute(f"PRAGMA table_info({table})")]
    finally:
        db.close()


def _schema(path: Path) -> set[tuple[str, str]]:
    db = sqlite3.connect(path)
    try:
        return {(row[0], " ".join(row[1].split())) for row in
                db.execute("SELECT name, sql FROM sqlite_master WHERE sql IS NOT NULL AND name != 'sqlite_sequence'")}
    finally:
        db.close()


def test_sqlite_released_migrations_are_never_edited() -> None:
    """The upgrade tests build their v1 to v5 files from MIGRATIONS[:5]; this pins them to what was shipped."""
    assert hashlib.sha256(MIGRATIONS[0].encode()).hexdigest() == V1_DDL_SHA256
    assert hashlib.sha256(MIGRATIONS[1].encode()).hexdigest() == V2_DDL_SHA256
    assert hashlib.sha256(MIGRATIONS[2].encode()).hexdigest() == V3_DDL_SHA256
    assert hashlib.sha256(MIGRATIONS[3].encode()).hexdigest() == V4_DDL_SHA256
    assert hashlib.sha256(MIGRATIONS[4].encode()).hexdigest() == V5_DDL_SHA256
    assert SCHEMA_VERSION == 17  # 14 sweep position, 15 API tokens, 16 webhooks, 18 recovered mail (17th here)


def test_sqlite_v1_file_upgrades_in_place_keeping_every_row(tmp_path: Path) -> None:
    path = tmp_path / "v1.db"
    _write_v1_file(path)

    with SqliteStore(path) as store:
        assert _version(path) == SCHEMA_VERSION
        # migration 11: received_at from the first comment (its Gmail internalDate); 12: its last writer
        assert store.get_ticket(7) == Ticket("Printer on fire", ANN, HELP, requester_name="Ann", created_at=T0,
                                             received_at=T0, updated_at=T0, last_author=ANN,
                                             last_author_kind="customer", last_activity_at=T0, id=7)
        [comment] = store.comments(7)
        assert comment.attachments == [Attachment("smoke.jpg", "image/jpeg", 5000)]  # no blob key, not inline
        assert comment.body_html is None
        assert store.atomically(lambda uow: uow.get_ledger(HELP, "g-1")) == LedgerEntry(
            connection=HELP, gmail_message_id="g-1", outcome=Outcome.TICKET, ticket_id=7, comment_id="c-1",
            rfc_message_id="m1@x", created_at=T0)  # sender and raw key unknown for v1 rows
        assert store.atomically(lambda uow: uow.ticket_for_thread(HELP, "thread-1")) == 7
        assert store.atomically(lambda uow: uow.ticket_for_message_ids(["m1@x"])) == 7
        assert store.ledger_counts(HELP)[Outcome.SUSPENDED] == 1
        assert [q.raw for q in store.list_quarantine()] == [b"\x00\xff"]
        assert store.list_suspended() == []
        assert store.recent_mail_count(ANN, T0 - timedelta(days=1)) == 0  # v1 rows carry no sender

        # and everything version 2 adds works on the upgraded file
        def work(uow: UnitOfWork) -> None:
            ticket_id = uow.add_ticket(Ticket("Again", ANN, HELP, created_at=T0))
            comment_id = uow.add_comment(Comment(
                ticket_id=ticket_id, author=ANN, body_text="x", created_at=T0, connection=HELP, body_html="<p>x</p>",
                attachments=[Attachment("a.png", "image/png", 3, blob_key="attachments/aa", content_id="a@x",
                                        inline=True)]))
            uow.add_ledger(LedgerEntry(
                connection=HELP, gmail_message_id="g-3", outcome=Outcome.TICKET, ticket_id=ticket_id,
                comment_id=comment_id, created_at=T0, sender="Ann@Customer.Test", raw_key="raw/g-3"))
            uow.add_suspended(SuspendedMail(
                id="s-1", connection=HELP, gmail_message_id="g-2", sender=ANN, subject="OOO", reason="auto_reply",
                created_at=T0))

        store.atomically(work)
        assert store.list_tickets()[0].id == 8  # AUTOINCREMENT carried on from the v1 rows
        assert store.comments(8)[0].body_html == "<p>x</p>"
        assert store.recent_mail_count(ANN, T0) == 1
        assert [s.id for s in store.list_suspended()] == ["s-1"]

    # Opening again finds the current version and changes nothing.
    schema_after_upgrade = _schema(path)
    with SqliteStore(path) as store:
        assert store.recent_mail_count(ANN, T0) == 1
    assert _version(path) == SCHEMA_VERSION
    assert _schema(path) == schema_after_upgrade


def test_sqlite_v2_file_upgrades_in_place_keeping_every_row(tmp_path: Path) -> None:
    path = tmp_path / "v2.db"
    _write_v2_file(path)

    with SqliteStore(path) as store:
        assert _version(path) == SCHEMA_VERSION
        # v2 rows read back whole; the connection has had no import (0 of 0)
        assert store.get_connection(HELP) == Connection(
            address=HELP, brand_id="acme", status=ConnectionStatus.ERROR, account_kind=AccountKind.WORKSPACE,
            history_id=9_876_543_210, watch_expiration=T0 + timedelta(days=7), label_id="Label_42",
            send_via_gmail=False, last_sync_at=T0, last_error="quota", warnings=["spf_missing"],
            created_at=T0 - timedelta(days=30), import_total=0, import_done=0)
        # migration 11: received_at from the first comment (its Gmail internalDate); 12: its last writer
        assert store.get_ticket(7) == Ticket("Printer on fire", ANN, HELP, requester_name="Ann", created_at=T0,
                                             received_at=T0, updated_at=T0, last_author=ANN,
                                             last_author_kind="customer", last_activity_at=T0, id=7)
        assert [c.body_html for c in store.comments(7)] == ["<p>It smokes.</p>"]
        assert store.atomically(lambda uow: uow.get_ledger(HELP, "g-4")) == LedgerEntry(
            connection=HELP, gmail_message_id="g-4", outcome=Outcome.SUSPENDED, created_at=T0, sender=ANN,
            raw_key="raw/g-4")
        assert store.atomically(lambda uow: uow.ticket_for_thread(HELP, "thread-1")) == 7
        assert store.recent_mail_count(ANN, T0) == 1
        assert [(s.id, s.raw_key) for s in store.list_suspended()] == [("s-0", "raw/g-4")]
        assert [q.raw for q in store.list_quarantine()] == [b"\x00\xff"]

        # and everything version 3 adds works on the upgraded file
        connection = store.get_connection(HELP)
        assert connection is not None
        connection.import_total, connection.import_done = 300, 12
        store.save_connection(connection)
        assert store.get_connection(HELP) == connection
        flow = OAuthFlow(nonce="n-1", session_id="s", address=HELP, brand_id="acme", import_recent=True,
                         code_verifier="v" * 64, redirect_uri="https://desk.acme.test/cb", created_at=T0,
                         expires_at=T0 + timedelta(minutes=10))
        store.save_oauth_flow(flow)
        assert store.take_oauth_flow("n-1", T0) == flow
        assert store.take_oauth_flow("n-1", T0) is None

    # Opening again finds the current version and changes nothing.
    schema_after_upgrade = _schema(path)
    with SqliteStore(path) as store:
        got = store.get_connection(HELP)
        assert got is not None and (got.import_total, got.import_done) == (300, 12)
    assert _version(path) == SCHEMA_VERSION
    assert _schema(path) == schema_after_upgrade


def test_sqlite_v3_file_upgrades_in_place_with_old_comments_read_as_customer_mail(tmp_path: Path) -> None:
    path = tmp_path / "v3.db"
    _write_v3_file(path)

    with SqliteStore(path) as store:
        assert _version(path) == SCHEMA_VERSION
        # every v3 comment was mail, so it reads back as the customer's, and otherwise unchanged
        assert store.comments(7) == [
            Comment(ticket_id=7, author=ANN, body_text="It smokes.", created_at=T0, connection=HELP,
                    gmail_message_id="g-1", message_id="m1@x", body_html="<p>It smokes.</p>",
                    attachments=[Attachment("smoke.jpg", "image/jpeg", 5000)], author_kind="customer", id="c-1"),
            Comment(ticket_id=7, author=ANN, body_text="Still smoking.", created_at=T0 + timedelta(hours=1),
                    connection=HELP, gmail_message_id="g-5", message_id="m5@x", matched_by="thread",
                    author_kind="customer", id="c-2"),
        ]
        got = store.get_connection(HELP)
        assert got is not None and (got.import_total, got.import_done) == (300, 300)
        assert store.atomically(lambda uow: uow.ticket_for_thread(HELP, "thread-1")) == 7

        # and an agent reply, what version 4 adds, is kept as one
        reply = Comment(ticket_id=7, author="admin", body_text="Unplug it.", created_at=T0 + timedelta(hours=2),
                        connection=HELP, author_kind="agent")
        store.atomically(lambda uow: uow.add_comment(reply))
        assert [c.author_kind for c in store.comments(7)] == ["customer", "customer", "agent"]

    schema_after_upgrade = _schema(path)
    with SqliteStore(path) as store:
        assert store.comments(7)[-1] == reply
    assert _version(path) == SCHEMA_VERSION
    assert _schema(path) == schema_after_upgrade


def test_sqlite_v4_file_upgrades_to_v5_with_old_tickets_and_brands_read_as_unknown(tmp_path: Path) -> None:
    path = tmp_path / "v4.db"
    _write_v4_file(path)

    with SqliteStore(path) as store:
        assert _version(path) == SCHEMA_VERSION
        # v4 rows read back whole: no Gmail thread known for the old ticket, the built-in acknowledgement text
        # and migration 11: open, since an agent replied on it; received_at from the first comment; migration 12:
        # the agent's reply, two hours on, is the last word
        later = T0 + timedelta(hours=2)
        assert store.get_ticket(7) == Ticket("Printer on fire", ANN, HELP, requester_name="Ann", created_at=T0,
                                             status="open", received_at=T0, updated_at=later,
                                             last_author="agent@acme.test", last_author_kind="agent",
                                             last_activity_at=later, id=7)
        assert store.atomically(lambda uow: uow.get_ticket(7)) == store.get_ticket(7)
        assert store.list_brands() == [Brand("acme", "Acme", ack_template=None)]
        assert [c.author_kind for c in store.comments(7)] == ["customer", "customer", "agent"]
        assert store.list_notifications() == []
        assert store.get_send_window(HELP) == SendWindow(HELP)

        # and what version 5 adds works on the upgraded file
        ack = Notification(
            id=notification_id(8, "created", [ANN]), ticket_id=8, event="created", connection=HELP,
            from_address=HELP, to=(ANN,), subject="[#8] Again", text="Got it.", message_id="t8.created@acme.test",
            gmail_thread_id="thread-8", created_at=T0)

        def work(uow: UnitOfWork) -> int:
            ticket_id = uow.add_ticket(Ticket("Again", ANN, HELP, created_at=T0, gmail_thread_id="thread-8"))
            uow.put_notification(ack)
            window = uow.get_send_window(HELP)
            window.record(T0, 1)
            uow.put_send_window(window)
            return ticket_id

        assert store.atomically(work) == 8  # AUTOINCREMENT carried on
        assert store.get_ticket(8) == Ticket("Again", ANN, HELP, created_at=T0, gmail_thread_id="thread-8", id=8)
        assert store.list_notifications(states=[NotificationState.QUEUED], ticket_id=8) == [ack]
        assert store.get_send_window(HELP).sent(T0) == 1
        store.save_brand(Brand("acme", "Acme", ack_template="Hi {{ ticket.requester_name }}"))
        assert store.list_brands()[0].ack_template == "Hi {{ ticket.requester_name }}"

    schema_after_upgrade = _schema(path)
    with SqliteStore(path) as store:
        assert store.get_notification(ack.id) == ack
    assert _version(path) == SCHEMA_VERSION
    assert _schema(path) == schema_after_upgrade


def test_sqlite_v5_file_upgrades_to_records_as_docs_keeping_every_row_and_order(tmp_path: Path) -> None:
    path = tmp_path / "v5.db"
    _write_v5_file(path)

    with SqliteStore(path) as store:
        assert _version(path) == SCHEMA_VERSION
        assert store.get_ticket(9) == Ticket(
            "Follow-up", ANN, HELP, brand_id="acme", followers=["bob@customer.test"], status="open", created_at=T0,
            suppress_triggers=True, gmail_thread_id="thread-1", id=9)
        assert [t.id for t in store.list_tickets(connection=HELP)] == [9, 7]
        assert store.atomically(lambda uow: uow.ticket_for_thread(HELP, "thread-1")) == 9  # the latest entry
        assert store.atomically(lambda uow: uow.ticket_for_message_ids(["m9@x", "m1@x"])) == 9
        assert [c.id for c in store.comments(7)] == ["c-1", "c-2", "c-3"]
        assert store.recent_mail_count(ANN, T0) == 2
        assert store.ledger_counts(HELP) == {
            Outcome.TICKET: 2, Outcome.COMMENT: 0, Outcome.SUSPENDED: 2, Outcome.IGNORED: 0, Outcome.QUARANTINED: 0}
        assert store.ledger_contains(HELP, ["g-1", "g-9", "g-404"]) == {"g-1", "g-9"}
        assert store.list_support_addresses() == [
            SupportAddress(HELP, brand_id="acme", is_default=True, kind=AddressKind.FORWARDING)]
        assert [(q.id, q.raw, q.connection) for q in store.list_quarantine()] == [
            ("q-2", b"{}", None), ("q-1", b"\x00\xff", HELP)]
        [sent] = store.list_notifications()
        assert (sent.state, sent.route, sent.to, sent.sent_at) == (NotificationState.SENT, "gmail", (ANN,), T0)
        assert store.get_send_window(HELP).sent(T0) == 3
        # the lease's holder and its look-again mark survive: another worker is turned away and marks it
        assert not store.try_lease("sync:help", "w-2", T0, 60)
        assert store.release_lease("sync:help", "w-1")  # the mark: sync once more
        assert not store.release_lease("sync:help", "w-1")
        flow = store.take_oauth_flow("n-5", T0)
        assert flow is not None and (flow.import_recent, flow.reconnect, flow.expires_at) == (
            False, True, T0 + timedelta(minutes=10))

        # the ticket counter carried on from where it was, not from the highest id
        assert store.atomically(lambda uow: uow.add_ticket(Ticket("New", ANN, HELP, created_at=T0))) == 21

    schema_after_upgrade = _schema(path)
    with SqliteStore(path) as store:
        assert store.get_ticket(21) is not None
    assert _schema(path) == schema_after_upgrade


def test_sqlite_failed_upgrade_leaves_the_v5_file_untouched(tmp_path: Path) -> None:
    path = tmp_path / "v5.db"
    _write_v5_file(path)
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE oauth_flows_v5 (x)")  # makes migration 6 fail after rebuilding most tables
    db.commit()
    db.close()

    with pytest.raises(sqlite3.OperationalError, match="oauth_flows_v5"):
        SqliteStore(path)

    assert _version(path) == 5
    assert "subject" in _columns(path, "tickets") and "doc" not in _columns(path, "tickets")


def test_sqlite_upgraded_file_has_the_same_schema_as_a_new_one(tmp_path: Path) -> None:
    _write_v1_file(tmp_path / "upgraded-v1.db")
    _write_v2_file(tmp_path / "upgraded-v2.db")
    _write_v3_file(tmp_path / "upgraded-v3.db")
    _write_v4_file(tmp_path / "upgraded-v4.db")
    _write_v5_file(tmp_path / "upgraded-v5.db")
    for name in ("upgraded-v1.db", "upgraded-v2.db", "upgraded-v3.db", "upgraded-v4.db", "upgraded-v5.db", "new.db"):
        SqliteStore(tmp_path / name).close()

    assert _schema(tmp_path / "upgraded-v1.db") == _schema(tmp_path / "new.db")
    assert _schema(tmp_path / "upgraded-v2.db") == _schema(tmp_path / "new.db")
    assert _schema(tmp_path / "upgraded-v3.db") == _schema(tmp_path / "new.db")
    assert _schema(tmp_path / "upgraded-v4.db") == _schema(tmp_path / "new.db")
    assert _schema(tmp_path / "upgraded-v5.db") == _schema(tmp_path / "new.db")


def test_sqlite_failed_upgrade_leaves_the_v4_file_untouched(tmp_path: Path) -> None:
    path = tmp_path / "v4.db"
    _write_v4_file(path)
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE outbox (x)")  # makes migration 5 fail after its ALTER TABLEs
    db.commit()
    db.close()

    with pytest.raises(sqlite3.OperationalError, match="outbox"):
        SqliteStore(path)

    assert _version(path) == 4
    assert "gmail_thread_id" not in _columns(path, "tickets")
    assert "ack_template" not in _columns(path, "brands")


def test_sqlite_failed_upgrade_leaves_the_v2_file_untouched(tmp_path: Path) -> None:
    path = tmp_path / "v2.db"
    _write_v2_file(path)
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE oauth_flows (x)")  # makes migration 3 fail after its ALTER TABLEs
    db.commit()
    db.close()

    with pytest.raises(sqlite3.OperationalError, match="oauth_flows"):
        SqliteStore(path)

    assert _version(path) == 2
    assert "import_total" not in _columns(path, "connections")
    assert "import_done" not in _columns(path, "connections")


def test_sqlite_failed_upgrade_leaves_the_v1_file_untouched(tmp_path: Path) -> None:
    """Migrations run in one transaction: a step failing halfway must not leave a half-upgraded file."""
    path = tmp_path / "v1.db"
    _write_v1_file(path)
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE suspended (x)")  # makes migration 2 fail after its ALTER TABLEs
    db.commit()
    db.close()

    with pytest.raises(sqlite3.OperationalError, match="suspended"):
        SqliteStore(path)

    assert _version(path) == 1
    assert "body_html" not in _columns(path, "comments")
    assert "sender" not in _columns(path, "ledger")


def test_sqlite_refuses_a_file_from_a_newer_release(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    SqliteStore(path).close()
    db = sqlite3.connect(path)
    db.execute("UPDATE schema_version SET version = ?", (SCHEMA_VERSION + 1,))
    db.commit()
    db.close()

    with pytest.raises(SchemaTooNew):
        SqliteStore(path)


def test_sqlite_recent_mail_count_is_served_by_the_sender_index(tmp_path: Path) -> None:
    """Burst detection runs for every incoming mail: it must not scan the whole ledger."""
    SqliteStore(tmp_path / "store.db").close()
    db = sqlite3.connect(tmp_path / "store.db")
    try:
        plan = " ".join(str(row[-1]) for row in db.execute(f"EXPLAIN QUERY PLAN {RECENT_MAIL_COUNT_SQL}",
                                                            (ANN, _ts(T0))))
    finally:
        db.close()

    assert "ledger_by_sender" in plan and "sender=? AND created_at>?" in plan, plan


def test_sqlite_tickets_mentioning_is_served_by_the_mentions_index(tmp_path: Path) -> None:
    """Every ticket page asks which tickets mention it: an index lookup, never a scan of all tickets."""
    from gmail_tickets.adapters.sqlite_store.migration_8 import MENTIONS_EXPR

    SqliteStore(tmp_path / "store.db").close()
    db = sqlite3.connect(tmp_path / "store.db")
    try:
        sql = f"SELECT id FROM tickets WHERE {MENTIONS_EXPR} = ? ORDER BY id LIMIT ?"
        plan = " ".join(str(row[-1]) for row in db.execute(f"EXPLAIN QUERY PLAN {sql}", (7, 20)))
    finally:
        db.close()

    assert "tickets_by_mentions" in plan, plan


def test_sqlite_due_retries_are_served_by_the_retry_index(tmp_path: Path) -> None:
    """The sweep asks every minute which retrying records are due: a range of a partial index that holds only the
    retrying records, never a scan of the outbox's history."""
    from gmail_tickets.adapters.sqlite_store.outbox import DUE_NOTIFICATIONS_SQL

    SqliteStore(tmp_path / "store.db").close()
    db = sqlite3.connect(tmp_path / "store.db")
    try:
        plan = " ".join(str(row[-1]) for row in db.execute(f"EXPLAIN QUERY PLAN {DUE_NOTIFICATIONS_SQL}",
                                                            (_ts(T0), 200)))
    finally:
        db.close()

    assert "outbox_retry_due" in plan and "SCAN outbox" not in plan.replace("USING INDEX", ""), plan
    assert "TEMP B-TREE" not in plan, plan  # the index gives the order too
