"""The help desk's nouns, as plain dataclasses: no I/O, no framework, no store specifics.

Times are timezone-aware UTC datetimes. Gmail ids (message, thread, history) are kept as Gmail gives them:
message and thread ids as strings, history ids as ints (Gmail sends them as decimal strings).
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from gmail_tickets.domain.sender_auth import SenderAuth
from gmail_tickets.domain.ticket_fields import Priority, TicketStatus, TimelineEntry


class ConnectionStatus(enum.StrEnum):
    CONNECTED = "connected"
    DISCONNECTED = "disconnected"  # token revoked or expired: needs an admin to reconnect
    ERROR = "error"  # something else is wrong; syncing carries on trying


class AccountKind(enum.StrEnum):
    GMAIL = "gmail"
    WORKSPACE = "workspace"


class AddressKind(enum.StrEnum):
    GMAIL_CONNECTOR = "gmail_connector"
    FORWARDING = "forwarding"


class Outcome(enum.StrEnum):
    """What one inbox mail became. Every ledger entry has exactly one."""

    TICKET = "ticket"
    COMMENT = "comment"
    SUSPENDED = "suspended"  # kept and visible, but no ticket (auto-mail, loops, bursts)
    IGNORED = "ignored"  # our own mail coming back: recorded so it is never looked at again
    QUARANTINED = "quarantined"  # could not be turned into anything: raw bytes kept for replay


@dataclass
class TemplateFailure:
    """A brand's template failed for a real ticket, whose requester got the built-in text instead."""

    version: str  # which text of the template failed: a changed text starts clean
    ticket_id: int
    error: str  # the exception's type only: its message may quote the mail
    at: datetime | None = None


@dataclass
class TriggerSetting:
    """One of a brand's triggers (domain/triggers.py) as its admin set it; None: as the trigger's default."""

    enabled: bool | None = None
    template: str | None = None  # Jinja2; None: the built-in text (the acknowledgement's is `Brand.ack_template`)


@dataclass
class Brand:
    id: str
    name: str
    ack_template: str | None = None  # the new-ticket acknowledgement's text (Jinja2); None: the built-in one
    ack_failure: TemplateFailure | None = None  # the first failure of the current text, shown on the Brands page
    triggers: dict[str, TriggerSetting] = field(default_factory=dict)  # by trigger name; absent: its default
    language: str = "en"  # of the built-in notification texts ("en", "de"); an admin's own text is sent as written


@dataclass
class Connection:
    """One connected Gmail account; its address is its identity."""

    address: str
    brand_id: str = "default"
    status: ConnectionStatus = ConnectionStatus.CONNECTED
    account_kind: AccountKind = AccountKind.GMAIL
    history_id: int | None = None  # the cursor: everything up to here is committed
    watch_expiration: datetime | None = None
    label_id: str | None = None
    send_via_gmail: bool = True
    last_sync_at: datetime | None = None
    last_error: str | None = None
    warnings: list[str] = field(default_factory=list)
    created_at: datetime | None = None
    disconnected_at: datetime | None = None
    import_total: int = 0  # the initial import on connect: how many mails it will bring in …
    import_done: int = 0  # … and how many it has so far (the console shows the progress)
    labels_owed: list[str] = field(default_factory=list)  # recorded mail whose courtesy label is not on yet …
    labels_owed_since: datetime | None = None  # … since when (services/owed_labels.py; written with the cursor)

    @property
    def is_active(self) -> bool:
        return self.status != ConnectionStatus.DISCONNECTED


@dataclass
class SupportAddress:
    address: str
    brand_id: str = "default"
    is_default: bool = False
    kind: AddressKind = AddressKind.GMAIL_CONNECTOR


@dataclass
class Attachment:
    """A file that came with a mail. Its bytes live in the BlobStore under `blob_key` (content-addressed)."""

    filename: str
    content_type: str
    size: int
    blob_key: str | None = None
    content_id: str | None = None  # for inline images: what `cid:` URLs in the HTML body refer to
    inline: bool = False


@dataclass
class Ticket:
    """A customer request. `id` is None until the store assigns one (small increasing integers)."""

    subject: str
    requester: str
    connection: str
    brand_id: str = "default"
    requester_name: str = ""
    followers: list[str] = field(default_factory=list)
    status: TicketStatus = TicketStatus.NEW  # changed only by domain/ticket_lifecycle.py
    created_at: datetime | None = None  # when the ticket was made (an import makes old mail into new tickets)
    suppress_triggers: bool = False
    gmail_thread_id: str | None = None  # the Gmail thread of its first mail: our notifications join it
    mentions: int | None = None  # the ticket this one answers but its sender was not on ("mentions #N")
    priority: Priority = Priority.NORMAL
    assignee: str | None = None  # the agent's email (or sign-in name); None: unassigned
    tags: list[str] = field(default_factory=list)  # normalised: ticket_fields.normalise_tags
    received_at: datetime | None = None  # the first mail's own Date header, else Gmail's internalDate
    solved_at: datetime | None = None  # set while solved (the sweep's index), None in every other status
    follow_up_of: int | None = None  # the closed ticket a mail answered: this one continues it
    invalid_address: str | None = None  # why no mail can go to the requester (domain/mail_address.py); None: it can
    version: int = 0  # bumped by every change of the fields above: forms carry it (no lost update)
    last_reply_by: str = ""  # who wrote the last public comment: "customer", "agent" (domain/last_reply.py)
    timeline: list[TimelineEntry] = field(default_factory=list)  # each change, oldest first
    updated_at: datetime | None = None  # bumped by every comment and field change; None (older records): created_at
    last_author: str = ""  # who wrote the latest comment (a customer's address, an agent's name) …
    last_author_kind: str = ""  # … "customer" or "agent" (Comment.author_kind); "" before anyone wrote
    last_activity_at: datetime | None = None  # … and when
    id: int | None = None


@dataclass
class Comment:
    """One message on a ticket; the first comment is the ticket's description."""

    ticket_id: int
    author: str
    body_text: str
    created_at: datetime
    connection: str
    gmail_message_id: str | None = None
    message_id: str | None = None  # RFC 5322 Message-ID, angle brackets stripped
    matched_by: str | None = None  # which threading rule attached it (None for the description)
    attachments: list[Attachment] = field(default_factory=list)
    body_html: str | None = None  # sanitized (allowlist) HTML for display; body_text is always kept in full
    author_kind: str = "customer"  # "customer" (came in by mail) or "agent" (written in the console)
    reply_to: str | None = None  # the mail's Reply-To, kept and shown; never where replies go unless allowed
    auth: SenderAuth | None = None  # Google's verdicts on the sender (None: agent comments, mail before stamps)
    author_email: str | None = None  # the agent's account, for comments written in the console (author: their name)
    public: bool = True  # False: an agent's internal note, never mailed, never shown to the customer
    id: str | None = None


@dataclass(frozen=True)
class LedgerEntry:
    """Proof that one Gmail message was handled; created in the same transaction as its effect."""

    connection: str
    gmail_message_id: str
    outcome: Outcome
    ticket_id: int | None = None
    comment_id: str | None = None
    rfc_message_id: str | None = None
    created_at: datetime | None = None
    sender: str | None = None  # the From address, lower-cased: what burst detection counts
    raw_key: str | None = None  # BlobStore key of the mail's raw bytes, kept for every mail (replay, audit)
    content_hash: str | None = None  # what tells a reused Message-ID from the same mail (domain/same_mail.py)


@dataclass
class SuspendedMail:
    """A mail kept and shown to agents but not turned into a ticket (auto-replies, bulk, loops, bursts) until
    one recovers it; a recovered record leaves the suspended list and links to what the mail became."""

    id: str
    connection: str
    gmail_message_id: str
    sender: str
    subject: str
    reason: str
    created_at: datetime
    raw_key: str | None = None
    # Set aside as a copy of a mail already recorded (domain/same_mail.py): the ticket and comment it duplicated.
    duplicate_of_ticket: int | None = None
    duplicate_of_comment: str | None = None
    gmail_thread_id: str | None = None  # where it sits in Gmail, so a recovered mail threads as it would have
    internal_date: datetime | None = None
    # Recovered by an agent (services/suspended_mail.py): the ticket it became or joined, and the comment it is.
    recovered_ticket: int | None = None
    recovered_comment: str | None = None
    recovered_by: str | None = None
    recovered_at: datetime | None = None


@dataclass(frozen=True)
class OutgoingAttachment:
    filename: str
    content_type: str
    data: bytes = field(repr=False)


@dataclass(frozen=True)
class OutboundMail:
    """A notification to send, in domain terms; mail/outbound.py turns it into RFC 5322 bytes."""

    from_address: str
    to: tuple[str, ...]
    subject: str
    text: str
    message_id: str  # ours, without angle brackets (signed with the ticket token)
    from_name: str = ""
    cc: tuple[str, ...] = ()
    reply_to: str | None = None
    html: str | None = None
    in_reply_to: str | None = None  # the customer's Message-ID we answer, without angle brackets
    references: tuple[str, ...] = ()
    automatic: bool = True  # triggers' mail: Auto-Submitted and X-Auto-Response-Suppress, so no loops
    attachments: tuple[OutgoingAttachment, ...] = ()

    @property
    def recipients(self) -> tuple[str, ...]:
        """Everyone Gmail counts against the daily sending limit, each once (case-insensitively)."""
        return unique_addresses((*self.to, *self.cc))


def unique_addresses(addresses: Sequence[str]) -> tuple[str, ...]:
    """Each address once, compared case-insensitively (Ann@x and ann@x are one person, one RCPT, one count)."""
    seen: dict[str, str] = {}
    for address in addresses:
        seen.setdefault(address.strip().lower(), address)
    return tuple(seen.values())


@dataclass
class OAuthFlow:
    """A connect (or reconnect) in progress: made when the admin starts it, taken exactly once when Google
    redirects back. Keeps the PKCE verifier server-side and binds the flow to the admin's session."""

    nonce: str
    session_id: str  # a hash of the admin session that started it
    address: str
    brand_id: str
    import_recent: bool  # "Create tickets from the last 300 emails"
    code_verifier: str
    redirect_uri: str
    created_at: datetime
    expires_at: datetime
    reconnect: bool = False

    def usable(self, now: datetime) -> bool:
        """Still within its lifetime. Taking a flow deletes it whether or not it is usable, so a stale one
        can never be redeemed later."""
        return self.expires_at > now


@dataclass
class QuarantineRecord:
    """Input we could not use. Kept whole so an operator can see why and replay it."""

    id: str
    connection: str | None
    reason: str
    raw: bytes
    source: str  # "gmail" (a mail) or "event" (a Pub/Sub event)
    gmail_message_id: str | None = None
    created_at: datetime | None = None
