"""Header values read so that no odd header can sink a mail.

Each header's raw text is kept (first occurrence wins, as for a duplicated Message-ID). Raw 8-bit bytes are
decoded (UTF-8, else the mail's charset, else cp1252). Addresses come from the stdlib's policy.default parser,
merged with the lenient `getaddresses` reading of the raw text, so an Exchange-style list ("a@x; b@y;"), a trailing
comma or a broken encoded word loses nothing (To, Cc). Who a mail is FROM is read strictly instead (`mailbox`,
mail/sender.py): there, leniency would let a display name become the sender. Message-IDs are read from the raw
text, never re-rendered.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from email.message import Message
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime

from gmail_tickets.mail import charsets, detect
from gmail_tickets.mail.notes import Notes, label
from gmail_tickets.mail.read_policy import READ_POLICY
from gmail_tickets.mail.sender import single_mailbox
from gmail_tickets.mail.words import decode_words

_MSGID = re.compile(r"<([^<>]*)>")
_LINE_BREAK = re.compile(r"[\r\n]+")
_SURROGATES = re.compile("[\udc80-\udcff]")
_COMMENT = re.compile(r"\(([^()]*)\)")
_LATER_FROM_LIMIT = 5
_STRUCTURED_LIMIT = 20_000  # the stdlib's address parser is slow on huge inputs; past this, the lenient one only


class HeaderTable:
    """The first raw value of each header of one message, with 8-bit bytes decoded. Names are lower-case."""

    def __init__(self, msg: Message, notes: Notes, fallback_charset: Callable[[], str | None] = lambda: None) -> None:
        self.notes = notes
        self.raw: dict[str, str] = {}
        self.later_from: list[str] = []  # From headers after the first: read only when the first names no address
        counts: dict[str, int] = {}
        try:
            items = list(msg.raw_items())
        except Exception:  # pragma: no cover - raw_items only copies a list
            items = []
        for name, value in items:
            key = str(name).strip().lower()
            if not key:
                continue
            counts[key] = counts.get(key, 0) + 1
            if key not in self.raw:
                self.raw[key] = self._clean(key, value, fallback_charset)
            elif key == "from" and len(self.later_from) < _LATER_FROM_LIMIT:
                self.later_from.append(self._clean(key, value, fallback_charset))
        for key in ("message-id", "subject", "date"):
            if counts.get(key, 0) > 1:
                notes.add(f"{counts[key]} {key} headers; the first is used")

    def __bool__(self) -> bool:
        return bool(self.raw)

    def _clean(self, key: str, value: object, fallback_charset: Callable[[], str | None]) -> str:
        text = _LINE_BREAK.sub("", str(value))
        if _SURROGATES.search(text):  # raw 8-bit bytes: only now is the mail's charset worth looking up
            data = text.encode("utf-8", "surrogateescape")
            text = charsets.decode_header_bytes(data, fallback_charset(), f"header {label(key)}", self.notes)
        elif "\x1b" in text and text.isascii():  # raw ISO-2022-JP, as old Japanese mailers write headers
            text = detect.iso2022(text.encode("ascii")) or text
        return charsets.scrub(text).strip()

    def text(self, name: str) -> str:
        """The header as display text: encoded words decoded, whitespace collapsed."""
        raw = self.raw.get(name, "")
        return " ".join(decode_words(raw, f"header {label(name)}", self.notes).split())

    def all_text(self) -> dict[str, str]:
        return {name: self.text(name) for name in self.raw}

    def addresses(self, name: str) -> list[tuple[str, str]]:
        """(display name, lower-cased address) pairs, each address once; entries without an @ are dropped."""
        raw = self.raw.get(name, "")
        if not raw:
            return []
        found: dict[str, str] = {}
        for display, addr in self._structured(name, raw) + self._lenient(name, raw):
            addr = addr.strip().lower()
            if "@" in addr and not any(c.isspace() or c in "<>," for c in addr) and addr not in found:
                found[addr] = " ".join(display.split())
        return [(display, addr) for addr, display in found.items()]

    def _structured(self, name: str, raw: str) -> list[tuple[str, str]]:
        if len(raw) > _STRUCTURED_LIMIT:
            return []
        try:
            header = READ_POLICY.header_factory(name, raw)
            pairs = [(a.display_name, a.addr_spec) for a in header.addresses]
        except Exception:  # any defect the stdlib cannot survive: the lenient reading below has it
            self.notes.add(f"header {label(name)} not parseable; read from its raw text")
            return []
        where = f"header {label(name)}"
        clean = []
        for display, addr in pairs:
            if _SURROGATES.search(display) or "\ufffd" in display or "=?" in raw:  # RFC 2047 §6.2 spacing, too
                display = self._lenient_name(raw, addr, where)  # mis-decoded: decode again with charset aliases
            clean.append((charsets.scrub(display), charsets.scrub(addr)))
        return clean

    def _lenient(self, name: str, raw: str) -> list[tuple[str, str]]:
        where = f"header {label(name)}"
        try:
            pairs = getaddresses([raw])
        except Exception:  # pragma: no cover - getaddresses is a hand-written scanner that does not raise
            return []
        return [(decode_words(display, where, self.notes), addr) for display, addr in pairs]

    def _lenient_name(self, raw: str, addr: str, where: str) -> str:
        for display, found in getaddresses([raw]):
            if found.strip().lower() == addr.strip().lower():
                return decode_words(display, where, self.notes)
        return ""

    def mailbox(self, name: str) -> tuple[str, str]:
        """(display name, address) of the one mailbox a From or Reply-To names, read strictly (mail/sender.py):
        ("", "") with a note when there is not exactly one, never an address made from a display name. Of several
        From headers, the first that names a mailbox counts; of several mailboxes in one From, the Sender's."""
        raw = self.raw.get(name, "")
        if not raw:
            return "", ""
        values = [raw, *self.later_from] if name == "from" else [raw]
        readings = [single_mailbox(value) for value in values]
        index = next((i for i, found in enumerate(readings) if found.address is not None), None)
        if index is None and name == "from" and str(readings[0].problem).endswith(" mailboxes"):
            author = self._sender_among_authors()
            if author is not None:
                return author
        if index is None:
            consequence = "sender unknown" if name == "from" else "ignored"
            self.notes.add(f"header {label(name)}: {readings[0].problem}; {consequence}")
            return "", ""
        found, value = readings[index], values[index]
        if len(values) > 1:
            self.notes.add(f"{len(values)} {label(name)} headers; number {index + 1}, the first with an address, used")
        assert found.address is not None
        if found.recovered:
            self.notes.add(f"header {label(name)}: address recovered from a malformed mailbox")
            return self._recovered_name(value, found.address, name), found.address
        pairs = self.addresses(name) if index == 0 else self._lenient(name, value)
        display = next((d for d, a in pairs if a.strip().lower() == found.address), "")
        return display or self._comment_name(value, name), found.address

    def _sender_among_authors(self) -> tuple[str, str] | None:
        """RFC 5322 §3.6.2: a From listing several authors names the one who sent the mail in Sender. That author
        is the requester when the From lists them; a Sender the From does not list is never used."""
        found = single_mailbox(self.raw.get("sender", ""))
        authors = {addr: display for display, addr in self.addresses("from")}
        if found.address is None or found.address not in authors:
            return None
        self.notes.add("header from names several mailboxes; the one the Sender header names is used")
        return authors[found.address], found.address

    def _recovered_name(self, value: str, address: str, name: str) -> str:
        """The words around a recovered address, as its display name."""
        rest = re.sub(re.escape(address), " ", value, count=1, flags=re.IGNORECASE)
        rest = decode_words(rest.translate(str.maketrans("<>\"", "   ")), f"header {label(name)}", self.notes)
        return " ".join(rest.split())

    def _comment_name(self, value: str, name: str) -> str:
        """`addr (Marc Smith)`: the old comment form of a display name."""
        found = _COMMENT.search(value)
        return " ".join(decode_words(found.group(1), f"header {label(name)}", self.notes).split()) if found else ""

    def message_id(self, name: str) -> str | None:
        """The first Message-ID in the header, brackets stripped; a bare token is accepted too."""
        ids = self.message_ids(name)
        if ids:
            return ids[0]
        bare = self.raw.get(name, "").strip()
        return bare if bare and not any(c.isspace() for c in bare) else None

    def message_ids(self, name: str) -> list[str]:
        """Every <...> id in the header, in order, without brackets or (folding) whitespace."""
        ids = ("".join(m.split()) for m in _MSGID.findall(self.raw.get(name, "")))
        return list(dict.fromkeys(i for i in ids if i))

    def date(self, name: str = "date") -> datetime | None:
        value = self.raw.get(name, "")
        if not value:
            return None
        try:
            parsed = parsedate_to_datetime(value)
            return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)
        except Exception:  # unparseable or out-of-range dates: keep the mail, lose the date
            self.notes.add(f"unparseable {label(name)} header")
            return None


def peek(data: bytes) -> HeaderTable:
    """The headers of a mail given as bytes (an attached mail, a bounce's copy of headers); problems discarded."""
    try:
        msg = BytesParser(policy=READ_POLICY).parsebytes(data, headersonly=True)
    except Exception:  # not even a header block: an empty table
        msg = Message()
    return HeaderTable(msg, Notes())
