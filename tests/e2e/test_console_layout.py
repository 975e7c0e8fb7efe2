"""Every console page, as an admin, in headless Chromium at a phone's width (390 px) and a desktop's (1280 px):
nothing wider than the viewport, no serious or critical axe-core violation, controls at least 44 px high on the
phone, and the menu collapsed there behind a button. The pages are found by walking the app's url_map (GET routes
without arguments) plus ticket pages, so a page added later is checked without touching this test."""

from __future__ import annotations

from typing import Any

import pytest

from gmail_tickets.web import ConsoleDeps, create_app
from gmail_tickets.web.auth import SecretAuth
from tests.fixtures.browser import Console, sign_in

PHONE, DESKTOP = 390, 1280
SKIPPED = ("/api/", "/static/", "/sign-in", "/oauth/callback")  # JSON, files, the signed-out page, a redirect target

AXE_RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.filter(v => v.impact === "serious" || v.impact === "critical")
    .map(v => v.id + " (" + v.impact + "): " + v.nodes.slice(0, 3).map(n => n.target.join(" ")).join(" | "));
}"""
SMALL_TARGETS = """() => [...document.querySelectorAll(
    "button, select, summary, input:not([type=hidden]):not([type=checkbox]):not([type=radio]), nav a")]
  .filter(el => el.getClientRects().length > 0 && el.getBoundingClientRect().height < 44)
  .map(el => el.outerHTML.slice(0, 80))"""


def console_pages(console: Console) -> list[str]:
    app = create_app(ConsoleDeps(console.deps, admin_auth=SecretAuth(console.secret), secret_key="walk"))
    with app.test_request_context():
        paths = sorted({app.url_for(rule.endpoint) for rule in app.url_map.iter_rules()
                        if "GET" in (rule.methods or set()) and not rule.arguments})
    tickets = [f"/tickets/{t.id}" for t in console.deps.store.list_tickets(limit=500)]
    assert tickets, "the demo mailbox made no tickets"
    return [p for p in paths if not p.startswith(SKIPPED)] + [tickets[0], tickets[-1]]


@pytest.mark.slow
@pytest.mark.parametrize("width", [PHONE, DESKTOP])
def test_every_page_fits_the_screen_and_passes_axe(browser: Any, console: Console, axe_source: str,
                                                   width: int) -> None:
    context = browser.new_context(viewport={"width": width, "height": 844})
    try:
        page = context.new_page()
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        sign_in(page, console.url, console.secret)
        pages = console_pages(console)
        assert {"/tickets", "/notifications", "/addresses", "/agents", "/brands", "/profile"} <= set(pages)
        problems: dict[str, list[str]] = {}
        for path in pages:
            answer = page.goto(console.url + path)
            if answer is None or "text/html" not in answer.headers.get("content-type", ""):
                continue  # a JSON endpoint the pages poll (the import's progress), not a page
            found: list[str] = []
            wide, viewport = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
            if wide > viewport:
                found.append(f"page is {wide} px wide in a {viewport} px viewport")
            page.evaluate(axe_source)  # through the DevTools protocol: the page's CSP allows no inline script
            found += page.evaluate(AXE_RUN)
            if width == PHONE:
                found += [f"under 44 px: {t}" for t in page.evaluate(SMALL_TARGETS)]
            if found:
                problems[path] = found
        assert problems == {}
        assert [e for e in errors if "Content Security Policy" in e] == []  # our own script obeys the CSP
    finally:
        context.close()


@pytest.mark.slow
def test_the_phone_menu_collapses_and_opens(browser: Any, console: Console) -> None:
    context = browser.new_context(viewport={"width": PHONE, "height": 844})
    try:
        page = context.new_page()
        sign_in(page, console.url, console.secret)
        nav = page.get_by_role("navigation", name="Main")
        assert not nav.is_visible()
        page.get_by_text("Menu", exact=True).click()
        assert nav.is_visible() and page.get_by_role("link", name="Notifications").is_visible()
    finally:
        context.close()
