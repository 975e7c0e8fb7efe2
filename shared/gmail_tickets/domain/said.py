"""Words the console shows that the domain writes (plain-words reasons, refusals): English as a `str`, so logs,
audit entries and tests read them as they always did, with their msgid and values kept so the console can say
them in the reader's language (web/labels.py looks them up in the catalog; `pybabel extract -k said` finds them).
The domain stays free of I/O and of the web's translation machinery."""

from __future__ import annotations

import re
from typing import Any

KNOWN: set[str] = set()
"""Every msgid said without values: a stored copy (a connection's warning, say) is still recognised by its text."""

STORED: dict[str, re.Pattern[str]] = {}
"""Kinds of text kept in the stores with values in them (a suspended mail's reason, a notification's error), by
msgid: `recognise` reads a stored copy back into its msgid and values, so the console can say it in the reader's
language while the record keeps its English for logs."""

_VALUE = re.compile(r"%\((\w+)\)s")
_ORDER: list[tuple[str, re.Pattern[str]]] = []  # STORED in the order `recognise` tries it


class Said(str):
    msgid: str
    params: dict[str, Any]

    def __new__(cls, msgid: str, **params: Any) -> Said:
        english = msgid % {k: f"{v:,}" if isinstance(v, int) else v for k, v in params.items()} if params else msgid
        said = super().__new__(cls, english)
        said.msgid, said.params = msgid, params
        if not params:
            KNOWN.add(msgid)
        return said


def said(msgid: str, **params: Any) -> Said:
    """`msgid` (a catalog string, "%(name)s" for each value) with its values; ints read "2,000" in English."""
    return Said(msgid, **params)


def N_(msgid: str) -> str:
    """Marks a kind of stored text (`pybabel extract` finds N_ by default) and returns it unchanged: the domain
    writes it with `%` as ever (`N_(...) % values`), and `recognise` knows it again in the stored copy."""
    if "%(" not in msgid:
        KNOWN.add(msgid)
        return msgid
    parts, seen, pattern = _VALUE.split(msgid), set(), ""  # parts: text, name, text, name, ..., text
    for i, part in enumerate(parts):
        pattern += re.escape(part) if i % 2 == 0 else f"(?P={part})" if part in seen else f"(?P<{part}>.+?)"
        seen.add(part)
    STORED[msgid] = re.compile(pattern, re.DOTALL)
    # a wrapper around another stored text ("%(error)s (gave up after …)") is tried first, the longest wording
    # first: what it wraps is recognised next
    _ORDER[:] = sorted(STORED.items(), key=lambda item: (not item[0].startswith("%("), -len(_VALUE.sub("", item[0]))))
    return msgid


def recognise(text: str) -> Said | None:
    """A stored text of a marked kind as its msgid and values (values of a marked kind recognised too); None for
    any other text, which is shown as stored."""
    if text in KNOWN:
        return Said(text)
    for msgid, pattern in _ORDER:
        found = pattern.fullmatch(text)
        if found:
            values = {name: recognise(value) or value for name, value in found.groupdict().items()}
            return Said(msgid, **values)
    return None
