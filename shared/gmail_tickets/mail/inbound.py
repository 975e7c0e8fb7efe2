"""What the help desk gets from one inbound mail: plain dataclasses, no parsing logic."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from gmail_tickets.domain.sender_auth import SenderAuth

UNKNOWN_SENDER = "unknown sender"  # the requester of a mail whose From names no single valid mailbox
NO_SUBJECT = "(no subject)"


class ParseFailure(ValueError):
    """The bytes are not a mail we can read at all; the caller quarantines them with their raw bytes."""


@dataclass(frozen=True)
class AttachmentInfo:
    """One non-body part. `data` holds the decoded bytes; it is left out of repr and equality (it can be large)."""

    filename: str
    content_type: str
    size: int
    content_id: str | None = None  # without <>; what `cid:` URLs in the HTML body refer to
    inline: bool = False  # Content-Disposition inline, or referenced by a cid: URL in the HTML body
    data: bytes = field(default=b"", repr=False, compare=False)


@dataclass
class InboundEmail:
    """What the help desk needs from one inbound mail. Addresses are lower-cased bare addresses."""

    from_address: str  # the From's one mailbox, read strictly; "" when it names none or several (see problems)
    from_name: str
    reply_to: str | None  # kept and shown; never who the mail is from
    to: list[str]
    cc: list[str]
    subject: str  # NO_SUBJECT when the mail has none
    date: datetime | None
    message_id: str  # without angle brackets; derived from the content when the mail has none
    in_reply_to: str | None
    references: list[str]
    text_body: str  # the full text, quotes included: quote stripping is a view (see quotes.new_part)
    attachments: list[AttachmentInfo] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)  # first value of each header, lower-cased names
    html_body: str | None = None  # the HTML alternative, sanitized (sanitize.clean); None when there is none
    content_type: str = "text/plain"  # of the whole mail, e.g. "multipart/report"
    is_delivery_report: bool = False
    original_message_id: str | None = None  # for a delivery report: the Message-ID of the bounced mail
    problems: list[str] = field(default_factory=list)  # what was odd and how it was handled; never body text
    auth: SenderAuth | None = None  # Google's verdicts from its own Authentication-Results stamp; None: no stamp

    @property
    def requester(self) -> str:
        """Who the mail is from: the From mailbox. Never Reply-To, which anyone can set to anyone."""
        return self.from_address or UNKNOWN_SENDER

    @property
    def authenticated(self) -> bool:
        return self.auth is not None and self.auth.authenticated

    @property
    def possible_spoof(self) -> bool:
        return self.auth is not None and self.auth.possible_spoof
