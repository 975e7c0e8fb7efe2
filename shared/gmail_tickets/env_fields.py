"""Dataclass fields that name their environment variable, and the one loader that reads them all.

A setting is declared once, on its field: `relay_port: int = setting(587, "GT_RELAY_PORT", "The relay's port.")`.
`load` converts each variable by the field's type hint, so a new setting costs that line and its row in
docs/configuration.md (tests/unit/test_config_docs.py compares the doc with the declarations).
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

T = TypeVar("T")

TRUE = ("1", "true", "yes")
FALSE = ("0", "false", "no")


class ConfigError(ValueError):
    """A variable's value does not fit its setting; the message names the variable, so a deployment says which."""


def setting(default: Any, env: str, doc: str) -> Any:
    """A dataclass field read from `env`; an unset or empty variable leaves `default`."""
    return dataclasses.field(default=default, metadata={"env": env, "doc": doc})


@dataclasses.dataclass(frozen=True)
class EnvSetting:
    """One declared variable, as the loader and the documentation see it."""

    field: str
    env: str
    doc: str
    default: Any
    type: Any


def env_settings(cls: type) -> list[EnvSetting]:
    """The fields of dataclass `cls` that name a variable, in declaration order."""
    hints = typing.get_type_hints(cls)
    return [EnvSetting(f.name, f.metadata["env"], f.metadata["doc"], f.default, hints[f.name])
            for f in dataclasses.fields(cls) if "env" in f.metadata]


def load(cls: type[T], env: Mapping[str, str], defaults: Mapping[str, Any] | None = None) -> T:
    """`cls` from the variables its fields declare. An empty variable counts as unset (Terraform passes "" for an
    unset optional value); `defaults` replace field defaults that depend on other settings."""
    values = dict(defaults or {})
    for declared in env_settings(cls):
        raw = env.get(declared.env, "")
        if raw.strip():
            values[declared.field] = parse(declared.env, raw, declared.type)
    return cls(**values)


def parse(name: str, raw: str, hint: Any) -> Any:
    """`raw` converted to the type `hint` names (an optional type converts to its inner type)."""
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        inner = [arg for arg in typing.get_args(hint) if arg is not type(None)]
        hint = inner[0] if len(inner) == 1 else hint
    converter = _CONVERTERS.get(hint)
    if converter is None:
        raise TypeError(f"{name}: no conversion from a string to {hint!r}")
    return converter(name, raw)


def _integer(name: str, raw: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"{name}: expected an integer, got {raw!r}") from None


def _number(name: str, raw: str) -> float:
    try:
        return float(raw)
    except ValueError:
        raise ConfigError(f"{name}: expected a number, got {raw!r}") from None


def _flag(name: str, raw: str) -> bool:
    word = raw.strip().lower()
    if word in TRUE or word in FALSE:
        return word in TRUE
    raise ConfigError(f"{name}: expected one of {'/'.join(TRUE + FALSE)}, got {raw!r}")


def _names(name: str, raw: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in raw.split(",") if item.strip())


_CONVERTERS: dict[Any, Callable[[str, str], Any]] = {
    str: lambda name, raw: raw,
    int: _integer,
    float: _number,
    bool: _flag,
    tuple[str, ...]: _names,
}
