"""The console's language choice and localized figures (web/i18n.py, web/time_html.py, web/labels.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask, g

from gmail_tickets.domain import delivery_words
from gmail_tickets.domain.burst import BurstPolicy
from gmail_tickets.domain.mailbox_alerts import TESTING_CLIENT_WARNING
from gmail_tickets.domain.people import Agent
from gmail_tickets.domain.said import said
from gmail_tickets.errors import ActionRefused
from gmail_tickets.web import i18n
from gmail_tickets.web.labels import label, refusal, view_label
from gmail_tickets.web.time_html import when


@pytest.fixture(scope="module")
def app() -> Flask:
    app = Flask(__name__)
    i18n.install(app)
    return app


@pytest.mark.parametrize(("saved", "cookie", "accept", "chosen"), [
    ("de", "en", "en-US", "de"),  # the agent's saved choice wins
    ("", "de", "en-US", "de"),  # else the cookie
    ("", "", "de-DE,de;q=0.9,en;q=0.5", "de"),  # else the browser
    ("", "", "fr-FR", "en"),  # else English
    ("", "xx", "", "en"),  # a cookie naming no console language is ignored
])
def test_the_language_is_chosen_in_order(app: Flask, saved: str, cookie: str, accept: str, chosen: str) -> None:
    headers = {"Accept-Language": accept} if accept else {}
    if cookie:
        headers["Cookie"] = f"{i18n.COOKIE}={cookie}"
    with app.test_request_context(headers=headers):
        g.agent = Agent(email="a@x.example", name="A", locale=saved)
        assert i18n.select_locale() == chosen


def test_times_numbers_and_stored_values_read_as_the_language_writes_them(app: Flask) -> None:
    at = datetime(2026, 3, 1, 12, 5, tzinfo=UTC)
    with app.test_request_context(headers={"Accept-Language": "de"}):
        assert str(when(at)).endswith('title="2026-03-01 12:05 UTC">01.03.26, 12:05 UTC</time>')
        assert i18n.number(1234567) == "1.234.567"
        assert (label("pending"), label("on-hold"), label("solved")) == ("wartend", "angehalten", "gelöst")
        assert view_label("open") == "Alle offenen"
        assert label("someone@example.com") == "someone@example.com"  # data passes through
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert str(when(at)).endswith('title="2026-03-01 12:05 UTC">3/1/26, 12:05\u202fPM UTC</time>')
        assert i18n.number(1234567) == "1,234,567"
        assert label("pending") == "pending"


def test_the_domain_s_words_read_as_english_and_are_said_in_german(app: Flask) -> None:
    refused = ActionRefused(said("%(address)s has an account already: sign in instead.", address="a@x.example"))
    assert str(refused) == "a@x.example has an account already: sign in instead."  # logs and tests: English
    limit = said("The template is too long (at most %(most)s characters).", most=10_000)
    assert limit == "The template is too long (at most 10,000 characters)."
    with app.test_request_context(headers={"Accept-Language": "de"}):
        assert refusal(refused) == "a@x.example hat bereits ein Konto: Melden Sie sich stattdessen an."
        assert label(limit) == "Die Vorlage ist zu lang (höchstens 10.000 Zeichen)."
        assert label(str(TESTING_CLIENT_WARNING)) == "OAuth-Client im Testmodus: Tokens laufen nach 7 Tagen ab"
        assert refusal(ActionRefused("not from the catalog")) == "not from the catalog"


def test_stored_reasons_stay_english_and_are_said_in_german_when_of_a_known_kind(app: Flask) -> None:
    burst = BurstPolicy(threshold=20, window=timedelta(hours=1)).reason  # as a suspended mail keeps it
    assert burst == "More than 20 mails from this sender within 1 hour."
    transient = delivery_words.RELAY_TRANSIENT % {"error": "relay unreachable (Connection refused)"}
    gave_up = delivery_words.GAVE_UP % {"error": transient, "duration": "25 h 0 min", "count": 7}
    bounce = "Sent by mailer-daemon, a mail server rather than a person.; the bounced mail is not one of ours"
    with app.test_request_context(headers={"Accept-Language": "de"}):
        assert label(burst) == "Mehr als 20 E-Mails von diesem Absender innerhalb von 1 Stunde."
        assert label(gave_up) == ("Das Relay konnte die E-Mail nicht annehmen: relay unreachable (Connection refused) "
                                  "(aufgegeben, nachdem es 25 h 0 min lang erneut versucht wurde; 7 Versuch(e) auf "
                                  "diesem Weg)")  # the wrapper, then what it wraps; the relay's own words as sent
        assert label(bounce) == ("Gesendet von mailer-daemon, einem Mailserver statt einer Person.; die unzustellbare "
                                 "E-Mail stammt nicht von uns")
        assert label("Customer wrote: More than 20 mails") == "Customer wrote: More than 20 mails"  # no kind: as stored
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert label(gave_up) == gave_up
