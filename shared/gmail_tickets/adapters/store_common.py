"""The Store roles both adapters implement the same way: read a record in a transaction, apply a domain rule,
write what it decided. Each adapter supplies the transaction and the record reads and writes (`RecordTx`);
the rules live here once (and the policy itself in the domain: Lease, OAuthFlow.usable). Firestore settles a
lease step without a transaction (firestore_store/leases.py), applying the same rule."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Protocol, TypeVar

from gmail_tickets.adapters.records import utc
from gmail_tickets.domain.lease import Lease, LeaseStep, LeaseTake
from gmail_tickets.domain.model import OAuthFlow

T = TypeVar("T")
LeaseDecision = Callable[[Lease | None], LeaseStep]  # a pure rule of domain/lease.py over the stored lease


class RecordTx(Protocol):
    """The single-key records of an adapter's transaction."""

    def get_lease(self, key: str) -> Lease | None: ...
    def put_lease(self, lease: Lease) -> None: ...
    def delete_lease(self, key: str) -> None: ...
    def get_oauth_flow(self, nonce: str) -> OAuthFlow | None: ...
    def put_oauth_flow(self, flow: OAuthFlow) -> None: ...
    def delete_oauth_flow(self, nonce: str) -> None: ...


class TransactionRunner:
    """A store that runs a function over its transaction object (committed, retried as the store needs)."""

    def _transaction(self, fn: Callable[[Any], T]) -> T:
        raise NotImplementedError


class LeaseRepoRules(TransactionRunner):
    """LeaseRepo: the domain's take/renew/release rules applied to the stored record.

    Each operation is one pure step over the current record (`decide`); `_settle_lease` reads the record,
    decides and writes what was decided, here in one transaction. A store may settle it otherwise, with the same
    `decide` (Firestore: a compare-and-set by write precondition, firestore_store/leases.py)."""

    def try_lease(self, key: str, holder: str, now: datetime, ttl_seconds: float) -> bool:
        return self.take_lease(key, holder, now, ttl_seconds).taken

    def take_lease(self, key: str, holder: str, now: datetime, ttl_seconds: float,
                   watcher: str | None = None) -> LeaseTake:
        moment, ttl = _utc(now), timedelta(seconds=ttl_seconds)
        step = self._settle_lease(key, lambda current: Lease.take(current, key, holder, moment, ttl, watcher))
        return LeaseTake(step.answer, step.come_back_at)

    def renew_lease(self, key: str, holder: str, now: datetime, ttl_seconds: float) -> bool:
        moment, ttl = _utc(now), timedelta(seconds=ttl_seconds)
        return self._settle_lease(key, lambda current: Lease.renew(current, holder, moment, ttl)).answer

    def release_lease(self, key: str, holder: str) -> bool:
        return self._settle_lease(key, lambda current: Lease.release(current, holder)).answer

    def lease_held(self, key: str, now: datetime) -> bool:
        moment = _utc(now)
        return self._settle_lease(key, lambda current: LeaseStep(current is not None and not current.expired(moment))
                                  ).answer

    def _settle_lease(self, key: str, decide: LeaseDecision) -> LeaseStep:
        def settle(tx: RecordTx) -> LeaseStep:
            step = decide(tx.get_lease(key))
            if step.write is not None:
                tx.put_lease(step.write)
            elif step.delete:
                tx.delete_lease(key)
            return step

        return self._transaction(settle)


def _utc(now: datetime) -> datetime:
    moment = utc(now)
    assert moment is not None
    return moment


class OAuthFlowRepoRules(TransactionRunner):
    """OAuthFlowRepo: a flow is taken once (read and deleted in one transaction, so of concurrent takers only
    the first finds it), and handed out only while usable."""

    def save_oauth_flow(self, flow: OAuthFlow) -> None:
        """Insert or replace by nonce."""
        self._transaction(lambda tx: tx.put_oauth_flow(flow))

    def take_oauth_flow(self, nonce: str, now: datetime) -> OAuthFlow | None:
        moment = _utc(now)

        def take(tx: RecordTx) -> OAuthFlow | None:
            flow = tx.get_oauth_flow(nonce)
            if flow is None:
                return None
            tx.delete_oauth_flow(nonce)
            return flow if flow.usable(moment) else None

        return self._transaction(take)
