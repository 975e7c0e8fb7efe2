"""new_part: the new text of a reply above its quoted history, as a view; the full body is never touched."""

from pathlib import Path

from gmail_tickets.mail.parse import new_part, parse

SAMPLES = Path(__file__).parents[2] / "devstack" / "sample_mail"


def test_on_wrote_attribution_wrapped_over_two_lines() -> None:
    mail = parse((SAMPLES / "02-reply-in-thread.eml").read_bytes())
    assert new_part(mail.text_body) == "One more thing: it also happens in the mobile app."
    assert "> Hi," in mail.text_body  # stored in full


def test_localized_attribution() -> None:
    body = "Danke!\n\nAm 28.11.2026 um 09:12 schrieb Alice Martin <alice@x.example>:\n> Hallo\n"
    assert new_part(body) == "Danke!"


def test_original_message_separator() -> None:
    body = "Thanks, that fixed it.\n\n-----Original Message-----\nFrom: Support\nSent: Monday\n\nTry again"
    assert new_part(body) == "Thanks, that fixed it."


def test_outlook_from_sent_block_under_underscores() -> None:
    body = (
        "Still broken.\n\nRegards, Dana\n\n________________________________\n"
        "From: Support <support@example.com>\nSent: Saturday, 28 November 2026 10:00\nTo: Dana\n"
        "Subject: Re: x\n\nold text"
    )
    assert new_part(body) == "Still broken.\n\nRegards, Dana"


def test_trailing_quote_block() -> None:
    assert new_part("Yes please.\n\n> Shall we close the ticket?\n>\n> Support") == "Yes please."


def test_interleaved_answers_are_not_cut() -> None:
    body = "See inline.\n\n> Which version?\n2.4\n> Which browser?\nFirefox"
    assert new_part(body) == body


def test_bottom_posting_and_all_quote_show_the_whole_body() -> None:
    assert new_part("> question\n\nanswer below") == "> question\n\nanswer below"
    assert new_part("On Mon, A wrote:\n> only a quote") == "On Mon, A wrote:\n> only a quote"


def test_gmail_forward_is_not_history() -> None:
    body = "FYI\n\n---------- Forwarded message ---------\nFrom: Customer <c@x.example>\nDate: Mon\n\nHelp!"
    assert new_part(body) == body


def test_plain_mail_is_unchanged() -> None:
    assert new_part("Hello,\nno quotes here.\n") == "Hello,\nno quotes here."
    assert new_part("") == ""


def test_html_derived_blockquote_is_history() -> None:
    html = (
        b"From: a@x.example\r\nContent-Type: text/html\r\n\r\n<div>Works now!</div><div>On Sat, 28 Nov 2026, "
        b"Support &lt;support@example.com&gt; wrote:<br></div><blockquote>Please retry.</blockquote>"
    )
    assert new_part(parse(html).text_body) == "Works now!"
