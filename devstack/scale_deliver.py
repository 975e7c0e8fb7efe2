"""The mail of `bench scale`'s active run, put into the Gmail simulator from a process of its own.

Why a process: in production mail reaches Gmail from the outside world; a deliverer thread in the product's
process made its HTTP calls under the product's GIL (7 % of that process's CPU samples in a 200 x 20 run on
SQLite) and so measured the bench along with the product. The parent reads one line per delivered mail
("<address> <gmail id>") and a last line "done <seconds>": when the last mail was in Gmail, counted from the
child's first mail (its interpreter's start, ~0.1 s, is not in it).

    python -m devstack.scale_deliver --sim URL --per-mailbox K ADDRESS...
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import threading
import time

from devstack.bench import SimControl


class Deliverer:
    """The child process, started at once, and what it has reported so far (read on a thread of its own).
    `error` says why it stopped early (an exit code, a line it should not print); the run stops waiting then."""

    def __init__(self, sim_url: str, per_mailbox: int, addresses: list[str]) -> None:
        self.delivered: list[tuple[str, str]] = []
        self.seconds: float | None = None
        self.error: str | None = None
        self._process = subprocess.Popen(
            [sys.executable, "-m", "devstack.scale_deliver", "--sim", sim_url, "--per-mailbox", str(per_mailbox),
             *addresses], stdout=subprocess.PIPE, text=True)
        self._reader = threading.Thread(target=self._read, name="deliverer", daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self._process.stdout is not None
        for line in self._process.stdout:
            parts = line.split()
            if len(parts) != 2:
                self.error = self.error or f"unexpected line {line[:80]!r}"
            elif parts[0] == "done":
                self.seconds = float(parts[1])
            else:
                self.delivered.append((parts[0], parts[1]))
        code = self._process.wait()
        if code:
            self.error = self.error or f"exit {code}"

    def close(self, wait_s: float = 30.0) -> None:
        """Let it finish for up to `wait_s` (it is done when every mail is in the ledger), else stop it."""
        try:
            self._process.wait(wait_s)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._reader.join(wait_s)


def mail(mailbox: int, k: int, address: str) -> bytes:
    """Each from a customer of their own company (a burst from one domain would be held back as one)."""
    n = mailbox * 1000 + k
    return (
        f"From: Customer {n} <customer{n}@shop{n % 997}.example>\r\nTo: {address}\r\n"
        f"Subject: Request {n}: the invoice total is wrong\r\n"
        f"Message-ID: <scale-{n}-{time.time_ns()}@example.net>\r\n"
        f"Date: Sat, 28 Nov 2026 10:00:00 +0000\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        + "Hello, the total on invoice 4711 is higher than the sum of its lines. Please check.\r\n" * 10
    ).encode()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devstack.scale_deliver")
    parser.add_argument("--sim", required=True, help="the simulator's base URL")
    parser.add_argument("--per-mailbox", type=int, required=True)
    parser.add_argument("addresses", nargs="+")
    args = parser.parse_args(argv)
    sim = SimControl(args.sim)
    started = time.monotonic()
    for k in range(args.per_mailbox):  # in turns: every mailbox's k-th mail before anyone's (k+1)-th
        for i, address in enumerate(args.addresses):
            gmail_id = sim.call("POST", f"/mailboxes/{address}/deliver", mail(i, k, address))["id"]
            print(address, gmail_id, flush=True)
    print("done", round(time.monotonic() - started, 3), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
