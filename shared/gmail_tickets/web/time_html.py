"""Times in the console: `<time datetime="…Z" title="… UTC">… UTC</time>`, UTC text that works without script;
static/live.js rewrites the text in the agent's own timezone and the page's language (Intl.DateTimeFormat),
relative where that reads better ("3 min ago"), and keeps it fresh, with the UTC time on hover.

The server's own text is in the reader's language too, through Babel's locale data ("3/1/26, 12:05 PM UTC",
"01.03.26, 12:05 UTC"); the title and the datetime attribute keep the unambiguous ISO form. Outside a request (no
reader) the text is ISO as well."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import has_request_context
from flask_babel import format_datetime
from markupsafe import Markup


def _text(utc: datetime) -> str:
    if has_request_context():
        return f"{format_datetime(utc, 'short')} UTC"
    return utc.strftime("%Y-%m-%d %H:%M UTC")


def when(value: datetime | None) -> Markup:
    if value is None:
        return Markup("—")
    utc = value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    title = utc.strftime("%Y-%m-%d %H:%M UTC")
    stamp = utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    return Markup('<time datetime="{0}" title="{1}">{2}</time>').format(stamp, title, _text(utc))
