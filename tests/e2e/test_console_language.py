"""The console's language in a real browser: German for a visitor whose browser asks for it (Accept-Language),
switchable from the header, and the choice kept on the agent's record so it is back after signing out and in again
from a browser that asks for English."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from gmail_tickets.domain.people import Agent, Role
from gmail_tickets.services import passwords
from tests.fixtures.browser import Console, running_console

AGENT = "lena@acme.example"
PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def desk() -> Iterator[Console]:
    """A stack of its own with one admin account (the shared console signs in with the admin secret)."""
    with running_console() as running:
        running.deps.store.save_agent(Agent(email=AGENT, name="Lena", role=Role.ADMIN,
                                            password_hash=passwords.hash_password(PASSWORD)))
        yield running


def _context(browser: Any, locale: str) -> Any:
    return browser.new_context(locale=locale)  # Chromium sends Accept-Language for its locale


def _sign_in(page: Any, url: str, *, button: str) -> None:
    page.goto(url + "/sign-in")
    page.locator("#email").fill(AGENT)
    page.locator("#password").fill(PASSWORD)
    page.get_by_role("button", name=button, exact=True).click()
    page.wait_for_url(url + "/tickets")


def test_a_german_browser_gets_the_german_sign_in_page(browser: Any, desk: Console) -> None:
    context = _context(browser, "de-DE")
    try:
        page = context.new_page()
        page.goto(desk.url + "/sign-in")
        assert page.locator("html").get_attribute("lang") == "de"
        assert page.get_by_role("heading", level=1).inner_text() == "Anmelden"
    finally:
        context.close()
    english = _context(browser, "en-US")
    try:
        page = english.new_page()
        page.goto(desk.url + "/sign-in")
        assert page.locator("html").get_attribute("lang") == "en"
        assert page.get_by_role("heading", level=1).inner_text() == "Sign in"
    finally:
        english.close()


def test_a_signed_out_visitor_can_switch_the_sign_in_page(browser: Any, desk: Console) -> None:
    context = _context(browser, "en-US")
    try:
        page = context.new_page()
        page.goto(desk.url + "/sign-in")
        page.get_by_role("button", name="Deutsch").click()
        page.wait_for_url(desk.url + "/sign-in")
        assert page.locator("html").get_attribute("lang") == "de"
        assert page.get_by_role("button", name="Deutsch").get_attribute("aria-pressed") == "true"
    finally:
        context.close()


def test_the_language_an_agent_picks_follows_them_to_the_next_sign_in(browser: Any, desk: Console) -> None:
    context = _context(browser, "en-US")
    try:
        page = context.new_page()
        _sign_in(page, desk.url, button="Sign in")
        assert page.locator("html").get_attribute("lang") == "en"
        page.get_by_role("button", name="Deutsch").click()
        page.wait_for_url(desk.url + "/tickets")
        assert page.locator("html").get_attribute("lang") == "de"
        assert page.get_by_role("button", name="Abmelden").is_visible()
        saved = desk.deps.store.get_agent(AGENT)
        assert saved is not None and saved.locale == "de"
        page.get_by_role("button", name="Abmelden").click()
    finally:
        context.close()
    fresh = _context(browser, "en-US")  # another browser, asking for English: the saved choice wins once signed in
    try:
        page = fresh.new_page()
        _sign_in(page, desk.url, button="Sign in")
        assert page.locator("html").get_attribute("lang") == "de"
        page.get_by_role("button", name="English").click()
        page.wait_for_url(desk.url + "/tickets")
        assert page.locator("html").get_attribute("lang") == "en"
        saved = desk.deps.store.get_agent(AGENT)
        assert saved is not None and saved.locale == "en"
    finally:
        fresh.close()


def test_a_brand_s_built_in_texts_switch_to_german_on_the_brands_page(browser: Any, desk: Console) -> None:
    context = _context(browser, "en-US")
    try:
        page = context.new_page()
        _sign_in(page, desk.url, button="Sign in")
        page.goto(desk.url + "/brands")
        card = page.locator("section.brand-card").first
        preview = card.get_by_label("Preview: Notify requester of received request", exact=False)
        assert preview.inner_text().startswith("Hello Ann,")
        card.locator("select[name=language]").select_option("de")
        card.get_by_role("button", name="Save the language of", exact=False).click()
        page.wait_for_url("**/brands#language-*")
        card = page.locator("section.brand-card").first
        assert card.get_by_label("Preview: Notify requester of received request",
                                 exact=False).inner_text().startswith("Guten Tag Ann,")
        assert page.locator("html").get_attribute("lang") == "en"  # the console stays in the agent's language
        assert [b.language for b in desk.deps.store.list_brands() if b.id == "default"] == ["de"]
    finally:
        context.close()
