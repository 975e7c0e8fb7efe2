"""`gmail-tickets parse FILE.eml [--json]` as a user runs it: a process, a file, JSON with the keys docs/parse.md
documents; and the same command through the CLI's main for the human output."""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import subprocess
import sys
from contextlib import redirect_stdout
from pathlib import Path
from typing import Any

from gmail_tickets import cli

ROOT = Path(__file__).parents[2]
KEYS = {"subject", "sender", "requester", "reply_to", "to", "cc", "date", "message_id", "in_reply_to", "references",
        "content_type", "text", "html", "attachments", "auto_mail", "delivery_report", "sender_auth", "notes"}
COMPOSED = (
    b"Authentication-Results: mx.google.com; dkim=pass header.i=@example.com; spf=pass "
    b"smtp.mailfrom=ann@example.com; dmarc=pass header.from=example.com\r\n"
    b"From: =?utf-8?q?Ann_M=C3=BCller?= <Ann@Example.com>\r\nTo: support@ours.example\r\nCc: bob@example.com\r\n"
    b"Subject: =?utf-8?q?Out_of_Office:_?= =?utf-8?q?back_Monday?=\r\nDate: Sat, 05 Dec 2026 10:00:00 +0100\r\n"
    b"Message-ID: <m1@example.com>\r\nAuto-Submitted: auto-replied\r\n"
    b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: multipart/alternative; boundary=c\r\n\r\n"
    b"--c\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nBack on Monday.\r\n"
    b"--c\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p onclick=\"x()\">Back on <b>Monday</b>.</p>"
    b"<script>alert(1)</script>\r\n--c--\r\n"
    b"--b\r\nContent-Type: application/pdf; name=\"plan.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"
    b"JVBERi0=\r\n--b--\r\n"
)
MALFORMED = (
    b"// exported by a broken tool\r\n"
    b"From: Test test@example.com\r\nSubject: Broken\r\nfold\r\nTo: support@ours.example\r\n"
    b"Content-Type: text/plain; charset=iso-2022-jp\r\nContent-Transfer-Encoding: 7bit\r\n\r\n"
    + "注文が届いていません。".encode("iso2022_jp") + b"\r\n"
)


def _run(path: Path, *flags: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "shared"), str(ROOT)])}
    return subprocess.run([sys.executable, "-m", "gmail_tickets.cli", "parse", str(path), *flags],
                          capture_output=True, text=True, timeout=60, env=env)


def _json(path: Path) -> dict[str, Any]:
    done = _run(path, "--json")
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)


def test_a_composed_mail_as_json(tmp_path: Path) -> None:
    path = tmp_path / "composed.eml"
    path.write_bytes(COMPOSED)
    out = _json(path)
    assert set(out) == KEYS
    assert out["subject"] == "Out of Office: back Monday"
    assert out["sender"] == {"name": "Ann Müller", "address": "ann@example.com"}
    assert out["requester"] == "ann@example.com"
    assert (out["to"], out["cc"]) == (["support@ours.example"], ["bob@example.com"])
    assert out["date"] == "2026-12-05T09:00:00+00:00"
    assert out["message_id"] == "m1@example.com"
    assert out["text"] == "Back on Monday."
    assert "<b>Monday</b>" in out["html"] and "script" not in out["html"] and "onclick" not in out["html"]
    assert out["attachments"] == [{
        "name": "plan.pdf", "type": "application/pdf", "size": 5, "inline": False, "content_id": None,
        "sha256": hashlib.sha256(b"%PDF-").hexdigest(),
    }]
    assert out["auto_mail"]["kind"] == "auto_reply" and out["auto_mail"]["reason"]
    assert out["delivery_report"] == {"is_report": False, "original_message_id": None}
    assert out["sender_auth"]["authenticated"] is True and out["sender_auth"]["dmarc"] == "pass"
    assert out["notes"] == []


def test_a_malformed_mail_as_json_with_its_recovery_notes(tmp_path: Path) -> None:
    path = tmp_path / "malformed.eml"
    path.write_bytes(MALFORMED)
    out = _json(path)
    assert set(out) == KEYS
    assert out["subject"] == "Broken fold"
    assert out["sender"] == {"name": "Test", "address": "test@example.com"}
    assert out["to"] == ["support@ours.example"]
    assert out["text"] == "注文が届いていません。"
    assert out["auto_mail"] == {"kind": "normal", "reason": "No sign of automatic mail.", "rule": "normal"}
    assert out["sender_auth"] is None
    assert {"1 junk line before the headers skipped", "header continuation without leading whitespace joined",
            "header from: address recovered from a malformed mailbox"} <= set(out["notes"])


def test_not_a_mail_and_a_missing_file_exit_1_with_an_error(tmp_path: Path) -> None:
    path = tmp_path / "not-a-mail.eml"
    path.write_bytes(b"just a line of text\nand another\n")
    done = _run(path, "--json")
    assert done.returncode == 1 and json.loads(done.stdout) == {"error": "not a mail: no headers found"}
    missing = _run(tmp_path / "missing.eml")
    assert missing.returncode == 1 and "cannot read" in missing.stderr


def test_the_human_output_through_the_cli_main(tmp_path: Path) -> None:
    path = tmp_path / "malformed.eml"
    path.write_bytes(MALFORMED.replace(b"Subject: Broken", b"Subject: \x1b[31mBroken"))
    buffer = io.StringIO()
    with redirect_stdout(buffer):
        assert cli.main(["parse", str(path), "--support", "support@ours.example"]) == 0
    shown = buffer.getvalue()
    assert "\x1b" not in shown  # the mail cannot drive the terminal
    assert "From:        Test <test@example.com>" in shown
    assert "Requester:   test@example.com" in shown
    assert "Auto-mail:   normal: No sign of automatic mail." in shown
    assert "Recovery notes:" in shown and "header continuation without leading whitespace joined" in shown
    assert shown.rstrip().endswith("注文が届いていません。")


def test_docs_parse_md_documents_exactly_the_json_keys() -> None:
    text = (ROOT / "docs" / "parse.md").read_text()
    section = text.split("## JSON keys", 1)[1].split("\n## ", 1)[0]
    documented = {key for row in section.splitlines() if row.startswith("| `")
                  for key in re.findall(r"`(\w+)`", row.split("|")[1])}
    assert documented == KEYS
