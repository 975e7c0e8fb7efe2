"""The bounded chaos soak, per flavour, as a user runs it: `gmail-tickets bench chaos --mails 300 --seconds 60`.

The cloud flavour gets 150 mails (its rate cap on this machine, 2.5 mails/s: harness.MAX_MAIL_RATE), the embedded
one 300. The product runs as processes that get SIGKILLed, against Gmail 5xx/429 and latency bursts, push delayed and
dropped, a broker restart (cloud), the relay down for 20 s and for 5 minutes and 2 hours of advanced clock, and a
send limit crossed mid-run; the soak then counts from ground truth. Asserted: the bar of issue 13 from the soak's
own JSON (0 missing, 0 duplicated mails and acknowledgements, longest stall after a kill ≤ 35 s, settled ≤ 60 s),
and that every kind of fault was really injected.

The cloud flavour's stall is asserted at the bar, 35 s (CLOUD_STALL_BOUND_S), since the restart path and the
busy-lease path were fixed (a sweep instance no longer declared dead by its own readiness probe, no aborted spawns,
a proxy that holds a request for the first free instance, the event watching a dead holder's lease comes back):
three bounded runs in a row at load 3 to 10 stalled 17.9, 13.3 and 6.9 s. Under heavy load (17 to 39 on 2 CPUs,
other suites beside it) the cloud flavour has no capacity for the bar: syncs of a mailbox's backlog take 50 to
100+ s on two one-request instances and the third mailbox waits (docs/benchmarks.md, "Where the cloud stalls go").
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from devstack.chaos.schedule import BROKER_RESTART, KINDS, PUSH_DELAY, PUSH_DROP

pytestmark = pytest.mark.slow

MAILS = {"embedded": 300, "cloud": 150}
CLOUD_STALL_BOUND_S = 35.0  # the bar (see above: it holds on this machine when it is not overloaded)


@pytest.mark.parametrize("flavour", ["embedded", "cloud"])
def test_the_bounded_soak_meets_the_bar(flavour: str) -> None:
    cli = Path(sys.executable).with_name("gmail-tickets")
    done = subprocess.run([str(cli), "bench", "chaos", "--flavour", flavour, "--mails", str(MAILS[flavour]),
                           "--seconds", "60",
                           "--settle-timeout", "90", "--json"], capture_output=True, text=True, timeout=400)
    out = json.loads(done.stdout.strip().splitlines()[-1])
    summary = {k: out[k] for k in ("mail", "acks", "settle_s", "longest_stall_s", "stalls", "bar")}
    summary["faults"] = {k: v for k, v in out["faults"].items() if k != "schedule"}
    assert out["mail"]["delivered"] == MAILS[flavour], summary
    expected = set(KINDS) - ({BROKER_RESTART, PUSH_DELAY, PUSH_DROP} if flavour == "embedded" else set())
    assert set(out["faults"]["injected"]) == expected, summary
    assert out["faults"]["errors"] == [], summary
    assert out["acks"]["via"].get("relay", 0) > 0, summary  # the send limit really moved acknowledgements
    if flavour == "cloud":
        checks = {name: ok for name, ok in out["bar"]["checks"].items() if name != "longest_stall"}
        assert all(checks.values()), json.dumps(summary, indent=1)
        assert out["stalls"]["unresolved"] == 0, summary
        assert out["longest_stall_s"] <= CLOUD_STALL_BOUND_S, summary
        return
    assert out["bar"]["passed"], json.dumps(summary, indent=1)
    assert done.returncode == 0, done.stderr[-3000:]
