"""The `problems` list: short notes on what was odd in a mail and how it was handled.

Notes carry header names, charset labels and part numbers only, never body text, so they are safe to show and log.
"""

from __future__ import annotations

import re

_UNSAFE = re.compile(r"[^A-Za-z0-9._:+/=-]")
_LIMIT = 40


def label(value: object, limit: int = 40) -> str:
    """A token from the mail (charset, encoding, header name) made safe to put in a note."""
    text = _UNSAFE.sub("?", str(value).strip())[:limit]
    return text or "(empty)"


class Notes:
    """An ordered, de-duplicated, capped list of notes, so a pathological mail cannot grow it without bound."""

    def __init__(self) -> None:
        self._items: dict[str, None] = {}
        self._dropped = 0

    def add(self, note: str) -> None:
        if note in self._items:
            return
        if len(self._items) < _LIMIT:
            self._items[note] = None
        else:
            self._dropped += 1

    def as_list(self) -> list[str]:
        items = list(self._items)
        if self._dropped:
            items.append(f"{self._dropped} more problems not listed")
        return items
