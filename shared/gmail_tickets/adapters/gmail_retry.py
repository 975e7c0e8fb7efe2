"""Backoff policy for Gmail calls: exponential with jitter, bounded, Retry-After honoured.

Google asks clients to back off 1 s, 2 s, 4 s … plus up to a second of random jitter on 429, 5xx and rate-limit
403s, so that many workers hit by the same limit do not retry in lockstep. Every number is a field of
`RetryPolicy` so tests can run whole storms with millisecond delays (or a recording `sleep`).

The policy knows nothing about HTTP: it asks the caller which exceptions are retryable, and reads an optional
`retry_after` attribute (seconds) from the exception it is about to wait on.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import tenacity

log = logging.getLogger(__name__)


def retry_after_of(exc: BaseException | None) -> float | None:
    """The server's Retry-After (seconds) carried by an exception, if any."""
    value = getattr(exc, "retry_after", None)
    return float(value) if isinstance(value, int | float) else None


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP date. None when absent or garbled."""
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    if seconds != seconds:  # NaN
        return None
    return max(0.0, seconds)


@dataclass(frozen=True)
class RetryPolicy:
    """How long and how often to retry one Gmail call (or the failing items of one batch).

    Waits are `min(max_delay, initial_delay * 2**(n-1)) + uniform(0, jitter)` before retry n, or the server's
    Retry-After when that is longer. A Retry-After longer than `max_retry_after` ends the retries at once: a
    function should hand the work back to the platform rather than sleep for minutes.
    """

    max_attempts: int = 5
    initial_delay: float = 1.0
    max_delay: float = 32.0
    jitter: float = 1.0
    max_retry_after: float = 60.0
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False)
    rng: Callable[[], float] = field(default=random.random, compare=False)

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if min(self.initial_delay, self.max_delay, self.jitter, self.max_retry_after) < 0:
            raise ValueError("delays must not be negative")

    def backoff(self, retry_number: int) -> float:
        """Seconds to wait before retry `retry_number` (1 for the first retry), ignoring Retry-After."""
        exponent = min(max(retry_number - 1, 0), 62)  # no float overflow on silly attempt counts
        base = min(self.max_delay, self.initial_delay * (2.0**exponent))
        return base + self.jitter * self.rng()

    def delay(self, retry_number: int, retry_after: float | None = None) -> float:
        """The wait before retry `retry_number`: the backoff, but never less than the server asked for."""
        wait = self.backoff(retry_number)
        if retry_after is not None:
            wait = max(wait, retry_after)
        return wait

    def should_stop(self, attempt_number: int, exc: BaseException | None) -> bool:
        """True when no further attempt is allowed after `attempt_number` attempts ended in `exc`."""
        if attempt_number >= self.max_attempts:
            return True
        retry_after = retry_after_of(exc)
        return retry_after is not None and retry_after > self.max_retry_after

    def retrying(
        self,
        retry_if: Callable[[BaseException], bool],
        *,
        what: str = "call",
    ) -> tenacity.Retrying:
        """A tenacity `Retrying` that retries exceptions for which `retry_if` is true and re-raises the last
        one when attempts run out (with a note saying how many were made)."""

        def stop(state: tenacity.RetryCallState) -> bool:
            return self.should_stop(state.attempt_number, _exception(state))

        def wait(state: tenacity.RetryCallState) -> float:
            return self.delay(state.attempt_number, retry_after_of(_exception(state)))

        def before_sleep(state: tenacity.RetryCallState) -> None:
            exc = _exception(state)
            sleep_for = state.next_action.sleep if state.next_action else 0.0
            # Only the exception's class and our own sanitised message: never bodies or tokens.
            log.info(
                "gmail %s: attempt %d failed (%s: %s); retrying in %.3f s",
                what, state.attempt_number, type(exc).__name__, exc, sleep_for,
            )

        def give_up(state: tenacity.RetryCallState) -> Any:
            exc = _exception(state)
            assert exc is not None
            if state.attempt_number > 1:
                exc.add_note(f"gave up after {state.attempt_number} attempts")
            raise exc

        return tenacity.Retrying(
            stop=stop,
            wait=wait,
            retry=tenacity.retry_if_exception(retry_if),
            sleep=self.sleep,
            before_sleep=before_sleep,
            retry_error_callback=give_up,
        )


def _exception(state: tenacity.RetryCallState) -> BaseException | None:
    return state.outcome.exception() if state.outcome is not None and state.outcome.failed else None
