"""When a stored mail with the same Message-ID is the SAME mail (domain/same_mail.py)."""

from datetime import UTC, datetime

from gmail_tickets.domain.model import LedgerEntry, Outcome
from gmail_tickets.domain.same_mail import MailIdentity, content_hash, is_same_mail, original_of

WHEN = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


def digest(**changes: object) -> str:
    values: dict = {"date": WHEN, "subject": "Printer", "text": "It smokes.", "html": None, "attachments": ("k1",)}
    values.update(changes)
    return content_hash(**values)


def test_the_hash_changes_with_anything_a_reader_sees_and_nothing_else() -> None:
    assert digest() == digest(attachments=["k1"])
    for change in ({"date": None}, {"subject": "Scanner"}, {"text": "It burns."}, {"html": "<p>x</p>"},
                   {"attachments": ("k2",)}, {"attachments": ()}):
        assert digest(**change) != digest(), change
    assert digest(subject="a", text="b") != digest(subject="ab", text="")  # parts are kept apart


def entry(gmail_id: str = "g-1", sender: str | None = "ann@x.example", hashed: str | None = "h") -> LedgerEntry:
    return LedgerEntry("help@ours.example", gmail_id, Outcome.TICKET, 4, "c-4", "m@x", sender=sender,
                       content_hash=hashed)


def test_the_same_mail_is_the_same_gmail_message_or_the_same_sender_and_content() -> None:
    assert is_same_mail(entry(), MailIdentity("g-1", "eve@y.example", "other"))
    assert is_same_mail(entry(), MailIdentity("g-2", "Ann@X.example", "h"))
    assert not is_same_mail(entry(), MailIdentity("g-2", "ann@x.example", "other"))
    assert not is_same_mail(entry(), MailIdentity("g-2", "eve@y.example", "h"))
    assert not is_same_mail(entry(sender=None), MailIdentity("g-2", "ann@x.example", "h"))


def test_the_first_stored_copy_is_the_original() -> None:
    other, first, second = entry("g-0", hashed="z"), entry("g-1"), entry("g-2")
    assert original_of([other, first, second], MailIdentity("g-9", "ann@x.example", "h")) is first
    assert original_of([other], MailIdentity("g-9", "ann@x.example", "h")) is None
