"""The soak's mail: N mails spread evenly over the run and the mailboxes, each from a sender of its own domain.

Every new request comes from its own authenticated customer (Gmail's stamp: SPF, DKIM and DMARC pass), so neither
the per-sender or per-domain burst rules nor the per-recipient acknowledgement interval hold any of them back: each
new ticket owes exactly one acknowledgement. About one mail in five is the requester's reply in the thread of an
earlier request of the same mailbox, which the product must add to that ticket as a comment (or, had the first
not come in yet, open a ticket of its own: either way exactly one record).
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from devstack.gmail_sim import GmailSimulator, Verdicts

AUTHENTICATED = Verdicts(spf="pass", dkim=(("pass", None),), dmarc="pass")
REPLY_EVERY = 5
REPLY_AFTER = 6  # a reply answers a request at least this many mails of its mailbox older


@dataclass(frozen=True)
class Delivered:
    mailbox: str
    gmail_id: str
    reply: bool
    at: float  # time.monotonic()


def request(n: int, mailbox: str) -> tuple[bytes, str, str, str]:
    """A new request: (raw, sender, subject, Message-ID)."""
    sender, subject, message_id = f"customer{n}@shop{n}.example", f"Request {n}: the export does nothing", \
        f"chaos-{n}-{time.time_ns()}@shop{n}.example"
    return _mail(sender, mailbox, subject, message_id, "Hello, when I click export nothing happens.", ()), sender, \
        subject, message_id


def reply(n: int, mailbox: str, sender: str, subject: str, answered: str) -> bytes:
    """The requester writing again in the thread of `answered` (a Message-ID)."""
    return _mail(sender, mailbox, f"Re: {subject}", f"chaos-{n}-{time.time_ns()}@{sender.partition('@')[2]}",
                 "Any news? It still does nothing.", (answered,))


def _mail(sender: str, to: str, subject: str, message_id: str, text: str, references: tuple[str, ...]) -> bytes:
    threading_headers = "".join(f"In-Reply-To: <{r}>\r\nReferences: <{r}>\r\n" for r in references[-1:])
    return (f"From: {sender.split('@')[0].title()} <{sender}>\r\nTo: {to}\r\nSubject: {subject}\r\n"
            f"Message-ID: <{message_id}>\r\n{threading_headers}Date: Sat, 05 Dec 2026 10:00:00 +0000\r\n"
            f"Content-Type: text/plain; charset=utf-8\r\n\r\n{text}\r\n").encode()


class MailFeed:
    """Delivers `total` mails evenly over `seconds` on a thread, round-robin over the mailboxes."""

    def __init__(self, sim: GmailSimulator, mailboxes: tuple[str, ...], total: int, seconds: float,
                 seed: int = 1, on_progress: Callable[[int], None] | None = None) -> None:
        self.sim, self.mailboxes, self.total, self.seconds = sim, mailboxes, total, seconds
        self._rng = random.Random(seed)
        self._on_progress = on_progress
        self._lock = threading.Lock()
        self.delivered: list[Delivered] = []
        self._requests: dict[str, list[tuple[str, str, str]]] = {m: [] for m in mailboxes}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="mail-feed", daemon=True)

    def start(self) -> MailFeed:
        self._thread.start()
        return self

    def join(self) -> None:
        self._thread.join()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(10)

    def snapshot(self) -> list[Delivered]:
        with self._lock:
            return list(self.delivered)

    def _run(self) -> None:
        interval, next_at = self.seconds / max(1, self.total), time.monotonic()
        for n in range(self.total):
            if self._stop.wait(max(0.0, next_at - time.monotonic())):
                return
            next_at += interval
            self.deliver_one(n)

    def deliver_one(self, n: int) -> Delivered:
        mailbox = self.mailboxes[n % len(self.mailboxes)]
        earlier = self._requests[mailbox]
        is_reply = len(earlier) > REPLY_AFTER and self._rng.randrange(REPLY_EVERY) == 0
        if is_reply:
            sender, subject, message_id = earlier[self._rng.randrange(len(earlier) - REPLY_AFTER)]
            raw = reply(n, mailbox, sender, subject, message_id)
        else:
            raw, sender, subject, message_id = request(n, mailbox)
            earlier.append((sender, subject, message_id))
        gmail_id = self.sim.deliver(mailbox, raw, auth=AUTHENTICATED)
        done = Delivered(mailbox, gmail_id, is_reply, time.monotonic())
        with self._lock:
            self.delivered.append(done)
            count = len(self.delivered)
        if self._on_progress is not None:
            self._on_progress(count)
        return done
