"""The console lets nobody in without the admin secret, and refuses forms posted without their CSRF token."""

from __future__ import annotations

import dataclasses
import re
import time
from collections.abc import Iterator
from typing import Any

import pytest

from gmail_tickets.web import ConsoleDeps, create_app
from gmail_tickets.web.auth import PUBLIC_ENDPOINTS, SecretAuth
from tests.fixtures.browser import Console, follow, sign_in


def test_sign_in_with_the_secret_then_out(page: Any, console: Console) -> None:
    page.goto(console.url + "/tickets")
    assert "/sign-in" in page.url  # sent to sign in first, and back afterwards
    page.get_by_label("Admin secret").fill(console.secret)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(console.url + "/tickets")
    assert page.get_by_role("heading", name="Tickets").is_visible()
    cookie = next(c for c in page.context.cookies() if c["name"] == "gt_console")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    page.get_by_role("button", name="Sign out").click()
    page.goto(console.url + "/tickets")
    assert "/sign-in" in page.url


def test_wrong_secret_is_refused(page: Any, console: Console) -> None:
    page.goto(console.url + "/sign-in")
    page.get_by_label("Admin secret").fill("not-the-secret")
    response_status = []
    page.on("response", lambda r: response_status.append(r.status) if r.request.method == "POST" else None)
    page.get_by_role("button", name="Sign in").click()
    assert page.get_by_role("alert").inner_text() == "That admin secret is not right."
    assert response_status == [401]
    page.goto(console.url + "/tickets")
    assert "/sign-in" in page.url


def test_sign_in_never_redirects_off_site(page: Any, console: Console) -> None:
    page.goto(console.url + "/sign-in?next=//evil.example/")
    page.get_by_label("Admin secret").fill(console.secret)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(console.url + "/tickets")


def test_form_post_without_csrf_token_is_rejected(signed_in: Any, console: Console) -> None:
    response = signed_in.request.post(console.url + "/sign-out", form={"x": "1"}, max_redirects=0)
    assert response.status == 400
    signed_in.goto(console.url + "/tickets")  # still signed in: the forged post did nothing
    assert signed_in.url == console.url + "/tickets"


def _example_args(rule: Any) -> dict[str, Any]:
    """A value for each variable of the rule: 1 for <int:...>, an address for anything else."""
    return {name: 1 if converter == "int" else "support@example.com"
            for converter, name in re.findall(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>", rule.rule)}


def test_every_route_needs_sign_in(console: Console) -> None:
    """Walks the app's own url_map, so a route added later is covered without touching this test."""
    app = create_app(ConsoleDeps(console.deps, admin_auth=SecretAuth(console.secret), secret_key="test"))
    client = app.test_client()
    checked = 0
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if rule.endpoint in PUBLIC_ENDPOINTS:
                continue
            path = app.url_for(rule.endpoint, **_example_args(rule))
            for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
                response = client.open(path, method=method)
                checked += 1
                if method == "GET" and not path.startswith("/api/"):
                    assert response.status_code == 302, (method, path)
                    assert response.headers["Location"].startswith("/sign-in"), (method, path)
                else:
                    assert response.status_code == 401, (method, path)
    assert checked >= 10


@pytest.mark.parametrize("path", ["/api/tickets"])
def test_api_answers_401_not_a_page(console: Console, path: str) -> None:
    app = create_app(ConsoleDeps(console.deps, admin_auth=SecretAuth(console.secret), secret_key="test"))
    response = app.test_client().get(path, headers={"Accept": "application/json"})
    assert response.status_code == 401


def test_signed_in_pages_have_landmarks_and_labels(signed_in: Any, console: Console) -> None:
    for path in ("/tickets", "/suspended", "/quarantine"):
        signed_in.goto(console.url + path)
        assert signed_in.locator("main").count() == 1
        assert signed_in.get_by_role("navigation", name="Main").count() == 1
        unlabeled = signed_in.evaluate(
            "() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]"
            ".filter(el => !el.labels || el.labels.length === 0).length")
        assert unlabeled == 0, path


def test_sign_in_page_inputs_are_labelled(page: Any, console: Console) -> None:
    page.goto(console.url + "/sign-in")
    assert page.get_by_label("Admin secret").get_attribute("type") == "password"
    sign_in(page, console.url, console.secret)


def test_pages_work_without_javascript(browser: Any, console: Console) -> None:
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        sign_in(page, console.url, console.secret)
        page.get_by_role("link", name="Invoice 2026-114 shows the wrong VAT").click()
        assert "reverse charge" in page.locator(".mail-html").inner_text()
        follow(page, page.get_by_role("link", name="Support addresses"))
        assert page.get_by_role("heading", name="Support addresses").is_visible()
    finally:
        context.close()


def _signed_in_client(deps: Any, secret: str = "s3cret") -> Any:
    app = create_app(ConsoleDeps(deps, admin_auth=SecretAuth(secret), secret_key="test"))
    client = app.test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/sign-in").get_data(as_text=True))
    assert token is not None
    answer = client.post("/sign-in", data={"secret": secret, "csrf_token": token.group(1)})
    assert answer.status_code == 302
    return client


@pytest.mark.parametrize("ticket_id", [2**63, 2**64, 10**40, 2**63 - 1, 0])
def test_ticket_ids_no_store_can_hold_are_404_not_500(store: Any, tmp_path: Any, ticket_id: int) -> None:
    """On both stores: SQLite overflowed on ids above 2^63 (a 500); an id out of range is a missing ticket."""
    from gmail_tickets import bootstrap

    config = bootstrap.Config(secrets_file=str(tmp_path / "secrets.json"), blobs_dir=str(tmp_path / "blobs"))
    client = _signed_in_client(bootstrap.build(config, store=store))
    for path in (f"/tickets/{ticket_id}", f"/tickets/{ticket_id}/attachments/raw/x.eml", f"/tickets/-{ticket_id}"):
        assert client.get(path).status_code == 404, path
    assert client.post(f"/tickets/{ticket_id}/reply", data={"body": "hi"}).status_code in (400, 404)


def test_sign_out_ends_the_session_for_every_copy_of_its_cookie(browser: Any, page: Any, console: Console) -> None:
    sign_in(page, console.url, console.secret)
    captured = [c for c in page.context.cookies() if c["name"] == "gt_console"]
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(console.url + "/sign-in")

    thief = browser.new_context()
    try:
        thief.add_cookies(captured)
        other = thief.new_page()
        other.goto(console.url + "/tickets")
        assert "/sign-in" in other.url  # the copy taken before sign-out no longer works
        assert other.request.get(console.url + "/api/tickets", max_redirects=0).status == 401
    finally:
        thief.close()


@pytest.fixture
def short_console(console: Console) -> Iterator[Console]:
    """The console on the same stack, with sessions that end after a second and a half unused."""
    from gmail_tickets import bootstrap_web

    config = dataclasses.replace(console.stack.config, console_idle_seconds=1.5)
    served = bootstrap_web.serve_console(config, console.deps)
    try:
        yield Console(served.url, served.admin_secret, console.stack, console.deps)
    finally:
        served.stop()


def test_a_session_ends_after_its_idle_time(page: Any, short_console: Console) -> None:
    sign_in(page, short_console.url, short_console.secret)
    for _ in range(3):  # in use: it lives on past its idle time
        time.sleep(0.8)
        page.goto(short_console.url + "/tickets")
        assert page.url == short_console.url + "/tickets"
    time.sleep(1.8)
    page.goto(short_console.url + "/tickets")
    assert "/sign-in" in page.url
    assert page.get_by_role("status").inner_text() == "Your session has ended. Sign in again."


def test_a_session_ends_at_its_absolute_limit_however_much_it_is_used(console: Console) -> None:
    config = SecretAuth(console.secret)
    app = create_app(ConsoleDeps(console.deps, admin_auth=config, secret_key="test", session_max_seconds=1.5))
    client = app.test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/sign-in").get_data(as_text=True))
    assert token is not None
    client.post("/sign-in", data={"secret": console.secret, "csrf_token": token.group(1)})
    assert client.get("/api/tickets").status_code == 200
    time.sleep(0.8)
    assert client.get("/api/tickets").status_code == 200
    time.sleep(0.8)
    assert client.get("/api/tickets").status_code == 401


def test_a_reply_typed_into_an_ended_session_is_back_in_its_box_after_sign_in(
        page: Any, short_console: Console) -> None:
    ticket = short_console.deps.store.list_tickets(limit=1)[0]
    before = len(short_console.deps.store.comments(int(ticket.id or 0)))
    sign_in(page, short_console.url, short_console.secret)
    page.goto(f"{short_console.url}/tickets/{ticket.id}")
    reply = "Thanks for waiting — here is what we found:\nline two, with <b>markup</b> & ünïcode."
    page.get_by_label("Your reply").fill(reply)
    time.sleep(2)  # the agent was called away; the session ends meanwhile
    page.get_by_role("button", name="Submit").click()
    page.wait_for_url("**/sign-in**")
    assert "your reply is kept" in page.get_by_role("status").inner_text()
    assert len(short_console.deps.store.comments(int(ticket.id or 0))) == before  # not added unseen

    page.get_by_label("Admin secret").fill(short_console.secret)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{short_console.url}/tickets/{ticket.id}")
    assert page.get_by_label("Your reply").input_value() == reply
    page.reload()  # given back once
    assert page.get_by_label("Your reply").input_value() == ""
