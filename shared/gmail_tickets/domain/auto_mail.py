"""Is an inbound mail from a person, or automatic? Decided from headers alone, before the mail can become a ticket.

Tickets for auto-replies, bounces and newsletters are noise, and answering them is how mail loops start. So automatic
mail is kept and shown to admins (suspended) but not ticketed; our own mail coming back is ignored.

`RULES` is an ordered table of named rules; the first that gives a reason decides. The order puts the most certain
and most specific evidence first:

1. OWN_LOOP: From is one of our support addresses, or the mail's own Message-ID carries our signature. Certain,
   and it must win: our own automatic mail carries ``Auto-Submitted`` and ``X-Auto-Response-Suppress``, and should
   be dropped silently, not shown as a suspended auto-reply.
2. BOUNCE (definite): a delivery-status report, or a mailer-daemon/postmaster sender. Before AUTO_REPLY because MTAs
   put ``Auto-Submitted: auto-replied`` on bounces, and a bounce must reach the ticket whose mail failed.
3. AUTO_REPLY: RFC 3834 ``Auto-Submitted`` other than ``no``, ``X-Autoreply``, ``X-Autorespond``,
   ``Precedence: auto_reply``, read receipts, ``X-Auto-Response-Suppress`` (see `classify`), or an auto-reply
   subject prefix together with a supporting header (never the subject alone).
4. BULK: ``Precedence: bulk|junk|list``, ``List-Id``, ``List-Unsubscribe`` from a no-reply sender.
5. BOUNCE (null sender): ``Return-Path: <>`` AND a subject that says the mail could not be delivered, with nothing
   more specific. The null sender alone proves nothing: spam uses it, and RFC 3834 asks auto-responders to send
   with it too (Exchange out-of-office replies do). Last of the signals, so an auto-reply header wins.
6. NORMAL.

Header values are attacker-controlled: reasons quote only short, cleaned tokens, never body text.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field

from gmail_tickets.domain.auto_mail_signs import (
    MailSigns,
    clip,
    display,
    is_bounce_subject,
    is_noreply,
    is_null_path,
)
from gmail_tickets.domain.said import N_


class MailKind(enum.StrEnum):
    """What a mail is, and so what the caller does with it."""

    NORMAL = "normal"  # a person wrote it: ticket or comment
    AUTO_REPLY = "auto_reply"  # suspended: out-of-office, autoresponders, read receipts
    BULK = "bulk"  # suspended: lists and newsletters
    BOUNCE = "bounce"  # attached to the ticket of the original mail when found, else suspended; never a new ticket
    OWN_LOOP = "own_loop"  # ignored (recorded only): our own mail came back


@dataclass(frozen=True)
class Verdict:
    """A classification and why, in one short sentence for admins. `rule` names the rule that decided (for logs
    and tests); two verdicts saying the same thing are equal whichever rule said it."""

    kind: MailKind
    reason: str
    rule: str = field(default="", compare=False)


NORMAL_REASON = "No sign of automatic mail."
NORMAL_RULE = "normal"

BOUNCE_SENDERS = frozenset({"mailer-daemon", "postmaster"})
AUTO_REPLY_FLAG_HEADERS = ("x-autoreply", "x-autorespond")

AUTO_REPLY_SUBJECT_PREFIXES = (
    "automatic reply:",  # Exchange / Outlook since 2010
    "out of office:",
    "out of office autoreply:",  # older Exchange
    "auto:",  # Lotus Notes / HCL Domino
    "autoreply:",
    "auto-reply:",
    "auto reply:",
    "automatische antwort:",
    "réponse automatique :",
    "réponse automatique:",
    "respuesta automática:",
    "risposta automatica:",
    "automatisch antwoord:",
    "autosvar:",
    "abwesenheitsnotiz:",
)
"""Only ever a supporting signal: a customer may well write "Out of office: ..." about their own office. The colon is
part of each prefix, so "Out of office printer broken" never matches even with a supporting header."""

SUPPORTING_HEADERS = (
    "x-auto-response-suppress",
    "x-ms-exchange-generated-message-source",  # Exchange-generated mail, e.g. "Mailbox Rules Agent"
    "x-ms-exchange-inbox-rules-loop",  # set when an Exchange inbox rule acted on the mail
)
"""Headers that make an auto-reply subject prefix believable. None of them is enough alone: Exchange also stamps the
two MS headers on mail a customer's inbox rule merely forwards (a customer forwarding their shared mailbox to us is
normal mail), and Outlook puts X-Auto-Response-Suppress on some mail people write (see `classify`)."""


# The reasons a verdict gives, kept on suspended mail in English; the console says them in the reader's language.
_OWN_ADDRESS = N_("From is our own support address %(address)s.")
_OWN_SIGNATURE = N_("Its Message-ID carries our own signature: our mail came back.")
_DELIVERY_REPORT = N_("Delivery status report (multipart/report; report-type=delivery-status).")
_MAIL_SERVER_SENDER = N_("Sent by %(sender)s, a mail server rather than a person.")
_AUTO_SUBMITTED = N_("Auto-Submitted: %(value)s.")
_AUTOREPLY_HEADER = N_("%(header)s header present.")
_PRECEDENCE_AUTO_REPLY = N_("Precedence: auto_reply.")
_READ_RECEIPT = N_("Read receipt (multipart/report; report-type=disposition-notification).")
_SUPPRESS_HEADER = N_("X-Auto-Response-Suppress header present, as Exchange puts on its automatic replies.")
_AUTO_REPLY_SUBJECT = N_('Subject starts with "%(prefix)s" and the %(header)s header is present.')
_BULK_PRECEDENCE = N_("Precedence: %(value)s.")
_MAILING_LIST = N_("List-Id %(list)s: mail from a mailing list.")
_NOREPLY_UNSUBSCRIBE = N_("List-Unsubscribe on mail from a no-reply sender (%(address)s).")
_NULL_SENDER = N_("Return-Path is <> (null sender) and the subject says a mail could not be delivered.")


@dataclass(frozen=True)
class Rule:
    """One named rule: the kind it gives, and a test returning the reason (None: the rule does not apply)."""

    name: str
    kind: MailKind
    test: Callable[[MailSigns], str | None]


def _own_address(m: MailSigns) -> str | None:
    return _OWN_ADDRESS % {"address": clip(m.address)} if m.address and m.address in m.ours else None


def _own_signature(m: MailSigns) -> str | None:
    return _OWN_SIGNATURE if m.signed_by_us else None


def _delivery_report(m: MailSigns) -> str | None:
    if m.is_delivery_report or m.report_type == "delivery-status":
        return _DELIVERY_REPORT
    return None


def _mail_server_sender(m: MailSigns) -> str | None:
    return _MAIL_SERVER_SENDER % {"sender": m.local} if m.local in BOUNCE_SENDERS else None


def _auto_submitted(m: MailSigns) -> str | None:
    token = m.token("auto-submitted")
    return _AUTO_SUBMITTED % {"value": clip(token)} if token and token != "no" else None


def _autoreply_header(m: MailSigns) -> str | None:
    return next((_AUTOREPLY_HEADER % {"header": display(name)} for name in AUTO_REPLY_FLAG_HEADERS if m.get(name)),
                None)


def _precedence_auto_reply(m: MailSigns) -> str | None:
    return _PRECEDENCE_AUTO_REPLY if m.token("precedence") == "auto_reply" else None


def _read_receipt(m: MailSigns) -> str | None:
    if m.report_type == "disposition-notification":
        return _READ_RECEIPT
    return None


def _auto_response_suppress(m: MailSigns) -> str | None:
    suppress = m.get("x-auto-response-suppress")
    if m.suppress_header_is_auto and suppress and suppress.lower() != "none":
        return _SUPPRESS_HEADER
    return None


def _auto_reply_subject(m: MailSigns) -> str | None:
    subject = m.get("subject").lstrip()
    prefix = next((subject[: len(p)] for p in AUTO_REPLY_SUBJECT_PREFIXES if subject.lower().startswith(p)), None)
    if prefix:
        for name in SUPPORTING_HEADERS:
            value = m.get(name)
            if value and value.lower() != "none":
                return _AUTO_REPLY_SUBJECT % {
                    "prefix": prefix, "header": display(name)}
    return None


def _bulk_precedence(m: MailSigns) -> str | None:
    precedence = m.token("precedence")
    if precedence in ("bulk", "junk") or (precedence == "list" and m.list_mail_is_bulk):
        return _BULK_PRECEDENCE % {"value": precedence}
    return None


def _mailing_list(m: MailSigns) -> str | None:
    list_id = m.get("list-id")
    return _MAILING_LIST % {"list": clip(list_id)} if list_id and m.list_mail_is_bulk else None


def _noreply_unsubscribe(m: MailSigns) -> str | None:
    if m.get("list-unsubscribe") and is_noreply(m.local):
        return _NOREPLY_UNSUBSCRIBE % {"address": clip(m.address)}
    return None


def _null_sender(m: MailSigns) -> str | None:
    if m.return_path is not None and is_null_path(m.return_path) and is_bounce_subject(m.get("subject")):
        return _NULL_SENDER
    return None


RULES: tuple[Rule, ...] = (
    Rule("own_address", MailKind.OWN_LOOP, _own_address),
    Rule("own_signature", MailKind.OWN_LOOP, _own_signature),
    Rule("delivery_report", MailKind.BOUNCE, _delivery_report),
    Rule("mail_server_sender", MailKind.BOUNCE, _mail_server_sender),
    Rule("auto_submitted", MailKind.AUTO_REPLY, _auto_submitted),
    Rule("autoreply_header", MailKind.AUTO_REPLY, _autoreply_header),
    Rule("precedence_auto_reply", MailKind.AUTO_REPLY, _precedence_auto_reply),
    Rule("read_receipt", MailKind.AUTO_REPLY, _read_receipt),
    Rule("auto_response_suppress", MailKind.AUTO_REPLY, _auto_response_suppress),
    Rule("auto_reply_subject", MailKind.AUTO_REPLY, _auto_reply_subject),
    Rule("bulk_precedence", MailKind.BULK, _bulk_precedence),
    Rule("mailing_list", MailKind.BULK, _mailing_list),
    Rule("noreply_unsubscribe", MailKind.BULK, _noreply_unsubscribe),
    Rule("null_sender", MailKind.BOUNCE, _null_sender),
)
"""First match wins; see the module docstring for why this order."""


def classify(
    headers: Mapping[str, str],
    *,
    sender: str,
    return_path: str | None,
    is_delivery_report: bool,
    support_addresses: Collection[str],
    signed_by_us: bool,
    list_mail_is_bulk: bool = True,
    suppress_header_is_auto: bool = True,
) -> Verdict:
    """Classify one inbound mail; see the module docstring for the precedence and why.

    headers: header name -> first value (names are lower-cased here too, so either form works).
    sender: the From address, with or without a display name.
    return_path: the Return-Path header, None when absent. Only ``<>`` (the null sender) counts, and only with a
        bounce subject; an empty string is treated as absent, so a caller defaulting to "" cannot turn every mail
        into a bounce.
    is_delivery_report: the top-level type is ``multipart/report; report-type=delivery-status`` (a Content-Type
        header saying so counts too).
    support_addresses: our own addresses (connected inboxes and forwarding addresses), any letter case.
    signed_by_us: this mail's OWN Message-ID verifies as ours (`TicketTokens.is_ours`). Never derive it from
        In-Reply-To or References: every customer reply to our mail names our Message-ID there, and those replies
        must become comments, not be ignored.
    list_mail_is_bulk: suspend mailing-list mail (``Precedence: list`` and ``List-Id``). One switch for both because
        they mean the same thing, a list expanded the mail. Turn it off when support mail reaches the inbox through a
        list, e.g. a Google Group, which adds both headers to every customer's mail.
    suppress_header_is_auto: treat ``X-Auto-Response-Suppress`` alone as automatic (our spec). The header is a
        request ("don't auto-answer this"), which Exchange puts on its out-of-office replies but Outlook also puts on
        some mail people write; Discourse, osTicket, GLPI and Redmine stopped trusting it alone for that reason. When
        False it only supports an auto-reply subject prefix. The value ``None`` (suppress nothing) never counts.
    """
    signs = MailSigns.of(headers, sender=sender, return_path=return_path, is_delivery_report=is_delivery_report,
                         support_addresses=support_addresses, signed_by_us=signed_by_us,
                         list_mail_is_bulk=list_mail_is_bulk, suppress_header_is_auto=suppress_header_is_auto)
    for rule in RULES:
        reason = rule.test(signs)
        if reason:
            return Verdict(rule.kind, reason, rule.name)
    return Verdict(MailKind.NORMAL, NORMAL_REASON, NORMAL_RULE)
