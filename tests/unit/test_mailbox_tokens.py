"""The access-token cache's rules, with a fake refresher and clock (the integration tests count real secret reads
and real refresh grants: tests/integration/test_token_cache.py)."""

from __future__ import annotations

import pytest

from gmail_tickets.adapters.mailbox_tokens import MailboxTokens
from gmail_tickets.errors import TokenRevoked


class Tokens:
    """A dict as the refresh-token store; a refresher that counts and mints numbered tokens good for an hour."""

    def __init__(self) -> None:
        self.stored: dict[str, str] = {}
        self.reads = 0
        self.minted: list[str] = []
        self.now = 1_000.0

    def get(self, address: str) -> str | None:
        self.reads += 1
        return self.stored.get(address)

    def put(self, address: str, token: str) -> None:
        self.stored[address] = token

    def delete(self, address: str) -> None:
        self.stored.pop(address, None)

    def refresh(self, request: object, refresh_token: str) -> tuple[str, float]:
        self.minted.append(refresh_token)
        return f"access-{len(self.minted)}-{refresh_token}", self.now + 3600


@pytest.fixture
def fake() -> Tokens:
    return Tokens()


def cache(fake: Tokens, capacity: int = 10) -> MailboxTokens:
    return MailboxTokens(fake, fake.refresh, capacity=capacity, margin=300, clock=lambda: fake.now)


def test_a_token_is_minted_once_and_used_until_the_margin_before_its_expiry(fake: Tokens) -> None:
    tokens = cache(fake)
    tokens.put("a@x", "r1")
    tokens.prefetch("a@x")
    first = tokens.fresh("a@x", None)
    fake.now += 3600 - 301
    assert tokens.cached("a@x") == first and tokens.fresh("a@x", None) == first
    assert fake.reads == 1 and fake.minted == ["r1"]
    fake.now += 2
    assert tokens.cached("a@x") is None
    assert tokens.fresh("a@x", None) != first and fake.minted == ["r1", "r1"] and fake.reads == 2


def test_a_refused_token_reads_the_store_again(fake: Tokens) -> None:
    tokens = cache(fake)
    tokens.put("a@x", "r1")
    old = tokens.fresh("a@x", None)
    fake.stored["a@x"] = "r2"  # reconnected elsewhere: this process was not told
    assert tokens.fresh("a@x", None) == old  # still good as far as anyone here knows
    assert tokens.fresh("a@x", None, rejected=old).endswith("-r2")


def test_put_and_delete_drop_the_cached_token(fake: Tokens) -> None:
    tokens = cache(fake)
    tokens.put("a@x", "r1")
    tokens.fresh("a@x", None)
    tokens.put("a@x", "r2")
    assert tokens.cached("a@x") is None and tokens.fresh("a@x", None).endswith("-r2")
    tokens.delete("a@x")
    with pytest.raises(TokenRevoked):
        tokens.fresh("a@x", None)
    with pytest.raises(TokenRevoked):
        tokens.prefetch("a@x")


def test_the_cache_keeps_the_most_recently_used_mailboxes_only(fake: Tokens) -> None:
    tokens = cache(fake, capacity=2)
    for name in ("a", "b", "c"):
        tokens.put(name, f"r-{name}")
        tokens.fresh(name, None)
        if name == "b":
            tokens.cached("a")  # a used again: b is now the least recently used
    assert len(tokens) == 2
    assert tokens.cached("a") is not None and tokens.cached("c") is not None and tokens.cached("b") is None


def test_a_failed_refresh_leaves_nothing_cached(fake: Tokens) -> None:
    def refuse(request: object, refresh_token: str) -> tuple[str, float]:
        raise RuntimeError("invalid_grant")

    tokens = MailboxTokens(fake, refuse, capacity=5)
    tokens.put("a@x", "r1")
    tokens.prefetch("a@x")
    with pytest.raises(RuntimeError):
        tokens.fresh("a@x", None)
    assert len(tokens) == 0
