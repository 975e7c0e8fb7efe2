"""Keyset paging: a page of records and the opaque cursors to the pages beside it.

A list is ordered by a key (a tuple of the sort value and a unique tie-breaker) from the largest down. A cursor
names the key of the record a page starts after, and the direction; a store fetches `limit + 1` records past it,
so it knows whether more exist without counting. No offset: a page deep in the list costs what the first does,
and rows added meanwhile never make a page repeat or skip a record.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

R = TypeVar("R")
Key = tuple[str | int | None, ...]

DEFAULT_PAGE = 50
MAX_PAGE = 200
KEY_INT_MIN, KEY_INT_MAX = -(2**63), 2**63 - 1  # what every store can compare (SQLite's and Firestore's integers)
MAX_KEY_TEXT = 1500  # Firestore's longest document id, in characters


class BadCursor(ValueError):
    """A cursor that is not one of ours (edited or truncated): the list starts from the top instead."""


@dataclass(frozen=True)
class PageRequest:
    """`after`: the key the page starts past, None for the first page; `backward`: towards the top (newer)."""

    limit: int = DEFAULT_PAGE
    after: Key | None = None
    backward: bool = False

    @classmethod
    def from_cursor(cls, cursor: str | None, limit: int = DEFAULT_PAGE) -> PageRequest:
        limit = max(1, min(limit, MAX_PAGE))
        if not cursor:
            return cls(limit)
        try:
            direction, key = json.loads(base64.urlsafe_b64decode(cursor.encode() + b"=" * (-len(cursor) % 4)))
        except (ValueError, binascii.Error, TypeError) as error:
            raise BadCursor(cursor) from error
        if direction not in ("n", "p") or not isinstance(key, list) or not key or not all(map(_key_part, key)):
            raise BadCursor(cursor)
        return cls(limit, tuple(key), direction == "p")

    def fitting(self, *kinds: type) -> PageRequest:
        """This request, or the first page when its key is not of a list whose keys have these parts' types (a
        cursor of another list or sort): a store then never compares its fields with a value of another type."""
        if self.after is None or (len(self.after) == len(kinds)
                                  and all(type(part) is kind for part, kind in zip(self.after, kinds, strict=True))):
            return self
        return PageRequest(self.limit)


def _key_part(part: object) -> bool:
    """Scalars only, and integers a store can hold: a key a store compares, never one that overflows it."""
    if isinstance(part, bool):
        return False
    if isinstance(part, int):
        return KEY_INT_MIN <= part <= KEY_INT_MAX
    return part is None or (isinstance(part, str) and len(part) <= MAX_KEY_TEXT)


@dataclass(frozen=True)
class Page(Generic[R]):
    """Records, largest key first, and cursors to the next (older) and previous (newer) pages: None at an end."""

    items: list[R] = field(default_factory=list)
    older: str | None = None
    newer: str | None = None


def cursor(key: Key, *, backward: bool) -> str:
    text = json.dumps(["p" if backward else "n", list(key)], separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def page_of(rows: Sequence[R], request: PageRequest, key: Callable[[R], Key]) -> Page[R]:
    """The page from what a store fetched: up to `limit + 1` rows past `request.after`, in the request's
    direction (smallest key first when backward). A cursor came from a row, so the side it came from has more."""
    more = len(rows) > request.limit
    items = list(rows[: request.limit])
    if request.backward:
        items.reverse()
    if not items:
        return Page()
    has_older = (more and not request.backward) or (request.backward and request.after is not None)
    has_newer = (more and request.backward) or (not request.backward and request.after is not None)
    return Page(items,
                older=cursor(key(items[-1]), backward=False) if has_older else None,
                newer=cursor(key(items[0]), backward=True) if has_newer else None)
