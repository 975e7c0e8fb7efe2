"""Connecting Gmail accounts through the OAuth consent flow, and managing them, against the real simulator.

The consent page is driven as a browser would drive it, with urllib: GET Google's (the simulator's) URL, POST
the chosen account's button, and read the redirect to our callback from the Location header. Token exchange,
revocation and every Gmail call go over HTTP through the product's real adapters; state goes to the real
store (`store` runs a test on SQLite and on Firestore's emulator; the slow firestore variants are kept few).
"""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from devstack.gmail_sim import GmailSimulator, SimConfig, SimServer
from gmail_tickets import bootstrap, secret_names
from gmail_tickets.adapters.google_oauth import GoogleOAuth
from gmail_tickets.adapters.local_publisher import LocalPublisher
from gmail_tickets.adapters.sqlite_store import SqliteStore
from gmail_tickets.adapters.thread_jobs import ThreadJobs
from gmail_tickets.domain.model import AccountKind, Connection, ConnectionStatus, Outcome
from gmail_tickets.errors import ActionRefused, ConnectRefused
from gmail_tickets.ports import Mailbox, MessageRef, Store
from gmail_tickets.services import accounts, connect, mailbox_health, relay_dns
from gmail_tickets.services.connect import IMPORT_RECENT_LIMIT, TESTING_CLIENT_WARNING
from gmail_tickets.services.connect_import import wait_for_import
from gmail_tickets.services.deps import Deps
from gmail_tickets.services.oauth_connect import TokenGrant, finish_connect, start_connect
from gmail_tickets.services.sync_mailbox import sync_mailbox
from tests.integration.ingest_harness import FAST_RETRY, customer_mail

SUPPORT = "support@example.com"
SALES = "sales@example.com"
OTHER = "someone.else@example.com"
REDIRECT_URI = "http://127.0.0.1:9/admin/oauth/callback"  # never served: the test reads the redirect itself


class _Buttons(HTMLParser):
    """The consent page's form action and its account buttons."""

    def __init__(self) -> None:
        super().__init__()
        self.action = ""
        self.accounts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "form":
            self.action = a.get("action") or ""
        if tag == "button" and a.get("name") == "account":
            self.accounts.append(a.get("value") or "")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def consent(auth_url: str, choose: str) -> dict[str, str]:
    """Click `choose` on the consent page; the query Google sends our callback."""
    with urllib.request.urlopen(auth_url, timeout=10) as page:
        parser = _Buttons()
        parser.feed(page.read().decode())
    assert choose in parser.accounts, parser.accounts
    action = urllib.parse.urljoin(auth_url, parser.action)
    body = urllib.parse.urlencode({"account": choose}).encode()
    opener = urllib.request.build_opener(_NoRedirect)
    with pytest.raises(urllib.error.HTTPError) as answer:
        opener.open(urllib.request.Request(action, data=body, method="POST"), timeout=10)
    assert answer.value.code == 302
    location = answer.value.headers["Location"]
    assert location.startswith(REDIRECT_URI + "?")
    return {k: v[0] for k, v in urllib.parse.parse_qs(urllib.parse.urlsplit(location).query).items()}


@dataclass
class SpyOAuth:
    """The real GoogleOAuth, remembering which tokens it revoked (to check them at the simulator after)."""

    inner: GoogleOAuth
    revoked: list[str] = field(default_factory=list)

    def exchange_code(self, code: str, *, redirect_uri: str, code_verifier: str) -> TokenGrant:
        return self.inner.exchange_code(code, redirect_uri=redirect_uri, code_verifier=code_verifier)

    def revoke(self, token: str) -> bool:
        self.revoked.append(token)
        return self.inner.revoke(token)

    def account_of(self, access_token: str) -> str:
        return self.inner.account_of(access_token)


@dataclass
class Env:
    sim: GmailSimulator
    server: SimServer
    store: Store
    state_dir: Path

    def __post_init__(self) -> None:
        self.deps = self.instance()
        self.threaded = self.deps  # the deps of the last background finish
        config = self.sim.config
        self.oauth = SpyOAuth(GoogleOAuth(
            client_id=config.client_id, client_secret=config.client_secret, token_uri=self.url("/token"),
            revoke_uri=self.url("/revoke"), gmail_root_url=self.server.url,
        ))

    def url(self, path: str) -> str:
        return self.server.url.rstrip("/") + path

    def instance(self) -> Deps:
        """A product process on this store (its own Gmail clients and lease holder id)."""
        config = bootstrap.Config(
            secrets_file=str(self.state_dir / "secrets.json"), blobs_dir=str(self.state_dir / "blobs"),
            gmail_root_url=self.server.url, token_uri=self.url("/token"), oauth_client_id=self.sim.config.client_id,
        )
        deps = bootstrap.build(config, store=self.store, publisher=LocalPublisher(), gmail_retry=FAST_RETRY)
        deps.secrets.put(secret_names.OAUTH_CLIENT_SECRET, self.sim.config.client_secret)
        return deps

    def start(self, address: str, *, session: str = "admin-session-1", import_recent: bool = False,
              reconnect: bool = False) -> str:
        return start_connect(
            self.deps, session_id=session, address=address, brand_id="acme", import_recent=import_recent,
            redirect_uri=REDIRECT_URI, auth_uri=self.url("/o/oauth2/v2/auth"), client_id=self.sim.config.client_id,
            reconnect=reconnect,
        )

    def finish(self, answer: dict[str, str], *, session: str = "admin-session-1", deps: Deps | None = None,
               background: bool = False) -> Connection:
        """`background`: the import on a thread, as on one machine (wait with `wait_for_import(env.threaded, …)`)."""
        deps = deps or self.deps
        if background:
            self.threaded = replace(deps, jobs=ThreadJobs())
            deps = self.threaded
        return finish_connect(deps, session_id=session, state=answer.get("state", ""),
                              code=answer.get("code", ""), oauth=self.oauth)

    def connect(self, address: str, *, import_recent: bool = False, reconnect: bool = False,
                choose: str | None = None) -> Connection:
        answer = consent(self.start(address, import_recent=import_recent, reconnect=reconnect), choose or address)
        connection = self.finish(answer)
        return connection

    def deliver(self, address: str, n: int, *, read: bool = False, at_ms: int | None = None) -> list[str]:
        return [
            self.sim.deliver(address, customer_mail(to=address), ["INBOX"] if read else None,
                             internal_date_ms=None if at_ms is None else at_ms + i * 1000)
            for i in range(n)
        ]

    def tickets_by_mail(self, address: str) -> dict[str, int]:
        """gmail message id → how many comments (any ticket) record it."""
        seen: dict[str, int] = {}
        for ticket in self.store.list_tickets(limit=100_000, connection=address):
            assert ticket.id is not None
            for comment in self.store.comments(ticket.id):
                if comment.gmail_message_id:
                    seen[comment.gmail_message_id] = seen.get(comment.gmail_message_id, 0) + 1
        return seen

    def refresh_works(self, refresh_token: str) -> bool:
        body = urllib.parse.urlencode({
            "grant_type": "refresh_token", "refresh_token": refresh_token,
            "client_id": self.sim.config.client_id, "client_secret": self.sim.config.client_secret,
        }).encode()
        try:
            with urllib.request.urlopen(self.url("/token"), data=body, timeout=10) as answer:
                return "access_token" in json.loads(answer.read())
        except urllib.error.HTTPError:
            return False


def _env(store: Store, tmp_path: Path, mailboxes: dict[str, dict[str, Any]]) -> Iterator[Env]:
    sim = GmailSimulator(SimConfig(seed=99))
    for address, options in mailboxes.items():
        sim.add_mailbox(address, **options)
    server = SimServer(sim, host="127.0.0.1", port=0).start()
    try:
        yield Env(sim, server, store, tmp_path)
    finally:
        server.stop()
        sim.close()


DEFAULT_MAILBOXES: dict[str, dict[str, Any]] = {SUPPORT: {"kind": "workspace"}, SALES: {"kind": "workspace"},
                                                OTHER: {}}


@pytest.fixture
def env(store: Store, tmp_path: Path) -> Iterator[Env]:
    """On every Store adapter."""
    yield from _env(store, tmp_path, DEFAULT_MAILBOXES)


@pytest.fixture
def lite(tmp_path: Path) -> Iterator[Env]:
    """SQLite only: the rules here do not depend on the store, and Firestore's emulator is slow."""
    sqlite = SqliteStore(tmp_path / "store.db")
    try:
        yield from _env(sqlite, tmp_path, {**DEFAULT_MAILBOXES, "owner@gmail.com": {"kind": "gmail"},
                                           "trial@example.com": {"testing_client": True}})
    finally:
        sqlite.close()


def _hour_ago_ms(env: Env, hours: float) -> int:
    return int((env.sim.clock.now() - hours * 3600) * 1000)


# --------------------------------------------------------------------------- connect


class ListingDelivers:
    """The real Mailbox; one more mail arrives just before the import lists the inbox, i.e. after the cursor
    was taken — so it is both in the import's list and in history, and a racing sync must not duplicate it."""

    def __init__(self, inner: Mailbox, arrive: Callable[[], None]) -> None:
        self.inner = inner
        self.arrive = arrive

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def list_messages(self, *args: Any, **kwargs: Any) -> Iterator[MessageRef]:
        self.arrive()
        return self.inner.list_messages(*args, **kwargs)


def test_connect_imports_the_300_newest_inbox_mails_once_with_triggers_suppressed(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    limit = IMPORT_RECENT_LIMIT
    if not isinstance(env.store, SqliteStore):  # the same race on Firestore, at a size the emulator does fast
        limit = 40
        monkeypatch.setattr(connect, "IMPORT_RECENT_LIMIT", limit)
    start = _hour_ago_ms(env, 48)
    older = env.deliver(SUPPORT, 20, at_ms=start)
    newest = env.deliver(SUPPORT, limit // 2, read=True, at_ms=start + 100_000)
    newest += env.deliver(SUPPORT, limit // 2, at_ms=start + 1_000_000)
    late: list[str] = []
    provider = env.deps.mailbox_for
    env.deps.mailbox_for = lambda a: ListingDelivers(  # type: ignore[assignment]
        provider(a), lambda: late.extend(env.deliver(SUPPORT, 1)) if not late else None)

    answer = consent(env.start(SUPPORT, import_recent=True), SUPPORT)
    connection = env.finish(answer, background=True)
    assert connection.import_total == limit
    racer = env.instance()
    syncs = [threading.Thread(target=sync_mailbox, args=(racer, SUPPORT)) for _ in range(2)]
    for t in syncs:
        t.start()
    assert wait_for_import(env.threaded, SUPPORT, 60)
    for t in syncs:
        t.join(60)
    sync_mailbox(racer, SUPPORT)

    seen = env.tickets_by_mail(SUPPORT)
    assert set(seen) == set(newest[-(limit - 1) :]) | set(late)  # the 300 newest at listing time
    assert not set(older) & set(seen)
    assert all(n == 1 for n in seen.values())
    tickets = env.store.list_tickets(limit=1000, connection=SUPPORT)
    assert len(tickets) == limit
    # all but perhaps the mail that arrived meanwhile (the sync may have got it first: a live ticket, rightly)
    assert sum(t.suppress_triggers for t in tickets) >= limit - len(late)
    after = env.store.get_connection(SUPPORT)
    assert after is not None and after.import_done == after.import_total
    assert after.status == ConnectionStatus.CONNECTED and after.account_kind == AccountKind.WORKSPACE
    assert env.store.list_support_addresses()[0].is_default


def test_connect_without_history_imports_only_unread_inbox_mail_of_the_last_hour(lite: Env) -> None:
    old_unread = lite.deliver(SUPPORT, 3, at_ms=_hour_ago_ms(lite, 3))
    recent_read = lite.deliver(SUPPORT, 2, read=True, at_ms=_hour_ago_ms(lite, 0.5))
    recent_unread = lite.deliver(SUPPORT, 4, at_ms=_hour_ago_ms(lite, 0.5))

    connection = lite.connect(SUPPORT)

    assert connection.import_total == 4 and connection.import_done == 4
    seen = lite.tickets_by_mail(SUPPORT)
    assert set(seen) == set(recent_unread)
    assert not (set(old_unread) | set(recent_read)) & set(seen)
    assert not any(t.suppress_triggers for t in lite.store.list_tickets(connection=SUPPORT))
    # the cursor was taken before the import: new mail comes in through the normal sync
    new = lite.deliver(SUPPORT, 1)
    sync_mailbox(lite.deps, SUPPORT)
    assert new[0] in lite.tickets_by_mail(SUPPORT)


def test_wrong_account_is_refused_revoked_and_nothing_is_stored(env: Env) -> None:
    answer = consent(env.start(SUPPORT), OTHER)
    with pytest.raises(ConnectRefused, match=OTHER) as refused:
        env.finish(answer)
    assert "another Google account" in str(refused.value) or "other account" in str(refused.value)
    assert "1//" not in str(refused.value) and "ya29" not in str(refused.value)
    assert env.store.get_connection(SUPPORT) is None and env.store.get_connection(OTHER) is None
    assert env.store.list_support_addresses() == []
    assert env.deps.secrets.get(secret_names.refresh_token(SUPPORT)) is None
    assert env.deps.secrets.get(secret_names.refresh_token(OTHER)) is None
    assert len(env.oauth.revoked) == 1 and not env.refresh_works(env.oauth.revoked[0])


def test_a_wrong_account_that_is_connected_here_keeps_its_access(lite: Env) -> None:
    lite.connect(OTHER)
    answer = consent(lite.start(SUPPORT), OTHER)
    with pytest.raises(ConnectRefused):
        lite.finish(answer)
    assert lite.oauth.revoked == []  # revoking would have cut OTHER's own connection
    assert sync_mailbox(lite.deps, OTHER).status == "synced"


def test_replayed_state_is_refused(lite: Env) -> None:
    answer = consent(lite.start(SUPPORT), SUPPORT)
    lite.finish(answer)
    with pytest.raises(ConnectRefused, match="already used or has expired"):
        lite.finish(answer)


def test_forged_state_is_refused(lite: Env) -> None:
    answer = consent(lite.start(SUPPORT), SUPPORT)
    nonce, _, mac = answer["state"].partition(".")
    for forged in (f"{nonce}.{mac[::-1]}", nonce, "x" + answer["state"], ""):
        with pytest.raises(ConnectRefused, match="does not belong to this admin session"):
            lite.finish({**answer, "state": forged})
    assert lite.store.get_connection(SUPPORT) is None
    lite.finish(answer)  # the genuine answer still works: forgeries did not burn the flow


def test_another_sessions_state_is_refused(lite: Env) -> None:
    answer = consent(lite.start(SUPPORT, session="admin-a"), SUPPORT)
    with pytest.raises(ConnectRefused, match="does not belong to this admin session"):
        lite.finish(answer, session="admin-b")
    assert lite.store.get_connection(SUPPORT) is None
    assert lite.finish(answer, session="admin-a").status == ConnectionStatus.CONNECTED


def test_a_code_google_refuses_or_a_denied_consent_is_refused_cleanly(lite: Env) -> None:
    answer = consent(lite.start(SUPPORT), SUPPORT)
    with pytest.raises(ConnectRefused, match=r"did not accept this sign-in \(invalid_grant\)"):
        lite.finish({**answer, "code": answer["code"] + "x"})
    denied = {"state": consent(lite.start(SUPPORT), SUPPORT)["state"], "error": "access_denied"}
    with pytest.raises(ConnectRefused, match="no authorization code"):
        lite.finish(denied)
    assert lite.store.get_connection(SUPPORT) is None
    assert lite.deps.secrets.get(secret_names.refresh_token(SUPPORT)) is None


def test_an_oauth_client_in_testing_gets_a_warning(lite: Env) -> None:
    connection = lite.connect("trial@example.com")
    assert TESTING_CLIENT_WARNING in connection.warnings
    assert lite.connect(SUPPORT).warnings == []


# --------------------------------------------------------------------------- disconnect and reconnect


def test_disconnecting_the_default_address_is_refused(env: Env) -> None:
    env.connect(SUPPORT)
    with pytest.raises(ActionRefused, match="default"):
        accounts.disconnect(env.deps, SUPPORT, oauth=env.oauth)
    connection = env.store.get_connection(SUPPORT)
    assert connection is not None and connection.status == ConnectionStatus.CONNECTED
    assert env.oauth.revoked == []


@pytest.mark.parametrize("history_expired", [False, True])
def test_disconnect_then_reconnect_imports_the_gap_once(env: Env, history_expired: bool) -> None:
    env.connect(SUPPORT)
    env.connect(SALES)
    before = env.deliver(SALES, 2)
    sync_mailbox(env.deps, SALES)
    token = env.deps.secrets.get(secret_names.refresh_token(SALES))
    assert token is not None

    disconnected = accounts.disconnect(env.deps, SALES, oauth=env.oauth)
    assert disconnected.status == ConnectionStatus.DISCONNECTED and disconnected.disconnected_at is not None
    assert env.deps.secrets.get(secret_names.refresh_token(SALES)) is None
    assert env.oauth.revoked == [token] and not env.refresh_works(token)
    gap = env.deliver(SALES, 3)
    assert sync_mailbox(env.deps, SALES).status == "disconnected"
    if history_expired:
        env.sim.mark_read(SALES, gap[0])  # read on a phone meanwhile: still mail of the gap
        env.sim.expire_history(SALES)

    reconnected = env.connect(SALES, reconnect=True)
    assert reconnected.status == ConnectionStatus.CONNECTED and reconnected.last_error is None
    sync_mailbox(env.deps, SALES)  # a sweep right after must not duplicate anything
    seen = env.tickets_by_mail(SALES)
    assert set(seen) == set(before) | set(gap) and all(n == 1 for n in seen.values())
    assert len(env.store.list_connections()) == 2  # the SAME connection, not a second one


def test_a_revoked_token_disconnects_and_reconnecting_brings_the_gap(lite: Env) -> None:
    lite.connect(SUPPORT)
    first = lite.deliver(SUPPORT, 1)
    sync_mailbox(lite.deps, SUPPORT)
    lite.sim.revoke(SUPPORT)
    gap = lite.deliver(SUPPORT, 2)
    assert sync_mailbox(lite.deps, SUPPORT).status == "disconnected"
    marked = lite.store.get_connection(SUPPORT)
    assert marked is not None and marked.status == ConnectionStatus.DISCONNECTED and marked.last_error
    assert mailbox_health.health(lite.deps)[0].can_reconnect

    answer = consent(lite.start(SUPPORT), SUPPORT)  # an existing connection: a reconnect without being told
    lite.finish(answer, background=True)
    assert wait_for_import(lite.threaded, SUPPORT, 30)
    seen = lite.tickets_by_mail(SUPPORT)
    assert set(seen) == set(first) | set(gap) and all(n == 1 for n in seen.values())
    assert lite.store.get_connection(SUPPORT).status == ConnectionStatus.CONNECTED  # type: ignore[union-attr]


# --------------------------------------------------------------------------- manage


def test_make_default_delete_and_send_via_gmail(env: Env) -> None:
    env.connect(SUPPORT)
    env.connect(SALES)
    defaults = {a.address: a.is_default for a in env.store.list_support_addresses()}
    assert defaults == {SUPPORT: True, SALES: False}
    with pytest.raises(ActionRefused, match="default"):
        accounts.delete_address(env.deps, SUPPORT)
    with pytest.raises(ActionRefused, match="Disconnect"):
        accounts.delete_address(env.deps, SALES)

    accounts.make_default(env.deps, SALES)
    assert {a.address: a.is_default for a in env.store.list_support_addresses()} == {SUPPORT: False, SALES: True}
    accounts.disconnect(env.deps, SUPPORT, oauth=env.oauth)
    accounts.delete_address(env.deps, SUPPORT)
    assert [a.address for a in env.store.list_support_addresses()] == [SALES]
    assert env.store.get_connection(SUPPORT) is None

    assert accounts.set_send_via_gmail(env.deps, SALES, False).send_via_gmail is False
    assert env.store.get_connection(SALES).send_via_gmail is False  # type: ignore[union-attr]
    assert accounts.set_send_via_gmail(env.deps, SALES, True).send_via_gmail is True
    with pytest.raises(ActionRefused):
        accounts.set_send_via_gmail(env.deps, SUPPORT, True)


def test_health_rows(lite: Env) -> None:
    lite.connect(SUPPORT)
    lite.deliver("owner@gmail.com", 2, at_ms=_hour_ago_ms(lite, 0.2))
    lite.connect("owner@gmail.com")
    lite.deliver(SUPPORT, 3)
    sync_mailbox(lite.deps, SUPPORT)
    lite.sim.revoke("owner@gmail.com")
    sync_mailbox(lite.deps, "owner@gmail.com")

    rows = mailbox_health.health(lite.deps)
    assert [r.address for r in rows] == [SUPPORT, "owner@gmail.com"]
    support, owner = rows
    assert support.is_default and support.kind == "gmail_connector" and support.brand == "acme"
    assert support.status == "connected" and support.reason is None
    assert support.imported == {Outcome.TICKET.value: 3} and support.mails_imported == 3
    assert support.last_sync is not None and support.lag_seconds is not None and 0 <= support.lag_seconds < 60
    assert (support.sends_24h, support.send_limit) == (0, 2000)
    assert owner.status == "disconnected" and owner.can_reconnect and owner.reason
    assert (owner.import_total, owner.import_done, owner.mails_imported) == (2, 2, 2)
    assert owner.send_limit == 500 and owner.warnings == []


def test_relay_dns_guidance_is_stable_per_domain(lite: Env) -> None:
    first = relay_dns.relay_dns_guidance(lite.deps, "Example.COM.", spf_include="_spf.relay.example.net")
    again = relay_dns.relay_dns_guidance(lite.deps, "example.com", spf_include="_spf.relay.example.net")
    other = relay_dns.relay_dns_guidance(lite.deps, "example.org", spf_include="_spf.relay.example.net")
    assert first == again and first.verification_code != other.verification_code
    assert first.spf.value == "v=spf1 include:_spf.relay.example.net ~all" and first.spf.name == "example.com"
    assert first.verification.value.endswith(first.verification_code)
    assert any("_domainkey.example.com" in step for step in first.dkim_steps)
    with pytest.raises(ActionRefused):
        relay_dns.relay_dns_guidance(lite.deps, "not a domain", spf_include="x")

