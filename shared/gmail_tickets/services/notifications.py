"""Triggers: which events owe someone a mail, and what that mail says.

- A new ticket (not from the import on connect, not suspended mail: those never get here) → an acknowledgement
  to the From sender, from the brand's template — or, held back by the anti-spam rules (domain/ack_policy.py), a
  skipped record that says why.
- An agent's reply → the reply, to the requester and the followers (never to the agent themselves).
- The brand's other triggers (an assignment, a customer's reply to an assigned ticket, a solve) → services/
  trigger_mail.py. Each trigger is on or off per brand, with its own text (domain/triggers.py).

Each trigger writes its outbox record in the transaction of the event itself (see domain/outbox.py), under an id
made of (ticket, event, recipients), so it runs once per (ticket, event) however often the event is retried.
After the commit, `announce` publishes the record's id to the outbound-mail topic; if that publish is lost, the
sweep publishes records still queued a minute later.

The acknowledgement's text comes from the brand's template (services/ack_template.py): bounded, and the
built-in text whenever the template fails, so no template costs a customer their acknowledgement.
"""

from __future__ import annotations

import hashlib
import html
import logging
from collections.abc import Collection, Sequence
from datetime import datetime, timedelta

from gmail_tickets.domain import ack_policy as ack_policy_words
from gmail_tickets.domain.ack_policy import AckPolicy, RecentAutomaticMail
from gmail_tickets.domain.mail_address import checked_address
from gmail_tickets.domain.model import Brand, Comment, Ticket, unique_addresses
from gmail_tickets.domain.outbox import (
    AttachmentRef,
    Notification,
    NotificationEvent,
    NotificationState,
    notification_id,
)
from gmail_tickets.domain.people import sender_name, signed
from gmail_tickets.domain.reply_target import reply_target
from gmail_tickets.domain.said import said
from gmail_tickets.domain.triggers import Trigger, is_on, template_of, without
from gmail_tickets.errors import ActionRefused
from gmail_tickets.mail.outbound import gmail_thread_safe_subject, usable_message_id
from gmail_tickets.ports import OutboxUnit
from gmail_tickets.services import trigger_templates
from gmail_tickets.services.ack_template import render_ack
from gmail_tickets.services.deps import Deps

log = logging.getLogger(__name__)


def text_as_html(text: str) -> str:
    """The HTML alternative of a plain text: escaped, paragraphs and line breaks kept."""
    paragraphs = [p for p in text.replace("\r\n", "\n").split("\n\n") if p.strip()]
    return "".join(f"<p>{html.escape(p).replace(chr(10), '<br>')}</p>" for p in paragraphs)


def _deliverable(address: str | None, ours: Collection[str]) -> bool:
    """An address mail can go to (domain/mail_address.py) and not one of ours."""
    return bool(address) and address.lower() not in ours and checked_address(address).usable  # type: ignore[union-attr]


def _nonce(record_id: str) -> str:
    """The Message-ID's nonce, from the record id: a retried trigger mints the very same Message-ID."""
    return hashlib.sha256(record_id.encode()).hexdigest()[:16]


def ack_policy(deps: Deps) -> AckPolicy:
    settings = deps.settings
    return AckPolicy(timedelta(seconds=settings.ack_min_interval_seconds), settings.ack_ceiling_per_hour)


def recent_automatic_mail(deps: Deps, uow: OutboxUnit, *, sender: str | None, account: str,
                          now: datetime) -> RecentAutomaticMail | None:
    """What the acknowledgement limits count, read in the new ticket's unit of work BEFORE its writes (Firestore
    reads first; SQLite serialises the unit), so two instances cannot both send the one allowed. Two
    index-served counts; None (no reads) when there is no sender to acknowledge."""
    if not sender or "@" not in sender:
        return None
    policy = ack_policy(deps)
    return RecentAutomaticMail(
        to_recipient=uow.automatic_mail_count(since=policy.recipient_since(now), recipient=sender),
        from_account=uow.automatic_mail_count(since=policy.account_since(now), account=account),
    )


def acknowledgement(
    deps: Deps, ticket: Ticket, description: Comment, *, sender: str | None, recent: RecentAutomaticMail | None,
    brand: Brand | None, customer_message_id: str | None, references: Sequence[str], ours: Collection[str],
    now: datetime,
) -> Notification | None:
    """The acknowledgement of a new ticket, to the From `sender` only (never Reply-To), or — when the rules of
    domain/ack_policy.py hold it back — a skipped record saying why. None only for imported tickets, which get
    no triggers by design."""
    if ticket.id is None or ticket.suppress_triggers:
        return None
    policy = ack_policy(deps)
    recipient = sender.strip() if sender and _deliverable(sender.strip(), ours) else None
    reason = ack_policy_words.NO_FROM if recipient is None else policy.refusal(description.auth)
    if ticket.invalid_address is not None:  # never sent to, and not a failure: the product chose not to
        recipient, reason = None, ack_policy_words.INVALID_ADDRESS % {"address": ticket.requester,
                                                                      "problem": ticket.invalid_address}
    if reason is None and not is_on(brand, Trigger.REQUEST_RECEIVED):
        reason = ack_policy_words.TRIGGER_OFF
    if reason is None:
        reason = policy.limited(recent or RecentAutomaticMail(0, 0))
    to = (recipient,) if recipient else ()
    brand_name = brand.name if brand else ""
    record_id = notification_id(ticket.id, NotificationEvent.TICKET_CREATED, list(to))
    text = render_ack(brand.ack_template if brand else None, ticket=ticket, brand_name=brand_name, store=deps.store,
                      language=brand.language if brand else "en")
    ack = Notification(
        id=record_id, ticket_id=ticket.id, event=str(NotificationEvent.TICKET_CREATED),
        connection=ticket.connection, from_address=ticket.connection, from_name=brand_name,
        to=to, reply_to=ticket.connection,
        subject=gmail_thread_safe_subject(ticket.subject), text=text, html=text_as_html(text),
        message_id=deps.tokens.message_id(ticket.id, _nonce(record_id)),
        in_reply_to=customer_message_id if usable_message_id(customer_message_id) else None,
        references=tuple(r for r in references if usable_message_id(r)), automatic=True,
        gmail_thread_id=ticket.gmail_thread_id, created_at=now, updated_at=now,
    )
    if reason is not None:
        ack.skip(ack_policy_words.SKIPPED % {"reason": reason}, now)
        log.info("acknowledgement skipped", extra={"ticket_id": ticket.id, "reason": reason})
    return ack


def agent_reply(
    deps: Deps, ticket: Ticket, comment: Comment, *, brand: Brand | None, conversation: Sequence[Comment],
    attachments: Sequence[AttachmentRef] = (), ours: set[str], now: datetime, reply_to_confirmed: str | None = None,
    agent_name: str = "", signature: str = "", agent_email: str | None = None,
) -> Notification | None:
    """The agent's reply as mail to the requester (To) and the followers (Cc), threaded under the conversation:
    In-Reply-To names the customer's latest mail, References the whole chain. To is the requester's Reply-To
    instead only when it is in the requester's domain or the agent confirmed it (domain/reply_target.py). From
    is the support address, named "Agent (Brand)" (domain/people.py); the agent's signature ends the text, below
    the brand's comment-update template (by default the reply itself). None when the brand has that trigger off;
    the agent (`agent_email`) is never mailed their own reply."""
    if ticket.id is None or comment.id is None or not is_on(brand, Trigger.COMMENT_UPDATE):
        return None
    address = reply_target(ticket, conversation).address(reply_to_confirmed)
    to = without((a for a in (address,) if _deliverable(a, ours)), agent_email)
    taken = {a.lower() for a in to}
    cc = without((a for a in unique_addresses([a for a in ticket.followers if _deliverable(a, ours)])
                  if a.lower() not in taken), agent_email)
    if not to and not cc:
        return None
    chain = [c.message_id for c in conversation if usable_message_id(c.message_id)]
    customer = [c.message_id for c in conversation if usable_message_id(c.message_id) and c.author_kind != "agent"]
    event = f"{NotificationEvent.AGENT_REPLY}:{comment.id}"
    record_id = notification_id(ticket.id, event, [*to, *cc])
    body = comment.body_text
    if template_of(brand, Trigger.COMMENT_UPDATE):
        body = trigger_templates.render(brand, Trigger.COMMENT_UPDATE, ticket, comment=body, agent=agent_name)
    text = signed(body.rstrip("\n"), signature)
    return Notification(
        id=record_id, ticket_id=ticket.id, event=event, connection=ticket.connection,
        from_address=ticket.connection, from_name=sender_name(agent_name, brand.name if brand else ""), to=to, cc=cc,
        reply_to=ticket.connection, subject=gmail_thread_safe_subject(ticket.subject), text=text,
        html=text_as_html(text), message_id=comment.message_id or deps.tokens.message_id(ticket.id, _nonce(record_id)),
        in_reply_to=customer[-1] if customer else None,
        references=tuple(m for m in chain if m != (customer[-1] if customer else None)),
        automatic=False, attachments=tuple(attachments), gmail_thread_id=ticket.gmail_thread_id,
        created_at=now, updated_at=now,
    )


def announce(deps: Deps, notification_ids: Sequence[str]) -> None:
    """Publish committed records to the outbound-mail topic. A failure here loses nothing: the record is
    committed, and the sweep publishes what is still queued."""
    for record_id in notification_ids:
        try:
            deps.publisher.publish(deps.settings.outbound_topic, {"notification": record_id})
        except Exception as exc:
            log.warning("outbound publish failed; the sweep will publish it",
                        extra={"notification": record_id, "error": type(exc).__name__})


def send_again(deps: Deps, notification_id: str) -> Notification:
    """An admin's "send again" of a failed notification: queued afresh (on whichever route fits now) and
    announced. Refused for one that is not failed: a sent mail is not resent by accident."""
    now = deps.clock.now()

    def work(uow: OutboxUnit) -> Notification:
        record = uow.get_notification(notification_id)
        if record is None:
            raise ActionRefused(said("There is no such notification."))
        if record.state != NotificationState.FAILED:
            raise ActionRefused(said("Only a failed notification can be sent again; this one is %(state)s.",
                                     state=str(record.state)))
        record.requeue(now)
        uow.put_notification(record)
        return record

    record = deps.store.atomically(work)
    announce(deps, [record.id])
    return record
