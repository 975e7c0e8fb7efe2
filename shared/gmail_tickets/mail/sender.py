"""The one mailbox of a From (or Reply-To) header, read strictly: who a mail is from decides whose ticket it joins.

The stdlib's readers are lenient in ways an attacker can use: `victim@x <attacker@evil>` reads as victim@x, and
`getaddresses` returns both. Here the header is split at top-level commas (outside quoted strings, comments and
angle brackets) into mailboxes; a mailbox with one `<addr-spec>` is that address (the text before it is only a
display name, whatever it looks like); one without angle brackets must be a bare addr-spec. RFC 2047 encoded words
are blanked out before any of this, so a decoded display name (an encoded CR LF, an encoded `<x@y>`) can never
become an address. Anything but exactly one valid mailbox — none, two, a group, two angle addresses in one
mailbox — is `Mailbox(None, reason)`: the caller treats the sender as unknown and notes why.

Two malformed shapes are recovered, as mature readers do: words before a bare address (`Test test@x`) and words
inside the angle brackets (`<Support Desk desk@x>`). There the last word is the address and the others a display
name, but only when no other word has an `@`: a display name that looks like an address is never the sender. A
recovered address is still only as trusted as Google's Authentication-Results vouch for its domain.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_ENCODED_WORD = re.compile(r"=\?[^?\s]*\?[^?\s]*\?[^\s]*?\?=")
_ADDR_SPEC = re.compile(r'^(?:"(?:[^"\\\r\n]|\\.)*"|[^\s@<>()\[\],;:"\\]+)@[^\s@<>()\[\],;:"\\]+$')
_MAX_CHARS = 4_000  # a From longer than this is no single mailbox anyone writes; never scanned


@dataclass(frozen=True)
class Mailbox:
    """`address` lower-cased when the header names exactly one valid mailbox; else None and `problem` says why."""

    address: str | None
    problem: str | None = None
    recovered: bool = False  # read from a malformed mailbox (see the module docstring); the caller notes it


def single_mailbox(raw: str) -> Mailbox:
    """The one mailbox `raw` (a header's undecoded value) names, read strictly (see the module docstring)."""
    if not raw.strip():
        return Mailbox(None, "no address")
    if len(raw) > _MAX_CHARS:
        return Mailbox(None, "too long to be one mailbox")
    items = _top_level_items(_ENCODED_WORD.sub(" encoded-word ", raw))
    if items is None:
        return Mailbox(None, "unbalanced quotes, comments or angle brackets")
    mailboxes = [item for item in items if item.strip()]
    if not mailboxes:
        return Mailbox(None, "no address")
    if len(mailboxes) > 1:
        return Mailbox(None, f"{len(mailboxes)} mailboxes")
    return _address_of(mailboxes[0])


def _address_of(item: str) -> Mailbox:
    angles = re.findall(r"<([^<>]*)>", item)
    if len(angles) > 1:
        return Mailbox(None, "more than one <address>")
    candidate = angles[0] if angles else item
    candidate = re.sub(r"^\s*(?:@[^:,]*,?)+:", "", candidate).strip()  # an obsolete source route: <@relay:a@x>
    if _ADDR_SPEC.match(candidate):
        return Mailbox(_lower(candidate))
    words = candidate.split()
    if len(words) > 1 and _ADDR_SPEC.match(words[-1]) and not any("@" in word for word in words[:-1]):
        return Mailbox(_lower(words[-1]), recovered=True)
    return Mailbox(None, "no valid address")


def _lower(addr_spec: str) -> str:
    local, _, domain = addr_spec.rpartition("@")
    return f"{local}@{domain}".lower()


def _top_level_items(text: str) -> list[str] | None:
    """`text` split at top-level commas, comments removed, a group's name and `;` dropped, quoted strings and angle
    brackets kept whole. None when quotes, comments or brackets do not balance."""
    items: list[str] = []
    current: list[str] = []
    depth = 0  # comment nesting
    quoted = angled = escaped = False
    for ch in text:
        if escaped:
            escaped = False
            if depth == 0:
                current.append(ch)
            continue
        if ch == "\\" and (quoted or depth):
            escaped = True
            if depth == 0:
                current.append(ch)
            continue
        if depth:
            depth += {"(": 1, ")": -1}.get(ch, 0)
            continue
        if quoted:
            quoted = ch != '"'
            current.append(ch)
            continue
        if angled:
            angled = ch != ">"
            current.append(ch)
            continue
        if ch == "(":
            depth = 1
            current.append(" ")
        elif ch == '"':
            quoted = True
            current.append(ch)
        elif ch == "<":
            angled = True
            current.append(ch)
        elif ch == ",":
            items.append("".join(current))
            current = []
        elif ch == ":":
            current = []  # "group-name:" — the members follow
        elif ch == ";":
            continue  # a group's end
        else:
            current.append(ch)
    if depth or quoted or angled:
        return None
    items.append("".join(current))
    return items
