"""Measuring HTML structure in tests: how deep well-formed markup nests, and hostile nesting to feed the parser."""

from __future__ import annotations

import re

_TAG = re.compile(r"<(/?)([a-z0-9]+)[^>]*>")
_VOID = {"br", "img", "hr", "col", "wbr", "input", "meta", "link", "area", "source", "track", "embed", "param"}


def depth(markup: str) -> int:
    """The deepest nesting of well-formed markup (what the bounding pass writes and nh3 serializes)."""
    deepest = level = 0
    for closing, name in _TAG.findall(markup):
        if name in _VOID:
            continue
        level += -1 if closing else 1
        deepest = max(deepest, level)
    return deepest


def nested(levels: int, inner: str = "x", tag: str = "div") -> str:
    return f"<{tag}>" * levels + inner + f"</{tag}>" * levels
