"""Images on the ticket page, in a real browser: a remote tracking pixel is not requested when an agent opens the
ticket, only after "Show images"; inline cid images always show; and a hostile nested-HTML ticket is shown as it
was stored, with no sanitizing on view."""

from __future__ import annotations

import ssl
import tempfile
import threading
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import nh3
import pytest

from devstack.demo import SAMPLE_DIR
from devstack.relay_server import _self_signed
from gmail_tickets.mail import sanitize
from gmail_tickets.mail.html_bound import MAX_DEPTH
from tests.fixtures.browser import Console, deliver_all, running_console, sign_in, wait_for
from tests.html_shape import depth, nested


def _png() -> bytes:
    sample = message_from_bytes((SAMPLE_DIR / "09-html-inline-image.eml").read_bytes(), policy=policy.default)
    return next(p.get_payload(decode=True) for p in sample.walk() if p.get_content_type() == "image/png")


class ImageHost:
    """The "remote" image host: https on 127.0.0.1 (the sanitizer keeps only https images), recording requests."""

    def __init__(self, png: bytes) -> None:
        self.requests: list[str] = []
        host = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                host.requests.append(self.path)
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.send_header("Content-Length", str(len(png)))
                self.end_headers()
                self.wfile.write(png)

            def log_message(self, *args: Any) -> None:
                pass

        self._folder = tempfile.TemporaryDirectory(prefix="gt-image-host-")
        cert, key = _self_signed(Path(self._folder.name), "127.0.0.1")
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.url = f"https://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self._folder.cleanup()


def pixel_mail(host: ImageHost, png: bytes) -> bytes:
    msg = EmailMessage()
    msg["From"] = "Tracker <news@shop.example>"
    msg["To"] = "support@example.com"
    msg["Subject"] = "Your order, with a tracking pixel"
    msg.set_content(f'<p>Where is my order?</p><img src="{host.url}/pixel.gif?reader=agent" alt="pixel">'
                    '<p><img src="cid:order-logo@shop.example" alt="shop logo"></p>', subtype="html")
    msg.add_related(png, "image", "png", cid="<order-logo@shop.example>", filename="logo.png")
    return msg.as_bytes()


@pytest.fixture(scope="module")
def images() -> Iterator[tuple[Console, ImageHost]]:
    png = _png()
    host = ImageHost(png)
    try:
        with running_console() as console:
            deliver_all(console.stack, [pixel_mail(host, png), (SAMPLE_DIR / "09-html-inline-image.eml").read_bytes()])
            yield console, host
    finally:
        host.close()


@pytest.fixture
def agent(browser: Any, images: tuple[Console, ImageHost]) -> Iterator[Any]:
    context = browser.new_context(ignore_https_errors=True)  # the image host's certificate is self-signed
    try:
        page = context.new_page()
        sign_in(page, images[0].url, images[0].secret)
        yield page
    finally:
        context.close()


def _ticket_id(console: Console, subject: str) -> int:
    ticket = next(t for t in console.stack.store.list_tickets(limit=50) if t.subject == subject)
    assert ticket.id is not None
    return ticket.id


def _shows(page: Any, name: str) -> bool:
    image = page.get_by_role("img", name=name)
    return page.evaluate("img => img.complete && img.naturalWidth === 1", image.element_handle())


def test_a_tracking_pixel_loads_only_after_show_images(agent: Any, images: tuple[Console, ImageHost]) -> None:
    console, host = images
    ticket_id = _ticket_id(console, "Your order, with a tracking pixel")
    response = agent.goto(f"{console.url}/tickets/{ticket_id}", wait_until="load")
    agent.wait_for_timeout(300)  # time for a request that must not come
    assert host.requests == []
    assert "img-src 'self';" in response.headers["content-security-policy"]
    assert _shows(agent, "shop logo")  # inline images are ours: they show

    agent.get_by_role("link", name="Show images").click()
    agent.wait_for_url(f"{console.url}/tickets/{ticket_id}?images=1")
    wait_for(lambda: host.requests, what="the remote image requested")
    assert host.requests == ["/pixel.gif?reader=agent"]
    assert _shows(agent, "pixel") and _shows(agent, "shop logo")
    assert agent.get_by_role("link", name="Hide images").is_visible()


def test_show_images_is_offered_only_where_there_are_remote_images(agent: Any, images: tuple[Console, ImageHost]
                                                                   ) -> None:
    console = images[0]
    agent.goto(f"{console.url}/tickets/{_ticket_id(console, 'The logo on our invoices is cut off')}")
    assert _shows(agent, "cropped logo")
    assert agent.get_by_role("link", name="Show images").count() == 0


class SanitizerCalls:
    """Counts every way into the sanitizer (ours and nh3's), each call still going through to the real one."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        for owner, name in ((sanitize, "sanitize"), (sanitize, "clean"), (nh3, "clean")):
            monkeypatch.setattr(owner, name, self._counted(getattr(owner, name)))
        real = sanitize._CLEANER
        calls = self

        class Cleaner:
            def clean(self, markup: str) -> str:
                calls.count += 1
                return real.clean(markup)

        monkeypatch.setattr(sanitize, "_CLEANER", Cleaner())

    def _counted(self, function: Any) -> Any:
        def counted(*args: Any, **kwargs: Any) -> Any:
            self.count += 1
            return function(*args, **kwargs)
        return counted


def test_a_nested_div_ticket_is_shown_as_stored_without_sanitizing_again(
        agent: Any, images: tuple[Console, ImageHost], monkeypatch: pytest.MonkeyPatch) -> None:
    console, _ = images
    msg = EmailMessage()
    msg["From"] = "Deep Diver <diver@customer.example>"
    msg["To"] = "support@example.com"
    msg["Subject"] = "Nested divs"
    msg.set_content("<p>Hello from the surface.</p>" + nested(200_000, "the bottom"), subtype="html", cte="8bit")
    [gmail_id] = [console.stack.deliver(msg.as_bytes())]
    wait_for(lambda: console.stack.store.ledger_contains(console.stack.mailboxes[0], [gmail_id]), timeout=60,
             what="the nested mail ingested")
    ticket_id = _ticket_id(console, "Nested divs")
    [stored] = console.stack.store.comments(ticket_id)
    assert stored.body_html is not None and depth(stored.body_html) <= MAX_DEPTH

    calls = SanitizerCalls(monkeypatch)
    agent.goto(f"{console.url}/tickets/{ticket_id}")
    body = agent.locator(".mail-html").first
    assert body.inner_text().startswith("Hello from the surface.")
    assert "only the first 512 KB is shown. The whole mail is kept as it arrived." in body.inner_text()
    assert calls.count == 0
