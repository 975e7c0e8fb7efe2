"""The JSON inside a Pub/Sub message, read so that no message can fail the function: anything that is not a
small, plain JSON object (non-finite numbers, nesting beyond a few levels, the wrong types) is a PoisonEvent,
which the caller quarantines with its bytes and acknowledges. An exception here instead would answer 500, and
Pub/Sub would deliver the same message again and again."""

from __future__ import annotations

import json
from typing import Any

from gmail_tickets.errors import PoisonEvent

MAX_DEPTH = 8  # our events are flat objects; Gmail's notification is too
MAX_HISTORY_ID = 2**64 - 1  # Gmail's history ids are unsigned 64-bit


def _refuse_constant(name: str) -> Any:
    raise PoisonEvent(f"not JSON: {name} is not a number JSON allows")


def _depth(value: Any) -> int:
    """Nesting depth, iteratively (a recursive walk is what a deeply nested message would break)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        deepest = max(deepest, depth)
        if depth > MAX_DEPTH:
            return depth
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else ()
        stack.extend((child, depth + 1) for child in children)
    return deepest


def json_object(data: bytes) -> dict[str, Any]:
    """The message as a JSON object, or PoisonEvent saying why it is not one we can use."""
    try:
        body = json.loads(data, parse_constant=_refuse_constant)
    except RecursionError as exc:  # the C parser gives up on deep nesting this way
        raise PoisonEvent("not JSON we accept: nested too deeply") from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise PoisonEvent(f"not JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise PoisonEvent("not a JSON object")
    if _depth(body) > MAX_DEPTH:
        raise PoisonEvent(f"not JSON we accept: nested deeper than {MAX_DEPTH} levels")
    return body


def history_id(raw: Any) -> int | None:
    """Gmail's historyId: a whole number (or a string of digits) that fits 64 bits, or absent."""
    if raw is None:
        return None
    if isinstance(raw, str) and raw.isascii() and raw.isdigit() and len(raw) <= 20:
        value = int(raw)
    elif isinstance(raw, int) and not isinstance(raw, bool):
        value = raw
    elif isinstance(raw, float) and raw.is_integer():
        value = int(raw)  # finite: non-finite numbers never get past json_object
    else:
        raise PoisonEvent("historyId is not a whole number")
    if not 0 <= value <= MAX_HISTORY_ID:
        raise PoisonEvent("historyId is out of range")
    return value
