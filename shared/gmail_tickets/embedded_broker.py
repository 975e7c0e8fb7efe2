"""The embedded runtime's broker, as `bootstrap.embedded_runtime` wires it: the in-process Pub/Sub with a pool of
workers for syncing and one for sending, so neither can starve the other.

The syncing pool coalesces a mailbox's requests (adapters/fair_queue.py): a mailbox is synced by one worker at a
time, and the pushes and sync requests that come while it is queued or syncing are folded into the one waiting
request (services/ingest.merged_request). A burst of N mails to one mailbox then costs about two syncs, not N, and
a sync that starts later records more mail per Gmail round trip. The sweep's shards are not coalesced.
"""

from __future__ import annotations

from gmail_tickets.adapters.fair_queue import Coalesce
from gmail_tickets.adapters.local_publisher import LocalPublisher, Pool
from gmail_tickets.services.ingest import merged_request
from gmail_tickets.settings import Settings

PUSH_TOPIC = "gmail-push"  # Gmail's notifications, as the simulator or a push endpoint hands them in


def embedded_broker(settings: Settings, workers: int | None = None) -> LocalPublisher:
    """`workers` sizes both pools (tests), else GT_INGEST_WORKERS and GT_SEND_WORKERS."""
    syncs = Coalesce(frozenset({PUSH_TOPIC, settings.sync_topic}), merged_request)
    return LocalPublisher(workers=1, pools=(
        Pool("ingest", workers or settings.ingest_workers, (PUSH_TOPIC, settings.sync_topic, settings.sweep_topic),
             syncs),
        Pool("send", workers or settings.send_workers, (settings.outbound_topic,)),
    ))
