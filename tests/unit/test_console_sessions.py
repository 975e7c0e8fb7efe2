"""The embedded console's server-side sessions: idle and absolute limits, sign-out, kept replies."""

from __future__ import annotations

from gmail_tickets.web.sessions import DRAFT_SECONDS, SessionRegistry


class Clock:
    def __init__(self) -> None:
        self.t = 1_000.0

    def __call__(self) -> float:
        return self.t


def registry(clock: Clock) -> SessionRegistry:
    return SessionRegistry(idle_seconds=10, max_seconds=30, now=clock)


def test_a_session_lives_while_used_and_ends_when_idle() -> None:
    clock = Clock()
    sessions = registry(clock)
    sid = sessions.start()
    for _ in range(2):
        clock.t += 9.9
        assert sessions.touch(sid)
    clock.t += 10
    assert not sessions.touch(sid)
    clock.t -= 5  # once ended, it stays ended
    assert not sessions.touch(sid)


def test_a_session_ends_at_its_absolute_limit_however_used() -> None:
    clock = Clock()
    sessions = registry(clock)
    sid = sessions.start()
    for _ in range(5):
        clock.t += 5.9
        assert sessions.touch(sid)
    clock.t += 0.6
    assert not sessions.touch(sid)


def test_sign_out_ends_only_that_session() -> None:
    sessions = registry(Clock())
    one, two = sessions.start(), sessions.start()
    sessions.end(one)
    assert (sessions.touch(one), sessions.touch(two)) == (False, True)
    assert not sessions.touch(None) and not sessions.touch(["x"]) and not sessions.touch("made-up")


def test_a_kept_reply_comes_back_once_for_its_ticket_within_the_hour() -> None:
    clock = Clock()
    sessions = registry(clock)
    token = sessions.stash_draft(7, "my reply")
    assert sessions.take_draft(token, 8) is None  # another ticket's page does not take it
    assert sessions.take_draft(token, 7) == "my reply"
    assert sessions.take_draft(token, 7) is None
    late = sessions.stash_draft(7, "late")
    clock.t += DRAFT_SECONDS
    assert sessions.take_draft(late, 7) is None
    assert sessions.take_draft(None, 7) is None
