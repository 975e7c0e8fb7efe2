"""Which inbound mail is automatic (suspended), a bounce, our own loop, or a person writing (a ticket)."""

import dataclasses
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

import pytest

from gmail_tickets.domain.auto_mail import NORMAL_REASON, MailKind, Verdict, classify
from gmail_tickets.domain.burst import BurstPolicy

OURS = ("Support@Ours.example", "help@forward.ours.example")


def verdict(
    headers: Mapping[str, str] | None = None,
    *,
    sender: str = "Carla Customer <carla@customer.example>",
    return_path: str | None = "<carla@customer.example>",
    is_delivery_report: bool = False,
    signed_by_us: bool = False,
    list_mail_is_bulk: bool = True,
    suppress_header_is_auto: bool = True,
) -> Verdict:
    return classify(
        headers or {},
        sender=sender,
        return_path=return_path,
        is_delivery_report=is_delivery_report,
        support_addresses=OURS,
        signed_by_us=signed_by_us,
        list_mail_is_bulk=list_mail_is_bulk,
        suppress_header_is_auto=suppress_header_is_auto,
    )


def kind(headers: Mapping[str, str] | None = None, **kwargs: object) -> MailKind:
    return verdict(headers, **kwargs).kind  # type: ignore[arg-type]


# --- NORMAL ------------------------------------------------------------------------------------------------------


def test_plain_customer_mail_is_normal() -> None:
    result = verdict({"subject": "My printer is on fire", "from": "carla@customer.example"})
    assert result == Verdict(MailKind.NORMAL, NORMAL_REASON)


def test_customer_asking_about_out_of_office_is_normal() -> None:
    assert kind({"subject": "Out of office?"}) == MailKind.NORMAL


@pytest.mark.parametrize("subject", ["Automatic reply: Printer", "Out of Office: back Monday", "Auto: away", "AUTO:"])
def test_auto_reply_subject_alone_is_never_enough(subject: str) -> None:
    assert kind({"subject": subject}) == MailKind.NORMAL


def test_x_mailer_newsletter_software_is_not_a_signal() -> None:
    assert kind({"x-mailer": "Mailchimp Mailer - **CID1234**", "subject": "Our June news"}) == MailKind.NORMAL


def test_classify_never_raises_on_odd_header_values() -> None:
    odd = {"auto-submitted": None, "precedence": 3, "content-type": "multipart/report; report-type", 7: "x"}
    assert kind(odd, sender="", return_path="") == MailKind.NORMAL  # type: ignore[arg-type]


# --- OWN_LOOP ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sender",
    ["support@ours.example", "SUPPORT@OURS.EXAMPLE", "Our Support <Support@Ours.example>", "help@forward.ours.example"],
)
def test_from_our_own_support_address_is_own_loop(sender: str) -> None:
    result = verdict(sender=sender)
    assert result.kind == MailKind.OWN_LOOP
    assert "our own support address" in result.reason


def test_another_address_at_our_domain_is_not_own_loop() -> None:
    assert kind(sender="sales@ours.example") == MailKind.NORMAL


def test_display_name_that_looks_like_ours_is_not_own_loop() -> None:
    assert kind(sender='"support@ours.example" <carla@customer.example>') == MailKind.NORMAL


def test_our_signature_is_own_loop() -> None:
    result = verdict(signed_by_us=True)
    assert result.kind == MailKind.OWN_LOOP
    assert "signature" in result.reason


def test_own_loop_beats_the_auto_headers_our_own_automatic_mail_carries() -> None:
    ours = {"auto-submitted": "auto-replied", "x-auto-response-suppress": "All", "precedence": "bulk"}
    assert kind(ours, sender="support@ours.example") == MailKind.OWN_LOOP
    assert kind(ours, signed_by_us=True) == MailKind.OWN_LOOP


def test_own_loop_beats_bounce_signals() -> None:
    assert kind(sender="support@ours.example", return_path="<>", is_delivery_report=True) == MailKind.OWN_LOOP


# --- BOUNCE ------------------------------------------------------------------------------------------------------


def test_delivery_report_is_bounce() -> None:
    result = verdict(is_delivery_report=True)
    assert result.kind == MailKind.BOUNCE
    assert "delivery-status" in result.reason


@pytest.mark.parametrize(
    "content_type",
    [
        'multipart/report; report-type=delivery-status; boundary="b1"',
        'Multipart/Report; boundary="b1"; Report-Type="Delivery-Status"',
        "multipart/report (dsn); report-type = delivery-status",
    ],
)
def test_delivery_status_content_type_is_bounce(content_type: str) -> None:
    assert kind({"content-type": content_type}) == MailKind.BOUNCE


@pytest.mark.parametrize(
    "sender",
    [
        "Mail Delivery Subsystem <mailer-daemon@googlemail.com>",
        "MAILER-DAEMON@mx.customer.example",
        "MAILER-DAEMON",  # some bounces carry no domain
        "postmaster@customer.example",
        "Postmaster+bounces@customer.example",
    ],
)
def test_mailer_daemon_and_postmaster_senders_are_bounces(sender: str) -> None:
    result = verdict(sender=sender)
    assert result.kind == MailKind.BOUNCE
    assert "mail server" in result.reason


@pytest.mark.parametrize("sender", ["daemon@customer.example", "postmaster-team@customer.example"])
def test_lookalike_senders_are_not_bounces(sender: str) -> None:
    assert kind(sender=sender) == MailKind.NORMAL


@pytest.mark.parametrize("return_path", ["<>", " < > ", "<>\r\n"])
@pytest.mark.parametrize("subject", ["Undeliverable: Printer on fire", "failure notice",
                                     "Returned mail: see transcript for details", "Mail delivery failed"])
def test_null_return_path_with_a_bounce_subject_is_bounce(return_path: str, subject: str) -> None:
    result = verdict({"subject": subject}, return_path=return_path)
    assert result.kind == MailKind.BOUNCE
    assert "Return-Path" in result.reason


@pytest.mark.parametrize("subject", ["", "Cheap watches!!!", "Your invoice", "Re: Printer on fire"])
def test_a_null_return_path_alone_is_not_a_bounce(subject: str) -> None:
    """Spam sends with `Return-Path: <>` too: it is mail like any other, never suspended as a bounce."""
    assert kind({"subject": subject}, return_path="<>") == MailKind.NORMAL


@pytest.mark.parametrize("return_path", [None, "", "  ", "<carla@customer.example>", "carla@customer.example"])
def test_missing_empty_or_real_return_path_is_not_bounce(return_path: str | None) -> None:
    assert kind(return_path=return_path) == MailKind.NORMAL


def test_definite_bounce_beats_auto_submitted() -> None:
    dsn_headers = {"auto-submitted": "auto-replied", "content-type": "multipart/report; report-type=delivery-status"}
    assert kind(dsn_headers, sender="mailer-daemon@mx.example", return_path="<>") == MailKind.BOUNCE
    assert kind({"auto-submitted": "auto-replied"}, sender="mailer-daemon@mx.example") == MailKind.BOUNCE


def test_exchange_out_of_office_with_null_sender_is_auto_reply_not_bounce() -> None:
    exchange_oof = {
        "subject": "Automatic reply: Printer on fire",
        "auto-submitted": "auto-generated",
        "x-auto-response-suppress": "All",
        "x-ms-exchange-generated-message-source": "Mailbox Rules Agent",
    }
    assert kind(exchange_oof, return_path="<>") == MailKind.AUTO_REPLY


def test_bulk_beats_a_bare_null_sender() -> None:
    assert kind({"precedence": "bulk"}, return_path="<>") == MailKind.BULK


# --- AUTO_REPLY --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "token"),
    [
        ("auto-replied", "auto-replied"),
        ("auto-generated", "auto-generated"),
        ("Auto-Replied", "auto-replied"),
        ('auto-replied; owner-email="boss@customer.example"', "auto-replied"),
        ("auto-notified", "auto-notified"),
        ("auto-generated (vacation)", "auto-generated"),
        ("  AUTO-REPLIED  ;  x=y", "auto-replied"),
    ],
)
def test_auto_submitted_other_than_no_is_auto_reply(value: str, token: str) -> None:
    result = verdict({"auto-submitted": value})
    assert result == Verdict(MailKind.AUTO_REPLY, f"Auto-Submitted: {token}.")


@pytest.mark.parametrize("value", ["no", "No", "NO", "no (a person wrote this)", "no; x=y", "", "   "])
def test_auto_submitted_no_or_empty_is_normal(value: str) -> None:
    assert kind({"auto-submitted": value}) == MailKind.NORMAL


@pytest.mark.parametrize("header", ["x-autoreply", "x-autorespond"])
def test_x_autoreply_and_x_autorespond_are_auto_reply(header: str) -> None:
    result = verdict({header: "yes"})
    assert result.kind == MailKind.AUTO_REPLY
    assert result.reason.startswith(header.replace("x-auto", "X-Auto"))


@pytest.mark.parametrize("header", ["x-autoreply", "x-autorespond", "x-auto-response-suppress"])
def test_empty_auto_headers_are_not_signals(header: str) -> None:
    assert kind({header: ""}) == MailKind.NORMAL
    assert kind({header: "  \r\n "}) == MailKind.NORMAL


@pytest.mark.parametrize("value", ["All", "OOF, AutoReply", "DR, NDR, RN, NRN, OOF, AutoReply"])
def test_x_auto_response_suppress_is_auto_reply_by_default(value: str) -> None:
    result = verdict({"x-auto-response-suppress": value})
    assert result.kind == MailKind.AUTO_REPLY
    assert "X-Auto-Response-Suppress" in result.reason


def test_x_auto_response_suppress_none_suppresses_nothing_and_is_not_a_signal() -> None:
    assert kind({"x-auto-response-suppress": "None"}) == MailKind.NORMAL


def test_untrusted_x_auto_response_suppress_alone_is_normal() -> None:
    outlook_person = {"subject": "Meeting notes", "x-auto-response-suppress": "All"}
    assert kind(outlook_person, suppress_header_is_auto=False) == MailKind.NORMAL


def test_untrusted_x_auto_response_suppress_still_supports_an_auto_reply_subject() -> None:
    oof = {"subject": "Automatic reply: Printer", "x-auto-response-suppress": "All"}
    result = verdict(oof, suppress_header_is_auto=False)
    assert result.kind == MailKind.AUTO_REPLY
    assert result.reason == 'Subject starts with "Automatic reply:" and the X-Auto-Response-Suppress header is present.'


@pytest.mark.parametrize("header", ["x-ms-exchange-generated-message-source", "x-ms-exchange-inbox-rules-loop"])
def test_exchange_headers_alone_are_normal_because_inbox_rule_forwards_carry_them(header: str) -> None:
    assert kind({header: "Mailbox Rules Agent", "subject": "Printer on fire"}) == MailKind.NORMAL


@pytest.mark.parametrize(
    ("subject", "header"),
    [
        ("Automatic reply: Printer on fire", "x-ms-exchange-generated-message-source"),
        ("Out of Office: Printer on fire", "x-ms-exchange-inbox-rules-loop"),
        ("OUT OF OFFICE AUTOREPLY: Printer", "x-ms-exchange-inbox-rules-loop"),
        ("  Auto: John is away", "x-ms-exchange-generated-message-source"),
        ("Automatische Antwort: Drucker", "x-ms-exchange-inbox-rules-loop"),
        ("Réponse automatique : Imprimante", "x-ms-exchange-inbox-rules-loop"),
    ],
)
def test_auto_reply_subject_with_a_supporting_header_is_auto_reply(subject: str, header: str) -> None:
    result = verdict({"subject": subject, header: "Mailbox Rules Agent"})
    assert result.kind == MailKind.AUTO_REPLY
    assert "Subject starts with" in result.reason


@pytest.mark.parametrize("subject", ["Out of office printer broken", "Re: Automatic reply: hi", "Autocad license"])
def test_subject_must_start_with_a_whole_prefix(subject: str) -> None:
    assert kind({"subject": subject, "x-ms-exchange-inbox-rules-loop": "a@b.example"}) == MailKind.NORMAL


def test_precedence_auto_reply_is_auto_reply() -> None:
    assert verdict({"precedence": "auto_reply"}) == Verdict(MailKind.AUTO_REPLY, "Precedence: auto_reply.")


def test_read_receipt_is_auto_reply() -> None:
    mdn = {"content-type": 'multipart/report; report-type="disposition-notification"; boundary="x"'}
    result = verdict(mdn)
    assert result.kind == MailKind.AUTO_REPLY
    assert "Read receipt" in result.reason


def test_auto_reply_beats_bulk() -> None:
    vacation = {"auto-submitted": "auto-replied", "precedence": "junk", "list-id": "<x.example>"}
    assert kind(vacation) == MailKind.AUTO_REPLY


def test_header_names_in_any_case_are_read() -> None:
    assert kind({"Auto-Submitted": "auto-replied"}) == MailKind.AUTO_REPLY
    assert kind({"PRECEDENCE": "bulk"}) == MailKind.BULK


def test_a_positive_signal_wins_over_auto_submitted_no() -> None:
    assert kind({"auto-submitted": "no", "x-autoreply": "yes"}) == MailKind.AUTO_REPLY


# --- BULK --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "token"), [("bulk", "bulk"), ("junk", "junk"), ("Bulk", "bulk"), (" JUNK ", "junk")])
def test_precedence_bulk_and_junk_are_bulk(value: str, token: str) -> None:
    assert verdict({"precedence": value}) == Verdict(MailKind.BULK, f"Precedence: {token}.")


@pytest.mark.parametrize("list_mail_is_bulk", [True, False])
def test_precedence_bulk_is_bulk_whatever_the_list_setting(list_mail_is_bulk: bool) -> None:
    assert kind({"precedence": "bulk"}, list_mail_is_bulk=list_mail_is_bulk) == MailKind.BULK


def test_precedence_list_is_bulk_when_list_mail_is_bulk() -> None:
    assert verdict({"precedence": "list"}) == Verdict(MailKind.BULK, "Precedence: list.")


def test_precedence_list_is_normal_when_list_mail_is_not_bulk() -> None:
    assert kind({"precedence": "list"}, list_mail_is_bulk=False) == MailKind.NORMAL


@pytest.mark.parametrize("value", ["first-class", "normal", ""])
def test_other_precedence_values_are_normal(value: str) -> None:
    assert kind({"precedence": value}) == MailKind.NORMAL


def test_list_id_is_bulk_when_list_mail_is_bulk() -> None:
    result = verdict({"list-id": "Customer News <news.customer.example>"})
    assert result.kind == MailKind.BULK
    assert result.reason == "List-Id Customer News <news.customer.example>: mail from a mailing list."


def test_normal_mail_through_a_list_is_normal_when_list_mail_is_not_bulk() -> None:
    google_group = {
        "subject": "Printer on fire",
        "list-id": "<support.ours.example>",
        "precedence": "list",
        "list-unsubscribe": "<mailto:support+unsubscribe@ours.example>",
    }
    assert kind(google_group, list_mail_is_bulk=False) == MailKind.NORMAL


@pytest.mark.parametrize(
    "sender",
    [
        "noreply@shop.example",
        "no-reply@shop.example",
        "No_Reply@shop.example",
        "no.reply@shop.example",
        "donotreply@shop.example",
        "do-not-reply@shop.example",
        "noreply+campaign42@shop.example",
        "Shop Billing <no-reply-billing@shop.example>",
    ],
)
def test_list_unsubscribe_from_a_noreply_sender_is_bulk(sender: str) -> None:
    result = verdict({"list-unsubscribe": "<https://shop.example/u>"}, sender=sender, list_mail_is_bulk=False)
    assert result.kind == MailKind.BULK
    assert result.reason.startswith("List-Unsubscribe on mail from a no-reply sender")


def test_list_unsubscribe_from_a_person_is_normal() -> None:
    assert kind({"list-unsubscribe": "<https://crm.example/u>"}, sender="dana@vendor.example") == MailKind.NORMAL


def test_noreply_sender_without_list_unsubscribe_is_normal() -> None:
    # e.g. a web form that mails us on a customer's behalf: a real request, not a newsletter
    assert kind({"subject": "Contact form: printer"}, sender="noreply@forms.example") == MailKind.NORMAL


# --- reasons -----------------------------------------------------------------------------------------------------


def test_reasons_quote_sender_values_short_and_printable() -> None:
    result = verdict({"auto-submitted": "auto-" + "x" * 500 + "\x1b[31m"})
    assert result.kind == MailKind.AUTO_REPLY
    assert len(result.reason) < 100
    assert "\x1b" not in result.reason


def test_verdict_is_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        verdict().kind = MailKind.BULK  # type: ignore[misc]


# --- bursts ------------------------------------------------------------------------------------------------------


def test_burst_policy_defaults_to_more_than_20_in_10_minutes() -> None:
    policy = BurstPolicy()
    assert policy.threshold == 20
    assert policy.window == timedelta(minutes=10)
    assert policy.reason == "More than 20 mails from this sender within 10 minutes."


def test_the_21st_mail_in_the_window_is_the_first_burst() -> None:
    policy = BurstPolicy()
    assert not policy.is_burst(0)
    assert not policy.is_burst(19)  # this is the 20th: not more than 20 yet
    assert policy.is_burst(20)  # the 21st
    assert policy.is_burst(500)


def test_window_start_is_now_minus_window() -> None:
    now = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
    assert BurstPolicy().window_start(now) == datetime(2025, 3, 1, 11, 50, tzinfo=UTC)
    assert BurstPolicy(window=timedelta(hours=1)).window_start(now) == datetime(2025, 3, 1, 11, 0, tzinfo=UTC)


def test_window_start_refuses_naive_now() -> None:
    with pytest.raises(ValueError):
        BurstPolicy().window_start(datetime(2025, 3, 1, 12, 0))


def test_custom_burst_policy() -> None:
    policy = BurstPolicy(threshold=1, window=timedelta(seconds=90))
    assert not policy.is_burst(0)
    assert policy.is_burst(1)
    assert policy.reason == "More than 1 mail from this sender within 90 seconds."


@pytest.mark.parametrize(
    "kwargs", [{"threshold": 0}, {"threshold": -5}, {"window": timedelta(0)}, {"window": timedelta(minutes=-1)}]
)
def test_nonsense_burst_policies_are_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        BurstPolicy(**kwargs)  # type: ignore[arg-type]
