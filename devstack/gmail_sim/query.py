"""Gmail's search language (`q=`), the subset a connector uses, parsed once and matched per message.

Supported: `in:` (inbox, sent, spam, trash, anywhere, drafts, starred, important, or a user label), `is:`
(unread, read, starred, important), `label:`, `from:`/`to:`/`cc:`/`bcc:` (`me` = the mailbox), `subject:`,
`rfc822msgid:`, `has:attachment`, `filename:`, `after:`/`before:` (epoch seconds or YYYY/MM/DD, dates at
midnight Pacific time as Gmail reads them), `newer_than:`/`older_than:` (Nd, Nm, Ny), bare words and
"quoted phrases" (subject, from, to, body text), negation with `-`, AND of terms, and `OR` / `{a b}` between
single terms, `larger:`/`smaller:`/`size:` (bytes of the message, with an optional K or M suffix, as
Gmail's sizeEstimate counts them). Not supported: parentheses around groups, `category:`, `around`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from .errors import bad_request
from .mime import ParsedMail

_TOKEN = re.compile(r'(-?)(?:([A-Za-z_][A-Za-z0-9_]*):)?("([^"]*)"|\(([^)]*)\)|\{|\}|[^\s{}]+)')
_AGE = re.compile(r"^(\d+)([dmy])$", re.IGNORECASE)
_DATE = re.compile(r"^(\d{4})[/-](\d{1,2})[/-](\d{1,2})$")
_US_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_SIZE = re.compile(r"^(\d+)([km]?)$", re.IGNORECASE)
_SIZE_FACTOR = {"": 1, "k": 1024, "m": 1024 * 1024}
_AGE_SECONDS = {"d": 86400, "m": 30 * 86400, "y": 365 * 86400}
SYSTEM_IN = {
    "inbox": "INBOX",
    "sent": "SENT",
    "spam": "SPAM",
    "trash": "TRASH",
    "drafts": "DRAFT",
    "draft": "DRAFT",
    "starred": "STARRED",
    "important": "IMPORTANT",
    "unread": "UNREAD",
    "chats": "CHAT",
}
SPAM_TRASH = {"SPAM", "TRASH"}


@dataclass(frozen=True)
class Term:
    op: str
    """Lower-case operator name, or "" for free text."""
    value: str
    negated: bool = False


class Searchable(Protocol):
    """What a query needs to know of a message (state.Message)."""

    labels: set[str]
    internal_date_ms: int
    raw: bytes

    @property
    def parsed(self) -> ParsedMail: ...


def parse_query(q: str) -> list[list[Term]]:
    """AND of OR-groups: `a OR b c` is [[a, b], [c]]; `{a b}` is one OR-group."""
    groups: list[list[Term]] = []
    pending_or = False
    brace: list[Term] | None = None
    for match in _TOKEN.finditer(q or ""):
        neg, op, whole, quoted, paren = match.groups()
        if whole == "{":
            brace = []
            continue
        if whole == "}":
            if brace:
                groups.append(brace)
            brace = None
            continue
        if not op and not neg and whole == "OR" and groups:
            pending_or = True
            continue
        if not op and not neg and whole == "AND":
            continue
        value = quoted if quoted is not None else paren if paren is not None else whole
        term = Term((op or "").lower(), value.strip(), bool(neg))
        if brace is not None:
            brace.append(term)
        elif pending_or:
            groups[-1].append(term)
            pending_or = False
        else:
            groups.append([term])
    if brace:
        groups.append(brace)
    return groups


def _label_key(name: str) -> str:
    """Gmail writes "My Label/Sub" as label:my-label-sub in queries; both forms find the label."""
    return re.sub(r"[\s/_-]+", "-", name.strip().lower())


def _day_start(value: str, tz: ZoneInfo) -> float | None:
    if value.isdigit():
        return float(value)
    m = _DATE.match(value)
    if m:
        y, mo, d = (int(x) for x in m.groups())
    else:
        m = _US_DATE.match(value)
        if not m:
            return None
        mo, d, y = (int(x) for x in m.groups())
    try:
        return datetime(y, mo, d, tzinfo=tz).timestamp()
    except ValueError:
        return None


class Query:
    """A parsed query bound to one mailbox (for `me` and label names) and one moment (for ages)."""

    def __init__(self, q: str, *, account: str, label_ids_by_name: dict[str, str], now: float, tz: str) -> None:
        self.groups = parse_query(q)
        self._account = account.lower()
        self._labels = {_label_key(name): label_id for name, label_id in label_ids_by_name.items()}
        self._now = now
        self._tz = ZoneInfo(tz)
        for group in self.groups:
            for term in group:
                if term.op in ("newer_than", "older_than") and not _AGE.match(term.value):
                    raise bad_request(f"Invalid {term.op} value: {term.value}")
                if term.op in ("larger", "smaller", "size") and not _SIZE.match(term.value):
                    raise bad_request(f"Invalid {term.op} value: {term.value}")

    @property
    def names_spam_or_trash(self) -> bool:
        """`in:spam`, `in:trash`, `in:anywhere` (or label:spam/trash) lift the default spam/trash exclusion."""
        for group in self.groups:
            for t in group:
                if not t.negated and t.op in ("in", "label") and t.value.lower() in ("spam", "trash", "anywhere"):
                    return True
        return False

    def matches(self, msg: Searchable) -> bool:
        return all(any(self._term(t, msg) != t.negated for t in group) for group in self.groups)

    def _label_id(self, name: str) -> str | None:
        key = name.lower()
        if key in SYSTEM_IN:
            return SYSTEM_IN[key]
        return self._labels.get(_label_key(key))

    def _addr(self, value: str, header: str) -> bool:
        v = value.lower()
        if v == "me":
            v = self._account
        return v in header.lower()

    def _term(self, t: Term, msg: Searchable) -> bool:
        labels = msg.labels
        date_s = msg.internal_date_ms / 1000
        op, value = t.op, t.value
        if op == "in":
            if value.lower() == "anywhere":
                return True
            label = self._label_id(value)
            return label is not None and label in labels
        if op == "label":
            label = self._label_id(value)
            return label is not None and label in labels
        if op == "is":
            v = value.lower()
            if v == "read":
                return "UNREAD" not in labels
            return SYSTEM_IN.get(v, "") in labels if v in ("unread", "starred", "important") else False
        if op in ("after", "before"):
            bound = _day_start(value, self._tz)
            if bound is None:
                return False
            return date_s >= bound if op == "after" else date_s < bound
        if op in ("newer_than", "older_than"):
            m = _AGE.match(value)
            assert m is not None
            bound = self._now - int(m.group(1)) * _AGE_SECONDS[m.group(2).lower()]
            return date_s >= bound if op == "newer_than" else date_s < bound
        if op in ("larger", "smaller", "size"):
            m = _SIZE.match(value)
            assert m is not None
            bound = int(m.group(1)) * _SIZE_FACTOR[m.group(2).lower()]
            return len(msg.raw) < bound if op == "smaller" else len(msg.raw) > bound
        if op == "has":
            return value.lower() == "attachment" and bool(msg.parsed.filenames)
        parsed = msg.parsed
        if op == "from":
            return self._addr(value, parsed.sender)
        if op == "to":
            return self._addr(value, " ".join((parsed.to, parsed.cc, parsed.bcc)))
        if op in ("cc", "bcc"):
            return self._addr(value, parsed.cc if op == "cc" else parsed.bcc)
        if op == "subject":
            subject = parsed.subject.casefold()
            return all(word in subject for word in value.casefold().split())
        if op == "rfc822msgid":
            return parsed.message_id.strip("<>") == value.strip("<>")
        if op == "filename":
            return any(value.lower() in name.lower() for name in parsed.filenames)
        text = (f"{op}:{value}" if op else value).casefold()
        return text in parsed.search_text
