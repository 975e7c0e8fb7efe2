"""The stdlib's policy.default for reading mail, with its header objects made once per distinct header.

policy.default turns a header into an object on every read: the parser itself reads each part's Content-Type
several times (`get_content_type`, `get_content_maintype` while parsing and when closing), and the registry makes
a new class for every object it builds. Header objects are immutable (a `str` with read-only parsed parts), so
the same name and value can share one: a Content-Type like `text/plain; charset="utf-8"` is parsed once per
process instead of several times per mail. Long values (rare, unlikely to repeat) are not kept.
"""

from __future__ import annotations

import functools
from email import policy
from email.headerregistry import BaseHeader, HeaderRegistry

_KEPT_CHARS = 1_000  # values longer than this are parsed every time
_KEPT_HEADERS = 4_096  # distinct (name, value) pairs kept


class _KeptHeaders(HeaderRegistry):
    """A HeaderRegistry that builds each header class once per name and each header object once per value."""

    def __init__(self) -> None:
        super().__init__()
        self._made = functools.lru_cache(maxsize=_KEPT_HEADERS)(self._make)
        self._classes: dict[str, type[BaseHeader]] = {}

    def __getitem__(self, name: str) -> type[BaseHeader]:
        key = name.lower()
        found = self._classes.get(key)
        if found is None:
            found = self._classes[key] = super().__getitem__(name)
        return found

    def __call__(self, name: str, value: str) -> BaseHeader:
        if len(value) > _KEPT_CHARS:
            return self._make(name, value)
        return self._made(name, value)  # type: ignore[no-any-return]

    def _make(self, name: str, value: str) -> BaseHeader:
        return self[name](name, value)  # type: ignore[no-any-return]


READ_POLICY = policy.default.clone(header_factory=_KeptHeaders())
