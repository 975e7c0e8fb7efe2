"""Contract: what keeps a mail faithful comes back whole: attachment blobs and inline ids, the sanitized HTML
body (however large), and the ledger's sender and raw-mail key.

Replies render inline images through `cid:` references and admins replay mail from its raw key, so a store that
drops any of these loses mail content silently, long after the Gmail copy may be gone.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

from gmail_tickets.domain.model import Attachment, Comment, LedgerEntry, Outcome, Ticket
from gmail_tickets.ports import Store, UnitOfWork

T0 = datetime(2024, 5, 17, 9, 30, 15, 123456, tzinfo=UTC)
HELP = "help@acme.test"
PDF_KEY = "attachments/" + "ab" * 32
LOGO_KEY = "attachments/" + "cd" * 32


def _ticket(store: Store) -> int:
    return store.atomically(lambda uow: uow.add_ticket(Ticket("s", "ann@customer.test", HELP, created_at=T0)))


def _comment(ticket_id: int, body_text: str = "See attached.", body_html: str | None = None,
             attachments: list[Attachment] | None = None) -> Comment:
    return Comment(ticket_id=ticket_id, author="ann@customer.test", body_text=body_text, created_at=T0,
                   connection=HELP, body_html=body_html, attachments=attachments or [])


def _store_comments(store: Store, *comments: Comment) -> None:
    def work(uow: UnitOfWork) -> None:
        for comment in comments:
            uow.add_comment(comment)

    store.atomically(work)


# --------------------------------------------------------------------------- attachments


def test_attachments_round_trip_blob_keys_content_ids_and_inline_flags(store: Store) -> None:
    ticket_id = _ticket(store)
    attachments = [
        Attachment("report.pdf", "application/pdf", 12345, blob_key=PDF_KEY),
        Attachment("logo.png", "image/png", 2048, blob_key=LOGO_KEY, content_id="logo@acme.test", inline=True),
        Attachment("inline-no-cid.gif", "image/gif", 1, blob_key=LOGO_KEY, inline=True),
        Attachment("lost.bin", "application/octet-stream", 0),  # metadata only: no blob kept
    ]
    comment = _comment(ticket_id, attachments=attachments)

    _store_comments(store, comment)

    got = store.comments(ticket_id)
    assert got == [comment]
    assert got[0].attachments == attachments
    assert all(isinstance(a, Attachment) and type(a.inline) is bool and type(a.size) is int
               for a in got[0].attachments)


# --------------------------------------------------------------------------- HTML bodies


def test_body_html_round_trips_and_none_and_empty_stay_distinct(store: Store) -> None:
    ticket_id = _ticket(store)
    html = '<p>Hallo — ✓</p><p><img src="cid:logo@acme.test" alt="logo"></p>'
    with_html = _comment(ticket_id, body_html=html, attachments=[
        Attachment("logo.png", "image/png", 2048, blob_key=LOGO_KEY, content_id="logo@acme.test", inline=True),
    ])
    without_html = _comment(ticket_id, body_text="plain only")
    empty_html = _comment(ticket_id, body_text="empty html", body_html="")

    _store_comments(store, with_html, without_html, empty_html)

    got = store.comments(ticket_id)
    assert got == [with_html, without_html, empty_html]
    assert got[1].body_html is None
    assert got[2].body_html == ""


def test_a_body_html_beyond_the_document_limit_round_trips_whole(store: Store) -> None:
    ticket_id = _ticket(store)
    html = "<p>Zeile mit Ümlaut ✓</p>\n" * 110_000  # ~2.8 MB of UTF-8: more than one Firestore document holds
    huge = _comment(ticket_id, body_text="short text", body_html=html)
    after = _comment(ticket_id, body_text="after", body_html="<p>after</p>")

    _store_comments(store, huge, after)

    got = store.comments(ticket_id)
    assert got == [huge, after]
    assert got[0].body_html == html


def test_text_and_html_that_only_together_exceed_the_document_limit_round_trip(store: Store) -> None:
    ticket_id = _ticket(store)
    text = "Ü" * 300_000  # 600 KB of UTF-8 each: fine alone, too big together for one 1 MiB document
    html = "<b>Ü</b>" * 85_000
    both = _comment(ticket_id, body_text=text, body_html=html)

    _store_comments(store, both)

    assert store.comments(ticket_id) == [both]


def test_huge_text_and_huge_html_on_one_comment_round_trip(store: Store) -> None:
    ticket_id = _ticket(store)
    comment = _comment(ticket_id, body_text="text ✓ " * 200_000, body_html="<i>html ✓</i> " * 150_000)

    _store_comments(store, comment)

    assert store.comments(ticket_id) == [comment]


# --------------------------------------------------------------------------- ledger sender and raw key


def test_ledger_sender_and_raw_key_round_trip(store: Store) -> None:
    full = LedgerEntry(connection=HELP, gmail_message_id="m-1", outcome=Outcome.SUSPENDED, created_at=T0,
                       rfc_message_id="CAF=1@mail.gmail.com", sender="ann@customer.test", raw_key="raw/m-1.eml")
    no_sender = LedgerEntry(connection=HELP, gmail_message_id="m-2", outcome=Outcome.QUARANTINED,
                            raw_key="raw/m-2.eml")  # unparseable mail: no From, but its raw bytes are kept

    def work(uow: UnitOfWork) -> None:
        uow.add_ledger(full)
        uow.add_ledger(no_sender)

    store.atomically(work)

    assert store.atomically(lambda uow: uow.get_ledger(HELP, "m-1")) == full
    assert store.atomically(lambda uow: uow.get_ledger(HELP, "m-2")) == no_sender


def test_ledger_sender_is_stored_lower_cased(store: Store) -> None:
    entry = LedgerEntry(connection=HELP, gmail_message_id="m-1", outcome=Outcome.IGNORED, created_at=T0,
                        sender="Ann.Smith@Customer.TEST")

    store.atomically(lambda uow: uow.add_ledger(entry))

    got = store.atomically(lambda uow: uow.get_ledger(HELP, "m-1"))
    assert got == dataclasses.replace(entry, sender="ann.smith@customer.test")


# --------------------------------------------------------------------------- write costs


def test_a_new_ticket_with_every_new_field_still_costs_three_writes(store: Store) -> None:
    def record(gmail_message_id: str, thread_id: str) -> None:
        def work(uow: UnitOfWork) -> None:
            ticket_id = uow.add_ticket(Ticket("s", "ann@customer.test", HELP, created_at=T0))
            comment = _comment(ticket_id, body_html="<p>It smokes.</p>", attachments=[
                Attachment("smoke.jpg", "image/jpeg", 5000, blob_key=LOGO_KEY, content_id="smoke@x", inline=True),
                Attachment("log.txt", "text/plain", 10, blob_key=PDF_KEY),
            ])
            comment_id = uow.add_comment(comment)
            uow.add_ledger(
                LedgerEntry(connection=HELP, gmail_message_id=gmail_message_id, outcome=Outcome.TICKET,
                            ticket_id=ticket_id, comment_id=comment_id, rfc_message_id=f"{gmail_message_id}@x",
                            created_at=T0 + timedelta(seconds=1), sender="ann@customer.test",
                            raw_key=f"raw/{gmail_message_id}"),
                thread_id=thread_id,
            )

        store.atomically(work)

    record("warm-up", "t-0")  # first-use setup (Firestore reserves a block of ticket ids)
    before = store.write_count

    record("m-1", "t-1")

    assert store.write_count - before == 3
