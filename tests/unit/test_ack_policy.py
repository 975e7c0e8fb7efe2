"""Who gets automatic mail (domain/ack_policy.py), where an agent's reply goes (domain/reply_target.py), and
organizational domains (domain/org_domain.py): plain values."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from gmail_tickets.domain.ack_policy import AckPolicy, RecentAutomaticMail
from gmail_tickets.domain.burst import BurstPolicy
from gmail_tickets.domain.model import Comment, Ticket
from gmail_tickets.domain.org_domain import organization_of, same_organization
from gmail_tickets.domain.outbox import Notification, NotificationState
from gmail_tickets.domain.reply_target import reply_target
from gmail_tickets.domain.sender_auth import SenderAuth

AUTHENTICATED = SenderAuth(from_domain="ann.example", spf="pass", dkim="pass", dmarc="pass")
DMARC_FAILED = SenderAuth(from_domain="bank.example", spf="fail", dkim="fail", dmarc="fail")
UNALIGNED = SenderAuth(from_domain="corp.example", spf="pass", spf_domain="mailer.example", dkim="none",
                       dmarc="temperror")
NO_DMARC = SenderAuth(from_domain="old.example", spf="softfail", dmarc="none")


@pytest.mark.parametrize(("auth", "refused"), [
    (None, None), (AUTHENTICATED, None), (NO_DMARC, None), (DMARC_FAILED, "possible spoof"),
    (UNALIGNED, "not authenticated"),
])
def test_automatic_mail_goes_only_to_vouched_senders(auth: SenderAuth | None, refused: str | None) -> None:
    reason = AckPolicy().refusal(auth)
    assert (reason is None) == (refused is None)
    if refused:
        assert refused in reason  # type: ignore[operator]


def test_one_per_recipient_per_interval_and_a_ceiling_per_account() -> None:
    policy = AckPolicy(timedelta(minutes=10), account_ceiling=3)
    assert policy.limited(RecentAutomaticMail(0, 2)) is None
    assert "10 minutes" in (policy.limited(RecentAutomaticMail(1, 0)) or "")
    assert "ceiling of 3" in (policy.limited(RecentAutomaticMail(0, 3)) or "")
    assert AckPolicy(timedelta(0)).limited(RecentAutomaticMail(5, 0)) is None
    now = datetime(2026, 1, 1, 12, tzinfo=UTC)
    assert policy.recipient_since(now) == datetime(2026, 1, 1, 11, 50, tzinfo=UTC)
    assert policy.account_since(now) == datetime(2026, 1, 1, 11, tzinfo=UTC)
    with pytest.raises(ValueError):
        AckPolicy(account_ceiling=-1)


def _ack(state: NotificationState = NotificationState.QUEUED, automatic: bool = True,
         event: str = "created") -> Notification:
    return Notification(id="n", ticket_id=1, event=event, connection="Help@Acme.example",
                        from_address="help@acme.example", to=("Ann@Ann.example",), subject="s", text="t",
                        message_id="m@acme.example", automatic=automatic, state=state)


def test_only_automatic_mail_meant_to_go_is_counted() -> None:
    assert _ack().counted_recipient == "ann@ann.example"
    assert _ack(automatic=False).counted_recipient is None
    skipped = _ack()
    skipped.skip("Acknowledgement not sent: possible spoof.", datetime(2026, 1, 1, tzinfo=UTC))
    assert skipped.state == NotificationState.SKIPPED and skipped.is_settled and skipped.counted_recipient is None
    assert skipped.last_error == "Acknowledgement not sent: possible spoof."


def test_mail_to_our_own_agents_does_not_use_up_the_customers_limits() -> None:
    assert _ack(event="assigned:1:3").counted_recipient is None
    assert _ack(event="customer-reply:c1").counted_recipient is None
    assert _ack(event="solved:1:4").counted_recipient == "ann@ann.example"  # the requester's: counted


def test_burst_counts_a_domain_too() -> None:
    policy = BurstPolicy(threshold=20, domain_threshold=3)
    assert not policy.is_domain_burst(2) and policy.is_domain_burst(3)
    assert policy.domain_reason == "More than 3 mails from this sender's domain within 10 minutes."
    with pytest.raises(ValueError):
        BurstPolicy(domain_threshold=0)


def test_organizational_domains() -> None:
    assert organization_of("a@mail.example.co.uk") == "example.co.uk"
    assert organization_of("A@Sub.Example.COM") == "example.com"
    assert organization_of("nobody") == ""
    assert same_organization("ann@support.example.com", "team@example.com")
    assert not same_organization("ann@example.co.uk", "eve@other.co.uk")
    assert not same_organization("ann@example.com", None)


def _ticket_with_reply_to(reply_to: str | None, *, author: str = "ann@ann.example") -> tuple[Ticket, list[Comment]]:
    ticket = Ticket(subject="s", requester="ann@ann.example", connection="help@acme.example", id=7)
    when = datetime(2026, 1, 1, tzinfo=UTC)
    comments = [Comment(ticket_id=7, author=author, body_text="b", created_at=when, connection="help@acme.example",
                        reply_to=reply_to)]
    return ticket, comments


def test_agent_replies_follow_reply_to_only_within_the_senders_domain_or_when_confirmed() -> None:
    same = reply_target(*_ticket_with_reply_to("team@lists.ann.example"))
    assert not same.needs_confirmation and same.address() == "team@lists.ann.example"
    foreign = reply_target(*_ticket_with_reply_to("eve@evil.example"))
    assert foreign.needs_confirmation
    assert foreign.address() == "ann@ann.example"
    assert foreign.address("someone@else.example") == "ann@ann.example"
    assert foreign.address(" EVE@evil.example ") == "eve@evil.example"
    assert reply_target(*_ticket_with_reply_to(None)).address("eve@evil.example") == "ann@ann.example"
    stranger = reply_target(*_ticket_with_reply_to("eve@evil.example", author="eve@evil.example"))
    assert stranger.reply_to is None
