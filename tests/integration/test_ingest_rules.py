"""helpdesk-email-rules.md through the whole sync path (simulator over HTTP → adapter → services → store), on
SQLite and on the Firestore emulator: what each kind of mail becomes, and that nothing is lost on the way."""

from __future__ import annotations

from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest

from devstack.gmail_sim import Verdicts
from gmail_tickets.domain.model import Outcome
from gmail_tickets.domain.ticket_token import subject_token
from gmail_tickets.ports import UnitOfWork
from gmail_tickets.services.sync_mailbox import sync_mailbox
from tests.integration.ingest_harness import IngestHarness

SUPPORT = "support@example.com"
SALES = "sales@example.com"
SAMPLES = Path(__file__).resolve().parents[2] / "devstack" / "sample_mail"


@pytest.fixture
def harness(sim, sim_server, store, tmp_path: Path) -> Iterator[IngestHarness]:
    yield IngestHarness(sim, sim_server, store, tmp_path, mailboxes=(SUPPORT, SALES))


def mail(subject: str = "Help", *, sender: str = "Cara <cara@customer.example>", headers: dict | None = None,
         body: str = "Please help.", **fields: str) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = SUPPORT
    msg["Subject"] = subject
    for name, value in {**(headers or {}), **{k.replace("_", "-"): v for k, v in fields.items()}}.items():
        msg[name] = value
    msg.set_content(body)
    return msg.as_bytes()


def outcome(harness: IngestHarness, gmail_id: str) -> Outcome:
    entry = harness.store.atomically(lambda uow: uow.get_ledger(SUPPORT, gmail_id))
    assert entry is not None, "mail lost"
    return entry.outcome


def deliver_and_sync(harness: IngestHarness, *raws: bytes) -> list[str]:
    ids = [harness.deliver(raw) for raw in raws]
    assert sync_mailbox(harness.deps, SUPPORT).status == "synced"
    return ids


@pytest.mark.parametrize(
    "headers",
    [{"Auto-Submitted": "auto-replied"}, {"X-Autoreply": "yes"}, {"X-Autorespond": "on"},
     {"X-Auto-Response-Suppress": "All"}, {"Precedence": "bulk"}, {"Precedence": "junk"}, {"Precedence": "list"},
     {"List-Unsubscribe": "<mailto:u@x>", "From": "News <noreply@shop.example>"}],
)
def test_automatic_and_bulk_mail_is_suspended_not_ticketed(harness: IngestHarness, headers: dict) -> None:
    headers = dict(headers)
    sender = headers.pop("From", "Cara <cara@customer.example>")
    raw = mail("Out of office", sender=sender, headers=headers)
    [gmail_id] = deliver_and_sync(harness, raw)
    assert outcome(harness, gmail_id) == Outcome.SUSPENDED
    assert harness.store.list_tickets() == []
    [held] = harness.store.list_suspended()
    assert held.gmail_message_id == gmail_id and held.subject == "Out of office" and held.reason
    assert harness.deps.blobs.get(held.raw_key) == raw  # kept, for an admin to look at or release


def test_auto_submitted_no_is_a_normal_ticket(harness: IngestHarness) -> None:
    [gmail_id] = deliver_and_sync(harness, mail(headers={"Auto-Submitted": "no"}))
    assert outcome(harness, gmail_id) == Outcome.TICKET


def test_bounce_is_a_comment_on_the_ticket_of_the_bounced_mail(harness: IngestHarness) -> None:
    [original, bounce] = deliver_and_sync(
        harness, (SAMPLES / "01-new-request.eml").read_bytes(), (SAMPLES / "08-bounce.eml").read_bytes())
    assert outcome(harness, original) == Outcome.TICKET
    assert outcome(harness, bounce) == Outcome.COMMENT
    [ticket] = harness.store.list_tickets()
    assert [c.matched_by for c in harness.store.comments(ticket.id)] == [None, "bounce"]


def test_bounce_of_unknown_mail_is_suspended_and_never_a_ticket(harness: IngestHarness) -> None:
    [bounce] = deliver_and_sync(harness, (SAMPLES / "08-bounce.eml").read_bytes())
    assert outcome(harness, bounce) == Outcome.SUSPENDED
    for sender in ("MAILER-DAEMON@mx.example", "postmaster@corp.example"):
        [gmail_id] = deliver_and_sync(harness, mail("Undeliverable: hi", sender=sender))
        assert outcome(harness, gmail_id) == Outcome.SUSPENDED
    [empty_return_path] = deliver_and_sync(harness, mail("Returned mail: see transcript for details",
                                                          headers={"Return-Path": "<>"}))
    assert outcome(harness, empty_return_path) == Outcome.SUSPENDED
    assert harness.store.list_tickets() == []


def test_mail_with_an_empty_return_path_but_no_bounce_shape_is_a_ticket(harness: IngestHarness) -> None:
    """`Return-Path: <>` alone is what spam (and RFC 3834 auto-responders) send with: it makes no bounce."""
    [gmail_id] = deliver_and_sync(harness, mail("Great offer for your team", headers={"Return-Path": "<>"}))
    assert outcome(harness, gmail_id) == Outcome.TICKET
    assert harness.store.list_suspended() == []


def test_mail_from_our_own_addresses_or_with_our_signature_is_ignored(harness: IngestHarness) -> None:
    signed = harness.deps.tokens.message_id(41)
    ids = deliver_and_sync(
        harness,
        mail("loop", sender=f"Support <{SALES}>"),  # another connected support address
        mail("loop", sender=f"Support <{SUPPORT.upper()}>"),
        mail("our notification came back", message_id=f"<{signed}>"),
    )
    assert [outcome(harness, i) for i in ids] == [Outcome.IGNORED] * 3
    assert harness.store.list_tickets() == []


def test_a_burst_from_one_sender_is_suspended_after_the_threshold(harness: IngestHarness) -> None:
    from dataclasses import replace

    harness.deps.settings = replace(harness.deps.settings, burst_threshold=3)
    ids = deliver_and_sync(harness, *(mail(f"spam {n}", sender="loud@bot.example") for n in range(5)))
    assert [outcome(harness, i) for i in ids] == [Outcome.TICKET] * 3 + [Outcome.SUSPENDED] * 2
    [other] = deliver_and_sync(harness, mail("calm", sender="calm@customer.example"))
    assert outcome(harness, other) == Outcome.TICKET


def test_threading_by_signed_message_id_token(harness: IngestHarness) -> None:
    deliver_and_sync(harness, mail("Printer"))
    ticket_id = harness.store.list_tickets()[0].id
    ours = harness.deps.tokens.message_id(ticket_id)  # our notification's id, not stored anywhere
    [reply] = deliver_and_sync(harness, mail("Re: Printer (new subject)", in_reply_to=f"<{ours}>"))
    assert outcome(harness, reply) == Outcome.COMMENT
    assert harness.store.comments(ticket_id)[-1].matched_by == "message_id_token"
    forged = ours[:-12] + "0" * 12 if not ours.endswith("0" * 12) else ours[:-12] + "1" * 12
    [stranger] = deliver_and_sync(harness, mail("Re: Printer", in_reply_to=f"<{forged}>"))
    assert outcome(harness, stranger) == Outcome.TICKET


def test_subject_token_threads_only_for_the_tickets_participants(harness: IngestHarness) -> None:
    deliver_and_sync(harness, mail("Refund", sender="cara@customer.example", cc="dave@customer.example"))
    ticket = harness.store.list_tickets()[0]
    token = subject_token(ticket.id)
    ids = deliver_and_sync(
        harness,
        mail(f"Re: Refund {token}", sender="cara@customer.example"),  # the requester
        mail(f"Re: Refund {token}", sender="dave@customer.example"),  # a follower (was in Cc)
        mail(f"Re: Refund {token}", sender="mallory@evil.example"),  # a stranger: a new ticket
        mail("Refund", sender="cara@customer.example"),  # same subject, no token: never threads on subject
    )
    assert [outcome(harness, i) for i in ids] == [Outcome.COMMENT, Outcome.COMMENT, Outcome.TICKET, Outcome.TICKET]
    assert [c.matched_by for c in harness.store.comments(ticket.id)] == [None, "subject_token", "subject_token"]


def test_followers_are_cc_without_our_own_addresses(harness: IngestHarness) -> None:
    deliver_and_sync(harness, mail(cc=f"dave@customer.example, {SALES}, {SUPPORT}, Eve <eve@customer.example>"))
    assert harness.store.list_tickets()[0].followers == ["dave@customer.example", "eve@customer.example"]


def test_a_reply_that_cc_s_new_people_makes_them_followers(harness: IngestHarness) -> None:
    deliver_and_sync(harness, mail("Refund", message_id="<refund-1@customer.example>", cc="dave@customer.example"))
    reply = harness.deliver(mail(  # Gmail vouches for the sender: only then may a reply widen the ticket
        "Re: Refund", in_reply_to="<refund-1@customer.example>",
        cc="Frank <frank@customer.example>, dave@customer.example, eve@customer.example"),
        auth=Verdicts(spf="pass", dkim=(("pass", None),), dmarc="pass"))
    assert sync_mailbox(harness.deps, SUPPORT).status == "synced"
    assert outcome(harness, reply) == Outcome.COMMENT
    [ticket] = harness.store.list_tickets()
    # appended in the order they were Cc'd, after the followers the ticket had: the agent's next reply reaches them
    assert ticket.followers == ["dave@customer.example", "frank@customer.example", "eve@customer.example"]


def test_a_reply_cc_ing_us_or_the_requester_adds_no_follower_and_writes_nothing_more(
        harness: IngestHarness) -> None:
    deliver_and_sync(harness, mail("Refund", message_id="<refund-1@customer.example>", cc="dave@customer.example"))
    before = harness.store.write_count
    deliver_and_sync(harness, mail("Re: Refund", in_reply_to="<refund-1@customer.example>"))
    plain_reply = harness.store.write_count - before
    before = harness.store.write_count
    [reply] = deliver_and_sync(harness, mail(  # the follower answers, Cc'ing the requester and our addresses
        "Re: Refund", sender="Dave <dave@customer.example>", in_reply_to="<refund-1@customer.example>",
        cc=f"Cara <cara@customer.example>, {SUPPORT}, Sales <{SALES.upper()}>, dave@customer.example"))
    assert outcome(harness, reply) == Outcome.COMMENT
    assert harness.store.list_tickets()[0].followers == ["dave@customer.example"]
    assert harness.store.write_count - before == plain_reply  # nobody new: the ticket is not rewritten


def test_an_existing_follower_in_other_letter_case_is_not_added_again(harness: IngestHarness) -> None:
    deliver_and_sync(harness, mail("Refund", message_id="<refund-1@customer.example>"))
    ticket_id = harness.store.list_tickets()[0].id

    def follow(uow: UnitOfWork) -> None:  # e.g. added by hand, as typed
        ticket = uow.get_ticket(ticket_id)
        ticket.followers = ["Dave@Customer.Example"]
        uow.put_ticket(ticket)

    harness.store.atomically(follow)
    deliver_and_sync(harness, mail("Re: Refund", in_reply_to="<refund-1@customer.example>",
                                   cc="dave@customer.example, DAVE@customer.example"))
    assert harness.store.list_tickets()[0].followers == ["Dave@Customer.Example"]


def test_a_bounce_adds_no_follower(harness: IngestHarness) -> None:
    bounce = (SAMPLES / "08-bounce.eml").read_bytes().replace(
        b"To: support@example.com\n", b"To: support@example.com\nCc: postmaster@customer.example\n", 1)
    assert b"Cc: postmaster@" in bounce
    [_, bounced] = deliver_and_sync(harness, (SAMPLES / "01-new-request.eml").read_bytes(), bounce)
    assert outcome(harness, bounced) == Outcome.COMMENT
    [ticket] = harness.store.list_tickets()
    assert harness.store.comments(ticket.id)[-1].matched_by == "bounce"
    assert ticket.followers == []


def test_the_from_sender_is_the_requester_and_reply_to_is_kept(harness: IngestHarness) -> None:
    deliver_and_sync(harness, mail(sender="form@webshop.example", reply_to="Real Person <real@customer.example>"))
    [ticket] = harness.store.list_tickets()
    assert ticket.requester == "form@webshop.example"
    assert harness.store.comments(ticket.id)[0].reply_to == "real@customer.example"


def test_content_attachments_inline_images_sanitized_html_and_raw_are_kept(harness: IngestHarness) -> None:
    raws = [(SAMPLES / name).read_bytes() for name in ("04-attachment.eml", "09-html-inline-image.eml")]
    ids = deliver_and_sync(harness, *raws)
    tickets = {t.subject: t for t in harness.store.list_tickets()}
    [report] = harness.store.comments(tickets["Export fails with error 500 (screenshot attached)"].id)
    [png] = report.attachments
    assert (png.filename, png.content_type, png.inline) == ("error.png", "image/png", False)
    assert harness.deps.blobs.get(png.blob_key).startswith(b"\x89PNG") and png.size == len(
        harness.deps.blobs.get(png.blob_key))
    [html] = harness.store.comments(tickets["The logo on our invoices is cut off"].id)
    assert "<script" not in html.body_html and "onclick" not in html.body_html and "onmouseover" not in html.body_html
    assert 'src="cid:logo-crop@design.example"' in html.body_html
    [logo] = html.attachments
    assert (logo.content_id, logo.inline) == ("logo-crop@design.example", True)
    for gmail_id, raw in zip(ids, raws, strict=True):  # the raw message is kept for every mail
        entry = harness.store.atomically(lambda uow, i=gmail_id: uow.get_ledger(SUPPORT, i))
        assert harness.deps.blobs.get(entry.raw_key) == raw


def test_quoted_history_is_kept_in_full(harness: IngestHarness) -> None:
    deliver_and_sync(harness, (SAMPLES / "01-new-request.eml").read_bytes(),
                     (SAMPLES / "02-reply-in-thread.eml").read_bytes())
    [_, reply] = harness.store.comments(harness.store.list_tickets()[0].id)
    assert "> since this morning" in reply.body_text  # quote stripping is a view, never destructive


def test_oversize_mail_becomes_a_ticket_linking_to_gmail_and_the_mailbox_flows_on(harness: IngestHarness) -> None:
    from dataclasses import replace

    harness.deps.settings = replace(harness.deps.settings, max_message_bytes=50_000)
    big_id, small_id = deliver_and_sync(harness, mail("Huge log file", body="x" * 80_000), mail("Small"))
    assert outcome(harness, big_id) == Outcome.TICKET and outcome(harness, small_id) == Outcome.TICKET
    big = next(t for t in harness.store.list_tickets() if t.subject == "Huge log file")
    [note] = harness.store.comments(big.id)
    assert f"https://mail.google.com/mail/u/{SUPPORT}/#all/{big_id}" in note.body_text
    assert "x" * 100 not in note.body_text
    methods = harness.sim.counters(SUPPORT)["methods"]
    assert methods["messages.get"]["calls"] == 2  # the big one: metadata only; the small one: raw


def test_oversize_mail_missed_by_search_is_caught_by_its_size(harness: IngestHarness) -> None:
    from dataclasses import replace

    harness.deps.settings = replace(harness.deps.settings, max_message_bytes=50_000)
    original = harness.deps.mailbox_for
    harness.deps.mailbox_for = lambda address: _NoSearch(original(address))
    [big_id] = deliver_and_sync(harness, mail("Huge again", body="y" * 80_000))
    [note] = harness.store.comments(harness.store.list_tickets()[0].id)
    assert big_id in note.body_text and "y" * 100 not in note.body_text


class _NoSearch:
    """The real mailbox whose `larger:` search finds nothing, as when Gmail's index lags behind delivery."""

    def __init__(self, inner: object) -> None:
        self._inner = inner

    def __getattr__(self, name: str) -> object:
        return getattr(self._inner, name)

    def list_messages(self, query: str = "", **kwargs: object) -> Iterator[object]:
        if query.startswith("larger:"):
            return iter(())
        return self._inner.list_messages(query, **kwargs)
