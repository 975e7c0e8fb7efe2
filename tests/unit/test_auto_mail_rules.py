"""The auto-mail rule table: its order, and which named rule decided a verdict."""

import pytest

from gmail_tickets.domain.auto_mail import RULES, MailKind, classify


def rule_of(headers: dict[str, str], sender: str = "carla@customer.example", return_path: str | None = None,
            signed_by_us: bool = False) -> str:
    return classify(headers, sender=sender, return_path=return_path, is_delivery_report=False,
                    support_addresses=["help@ours.example"], signed_by_us=signed_by_us).rule


def test_the_table_runs_from_the_most_certain_evidence_to_the_weakest() -> None:
    assert [(r.name, r.kind) for r in RULES] == [
        ("own_address", MailKind.OWN_LOOP),
        ("own_signature", MailKind.OWN_LOOP),
        ("delivery_report", MailKind.BOUNCE),
        ("mail_server_sender", MailKind.BOUNCE),
        ("auto_submitted", MailKind.AUTO_REPLY),
        ("autoreply_header", MailKind.AUTO_REPLY),
        ("precedence_auto_reply", MailKind.AUTO_REPLY),
        ("read_receipt", MailKind.AUTO_REPLY),
        ("auto_response_suppress", MailKind.AUTO_REPLY),
        ("auto_reply_subject", MailKind.AUTO_REPLY),
        ("bulk_precedence", MailKind.BULK),
        ("mailing_list", MailKind.BULK),
        ("noreply_unsubscribe", MailKind.BULK),
        ("null_sender", MailKind.BOUNCE),
    ]


@pytest.mark.parametrize(("headers", "sender", "return_path", "rule"), [
    ({}, "help@ours.example", None, "own_address"),
    ({"content-type": "multipart/report; report-type=delivery-status"}, "x@y.example", None, "delivery_report"),
    ({"auto-submitted": "auto-replied"}, "MAILER-DAEMON@mx.example", None, "mail_server_sender"),
    ({"auto-submitted": "auto-replied"}, "x@y.example", "<>", "auto_submitted"),
    ({"x-autorespond": "yes"}, "x@y.example", None, "autoreply_header"),
    ({"content-type": "multipart/report; report-type=disposition-notification"}, "x@y.example", None,
     "read_receipt"),
    ({"subject": "Automatic reply: away", "x-ms-exchange-inbox-rules-loop": "a@b"}, "x@y.example", None,
     "auto_reply_subject"),
    ({"precedence": "bulk"}, "x@y.example", None, "bulk_precedence"),
    ({"list-id": "<news.y.example>"}, "x@y.example", None, "mailing_list"),
    ({"list-unsubscribe": "<mailto:u@y.example>"}, "no-reply@y.example", None, "noreply_unsubscribe"),
    ({"subject": "Undeliverable: Help"}, "x@y.example", "<>", "null_sender"),
    ({"subject": "Buy now"}, "x@y.example", "<>", "normal"),
    ({"subject": "Out of office: the printer"}, "x@y.example", "<x@y.example>", "normal"),
])
def test_the_first_rule_that_applies_names_the_verdict(headers: dict[str, str], sender: str,
                                                       return_path: str | None, rule: str) -> None:
    assert rule_of(headers, sender, return_path) == rule


def test_our_signature_loses_only_to_our_own_address() -> None:
    assert rule_of({"auto-submitted": "auto-generated"}, signed_by_us=True) == "own_signature"
    assert rule_of({}, sender="help@ours.example", signed_by_us=True) == "own_address"
