"""The mail a new connection starts with, and the gap a reconnection brings: jobs the connect step hands to the
runtime's `JobRunner`, so where they run (a thread, or before the callback answers) is not theirs to decide.

Both go through the ledger, so a sync racing them, or a second run, records nothing twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from time import sleep

from gmail_tickets.domain.ingest_context import IngestMode
from gmail_tickets.domain.model import ConnectionStatus
from gmail_tickets.errors import MailHeldBack, TokenRevoked
from gmail_tickets.ports import ConnectionUnit
from gmail_tickets.services.connection_health import mark_connection
from gmail_tickets.services.deps import Deps
from gmail_tickets.services.sync_mailbox import import_messages, sync_mailbox

log = logging.getLogger(__name__)

IMPORT_CHUNK = 50  # progress is written after each chunk
HELD_ROUNDS, HELD_WAIT = 4, 20.0  # mail held behind locked documents: tried again 4 times, 20 s apart


def import_job_name(address: str) -> str:
    """The name a connection's import runs under; one at a time per address."""
    return f"import:{address.lower()}"


def wait_for_import(deps: Deps, address: str, timeout: float | None = 60.0) -> bool:
    """Block until the import of `address` has finished; False on timeout. For tests and the CLI."""
    return deps.jobs.wait(import_job_name(address), timeout)


def import_job(deps: Deps, address: str, ids: list[str], mode: IngestMode) -> Callable[[], None]:
    """A new connection: import `ids` (oldest first) in chunks, writing progress after each."""

    def run() -> None:
        done, held, held_threads = 0, [], set()
        for start in range(0, len(ids), IMPORT_CHUNK):
            chunk = ids[start : start + IMPORT_CHUNK]
            result = import_messages(deps, address, chunk, mode=mode, held_threads=held_threads)
            if result.status != "synced":
                return
            held += result.held
            done += len(chunk)
            _progress(deps, address, done)
        _import_held(deps, address, held, mode)

    return _guarded(deps, address, run)


def _import_held(deps: Deps, address: str, held: list[str], mode: IngestMode) -> None:
    """Mail held back behind locked documents (a killed process's transaction): an import has no cursor to stop
    at, so it tries them again, in order, a few times over about a lock's lifetime, then fails visibly."""
    for _ in range(HELD_ROUNDS):
        if not held:
            return
        sleep(HELD_WAIT)
        held = import_messages(deps, address, held, mode=mode).held
    if held:
        raise MailHeldBack(f"{len(held)} mail(s) stayed locked", retry_after=None)


def gap_sync_job(deps: Deps, address: str, since: datetime | None) -> Callable[[], None]:
    """Reconnected: the mail that came while disconnected, from the stored cursor. When history no longer
    reaches back that far, sync_mailbox falls back to a full sync of UNREAD mail; mail of the gap that was read
    on a phone meanwhile would be lost, so the gap's inbox mail is imported too, read or not (the ledger
    drops what the sync already recorded)."""

    def run() -> None:
        result = sync_mailbox(deps, address)
        if result.full_sync and since is not None:
            after = int(since.timestamp()) - deps.settings.full_sync_margin_seconds
            ids = [ref.id for ref in deps.mailbox_for(address).list_messages(f"in:inbox after:{after}")]
            ids.reverse()  # oldest first
            import_messages(deps, address, ids)

    return _guarded(deps, address, run)


def _guarded(deps: Deps, address: str, run: Callable[[], None]) -> Callable[[], None]:
    def guarded() -> None:
        try:
            run()
        except TokenRevoked as exc:
            mark_connection(deps, address, ConnectionStatus.DISCONNECTED, f"Google access was revoked: {exc}")
        except MailHeldBack as exc:
            log.warning("import held back mail", extra={"connection": address, "error": str(exc)})
            mark_connection(deps, address, ConnectionStatus.ERROR,
                            f"Import stopped: {exc}; connect again to import the rest (nothing is imported twice)")
        except Exception as exc:  # maybe a background thread: record it where the admin looks, never lose it
            log.exception("initial import failed", extra={"connection": address})
            mark_connection(deps, address, ConnectionStatus.ERROR, f"Import failed: {type(exc).__name__}")

    return guarded


def _progress(deps: Deps, address: str, done: int) -> None:
    def work(uow: ConnectionUnit) -> None:
        connection = uow.get_connection(address)
        if connection is not None and done > connection.import_done:
            connection.import_done = min(done, connection.import_total)
            uow.put_connection(connection)

    deps.store.atomically(work)
