"""One delivery attempt against the outside world, answered as an outcome value (domain/attempt_outcomes.py).

Here, and only here, the ports' exceptions are read for what they mean; deciding what follows is
domain/delivery.py's job. Nothing is written to the store. Anything not named here (a crash) propagates: the
record stays held until its lease lapses and the next sender settles it.
"""

from __future__ import annotations

import logging

from gmail_tickets.domain import attempt_outcomes as outcomes
from gmail_tickets.domain.attempt_outcomes import AttemptOutcome
from gmail_tickets.domain.model import OutgoingAttachment
from gmail_tickets.domain.outbox import Notification
from gmail_tickets.domain.routing import RELAY
from gmail_tickets.errors import (
    DeliveryUncertain,
    MailboxError,
    RateLimited,
    RelayRejected,
    SendLimitReached,
    TokenRevoked,
    TransientError,
)
from gmail_tickets.mail.outbound import build_message
from gmail_tickets.services.deps import Deps

log = logging.getLogger(__name__)


def send_on_route(deps: Deps, n: Notification) -> AttemptOutcome:
    """Send the mail the way the record's route says."""
    return via_relay(deps, n) if n.route == RELAY else via_gmail(deps, n)


def via_gmail(deps: Deps, n: Notification) -> AttemptOutcome:
    try:
        raw = build_message(n.mail(), date=deps.clock.now())
    except ValueError as exc:
        return outcomes.Unbuildable(str(exc))
    try:
        sent = deps.mailbox_for(n.connection).send(raw, thread_id=n.gmail_thread_id)
    except SendLimitReached as exc:
        return outcomes.LimitReached(exc.retry_at)
    except RateLimited as exc:
        return outcomes.RefusedUnseen(str(exc))
    except TransientError as exc:
        return outcomes.Unclear(str(exc))
    except TokenRevoked as exc:
        return outcomes.Revoked(str(exc))
    except MailboxError as exc:
        return outcomes.Rejected(str(exc))
    return outcomes.GmailSent(sent.id)


def search_sent(deps: Deps, n: Notification) -> AttemptOutcome:
    """Our Message-ID in the account's SENT folder, after a Gmail send that was interrupted or got no clear answer."""
    try:
        mailbox = deps.mailbox_for(n.connection)
        refs = mailbox.list_messages(f"rfc822msgid:{n.message_id}", label_ids=["SENT"], limit=1)
        found = next((ref.id for ref in refs), None)
    except TransientError as exc:
        return outcomes.SearchUnclear(str(exc))
    except MailboxError as exc:
        return outcomes.SearchRefused(str(exc))
    if found is None:
        log.info("notification not in SENT after an interrupted send", extra={"notification": n.id})
        return outcomes.NotInSent()
    return outcomes.FoundInSent(found)


def via_relay(deps: Deps, n: Notification) -> AttemptOutcome:
    if deps.relay is None:
        return outcomes.NoRelay()
    try:
        files = tuple(OutgoingAttachment(a.filename, a.content_type, deps.blobs.get(a.blob_key))
                      for a in n.attachments)
    except KeyError as exc:
        return outcomes.AttachmentMissing(str(exc))
    try:
        raw = build_message(n.mail(files), date=deps.clock.now())
    except ValueError as exc:
        return outcomes.Unbuildable(str(exc))
    try:
        deps.relay.send(raw, n.from_address, n.recipients)
    except DeliveryUncertain as exc:
        return outcomes.RelayUncertain(str(exc))
    except RelayRejected as exc:
        if getattr(exc, "accepted", None):  # RecipientsRefused: the others have their copy; do not resend
            return outcomes.RelayPartlySent(str(exc))
        return outcomes.RelayRefused(str(exc))
    except TransientError as exc:
        return outcomes.RelayTransient(str(exc))
    return outcomes.RelaySent()
