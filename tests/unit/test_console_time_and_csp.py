"""The console's times as markup script can localise, and the script policy that lets only our own files run."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from gmail_tickets.web.app import content_security_policy
from gmail_tickets.web.time_html import when


def test_times_are_utc_text_inside_a_machine_readable_time() -> None:
    at = datetime(2026, 3, 1, 9, 5, 59, tzinfo=timezone(timedelta(hours=-3)))  # 12:05:59 UTC
    assert str(when(at)) == ('<time datetime="2026-03-01T12:05:59Z" title="2026-03-01 12:05 UTC">'
                             "2026-03-01 12:05 UTC</time>")
    assert str(when(datetime(2026, 3, 1, 12, 5))) == str(when(datetime(2026, 3, 1, 12, 5, tzinfo=UTC)))
    assert str(when(None)) == "—"


def test_script_only_from_our_own_files_and_fetches_only_to_us() -> None:
    policy = dict(part.strip().split(" ", 1) for part in content_security_policy(None).split(";"))
    assert policy["script-src"] == "'self'"  # no 'unsafe-inline', no 'unsafe-eval', no other origin
    assert policy["connect-src"] == "'self'"
    assert policy["default-src"] == "'none'"
