"""Tunable behaviour, as one plain value. `bootstrap` fills it from the environment; tests build it directly."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Settings:
    label_name: str = "Helpdesk"  # the courtesy label we put on imported mail
    push_topic: str = "projects/demo-local/topics/gmail-push"  # where users.watch sends notifications
    sync_topic: str = "mailbox-sync"  # where the sweep asks for a sync of each mailbox
    lease_seconds: float = 120.0  # one sync per mailbox; a crashed holder's lease lapses after this
    fetch_chunk: int = 100  # mails fetched and committed per step (the adapter batches gets by 50)
    full_sync_margin_seconds: int = 3600  # a full sync after a history 404 looks back this far before last sync
    initial_lookback_seconds: int = 3600  # a connection without a last sync imports unread mail this recent
    watch_renew_before_seconds: int = 24 * 3600  # the sweep renews watches expiring within this
    max_message_bytes: int = 20 * 1024 * 1024  # larger mail becomes a ticket that links to Gmail instead
    burst_threshold: int = 20  # more mails than this from one sender within the window are suspended
    burst_window_seconds: int = 600
    list_mail_is_bulk: bool = True  # Precedence: list / List-Id mail is suspended like bulk mail
    outbound_topic: str = "outbound-mail"  # where notifications wait for the send function
    send_limit: int | None = None  # recipients per 24 h via Gmail; None: 500 Gmail / 2,000 Workspace
    send_lease_seconds: float = 360.0  # a sender holds a notification this long; after, a crash is assumed. Longer
    # than any send can take (the send function's timeout is 300 s; a Gmail send retries for ~70 s at most)
    send_recheck_seconds: float = 60.0  # after an unclear Gmail answer, wait this long before searching SENT
    # (Gmail's search may not show a mail sent seconds ago)
    send_max_attempts: int = 5  # deliveries tried per notification before it fails visibly
    send_limit_block_seconds: int = 3600  # after Gmail's limit error, the relay only, for this long
    outbox_republish_after_seconds: int = 60  # the sweep republishes notifications left queued this long
