"""No starvation on one machine: a slow or rate-limited Gmail send does not hold up the ingest of new mail.

The embedded stack (`serve`'s wiring) against the Gmail simulator over HTTP, one worker per pool so any sharing
would show. Assertions are on order and on what the simulator saw, never on wall-clock bars.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from devstack.embedded_stack import EmbeddedStack
from gmail_tickets.domain.model import Ticket
from gmail_tickets.domain.outbox import Notification, NotificationState
from gmail_tickets.settings import Settings
from tests.fixtures.sim import SUPPORT, make_mail

CUSTOMER_A = "Ann Customer <ann@customer-a.test>"
CUSTOMER_B = "Bob Customer <bob@customer-b.test>"


def _wait(condition: Callable[[], bool], timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def _ticket(stack: EmbeddedStack, subject: str) -> Ticket | None:
    return next((t for t in stack.store.list_tickets(connection=SUPPORT) if t.subject == subject), None)


def _ack(stack: EmbeddedStack, subject: str) -> Notification | None:
    ticket = _ticket(stack, subject)
    found = stack.store.list_notifications(ticket_id=ticket.id) if ticket else []
    return found[0] if found else None


def test_new_mail_comes_in_while_a_gmail_send_hangs(tmp_path: Path) -> None:
    with EmbeddedStack(tmp_path, workers=1) as stack:
        stack.sim.set_latency(per_method={"messages.send": 6000})  # every send hangs on the only send worker
        stack.deliver(make_mail(subject="First", sender=CUSTOMER_A))
        assert _wait(lambda: (n := _ack(stack, "First")) is not None and n.state == NotificationState.SENDING)

        stack.deliver(make_mail(subject="Second", sender=CUSTOMER_B))
        assert _wait(lambda: _ticket(stack, "Second") is not None)
        first = _ack(stack, "First")
        assert first is not None and first.state == NotificationState.SENDING  # still hanging: ingest did not wait

        stack.sim.set_latency(per_method={"messages.send": 0})
        assert _wait(lambda: all(n.state == NotificationState.SENT for n in stack.store.list_notifications()))


def test_a_rate_limited_gmail_send_neither_sleeps_on_its_worker_nor_delays_new_mail(tmp_path: Path) -> None:
    quick_retries = Settings(send_retry_first_seconds=0.2, send_retry_ceiling_seconds=0.5)
    with EmbeddedStack(tmp_path, workers=1, settings=quick_retries) as stack:
        limit = stack.sim.inject_faults(429, 1000, method="messages.send", retry_after=8)
        stack.deliver(make_mail(subject="First", sender=CUSTOMER_A))
        assert _wait(lambda: limit.hits >= 1)

        stack.deliver(make_mail(subject="Second", sender=CUSTOMER_B))
        assert _wait(lambda: _ticket(stack, "Second") is not None)
        first = _ack(stack, "First")
        assert first is not None and first.state != NotificationState.SENT  # still rate limited, new mail is in

        stack.sim.clear_faults()
        runtime = stack.runtime
        assert runtime is not None

        def all_sent() -> bool:
            runtime.sweep_now()  # what the sweep timer does: it publishes retrying records whose time has come
            return all(n.state == NotificationState.SENT for n in stack.store.list_notifications())

        assert _wait(all_sent)
        first = _ack(stack, "First")
        assert first is not None
        # One Gmail call per delivery attempt: the rate limit left the record retrying (no sleep on a worker),
        # and the sweep brought it back once its time had come.
        assert limit.hits <= first.attempts
