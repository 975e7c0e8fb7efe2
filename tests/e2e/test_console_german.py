"""Every console page in German, checked for English left behind, in headless Chromium.

A pseudo-German catalog is made here from the real German one's msgids (which tests/unit/test_catalog.py keeps
equal to what `pybabel extract` finds): every msgstr is its msgid wrapped in ⟦…⟧. The console is served with it
and walked as a browser asking for German (Accept-Language: de), every page of the url_map as in
test_console_layout.py, and the pages whose URLs carry arguments with the objects they need made first (an
address's DNS, disconnect, delete and reconnect pages, a setup and an invitation link, the error pages), and the
not-invited page of a console behind IAP. Every text node (and aria-label, placeholder) must then be inside ⟦…⟧ or
be data: the seeded mail's subjects, people, addresses, tags, brand names, numbers and times. A string a template
or a Python message forgot to mark is never wrapped, so it fails here by name."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask

from gmail_tickets import bootstrap, catalogs
from gmail_tickets.adapters.dns_txt import DnsTxtLookup
from gmail_tickets.domain.people import Role
from gmail_tickets.services import people
from gmail_tickets.web import ConsoleDeps, access, create_app
from gmail_tickets.web.auth import AdminAuth, SecretAuth
from gmail_tickets.web.iap_auth import ASSERTION_HEADER, IapAuth
from gmail_tickets.web.server import serve_app
from tests.e2e.test_console_layout import console_pages
from tests.fixtures.browser import Console
from tests.fixtures.dns_server import TxtResponder, txt_responder
from tests.integration.test_admin_function import AUDIENCE, KID, PUBLIC_PEM, assertion

WRAPPED = re.compile(r"⟦[^⟦⟧]*⟧")
EMAIL = re.compile(r"[\w.+'-]+@[\w.-]+")
WORD = re.compile(r"[A-Za-zÄÖÜäöüß]{2,}")
PRODUCT = ("gmail-tickets", "Gmail", "UTC", "SPF", "DKIM", "DMARC", "TXT")  # names, not words to translate
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


def pages_with_arguments(console: Console) -> list[str]:
    """The pages the url_map walk cannot reach by itself, with what they need made first: the connected address's
    own pages, a pending invitation and the first admin's setup link, and each error page the console renders."""
    deps, address = console.deps, console.stack.mailboxes[0]
    pages = [f"/addresses/{address}/{page}" for page in ("dns", "dns?check=1", "disconnect", "delete", "reconnect")]
    pages.append("/invite/" + people.invite(deps, access.SECRET_ADMIN, "walk.invitee@example.com", Role.AGENT))
    setup = people.setup_token(deps)
    assert setup is not None, "the walked desk has an admin account: its setup page cannot be shown"
    pages += [f"/setup/{setup}", "/invite/no-such-link", "/tickets/987654321", "/tickets?cursor=broken"]
    return pages


def seeded_data(console: Console) -> list[str]:
    """What the walked pages show as data: the desk's tickets, people, mail and settings, as the store has them."""
    store = console.deps.store
    # the shared-secret admin's name, the Gmail label the desk sets, the name the default brand's record is given
    found: list[str] = [*PRODUCT, access.SECRET_ADMIN, console.deps.settings.label_name, "Default brand",
                        "walk.invitee@example.com", "stranger@example.com"]
    for t in store.list_tickets(limit=500):
        found += [t.subject, t.requester, t.requester_name or "", *t.tags, t.assignee or "", *t.followers]
        found += [c.author for c in store.comments(t.id)]
    for s in store.list_suspended(limit=500):
        found += [s.sender, s.subject]  # its reason is of a known kind: said in German (domain/said.py recognise)
    for q in store.list_quarantine(limit=500):
        found += [q.reason, q.source]
    for n in store.list_notifications(limit=500):
        found += [n.subject, n.last_error or ""]  # the error may quote Gmail's or the relay's own words
    found += [e.detail for e in store.list_audit(limit=500)]  # a log: kept as written ("role agent")
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


def pseudo_app(console: Console, auth: AdminAuth, catalog_root: Path, dns: TxtResponder) -> Flask:
    """The console as `serve` wires it (OAuth, the relay's DNS, "check now" against `dns`), in pseudo-German."""
    config = console.stack.config
    app = create_app(ConsoleDeps(console.deps, admin_auth=auth, secret_key="pseudo",
                                 oauth=bootstrap.oauth_setup(config, console.deps.secrets),
                                 relay_spf_include=config.relay_spf_include,
                                 dns_lookup=DnsTxtLookup(dns.nameserver)))
    app.extensions["babel"].translation_directories = [str(pseudo_catalog(catalog_root))]
    return app


@pytest.fixture(scope="module")
def pseudo_console(console: Console, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    # the verification record is there but wrong, DKIM's is not DKIM: "check now" says found, missing and wrong
    records = {"_gmail-tickets.example.com": ["gmail-tickets-verification=not-this-one"],
               "gt1._domainkey.example.com": ["some other text"], "example.com": ["v=spf1 -all", "v=spf1 ~all"]}
    with txt_responder(records) as dns:
        app = pseudo_app(console, SecretAuth(console.secret), tmp_path_factory.mktemp("pseudo"), dns)
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
        with_arguments = pages_with_arguments(console)  # first: the data includes what it makes
        data = seeded_data(console)
        problems: dict[str, list[str]] = {}
        left = english_left(page.evaluate(TEXTS, DATA_ELEMENTS), data)
        if left:
            problems["/sign-in"] = left
        page.locator("#secret").fill(console.secret)
        page.locator("form button[type=submit]").last.click()
        page.wait_for_url(pseudo_console + "/tickets")
        pages = console_pages(console)
        statuses = {}
        for path in pages + with_arguments:
            answer = page.goto(pseudo_console + path)
            if answer is None or "text/html" not in answer.headers.get("content-type", ""):
                continue
            statuses[path] = answer.status
            left = english_left(page.evaluate(TEXTS, DATA_ELEMENTS), data)
            if left:
                problems[path] = left
        assert problems == {}, "English left on these pages:\n" + "\n".join(
            f"{path}: {texts}" for path, texts in problems.items())
        assert len(pages) >= 15
        # each page with arguments was reached as itself, the error pages as errors
        assert [statuses[p] for p in with_arguments] == [200] * 7 + [404, 404, 400]
    finally:
        context.close()


@pytest.mark.slow
def test_the_not_invited_page_in_german(browser: Any, console: Console, tmp_path: Path) -> None:
    """Behind IAP, someone Google vouches for who is neither an admin nor invited gets this page."""
    iap = IapAuth(AUDIENCE, allowed_emails=["ana@example.com"], certs={KID: PUBLIC_PEM})
    with txt_responder({}) as dns:
        url, stop = serve_app(pseudo_app(console, iap, tmp_path, dns))
    context = browser.new_context(locale="de-DE", extra_http_headers={ASSERTION_HEADER: assertion(
        "stranger@example.com")})
    try:
        page = context.new_page()
        answer = page.goto(url + "/tickets")
        assert answer is not None and answer.status == 403
        assert "stranger@example.com" in page.locator("main").inner_text()
        assert english_left(page.evaluate(TEXTS, DATA_ELEMENTS), seeded_data(console)) == []
    finally:
        context.close()
        stop()
