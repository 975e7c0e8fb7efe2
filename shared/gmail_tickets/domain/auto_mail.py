"""Is an inbound mail from a person, or automatic? Decided from headers alone, before the mail can become a ticket.

Tickets for auto-replies, bounces and newsletters are noise, and answering them is how mail loops start. So automatic
mail is kept and shown to admins (suspended) but not ticketed; our own mail coming back is ignored.

Precedence (first match wins). The order puts the most certain and most specific evidence first:

1. OWN_LOOP: From is one of our support addresses, or the mail's own Message-ID carries our signature. Certain,
   and it must win: our own automatic mail carries ``Auto-Submitted`` and ``X-Auto-Response-Suppress``, and should
   be dropped silently, not shown as a suspended auto-reply.
2. BOUNCE (definite): a delivery-status report, or a mailer-daemon/postmaster sender. Before AUTO_REPLY because MTAs
   put ``Auto-Submitted: auto-replied`` on bounces, and a bounce must reach the ticket whose mail failed.
3. AUTO_REPLY: RFC 3834 ``Auto-Submitted`` other than ``no``, ``X-Autoreply``, ``X-Autorespond``,
   ``Precedence: auto_reply``, read receipts, ``X-Auto-Response-Suppress`` (see `classify`), or an auto-reply
   subject prefix together with a supporting header (never the subject alone).
4. BULK: ``Precedence: bulk|junk|list``, ``List-Id``, ``List-Unsubscribe`` from a no-reply sender.
5. BOUNCE (null sender): ``Return-Path: <>`` with nothing more specific. Last of the signals because RFC 3834 asks
   auto-responders to send with a null sender too (Exchange out-of-office replies do): with an auto-reply header
   present, the mail is an auto-reply, and attaching it to a ticket as a bounce would be wrong.
6. NORMAL.

Header values are attacker-controlled: reasons quote only short, cleaned tokens, never body text.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parseaddr


class MailKind(enum.StrEnum):
    """What a mail is, and so what the caller does with it."""

    NORMAL = "normal"  # a person wrote it: ticket or comment
    AUTO_REPLY = "auto_reply"  # suspended: out-of-office, autoresponders, read receipts
    BULK = "bulk"  # suspended: lists and newsletters
    BOUNCE = "bounce"  # attached to the ticket of the original mail when found, else suspended; never a new ticket
    OWN_LOOP = "own_loop"  # ignored (recorded only): our own mail came back


@dataclass(frozen=True)
class Verdict:
    """A classification and the rule that decided it, in one short sentence for admins."""

    kind: MailKind
    reason: str


NORMAL_REASON = "No sign of automatic mail."

BOUNCE_SENDERS = frozenset({"mailer-daemon", "postmaster"})
NOREPLY_PREFIXES = ("noreply", "donotreply")  # compared with '-', '_' and '.' removed: no-reply, do_not_reply, ...
AUTO_REPLY_FLAG_HEADERS = ("x-autoreply", "x-autorespond")

AUTO_REPLY_SUBJECT_PREFIXES = (
    "automatic reply:",  # Exchange / Outlook since 2010
    "out of office:",
    "out of office autoreply:",  # older Exchange
    "auto:",  # Lotus Notes / HCL Domino
    "autoreply:",
    "auto-reply:",
    "auto reply:",
    "automatische antwort:",
    "réponse automatique :",
    "réponse automatique:",
    "respuesta automática:",
    "risposta automatica:",
    "automatisch antwoord:",
    "autosvar:",
    "abwesenheitsnotiz:",
)
"""Only ever a supporting signal: a customer may well write "Out of office: ..." about their own office. The colon is
part of each prefix, so "Out of office printer broken" never matches even with a supporting header."""

SUPPORTING_HEADERS = (
    "x-auto-response-suppress",
    "x-ms-exchange-generated-message-source",  # Exchange-generated mail, e.g. "Mailbox Rules Agent"
    "x-ms-exchange-inbox-rules-loop",  # set when an Exchange inbox rule acted on the mail
)
"""Headers that make an auto-reply subject prefix believable. None of them is enough alone: Exchange also stamps the
two MS headers on mail a customer's inbox rule merely forwards (a customer forwarding their shared mailbox to us is
normal mail), and Outlook puts X-Auto-Response-Suppress on some mail people write (see `classify`)."""

_COMMENT = re.compile(r"\([^()]*\)")
_WHITESPACE = re.compile(r"\s+")
_REASON_VALUE_CHARS = 60


def classify(
    headers: Mapping[str, str],
    *,
    sender: str,
    return_path: str | None,
    is_delivery_report: bool,
    support_addresses: Collection[str],
    signed_by_us: bool,
    list_mail_is_bulk: bool = True,
    suppress_header_is_auto: bool = True,
) -> Verdict:
    """Classify one inbound mail; see the module docstring for the precedence and why.

    headers: header name -> first value (names are lower-cased here too, so either form works).
    sender: the From address, with or without a display name.
    return_path: the Return-Path header, None when absent. Only ``<>`` (the null sender) counts; an empty string is
        treated as absent, so a caller defaulting to "" cannot turn every mail into a bounce.
    is_delivery_report: the top-level type is ``multipart/report; report-type=delivery-status`` (a Content-Type
        header saying so counts too).
    support_addresses: our own addresses (connected inboxes and forwarding addresses), any letter case.
    signed_by_us: this mail's OWN Message-ID verifies as ours (`TicketTokens.is_ours`). Never derive it from
        In-Reply-To or References: every customer reply to our mail names our Message-ID there, and those replies
        must become comments, not be ignored.
    list_mail_is_bulk: suspend mailing-list mail (``Precedence: list`` and ``List-Id``). One switch for both because
        they mean the same thing, a list expanded the mail. Turn it off when support mail reaches the inbox through a
        list, e.g. a Google Group, which adds both headers to every customer's mail.
    suppress_header_is_auto: treat ``X-Auto-Response-Suppress`` alone as automatic (our spec). The header is a
        request ("don't auto-answer this"), which Exchange puts on its out-of-office replies but Outlook also puts on
        some mail people write; Discourse, osTicket, GLPI and Redmine stopped trusting it alone for that reason. When
        False it only supports an auto-reply subject prefix. The value ``None`` (suppress nothing) never counts.
    """
    h = _normalized(headers)
    address = _address(sender)
    local = _local_part(address)

    ours = {_address(a) for a in support_addresses} - {""}
    if address and address in ours:
        return Verdict(MailKind.OWN_LOOP, f"From is our own support address {_clip(address)}.")
    if signed_by_us:
        return Verdict(MailKind.OWN_LOOP, "Its Message-ID carries our own signature: our mail came back.")

    report_type = _report_type(h.get("content-type", ""))
    if is_delivery_report or report_type == "delivery-status":
        return Verdict(MailKind.BOUNCE, "Delivery status report (multipart/report; report-type=delivery-status).")
    if local in BOUNCE_SENDERS:
        return Verdict(MailKind.BOUNCE, f"Sent by {local}, a mail server rather than a person.")

    auto = _auto_reply_reason(h, report_type, suppress_header_is_auto)
    if auto:
        return Verdict(MailKind.AUTO_REPLY, auto)

    bulk = _bulk_reason(h, local, address, list_mail_is_bulk)
    if bulk:
        return Verdict(MailKind.BULK, bulk)

    if return_path is not None and _is_null_path(return_path):
        return Verdict(MailKind.BOUNCE, "Return-Path is <> (null sender), as bounces have.")
    return Verdict(MailKind.NORMAL, NORMAL_REASON)


@dataclass(frozen=True)
class BurstPolicy:
    """A sender writing more than `threshold` mails within `window` is a machine (or a loop): suspend, don't ticket.

    The caller counts the mails it already recorded from the same sender (lower-cased From) received at or after
    `window_start(now)`, excluding the mail at hand, and applies this to mail `classify` called NORMAL (everything
    else is not ticketed anyway). With the defaults the 21st mail in 10 minutes is the first one suspended.
    """

    threshold: int = 20
    window: timedelta = timedelta(minutes=10)

    def __post_init__(self) -> None:
        if self.threshold < 1:
            raise ValueError("burst threshold must be at least 1")
        if self.window <= timedelta(0):
            raise ValueError("burst window must be positive")

    def window_start(self, now: datetime) -> datetime:
        """The earliest receive time that still counts. `now` must be timezone-aware: stored times are aware UTC,
        and a naive now would silently shift the window by the local offset."""
        if now.tzinfo is None or now.utcoffset() is None:
            raise ValueError("now must be timezone-aware")
        return now - self.window

    def is_burst(self, recent_count: int) -> bool:
        """`recent_count` mails already in the window, so this one is number recent_count + 1."""
        return recent_count + 1 > self.threshold

    @property
    def reason(self) -> str:
        """What to show admins on a mail suspended by this policy."""
        mails = "mail" if self.threshold == 1 else "mails"
        return f"More than {self.threshold} {mails} from this sender within {_duration(self.window)}."


def _auto_reply_reason(h: Mapping[str, str], report_type: str, suppress_header_is_auto: bool) -> str | None:
    auto_submitted = _first_token(h.get("auto-submitted", ""))
    if auto_submitted and auto_submitted != "no":
        return f"Auto-Submitted: {_clip(auto_submitted)}."
    for name in AUTO_REPLY_FLAG_HEADERS:
        if h.get(name):
            return f"{_display(name)} header present."
    if _first_token(h.get("precedence", "")) == "auto_reply":
        return "Precedence: auto_reply."
    if report_type == "disposition-notification":
        return "Read receipt (multipart/report; report-type=disposition-notification)."
    suppress = h.get("x-auto-response-suppress", "")
    if suppress_header_is_auto and suppress and suppress.lower() != "none":
        return "X-Auto-Response-Suppress header present, as Exchange puts on its automatic replies."
    prefix = _auto_reply_prefix(h.get("subject", ""))
    if prefix:
        for name in SUPPORTING_HEADERS:
            value = h.get(name, "")
            if value and value.lower() != "none":
                return f'Subject starts with "{prefix}" and the {_display(name)} header is present.'
    return None


def _bulk_reason(h: Mapping[str, str], local: str, address: str, list_mail_is_bulk: bool) -> str | None:
    precedence = _first_token(h.get("precedence", ""))
    if precedence in ("bulk", "junk") or (precedence == "list" and list_mail_is_bulk):
        return f"Precedence: {precedence}."
    list_id = h.get("list-id", "")
    if list_id and list_mail_is_bulk:
        return f"List-Id {_clip(list_id)}: mail from a mailing list."
    if h.get("list-unsubscribe") and _is_noreply(local):
        return f"List-Unsubscribe on mail from a no-reply sender ({_clip(address)})."
    return None


def _normalized(headers: Mapping[str, str]) -> dict[str, str]:
    """Lower-case names (first occurrence wins) and unfolded, trimmed values; odd values become empty, not errors."""
    out: dict[str, str] = {}
    for name, value in headers.items():
        key = str(name).strip().lower()
        if key not in out:
            out[key] = _WHITESPACE.sub(" ", value).strip() if isinstance(value, str) else ""
    return out


def _address(raw: str) -> str:
    """The bare, lower-cased address from a From-style value ("Name <a@b>" or "a@b")."""
    if not isinstance(raw, str):
        return ""
    return parseaddr(raw)[1].strip().lower()


def _local_part(address: str) -> str:
    """Local part without a +tag: "MAILER-DAEMON" alone (some bounces have no domain) is a local part too."""
    return address.rpartition("@")[0].partition("+")[0] if "@" in address else address.partition("+")[0]


def _is_noreply(local: str) -> bool:
    squashed = re.sub(r"[-_.]", "", local)
    return squashed.startswith(NOREPLY_PREFIXES)


def _is_null_path(return_path: str) -> bool:
    """``<>``, with optional spaces inside: the null reverse-path of RFC 5321."""
    value = return_path.strip()
    return value.startswith("<") and value.endswith(">") and not value[1:-1].strip()


def _first_token(value: str) -> str:
    """The keyword of a structured header: comments and ;-parameters dropped, lower-cased."""
    return _COMMENT.sub(" ", value).partition(";")[0].strip().lower()


def _report_type(content_type: str) -> str:
    """The report-type parameter of a multipart/report Content-Type, lower-cased; "" for anything else."""
    kind, _, params = _COMMENT.sub(" ", content_type).partition(";")
    if kind.strip().lower() != "multipart/report":
        return ""
    for param in params.split(";"):
        name, _, value = param.partition("=")
        if name.strip().lower() == "report-type":
            return value.strip().strip('"').strip().lower()
    return ""


def _auto_reply_prefix(subject: str) -> str | None:
    lowered = subject.lstrip().lower()
    for prefix in AUTO_REPLY_SUBJECT_PREFIXES:
        if lowered.startswith(prefix):
            return subject.lstrip()[: len(prefix)]
    return None


def _display(header_name: str) -> str:
    """A lower-cased header name in its usual spelling, for reasons: x-ms-exchange-... -> X-MS-Exchange-..."""
    words = [w.upper() if w in ("x", "ms") else w.capitalize() for w in header_name.split("-")]
    return "-".join(words)


def _clip(value: str) -> str:
    """Short and printable: header values are sender-controlled and end up on an admin screen."""
    cleaned = "".join(c if c.isprintable() else "?" for c in value)
    return cleaned if len(cleaned) <= _REASON_VALUE_CHARS else cleaned[: _REASON_VALUE_CHARS - 1] + "…"


def _duration(window: timedelta) -> str:
    seconds = int(window.total_seconds())
    if seconds % 3600 == 0:
        hours = seconds // 3600
        return f"{hours} hour" + ("s" if hours != 1 else "")
    if seconds % 60 == 0:
        minutes = seconds // 60
        return f"{minutes} minute" + ("s" if minutes != 1 else "")
    return f"{seconds} second" + ("s" if seconds != 1 else "")
