"""Every console page in German, checked for English left behind, in headless Chromium.

A pseudo-German catalog is made here from the real German one's msgids (which tests/unit/test_catalog.py keeps
equal to what `pybabel extract` finds): every msgstr is its msgid wrapped in ⟦…⟧. The console is served with it
and walked as a browser asking for German (Accept-Language: de), every page of the url_map as in
test_console_layout.py. Every text node (and aria-label, placeholder) must then be inside ⟦…⟧ or be data: the
seeded mail's subjects, people, addresses, tags, brand names, numbers and times. A string a template or a Python
message forgot to mark is never wrapped, so it fails here by name."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from gmail_tickets import catalogs
from gmail_tickets.web import ConsoleDeps, access, create_app
from gmail_tickets.web.auth import SecretAuth
from gmail_tickets.web.server import serve_app
from tests.e2e.test_console_layout import console_pages
from tests.fixtures.browser import Console

WRAPPED = re.compile(r"⟦[^⟦⟧]*⟧")
EMAIL = re.compile(r"[\w.+'-]+@[\w.-]+")
WORD = re.compile(r"[A-Za-zÄÖÜäöüß]{2,}")
PRODUCT = ("gmail-tickets", "Gmail", "UTC")  # names, not words to translate
# Where the page shows data as it is: mail bodies, code and record values, times, the language names, free text.
DATA_ELEMENTS = "script, style, pre, code, time, textarea, .mail-html, .mail-text, [translate=no], datalist"

# The page's text nodes in document order, one a line (a ⟦…⟧ may span a link or a <code> inside it), then its
# aria-labels, placeholders and title.
TEXTS = """(skip) => {
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode, text = node.textContent.replace(/\\s+/g, " ").trim();
    if (text && node.parentElement && !node.parentElement.closest(skip)) out.push(text);
  }
  for (const el of document.querySelectorAll("[aria-label], [placeholder]")) {
    if (el.closest(skip)) continue;
    for (const name of ["aria-label", "placeholder"]) if (el.getAttribute(name)) out.push(el.getAttribute(name));
  }
  out.push(document.title);
  return out;
}"""


def pseudo_catalog(root: Path) -> Path:
    """translations/de/LC_MESSAGES/messages.mo under `root`, each msgstr its msgid in ⟦…⟧ (placeholders kept)."""
    with (catalogs.TRANSLATIONS / "de" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        german = read_po(handle)
    pseudo = Catalog(locale="de")
    for message in german:
        if message.id:
            ids = message.id if isinstance(message.id, tuple) else (message.id,)
            wrapped = tuple(f"⟦{text}⟧" for text in ids)
            pseudo.add(message.id, wrapped if isinstance(message.id, tuple) else wrapped[0], flags=message.flags)
    folder = root / "de" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    with (folder / "messages.mo").open("wb") as handle:
        write_mo(handle, pseudo)
    return root


def seeded_data(console: Console) -> list[str]:
    """What the walked pages show as data: the desk's tickets, people, mail and settings, as the store has them."""
    store = console.deps.store
    # the shared-secret admin's name, the Gmail label the desk sets, the name the default brand's record is given
    found: list[str] = [*PRODUCT, access.SECRET_ADMIN, console.deps.settings.label_name, "Default brand"]
    for t in store.list_tickets(limit=500):
        found += [t.subject, t.requester, t.requester_name or "", *t.tags, t.assignee or "", *t.followers]
        found += [c.author for c in store.comments(t.id)]
    for s in store.list_suspended(limit=500):
        found += [s.sender, s.subject, s.reason]  # the reason: the ingest's own words (domain), not yet translated
    for q in store.list_quarantine(limit=500):
        found += [q.reason, q.source]
    for n in store.list_notifications(limit=500):
        found += [n.subject, n.last_error or "", n.route_reason or ""]
    for b in store.list_brands():
        found += [b.name, b.id]
    for a in store.list_agents():
        found += [a.label, a.email]
    return sorted({text.strip() for text in found if text and text.strip()}, key=len, reverse=True)


def unwrapped(text: str) -> str:
    """`text` with every ⟦…⟧ (nested too) taken out."""
    while WRAPPED.search(text):
        text = WRAPPED.sub(" ", text)
    return text


def untranslated(text: str, data: list[str]) -> str:
    """What is left of `text` once the catalog's ⟦…⟧ and the data are taken out; "" when nothing wordy is."""
    text = EMAIL.sub(" ", unwrapped(text))
    for item in data:
        if item in text:
            text = text.replace(item, " ")
    return " ".join(text.split()) if WORD.search(text) else ""


def english_left(texts: list[str], data: list[str]) -> list[str]:
    """The lines of a page (see TEXTS) that keep English: the ⟦…⟧ are taken out of the page's text as a whole."""
    lines = unwrapped("\n".join(texts)).split("\n")
    return sorted({untranslated(line, data) for line in lines} - {""})


@pytest.fixture(scope="module")
def pseudo_console(console: Console, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    app = create_app(ConsoleDeps(console.deps, admin_auth=SecretAuth(console.secret), secret_key="pseudo"))
    app.extensions["babel"].translation_directories = [str(pseudo_catalog(tmp_path_factory.mktemp("pseudo")))]
    url, stop = serve_app(app)
    try:
        yield url
    finally:
        stop()


def test_the_check_catches_an_unmarked_string() -> None:
    data = ["Refund for order 1234", "ann@shop.example"]
    assert untranslated("⟦Status⟧ ⟦von ⟦Ann⟧⟧", data) == ""
    assert untranslated("Refund for order 1234 <ann@shop.example> · 12 · —", data) == ""
    assert untranslated("⟦Assignee⟧: Unassigned", data) == ": Unassigned"
    assert english_left(["⟦Use <code>", "⟧", "Printed once"], data) == ["Printed once"]


@pytest.mark.slow
def test_every_page_in_german_has_no_english_left(browser: Any, console: Console, pseudo_console: str) -> None:
    context = browser.new_context(locale="de-DE")  # Accept-Language: de
    try:
        page = context.new_page()
        page.goto(pseudo_console + "/sign-in")
        assert page.locator("html").get_attribute("lang") == "de"
        data = seeded_data(console)
        problems: dict[str, list[str]] = {}
        left = english_left(page.evaluate(TEXTS, DATA_ELEMENTS), data)
        if left:
            problems["/sign-in"] = left
        page.locator("#secret").fill(console.secret)
        page.locator("form button[type=submit]").last.click()
        page.wait_for_url(pseudo_console + "/tickets")
        pages = console_pages(console)
        for path in pages:
            answer = page.goto(pseudo_console + path)
            if answer is None or "text/html" not in answer.headers.get("content-type", ""):
                continue
            left = english_left(page.evaluate(TEXTS, DATA_ELEMENTS), data)
            if left:
                problems[path] = left
        assert problems == {}, "English left on these pages:\n" + "\n".join(
            f"{path}: {texts}" for path, texts in problems.items())
        assert len(pages) >= 15
    finally:
        context.close()
