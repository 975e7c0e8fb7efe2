"""The API's per-token rate limit: a sliding minute, each token on its own, and how long to wait when over."""

from __future__ import annotations

from gmail_tickets.web.api.auth import RateLimit


def test_a_token_waits_until_its_oldest_request_leaves_the_minute() -> None:
    now = [1000.0]
    limit = RateLimit(3, lambda: now[0])
    assert [limit.wait_seconds("a") for _ in range(3)] == [0, 0, 0]
    now[0] += 20
    assert limit.wait_seconds("a") == 40  # the first of the three leaves the window at 1060
    assert limit.wait_seconds("b") == 0, "another token has its own budget"
    now[0] += 40
    assert limit.wait_seconds("a") == 0
    assert limit.wait_seconds("a") == 0 and limit.wait_seconds("a") == 0
    assert limit.wait_seconds("a") >= 1, "a refused request is not counted, but the budget is spent"
