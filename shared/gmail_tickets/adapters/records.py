"""Domain dataclasses <-> plain dicts, one format for both stores, derived from the dataclasses themselves.

SQLite keeps the dict as a JSON `doc` column beside the few columns it queries by; Firestore keeps it as the
document. Field names are the dataclass field names, so a stored record reads like the code, and a field added to
a record is stored by both stores with no change here. Conversions, by the field's type hint:

- datetime <-> fixed-width ISO 8601 text in UTC, so text order is time order in either store. Decoding also
  takes datetime objects: Firestore documents written before this format hold timestamps.
- enums <-> their values; nested dataclasses <-> dicts; lists and tuples <-> lists; dicts keep their shape
  (keys converted too: a send window's hour buckets are keyed by time); bytes stay bytes (each store decides
  where raw bytes go: JSON cannot hold them).
- A key missing from a stored dict (or None for a field that cannot be None) reads as the field's default, so
  records written before a field existed read back as "not known". A missing field without a default raises.
- Keys that are not fields (a store's own index fields) are ignored.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import types
import typing
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, TypeVar

Doc = dict[str, Any]
R = TypeVar("R")

_NONE = type(None)


def utc(value: datetime | str | None) -> datetime | None:
    """A plain aware-UTC datetime from a datetime (naive taken as UTC; Firestore's DatetimeWithNanoseconds made
    plain) or from stored ISO text."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return datetime(value.year, value.month, value.day, value.hour, value.minute, value.second,
                    value.microsecond, tzinfo=UTC)


def ts(value: datetime | str | None) -> str | None:
    """Fixed-width ISO 8601 text in UTC (microseconds always written), so text order is time order."""
    moment = utc(value)
    return None if moment is None else moment.isoformat(timespec="microseconds")


def to_doc(record: object) -> Doc:
    """The dataclass `record` as a dict of JSON-safe values (bytes apart)."""
    hints = _hints(type(record))
    return {f.name: _encode(getattr(record, f.name), hints[f.name]) for f in dataclasses.fields(record)}  # type: ignore[arg-type]


def from_doc(cls: type[R], doc: Mapping[str, Any]) -> R:
    """A `cls` from a dict `to_doc` wrote (or an older, shorter one)."""
    hints = _hints(cls)
    values: dict[str, Any] = {}
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        value = doc.get(f.name)
        has_default = f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING
        if value is None and has_default and not _optional(hints[f.name]):
            continue  # absent (or null where it cannot be): the default
        if f.name not in doc and not has_default:
            raise KeyError(f"{cls.__name__}.{f.name} missing from the stored record")
        values[f.name] = _decode(value, hints[f.name])
    return cls(**values)


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _optional(hint: Any) -> bool:
    return _is_union(hint) and _NONE in typing.get_args(hint)


def _is_union(hint: Any) -> bool:
    return typing.get_origin(hint) in (typing.Union, types.UnionType)


def _encode(value: Any, hint: Any) -> Any:
    if value is None:
        return None
    if _is_union(hint):
        hint = next(h for h in typing.get_args(hint) if h is not _NONE)
    origin = typing.get_origin(hint)
    if isinstance(value, datetime):
        return ts(value)
    if isinstance(value, enum.Enum):
        return value.value
    if dataclasses.is_dataclass(value):
        return to_doc(value)
    if origin in (list, tuple):
        inner = typing.get_args(hint)[0] if typing.get_args(hint) else Any
        return [_encode(v, inner) for v in value]
    if origin is dict:
        key_hint, value_hint = typing.get_args(hint)
        return {_encode(k, key_hint): _encode(v, value_hint) for k, v in value.items()}
    return value


def _decode(value: Any, hint: Any) -> Any:
    if value is None:
        return None
    if _is_union(hint):
        hint = next(h for h in typing.get_args(hint) if h is not _NONE)
    origin = typing.get_origin(hint)
    if origin in (list, tuple):
        args = typing.get_args(hint)
        inner = args[0] if args else Any
        items = [_decode(v, inner) for v in value]
        return items if origin is list else tuple(items)
    if origin is dict:
        key_hint, value_hint = typing.get_args(hint)
        return {_decode(k, key_hint): _decode(v, value_hint) for k, v in value.items()}
    if origin is not None or hint is Any:  # Literal[...] and the like: stored as they are
        return value
    if hint is datetime:
        return utc(value)
    if issubclass(hint, enum.Enum):
        return hint(value)
    if dataclasses.is_dataclass(hint):
        return from_doc(hint, value)
    if hint is bool:
        return bool(value)
    if hint is int:
        return int(value)
    if hint is bytes:
        return bytes(value)
    return value
