"""The chaos soak's embedded flavour on its own: `serve` started against the soak's world with the mailboxes
connected, mail recorded through the sweep, a SIGKILL of the whole process and the restart that follows."""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

import pytest

from devstack.chaos import truth
from devstack.chaos.embedded_stack import EmbeddedProcessStack
from devstack.chaos.harness import reader_deps
from devstack.chaos.mails import MailFeed
from devstack.chaos.world import open_world

pytestmark = pytest.mark.slow


def wait_until(check: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


def test_serve_records_mail_is_killed_whole_and_comes_back(tmp_path: Path) -> None:
    with ExitStack() as stack:
        world, _clock = open_world(tmp_path, stack)
        product = EmbeddedProcessStack()
        stack.callback(product.stop)
        env = product.start(world)
        assert env["GT_CLOCK_OFFSET_FILE"] == str(world.clock_file) and env["GT_RELAY_PORT"]
        deps = reader_deps(env)
        assert {c.address for c in deps.store.list_connections()} == set(world.mailboxes)
        feed = MailFeed(world.sim, world.mailboxes, total=6, seconds=0.1)
        for n in range(3):
            feed.deliver_one(n)
        wait_until(lambda: sum(truth.recorded_per_mailbox(deps, world.mailboxes).values()) == 3)

        assert product.killable() == ["serve"]
        kill = product.kill("serve")
        assert kill.process == "serve" and product.killable() == []
        for n in range(3, 6):
            feed.deliver_one(n)
        wait_until(lambda: product.killable() == ["serve"], timeout=10)
        assert product.restarts == 1
        wait_until(lambda: sum(truth.recorded_per_mailbox(deps, world.mailboxes).values()) == 6, timeout=60)
        assert product.restart_broker() is False
        count = truth.read_mail(deps, [(d.mailbox, d.gmail_id) for d in feed.snapshot()])
        assert (count.accounted, count.missing, count.duplicated) == (6, [], [])
