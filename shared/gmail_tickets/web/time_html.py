"""Times in the console: `<time datetime="…Z" title="… UTC">… UTC</time>`, UTC text that works without script;
static/live.js rewrites the text in the agent's own timezone (Intl.DateTimeFormat), relative where that reads
better ("3 min ago"), and keeps it fresh, with the UTC time on hover."""

from __future__ import annotations

from datetime import UTC, datetime

from markupsafe import Markup


def when(value: datetime | None) -> Markup:
    if value is None:
        return Markup("—")
    utc = value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    text = utc.strftime("%Y-%m-%d %H:%M UTC")
    stamp = utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    return Markup('<time datetime="{0}" title="{1}">{1}</time>').format(stamp, text)
