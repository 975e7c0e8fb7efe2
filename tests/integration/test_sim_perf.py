"""The performance bar: at least 300 sequential messages.get per second through the real client."""

from __future__ import annotations

import time

import pytest

from devstack.gmail_sim import bench
from tests.fixtures.sim import SUPPORT

BAR = 300


def test_300_gets_per_second_through_the_real_client_in_process(sim, gmail):
    """Client and server share this process (and the GIL), so this is a lower bound."""
    mid = sim.deliver(SUPPORT, bench.sample_message())
    messages = gmail.users().messages()
    for _ in range(20):
        messages.get(userId="me", id=mid).execute()
    n = 400
    start = time.perf_counter()
    for _ in range(n):
        messages.get(userId="me", id=mid).execute()
    rate = n / (time.perf_counter() - start)
    assert rate >= BAR, f"{rate:.0f} messages.get/s"


@pytest.mark.slow
def test_bench_with_the_server_pinned_to_one_core():
    result = bench.run_bench(n_get=600, n_raw=200, n_batches=5, batch_size=50, server_cpu=0)
    assert result["messages_get_per_s"] >= BAR, result
    assert result["batch_gets_per_s"] >= BAR, result
