"""Contract: an OAuth flow is taken exactly once.

The flow holds the PKCE verifier and binds Google's redirect to the admin session that started it. If two
redirects (a replayed URL, a double-clicked consent) could both take it, one authorization code could connect
an account twice, or a stolen callback URL could finish someone else's connect.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta, timezone

from gmail_tickets.domain.model import OAuthFlow
from gmail_tickets.ports import Store

T0 = datetime(2024, 5, 17, 9, 30, 15, 123456, tzinfo=UTC)
CEST = timezone(timedelta(hours=2))
TTL = timedelta(minutes=10)


def _flow(nonce: str = "n-1", **changes: object) -> OAuthFlow:
    fields: dict[str, object] = {
        "nonce": nonce,
        "session_id": "sha256:5e55",
        "address": "help@acme.test",
        "brand_id": "acme",
        "import_recent": True,
        "code_verifier": "v" * 64,
        "redirect_uri": "https://desk.acme.test/oauth/callback",
        "created_at": T0,
        "expires_at": T0 + TTL,
        "reconnect": False,
        **changes,
    }
    return OAuthFlow(**fields)  # type: ignore[arg-type]


def test_a_flow_round_trips_every_field(store: Store) -> None:
    stored = _flow(
        import_recent=False, reconnect=True,
        created_at=datetime(2024, 5, 17, 11, 30, 15, 123456, tzinfo=CEST),  # the same instant as T0
    )
    store.save_oauth_flow(stored)

    got = store.take_oauth_flow("n-1", T0)

    assert got == _flow(import_recent=False, reconnect=True)
    assert got is not None
    for moment in (got.created_at, got.expires_at):
        assert moment.utcoffset() == timedelta(0), moment
    assert type(got.import_recent) is bool and type(got.reconnect) is bool


def test_a_flow_is_taken_once(store: Store) -> None:
    store.save_oauth_flow(_flow())

    assert store.take_oauth_flow("n-1", T0 + timedelta(seconds=5)) == _flow()
    assert store.take_oauth_flow("n-1", T0 + timedelta(seconds=6)) is None


def test_saving_again_replaces_the_flow(store: Store) -> None:
    store.save_oauth_flow(_flow(address="old@acme.test"))
    store.save_oauth_flow(_flow(address="new@acme.test"))

    assert store.take_oauth_flow("n-1", T0) == _flow(address="new@acme.test")
    assert store.take_oauth_flow("n-1", T0) is None


def test_flows_are_per_nonce(store: Store) -> None:
    store.save_oauth_flow(_flow("n-1"))
    store.save_oauth_flow(_flow("n-2", address="sales@acme.test"))

    assert store.take_oauth_flow("n-2", T0) == _flow("n-2", address="sales@acme.test")
    assert store.take_oauth_flow("n-1", T0) == _flow("n-1")


def test_an_expired_flow_is_not_given_and_is_deleted(store: Store) -> None:
    store.save_oauth_flow(_flow())

    assert store.take_oauth_flow("n-1", T0 + TTL) is None  # expires_at <= now: expired
    # Deleted, not just refused: even a caller whose clock is behind finds nothing left.
    assert store.take_oauth_flow("n-1", T0) is None


def test_a_flow_just_before_expiry_is_given(store: Store) -> None:
    store.save_oauth_flow(_flow())

    assert store.take_oauth_flow("n-1", T0 + TTL - timedelta(microseconds=1)) == _flow()


def test_an_unknown_nonce_gives_none(store: Store) -> None:
    store.save_oauth_flow(_flow("n-1"))

    assert store.take_oauth_flow("n-unknown", T0) is None
    assert store.take_oauth_flow("", T0) is None
    assert store.take_oauth_flow("n-1", T0) == _flow("n-1")  # others untouched


def test_awkward_nonces_are_kept_apart(store: Store) -> None:
    """Nonces come from a URL: characters that mean something to a store's keys must not alias."""
    nonces = ["a/b", "a:b", "a%3Ab", "..", "__x__"]
    for nonce in nonces:
        store.save_oauth_flow(_flow(nonce))

    for nonce in nonces:
        assert store.take_oauth_flow(nonce, T0) == _flow(nonce)
        assert store.take_oauth_flow(nonce, T0) is None


def test_writes_are_counted(store: Store) -> None:
    before = store.write_count
    store.save_oauth_flow(_flow())
    assert store.write_count - before == 1

    store.take_oauth_flow("n-1", T0)
    assert store.write_count - before == 2

    store.take_oauth_flow("n-1", T0)  # nothing there: nothing written
    assert store.write_count - before == 2


def test_two_callbacks_racing_for_one_flow_one_gets_it(store: Store) -> None:
    """Kept to two threads and one race: the Firestore emulator spends ~2 s per transaction conflict."""
    store.save_oauth_flow(_flow())
    start = threading.Barrier(2)

    def take(_: int) -> OAuthFlow | None:
        start.wait(timeout=10)
        return store.take_oauth_flow("n-1", T0)

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(take, range(2)))

    assert sorted(results, key=lambda r: r is None) == [_flow(), None]
    assert store.take_oauth_flow("n-1", T0) is None
