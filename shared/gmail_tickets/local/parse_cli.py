"""`gmail-tickets parse FILE.eml [--json]`: what the product makes of one mail, without a store or a mailbox.

The same parser and automatic-mail rules ingestion uses (mail.parse, domain.auto_mail), so a mail that puzzles a
support team can be looked at on a laptop. Two things need the product's state and are left out: whether the
Message-ID carries our own signature (no token secret here; `signed_by_us` is false) and our own addresses (give
them with --support). The JSON keys are stable and documented in docs/parse.md.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:  # the parser is imported when the command runs, not whenever the CLI builds its arguments
    from gmail_tickets.mail.parse import InboundEmail

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")  # a terminal obeys these


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add the `parse` subcommand (run=run)."""
    parser = subparsers.add_parser("parse", help="show what the product makes of one .eml file (no store, no Gmail)",
                                   description=__doc__)
    parser.add_argument("file", help="a raw RFC 5322 mail (.eml)")
    parser.add_argument("--json", action="store_true", help="print one JSON object (keys: docs/parse.md)")
    parser.add_argument("--support", action="append", default=[], metavar="ADDRESS",
                        help="one of our own addresses, for the automatic-mail rules (repeatable)")
    parser.set_defaults(run=run)
    return parser


def run(args: argparse.Namespace, out: TextIO | None = None) -> int:
    from gmail_tickets.mail.parse import ParseFailure, parse

    out = out or sys.stdout
    try:
        raw = Path(args.file).read_bytes()
    except OSError as exc:
        return _fail(args, out, f"cannot read {args.file}: {exc.strerror or exc}")
    try:
        mail = parse(raw)
    except ParseFailure as exc:
        return _fail(args, out, f"not a mail: {exc}")
    report = describe(mail, support_addresses=args.support)
    if args.json:
        json.dump(report, out, ensure_ascii=False, indent=2)
        out.write("\n")
    else:
        out.write(human(report))
    return 0


def describe(mail: InboundEmail, support_addresses: list[str] | tuple[str, ...] = ()) -> dict[str, Any]:
    """The JSON object `parse --json` prints (keys documented in docs/parse.md)."""
    from gmail_tickets.domain import auto_mail

    verdict = auto_mail.classify(
        mail.headers,
        sender=mail.from_address,
        return_path=mail.headers.get("return-path"),
        is_delivery_report=mail.is_delivery_report,
        support_addresses=support_addresses,
        signed_by_us=False,
    )
    auth = mail.auth
    return {
        "subject": mail.subject,
        "sender": {"name": mail.from_name, "address": mail.from_address or None},
        "requester": mail.requester,
        "reply_to": mail.reply_to,
        "to": mail.to,
        "cc": mail.cc,
        "date": mail.date.isoformat() if mail.date else None,
        "message_id": mail.message_id,
        "in_reply_to": mail.in_reply_to,
        "references": mail.references,
        "content_type": mail.content_type,
        "text": mail.text_body,
        "html": mail.html_body,
        "attachments": [
            {"name": a.filename, "type": a.content_type, "size": a.size, "sha256": hashlib.sha256(a.data).hexdigest(),
             "inline": a.inline, "content_id": a.content_id}
            for a in mail.attachments
        ],
        "auto_mail": {"kind": verdict.kind.value, "reason": verdict.reason, "rule": verdict.rule},
        "delivery_report": {"is_report": mail.is_delivery_report, "original_message_id": mail.original_message_id},
        "sender_auth": None if auth is None else {
            "label": auth.label, "authenticated": auth.authenticated, "possible_spoof": auth.possible_spoof,
            "spf": auth.spf, "dkim": auth.dkim, "dmarc": auth.dmarc,
        },
        "notes": mail.problems,
    }


def human(report: dict[str, Any]) -> str:
    """The report for a person: headers, verdicts, attachments, notes, then the text. Control characters from the
    mail are shown as U+FFFD, so a hostile mail cannot drive the terminal."""
    sender = report["sender"]
    auth = report["sender_auth"]
    rows = [
        ("Subject", report["subject"]),
        ("From", f"{sender['name']} <{sender['address']}>" if sender["address"] else f"{sender['name']} (no address)"),
        ("Requester", report["requester"]),
        ("Reply-To", report["reply_to"] or ""),
        ("To", ", ".join(report["to"])),
        ("Cc", ", ".join(report["cc"])),
        ("Date", report["date"] or "(none or unreadable)"),
        ("Message-ID", report["message_id"]),
        ("Type", report["content_type"]),
        ("Auto-mail", f"{report['auto_mail']['kind']}: {report['auto_mail']['reason']}"),
        ("Sender auth", auth["label"] if auth else "no Google stamp: not verified"),
    ]
    lines = [f"{name + ':':<13}{_safe(value)}" for name, value in rows if value]
    if report["delivery_report"]["is_report"]:
        lines.append(f"{'Bounce of:':<13}{_safe(report['delivery_report']['original_message_id'] or '(unknown)')}")
    if report["attachments"]:
        lines.append("Attachments:")
        lines += [f"  {_safe(a['name'])} ({a['type']}, {a['size']} bytes{', inline' if a['inline'] else ''}) "
                  f"sha256 {a['sha256'][:16]}…" for a in report["attachments"]]
    if report["notes"]:
        lines.append("Recovery notes:")
        lines += [f"  - {_safe(note)}" for note in report["notes"]]
    html = report["html"]
    lines.append(f"HTML:        {len(html)} characters, sanitized (--json shows it)" if html else "HTML:        none")
    lines += ["", "--- text ---", _safe(report["text"], keep_lines=True) or "(empty)", ""]
    return "\n".join(lines)


def _safe(value: str, keep_lines: bool = False) -> str:
    return _CONTROL.sub("\ufffd", value if keep_lines else " ".join(value.split()))


def _fail(args: argparse.Namespace, out: TextIO, message: str) -> int:
    if args.json:
        json.dump({"error": message}, out, ensure_ascii=False)
        out.write("\n")
    else:
        print(f"gmail-tickets parse: {message}", file=sys.stderr)
    return 1
