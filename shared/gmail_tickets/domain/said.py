"""Words the console shows that the domain writes (plain-words reasons, refusals): English as a `str`, so logs,
audit entries and tests read them as they always did, with their msgid and values kept so the console can say
them in the reader's language (web/labels.py looks them up in the catalog; `pybabel extract -k said` finds them).
The domain stays free of I/O and of the web's translation machinery."""

from __future__ import annotations

from typing import Any

KNOWN: set[str] = set()
"""Every msgid said without values: a stored copy (a connection's warning, say) is still recognised by its text."""


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
