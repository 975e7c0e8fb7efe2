"""OutboundMail → RFC 5322 bytes that thread for the customer (and for us when they reply).

Threading needs our signed Message-ID, In-Reply-To and References naming the customer's mail, and a matching
Subject (the caller tags it; see `gmail_thread_safe_subject`). Automatic mail says so (Auto-Submitted,
X-Auto-Response-Suppress) so auto-responders do not answer it and no loop starts.

Everything a caller passes ends up in headers, so every value is checked before the stdlib sees it: a line break in
an address or Message-ID would let the text that follows become a header of its own (header injection), and that
is refused here rather than trusted to the caller. Subjects and display names come from customers' mail, so their
control characters (NUL, CR, LF, …) are removed instead: one odd subject must not make every mail on its ticket
fail. Output uses policy.SMTP (7-bit): CRLF line ends, RFC 2047 for non-ASCII header text, RFC 2231 for
non-ASCII file names, quoted-printable or base64 bodies — except that a mail to or from an address with a
non-ASCII local part is written with UTF-8 headers (RFC 6532), which needs SMTPUTF8 on the relay (the relay
adapter asks for it, and fails visibly when the relay does not offer it) and which Gmail's API accepts.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import Policy
from email.utils import format_datetime

from gmail_tickets.domain.model import OutboundMail, OutgoingAttachment

__all__ = [
    "MAX_RECIPIENTS", "build_message", "clean_header_text", "gmail_thread_safe_subject", "has_physical_attachments",
    "needs_smtputf8", "usable_message_id",
]

MAX_RECIPIENTS = 100
"""Gmail refuses a message with more recipients than this; better a clear error here than a 400 at send time."""

_POLICY = policy.SMTP.clone(cte_type="7bit")
"""CRLF line ends, and bodies in quoted-printable/base64: a relay without 8BITMIME must not mangle them."""
_UTF8_POLICY = _POLICY.clone(utf8=True)
"""The same with RFC 6532 UTF-8 headers: only for mail with a non-ASCII local part, which cannot be written else."""

MAX_MESSAGE_ID_CHARS = 900
"""A msg-id cannot be folded, and a header line may not exceed 998 octets (RFC 5322 2.1.1)."""

# Everything str.splitlines() breaks on, plus NUL: the stdlib's header folding treats several of these as line
# ends, so any of them could start a new header.
_LINE_BREAKS = frozenset("\r\n\x00\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")
_SPACE_LIKE = frozenset("\t\r\n\x0b\x0c\x1c\x1d\x1e\x1f\x85\u2028\u2029")
_SPACES = re.compile(r" {2,}")
_CONTENT_TYPE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*")
_MSG_ID = re.compile(r"[\x21-\x3b\x3d\x3f-\x7e]+@[\x21-\x3b\x3d\x3f-\x7e]+")  # printable ASCII without < > and space
_REPLY_PREFIX = re.compile(
    r"\s*(re|aw|sv|vs|antw|odp|ref|rif|res|ynt|atb|vá|απ|回复|回覆|答复)\s*(\[\d+\]|\(\d+\))?\s*[:：]",
    re.IGNORECASE,
)


def build_message(mail: OutboundMail, *, date: datetime) -> bytes:
    """The mail as RFC 5322 bytes with CRLF line ends, ready for Gmail's `raw` or an SMTP relay.

    Raises ValueError for mail that must not go out: no recipients, more than Gmail's 100, an address without '@'
    or otherwise unparseable, a line break in any header value (injection), a naive `date`. There is never a Bcc
    header: blind copies are the sender's envelope business, and the header would show them to everyone.
    """
    recipients = mail.recipients
    if not recipients:
        raise ValueError("outbound mail has no recipients (To and Cc are both empty)")
    if len(recipients) > MAX_RECIPIENTS:
        raise ValueError(f"outbound mail has {len(recipients)} recipients; Gmail allows at most {MAX_RECIPIENTS}")
    if date.tzinfo is None or date.utcoffset() is None:
        raise ValueError("date must be timezone-aware (a naive time would be sent as -0000, 'zone unknown')")

    mail_policy = _UTF8_POLICY if needs_smtputf8(mail) else _POLICY
    msg = EmailMessage(policy=mail_policy)
    msg["From"] = _mailbox("From", mail.from_address, mail.from_name)
    if mail.to:
        msg["To"] = [_mailbox("To", addr) for addr in mail.to]
    if mail.cc:
        msg["Cc"] = [_mailbox("Cc", addr) for addr in mail.cc]
    if mail.reply_to is not None:
        msg["Reply-To"] = _mailbox("Reply-To", mail.reply_to)
    msg["Subject"] = clean_header_text(mail.subject)
    msg["Date"] = format_datetime(date)
    msg["Message-ID"] = _IdHeader("Message-ID", [_message_id("Message-ID", mail.message_id)])
    for name, ids in _threading_headers(mail).items():
        msg[name] = _IdHeader(name, ids)
    if mail.automatic:
        msg["Auto-Submitted"] = "auto-replied"
        msg["X-Auto-Response-Suppress"] = "All"

    msg.set_content(_body_text("text", mail.text), subtype="plain", charset="utf-8")
    if mail.html is not None:
        msg.add_alternative(_body_text("html", mail.html), subtype="html", charset="utf-8")
    for attachment in mail.attachments:
        maintype, subtype = _content_type(attachment)
        msg.add_attachment(
            bytes(attachment.data),
            maintype=maintype,
            subtype=subtype,
            filename=_header_text("attachment filename", attachment.filename) or "attachment",
        )
    if "MIME-Version" not in msg:  # set_content adds it; kept explicit so the guarantee does not hide in the stdlib
        msg["MIME-Version"] = "1.0"
    return msg.as_bytes(policy=mail_policy)


def needs_smtputf8(mail: OutboundMail) -> bool:
    """Any address (sender or recipient) with a non-ASCII local part: such mail needs RFC 6532 and SMTPUTF8."""
    addresses = (mail.from_address, *mail.to, *mail.cc, *((mail.reply_to,) if mail.reply_to else ()))
    return any(isinstance(a, str) and not a.rpartition("@")[0].isascii() for a in addresses)


def clean_header_text(value: str) -> str:
    """Header text (a subject, a display name) with every control character removed: NUL goes, line breaks and
    tabs become spaces, runs of spaces shrink to one. What is left cannot start a header of its own."""
    if not isinstance(value, str):
        raise ValueError(f"header text must be a string, got {type(value).__name__}")
    spaced = "".join(" " if c in _SPACE_LIKE else c for c in value if c in _SPACE_LIKE or not _is_control(c))
    return _SPACES.sub(" ", spaced).strip()


def _is_control(c: str) -> bool:
    return unicodedata.category(c) == "Cc" or c in _LINE_BREAKS


def has_physical_attachments(mail: OutboundMail) -> bool:
    """True when the mail carries files: such mail goes via the relay, because via Gmail we send links only."""
    return bool(mail.attachments)


def gmail_thread_safe_subject(original_subject: str) -> str:
    """The subject for our reply: Gmail threads the sender's copy only when it matches the original's after reply
    prefixes, so add "Re: " unless a reply prefix (Re:, RE:, Aw:, Sv:, Antw:, Re[2]: …) is already there."""
    subject = original_subject.strip()
    if _REPLY_PREFIX.match(subject):
        return subject
    return f"Re: {subject}" if subject else "Re:"


class _IdHeader(str):
    """A header of msg-ids that folds only between ids.

    The stdlib treats In-Reply-To and References as unstructured text and RFC 2047-encodes any id longer than a
    line (Exchange ids often are), which no client reads back as an id and which breaks threading. The policy uses
    an object's own `fold` when it has a `name`, so this str carries both.
    """

    name: str
    ids: tuple[str, ...]

    def __new__(cls, name: str, ids: list[str]) -> _IdHeader:
        self = super().__new__(cls, " ".join(f"<{i}>" for i in ids))
        self.name = name
        self.ids = tuple(ids)
        return self

    def fold(self, *, policy: Policy) -> str:
        limit = policy.max_line_length or 78
        lines = [f"{self.name}:"]
        for msg_id in self.ids:
            token = f"<{msg_id}>"
            if len(lines[-1]) + 1 + len(token) > limit and lines[-1].strip() != f"{self.name}:":
                lines.append("")
            lines[-1] += f" {token}"
        return policy.linesep.join(lines) + policy.linesep


def _threading_headers(mail: OutboundMail) -> dict[str, list[str]]:
    """In-Reply-To, and References as the given chain with In-Reply-To appended when missing (RFC 5322 3.6.4),
    deduplicated case-insensitively in order: some clients stop threading on a chain with repeats."""
    headers: dict[str, list[str]] = {}
    chain = [_message_id("References", ref) for ref in mail.references]
    if mail.in_reply_to is not None:
        parent = _message_id("In-Reply-To", mail.in_reply_to)
        headers["In-Reply-To"] = [parent]
        chain.append(parent)
    seen: set[str] = set()
    unique: list[str] = []
    for ref in chain:
        if ref.lower() not in seen:
            seen.add(ref.lower())
            unique.append(ref)
    if unique:
        headers["References"] = unique
    return headers


def _mailbox(field: str, address: str, display_name: str = "") -> Address:
    """A checked Address; the stdlib quotes the name and RFC 2047-encodes it when non-ASCII."""
    name = clean_header_text(display_name or "")
    addr_spec = _addr_spec(field, address)
    local, _, domain = addr_spec.rpartition("@")
    try:
        return Address(display_name=name.strip(), username=local, domain=domain)
    except Exception as exc:  # the stdlib raises assorted errors for what it cannot represent
        raise ValueError(f"{field}: cannot use address {address!r}: {exc}") from exc


def _addr_spec(field: str, address: str) -> str:
    """A bare address that is safe in a header: one '@', no spaces or controls, and the domain in IDNA (xn--)
    form. A non-ASCII local part is kept as it is (the mail then needs SMTPUTF8, see needs_smtputf8)."""
    if not isinstance(address, str):
        raise ValueError(f"{field}: address must be a string, got {type(address).__name__}")
    _refuse_line_breaks(f"{field} address", address)
    candidate = address.strip()
    local, at, domain = candidate.rpartition("@")
    if not at or not local or not domain:
        raise ValueError(f"{field}: {address!r} is not an email address (needs local@domain)")
    if any(c.isspace() or ord(c) < 0x20 or c in "<>,;" for c in candidate):
        raise ValueError(f"{field}: {address!r} is not a bare email address")
    if not local.isascii() and any(unicodedata.category(c)[0] in "CZ" for c in local):
        raise ValueError(f"{field}: {address!r} has a control or separator character in its local part")
    if not domain.isascii():
        try:
            domain = domain.encode("idna").decode("ascii")
        except UnicodeError as exc:
            raise ValueError(f"{field}: {address!r} is an address with an invalid domain") from exc
    # The stdlib parses only ASCII local parts: a non-ASCII one is checked as its shape with ASCII stand-ins.
    probe = "".join(c if c.isascii() else "a" for c in local)
    try:
        parsed = Address(addr_spec=f"{probe}@{domain}")
    except Exception as exc:
        raise ValueError(f"{field}: {address!r} is not a valid email address") from exc
    if not parsed.username or not parsed.domain:
        raise ValueError(f"{field}: {address!r} is not an email address (needs local@domain)")
    if probe == local:
        return parsed.addr_spec
    if parsed.addr_spec != f"{probe}@{domain}":  # it would need quoting: not an address we can write as UTF-8
        raise ValueError(f"{field}: {address!r} is not a valid email address")
    return f"{local}@{domain}"


def usable_message_id(value: str | None) -> bool:
    """Whether `value` can go into In-Reply-To/References. Inbound mail carries ids we keep but cannot repeat
    (no '@', over-long, non-ASCII); a notification leaves those out rather than fail to build."""
    if not value:
        return False
    try:
        _message_id("Message-ID", value)
    except ValueError:
        return False
    return True


def _message_id(field: str, value: str) -> str:
    """A msg-id without brackets (one surrounding pair is tolerated): printable ASCII around an '@'."""
    if not isinstance(value, str):
        raise ValueError(f"{field}: message id must be a string, got {type(value).__name__}")
    _refuse_line_breaks(field, value)
    candidate = value.strip()
    if candidate.startswith("<") and candidate.endswith(">"):
        candidate = candidate[1:-1].strip()
    if not _MSG_ID.fullmatch(candidate) or len(candidate) > MAX_MESSAGE_ID_CHARS:
        raise ValueError(f"{field}: {value!r} is not a usable message id (printable ASCII left@right)")
    return candidate


def _header_text(field: str, value: str) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{field} must be a string, got {type(value).__name__}")
    _refuse_line_breaks(field, value)
    return value


def _refuse_line_breaks(field: str, value: str) -> None:
    if any(c in _LINE_BREAKS for c in value):
        raise ValueError(f"{field} contains a line break or NUL; refused (header injection)")


def _body_text(what: str, value: str) -> str:
    """Bodies may hold line breaks (they are normalised to CRLF), but not NUL, which SMTP servers reject."""
    if not isinstance(value, str):
        raise ValueError(f"the {what} body must be a string, got {type(value).__name__}")
    if "\x00" in value:
        raise ValueError(f"the {what} body contains NUL")
    return value


def _content_type(attachment: OutgoingAttachment) -> tuple[str, str]:
    """maintype, subtype. A malformed type becomes application/octet-stream (the file still goes out); so do
    multipart/* and message/*, whose bytes may not be base64-encoded (RFC 2046) and would be read as structure."""
    raw = _header_text("attachment content type", attachment.content_type or "").strip().lower()
    if not _CONTENT_TYPE.fullmatch(raw) or raw.startswith(("multipart/", "message/")):
        return "application", "octet-stream"
    maintype, subtype = raw.split("/", 1)
    return maintype, subtype
