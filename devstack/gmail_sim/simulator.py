"""GmailSimulator: the mailboxes plus everything around a call (auth, concurrency, latency, faults,
quota, counters), and the Python API tests and the demo drive it with.

Thread safety: one re-entrant lock guards all mailbox state; sleeps (latency) happen outside it, and the
quota, concurrency, fault and push helpers have their own small locks.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from .api import METHODS, Ctx
from .calls import ApiRequest, Reply, error_reply, json_reply
from .clock import SimClock
from .config import SEND_LIMITS, SimConfig
from .counters import Counters
from .errors import ApiError, unauthenticated
from .faults import Fault, FaultInjector, LatencyTable
from .fields import parse_fields, select
from .oauth import TokenService
from .push import PushCallback, PushHub
from .query import Query
from .quota import UNITS, ConcurrencyGate, RollingBudget, SendWindow, quota_error
from .stamp import Verdicts, stamp
from .state import Mailbox, Message


@dataclass(frozen=True)
class MailboxCredentials:
    """What a client needs to act as the mailbox: hand these to `oauth_credentials(...)`."""

    address: str
    kind: str
    refresh_token: str
    client_id: str
    client_secret: str
    token_uri: str

    def to_json(self) -> dict[str, str]:
        return asdict(self)


def _summary(msg: Message) -> dict[str, Any]:
    p = msg.parsed
    return {
        **msg.minimal(),
        "labelIds": sorted(msg.labels),
        "subject": p.subject,
        "from": p.sender,
        "to": p.to,
        "cc": p.cc,
        "messageId": p.message_id,
        "filenames": p.filenames,
    }


class GmailSimulator:
    """A Gmail stand-in with any number of mailboxes. Serve it with `SimServer(sim).start()`."""

    def __init__(self, config: SimConfig | None = None, clock: SimClock | None = None) -> None:
        self.config = config or SimConfig()
        self.clock = clock or SimClock()
        seed = random.Random(self.config.seed)
        self._rng = random.Random(seed.random())
        self._lock = threading.RLock()
        self._mailboxes: dict[str, Mailbox] = {}
        self.tokens = TokenService(self.config, self.clock, random.Random(seed.random()))
        self.push = PushHub(self.config, self.clock, random.Random(seed.random()))
        self.budget = RollingBudget(self.clock.now, self.config.quota_units_per_minute)
        self.gate = ConcurrencyGate(self.config.max_concurrent_per_user)
        self.send_window = SendWindow(self.clock.now)
        self.faults = FaultInjector()
        self.latency = LatencyTable(self.config.default_latency_ms, self.config.latency_ms)
        self._counters = Counters()
        self.base_url: str | None = None
        """Set by SimServer.start(); credentials' token_uri is `<base_url>/token`."""

    # ==== the call pipeline =================================================================================
    def handle_api(self, req: ApiRequest) -> Reply:
        """One HTTP request: auth, a concurrency slot, latency, then the call."""
        try:
            address = self.tokens.authenticate(req.token)
        except ApiError as error:
            return error_reply(error)
        try:
            with self.gate.slot(address):
                self.sleep_latency(req.method)
                return self.call(address, req)
        except ApiError as error:  # the concurrency cap
            self._counters.call(address, req.method)
            self._counters.error(address, req.method)
            return error_reply(error)

    def authenticate(self, token: str | None) -> str:
        return self.tokens.authenticate(token)

    def sleep_latency(self, method: str) -> None:
        delay = self.latency.seconds(method)
        if delay > 0:
            time.sleep(delay)

    def call(self, address: str, req: ApiRequest) -> Reply:
        """An authenticated call (also one part of a batch): userId, faults, quota, the method."""
        handler = METHODS[req.method]
        self._counters.call(address, req.method)
        try:
            user = req.path_params.get("userId", "me")
            if user != "me" and user.lower() != address.lower():
                raise ApiError(403, f"Delegation denied for {address}", "forbidden")
            fault = self.faults.take(req.method, address)
            if fault is not None:
                raise fault
            units = UNITS.get(req.method, 5)
            if not self.budget.try_spend(address.lower(), units):
                raise quota_error(self.config.quota_error_status)
            self._counters.units(address, req.method, units)
            with self._lock:
                mailbox = self._mailboxes.get(address.lower())
                if mailbox is None:
                    raise unauthenticated()
                result = handler(Ctx(self, mailbox, req))
            if result is None:
                return Reply(204)
            fields = req.param("fields")
            return json_reply(select(result, parse_fields(fields)) if fields else result)
        except ApiError as error:
            self._counters.error(address, req.method)
            return error_reply(error)

    def note_batch(self, address: str) -> None:
        """Count a batch request itself (0 units: its parts pay)."""
        self._counters.call(address, "batch")

    # ==== mailboxes ===========================================================================================
    def add_mailbox(
        self, address: str, kind: str = "gmail", *, send_limit: int | None = None, testing_client: bool = False
    ) -> MailboxCredentials:
        """Create a mailbox (kind "gmail" or "workspace") and grant the simulator's OAuth client access."""
        if kind not in SEND_LIMITS:
            raise ValueError(f"kind must be one of {sorted(SEND_LIMITS)}")
        if "@" not in address:
            raise ValueError(f"not an email address: {address}")
        with self._lock:
            if address.lower() in self._mailboxes:
                raise ValueError(f"mailbox exists: {address}")
            mailbox = Mailbox(
                address,
                kind,
                rng=random.Random(self._rng.random()),
                now=self.clock.now,
                history_step=self.config.history_id_step,
                inline_limit=self.config.inline_body_limit,
                on_change=self.push.changed,
            )
            mailbox.send_limit = send_limit if send_limit is not None else SEND_LIMITS[kind]
            self._mailboxes[address.lower()] = mailbox
            self.tokens.add_account(address, testing_client=testing_client)
        return self.credentials(address)

    def remove_mailbox(self, address: str) -> None:
        with self._lock:
            mailbox = self._mailbox(address)
            del self._mailboxes[mailbox.address.lower()]
            self.tokens.remove_account(mailbox.address)
            self.push.stop(mailbox.address)
            self.send_window.forget(mailbox.address.lower())

    def mailboxes(self) -> list[str]:
        with self._lock:
            return [m.address for m in self._mailboxes.values()]

    def _mailbox(self, address: str) -> Mailbox:
        mailbox = self._mailboxes.get(address.lower())
        if mailbox is None:
            raise KeyError(f"no such mailbox: {address}")
        return mailbox

    def credentials(self, address: str) -> MailboxCredentials:
        with self._lock:
            mailbox = self._mailbox(address)
            return MailboxCredentials(
                address=mailbox.address,
                kind=mailbox.kind,
                refresh_token=self.tokens.refresh_token(mailbox.address),
                client_id=self.config.client_id,
                client_secret=self.config.client_secret,
                token_uri=f"{self.base_url}/token" if self.base_url else "",
            )

    def mailbox_info(self, address: str) -> dict[str, Any]:
        with self._lock:
            mb = self._mailbox(address)
            return {
                **mb.profile(),
                "kind": mb.kind,
                "sendLimit": mb.send_limit,
                "recipientsSent24h": self.send_window.used(mb.address.lower()),
                "quotaUnitsLastMinute": self.budget.used(mb.address.lower()),
                "historyStaleThrough": str(mb.history.stale_through),
                "watch": self.push.watches().get(mb.address),
            }

    # ==== mail ================================================================================================
    def deliver(
        self,
        address: str,
        raw: bytes,
        label_ids: Iterable[str] | None = None,
        *,
        internal_date_ms: int | None = None,
        thread_id: str | None = None,
        auth: Verdicts | None = None,
    ) -> str:
        """Mail arrives from outside: labels INBOX+UNREAD unless given (ids or user label names).
        Threads by In-Reply-To/References and subject, as Gmail does. With `auth`, Gmail's
        Authentication-Results stamp is prepended (stamp.py; none without). Returns the message id."""
        raw = stamp(raw, auth)
        with self._lock:
            mb = self._mailbox(address)
            labels = ["INBOX", "UNREAD"] if label_ids is None else self._label_ids(mb, label_ids)
            return mb.add_message(raw, labels, internal_date_ms=internal_date_ms, thread_id=thread_id).id

    def deliver_locally(self, sender: str, raw: bytes, recipients: Iterable[str]) -> None:
        """With config.local_delivery, mail sent to another simulated mailbox lands in its inbox."""
        if not self.config.local_delivery:
            return
        with self._lock:
            for rcpt in dict.fromkeys(r.lower() for r in recipients):
                if rcpt != sender.lower() and rcpt in self._mailboxes:
                    self._mailboxes[rcpt].add_message(raw, ["INBOX", "UNREAD"])

    @staticmethod
    def _label_ids(mb: Mailbox, names: Iterable[str]) -> list[str]:
        by_name = mb.label_ids_by_name()
        out = []
        for name in names:
            label_id = name if name in mb.labels else by_name.get(name.lower())
            if label_id is None:
                raise ValueError(f"no such label: {name}")
            out.append(label_id)
        return out

    def modify_labels(self, address: str, message_id: str, add: Iterable[str] = (), remove: Iterable[str] = ()) -> None:
        """Change labels as the user would in the Gmail UI (SENT/DRAFT allowed here: it is the simulator)."""
        with self._lock:
            mb = self._mailbox(address)
            mb.modify(mb.get(message_id), self._label_ids(mb, add), self._label_ids(mb, remove))

    def mark_read(self, address: str, message_id: str, read: bool = True) -> None:
        self.modify_labels(address, message_id, *(((), ["UNREAD"]) if read else (["UNREAD"], ())))

    def trash(self, address: str, message_id: str) -> None:
        self.modify_labels(address, message_id, ["TRASH"])

    def untrash(self, address: str, message_id: str) -> None:
        self.modify_labels(address, message_id, (), ["TRASH"])

    def spam(self, address: str, message_id: str) -> None:
        """Report spam: SPAM added, INBOX removed (two history records)."""
        self.modify_labels(address, message_id, ["SPAM"], ["INBOX"])

    def delete(self, address: str, message_id: str) -> None:
        with self._lock:
            mb = self._mailbox(address)
            mb.delete(mb.get(message_id))

    def create_label(self, address: str, name: str) -> str:
        with self._lock:
            return self._mailbox(address).create_label(name, None, None, None).id

    def messages(self, address: str, q: str = "", *, include_spam_trash: bool = True) -> list[dict[str, Any]]:
        """All messages (newest first) matching `q`, summarized for inspection (no quota, no auth)."""
        with self._lock:
            mb = self._mailbox(address)
            query = None
            if q.strip():
                query = Query(
                    q,
                    account=mb.address,
                    label_ids_by_name=mb.label_ids_by_name(),
                    now=self.clock.now(),
                    tz=self.config.query_timezone,
                )
            page = mb.search(query, include_spam_trash=include_spam_trash, max_results=1 << 30)
            return [_summary(mb.messages[m["id"]]) for m in page.get("messages", [])]

    def message(self, address: str, message_id: str) -> dict[str, Any]:
        with self._lock:
            msg = self._mailbox(address).get(message_id)
            return {**_summary(msg), "headers": [{"name": n, "value": v} for n, v in msg.parsed.headers]}

    def raw_message(self, address: str, message_id: str) -> bytes:
        with self._lock:
            return self._mailbox(address).get(message_id).raw

    def profile(self, address: str) -> dict[str, Any]:
        with self._lock:
            return self._mailbox(address).profile()

    def history_id(self, address: str) -> str:
        with self._lock:
            return str(self._mailbox(address).history.current)

    # ==== tokens, history, clock ==============================================================================
    def revoke(self, address: str) -> None:
        """Refresh answers invalid_grant; outstanding access tokens answer 401."""
        with self._lock:
            self.tokens.revoke(self._mailbox(address).address)

    def restore(self, address: str, *, new_refresh_token: bool = False) -> MailboxCredentials:
        with self._lock:
            self.tokens.restore(self._mailbox(address).address, new_refresh_token=new_refresh_token)
        return self.credentials(address)

    def issue_auth_code(self, address: str, redirect_uri: str | None = None) -> str:
        """A code for grant_type=authorization_code without the consent page: any client, no PKCE, always a
        new refresh token. The page (GET /o/oauth2/v2/auth) issues codes bound to client, PKCE and scope."""
        with self._lock:
            return self.tokens.issue_code(self._mailbox(address).address, redirect_uri)

    def access_token(self, address: str) -> str:
        """A valid access token without a refresh round trip (raw HTTP tests, benchmarks)."""
        with self._lock:
            return self.tokens.mint_access_token(self._mailbox(address).address)

    def expire_history(self, address: str | None = None) -> dict[str, str]:
        """Make every history id handed out so far stale (history.list answers 404 for them)."""
        with self._lock:
            boxes = [self._mailbox(address)] if address else list(self._mailboxes.values())
            return {mb.address: str(mb.history.expire_all()) for mb in boxes}

    def advance_clock(self, seconds: float) -> float:
        return self.clock.advance(seconds)

    # ==== faults, latency, limits, counters =====================================================================
    def inject_faults(
        self,
        status: int,
        count: int = 1,
        *,
        method: str = "*",
        address: str = "*",
        reason: str | None = None,
        message: str | None = None,
        retry_after: float | None = None,
    ) -> Fault:
        """The next `count` calls of `method` for `address` fail with `status` (500/503 backendError,
        429 rateLimitExceeded, 403 userRateLimitExceeded or, with reason=, rateLimitExceeded)."""
        if method != "*" and method not in METHODS and method not in ("batch", "token"):
            raise ValueError(f"unknown method: {method}")
        return self.faults.add(Fault(status, count, method, address.lower(), reason, message, retry_after))

    def clear_faults(self) -> None:
        self.faults.clear()

    def set_latency(self, default_ms: float | None = None, per_method: dict[str, float] | None = None) -> None:
        if default_ms is not None:
            self.latency.default_ms = default_ms
        if per_method:
            self.latency.per_method_ms.update(per_method)

    def set_send_limit(self, address: str, limit: int) -> None:
        with self._lock:
            self._mailbox(address).send_limit = limit

    def set_quota(self, per_minute: int | None = None, concurrency: int | None = None) -> None:
        if per_minute is not None:
            self.budget.limit = per_minute
        if concurrency is not None:
            self.gate.cap = concurrency

    def counters(self, address: str | None = None) -> dict[str, Any]:
        """Per mailbox: {"calls", "units", "errors", "methods": {method: {"calls", "units", "errors"}}}."""
        if address is not None:
            return self._counters.snapshot(self._mailbox(address).address)
        return {a: self._counters.snapshot(a) for a in self._counters.addresses()}

    def reset_counters(self, address: str | None = None) -> None:
        self._counters.reset(self._mailbox(address).address if address else None)

    # ==== push ===================================================================================================
    def set_push_callback(self, callback: PushCallback | None) -> None:
        """fn(email_address, history_id_string), called from a push thread, paced like Gmail."""
        self.push.set_callback(callback)

    def configure_push(self, **settings: Any) -> dict[str, Any]:
        """url=, pubsub_topic=, subscription=, delay_s=, drop_rate=, min_interval_s=."""
        return self.push.configure(**settings)

    def close(self) -> None:
        self.push.close()
