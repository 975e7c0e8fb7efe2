"""Tunable behaviour, as one plain value. `config` fills it from the environment (each field names its variable);
tests build it directly."""

from __future__ import annotations

from dataclasses import dataclass

from gmail_tickets.env_fields import setting


@dataclass(frozen=True)
class Settings:
    label_name: str = setting("Helpdesk", "GT_LABEL_NAME", "The courtesy label put on imported mail.")
    push_topic: str = setting(
        "projects/demo-local/topics/gmail-push", "GT_PUSH_TOPIC",
        "Where users.watch sends Gmail's notifications; unset: `projects/$GOOGLE_CLOUD_PROJECT/topics/gmail-push`.")
    sync_topic: str = setting("mailbox-sync", "GT_SYNC_TOPIC",
                              "Where the sweep's shard checks ask for a sync of a mailbox with something new.")
    sweep_topic: str = setting("mailbox-sweep", "GT_SWEEP_TOPIC", "Where the sweep publishes its shards.")
    sweep_shard_size: int = setting(100, "GT_SWEEP_SHARD_SIZE", "Mailboxes per sweep shard (one Pub/Sub message).")
    sweep_check_workers: int = setting(50, "GT_SWEEP_CHECK_WORKERS", "Mailboxes of a shard checked at once.")
    # The sweep fits its minute however many mailboxes there are: it resumes where an earlier one ran out of time,
    # and the checks it fans out to write nothing for an idle mailbox (docs/architecture.md, "Flows").
    sweep_budget_seconds: float = setting(
        40.0, "GT_SWEEP_BUDGET_SECONDS",
        "A sweep that has paged this long saves its position and stops; the next minute's sweep goes on from there.")
    sync_mark_every_seconds: int = setting(
        1800, "GT_SYNC_MARK_EVERY_SECONDS",
        "An idle mailbox's check writes nothing; once its last sync is this old the check asks for a sync anyway, "
        "which advances the cursor and notes the sync time the console shows.")
    # Short and renewed every third of it while the sync runs (services/heartbeat.py): a dead holder stalls its
    # mailbox about this long, a live one keeps it however long the sync takes. 10 s: a SIGKILL's stall is this
    # plus the restart and the sync's own Gmail retries, and the soak's bar for it is 35 s (docs/benchmarks.md).
    lease_seconds: float = setting(
        10.0, "GT_LEASE_SECONDS", "One sync per mailbox at a time; its holder renews the lease every third of this "
        "while it works, and a crashed holder's lease lapses after it.")
    fetch_chunk: int = setting(
        100, "GT_FETCH_CHUNK", "Mails fetched and committed per step (the Gmail adapter batches gets by 50).")
    full_sync_margin_seconds: int = setting(
        3600, "GT_FULL_SYNC_MARGIN_SECONDS",
        "A full sync after Gmail forgot our history id (404) looks back this far before the last sync.")
    initial_lookback_seconds: int = setting(
        3600, "GT_INITIAL_LOOKBACK_SECONDS", "A connection never synced imports unread mail this recent.")
    watch_renew_before_seconds: int = setting(
        24 * 3600, "GT_WATCH_RENEW_BEFORE_SECONDS", "A Gmail watch expiring within this (or none) is renewed at "
        "the next check, whatever the mailbox's daily renewal time.")
    max_message_bytes: int = setting(
        20 * 1024 * 1024, "GT_MAX_MESSAGE_BYTES", "Larger mail becomes a ticket that links to Gmail instead.")
    burst_threshold: int = setting(
        20, "GT_BURST_THRESHOLD", "More mails than this from one sender within the burst window are suspended.")
    burst_window_seconds: int = setting(600, "GT_BURST_WINDOW_SECONDS", "The window `GT_BURST_THRESHOLD` counts in.")
    burst_domain_threshold: int = setting(
        100, "GT_BURST_DOMAIN_THRESHOLD", "More mails than this from one sending (organizational) domain within the "
        "burst window are suspended: rotating From addresses. Raise it when many customers share a domain.")
    ack_min_interval_seconds: int = setting(
        600, "GT_ACK_MIN_INTERVAL_SECONDS", "At most one acknowledgement (automatic mail) per recipient this often.")
    ack_ceiling_per_hour: int = setting(
        200, "GT_ACK_CEILING_PER_HOUR", "Acknowledgements per support account per hour; beyond it they are skipped.")
    list_mail_is_bulk: bool = setting(
        True, "GT_LIST_MAIL_IS_BULK", "Mail with `Precedence: list` or `List-Id` is suspended like bulk mail.")
    outbound_topic: str = setting(
        "outbound-mail", "GT_OUTBOUND_TOPIC", "Where notifications wait for the send function.")
    send_limit: int | None = setting(
        None, "GT_SEND_LIMIT", "Recipients per 24 h sent via Gmail; unset: 500 (Gmail) or 2,000 (Workspace).")
    # Renewed every third of it while the sender works (services/heartbeat.py), however long a send takes.
    send_lease_seconds: float = setting(
        30.0, "GT_SEND_LEASE_SECONDS", "A sender holds a notification this long between renewals (every third of "
        "it while it works); once it lapses, a crash is assumed.")
    # Gmail's search may not show a mail sent seconds ago.
    send_recheck_seconds: float = setting(
        60.0, "GT_SEND_RECHECK_SECONDS", "After an unclear Gmail answer, or once a Gmail sender's lease lapsed, wait "
        "this long before searching SENT for the mail.")
    send_max_attempts: int = setting(
        5, "GT_SEND_MAX_ATTEMPTS", "Gmail attempts per notification (rate limited, or unclear and then searched) "
        "before the relay takes it.")
    send_retry_first_seconds: float = setting(
        30.0, "GT_SEND_RETRY_FIRST_SECONDS", "The first wait after a transient send failure; it doubles (jittered) "
        "with each attempt.")
    send_retry_ceiling_seconds: float = setting(
        900.0, "GT_SEND_RETRY_CEILING_SECONDS", "The longest wait between two attempts of a retrying notification.")
    send_retry_budget_seconds: float = setting(
        86400.0, "GT_SEND_RETRY_BUDGET_SECONDS", "How long after its first transient failure a notification is "
        "retried before it fails visibly (like a mail server's queue lifetime).")
    send_limit_block_seconds: int = setting(
        3600, "GT_SEND_LIMIT_BLOCK_SECONDS", "After Gmail's sending-limit error, mail goes via the relay only "
        "for this long, when Gmail names no retry time.")
    outbox_republish_after_seconds: int = setting(
        60, "GT_OUTBOX_REPUBLISH_AFTER_SECONDS", "The sweep republishes notifications left queued this long.")
    # Separate pools, so a slow or rate-limited send never holds a worker that new mail needs, and vice versa.
    ingest_workers: int = setting(
        4, "GT_INGEST_WORKERS", "On one machine (`serve`): threads that sync mailboxes (pushes, the sweep's requests), "
        "each mailbox on one thread at a time. A sync mostly waits for Gmail (three round trips), so threads overlap "
        "those waits; more threads also make smaller syncs (more Gmail calls and CPU per mail) and each keeps its "
        "own Gmail clients (GT_GMAIL_CLIENT_CACHE of them).")
    # Lanes (services/mail_lanes.py): mail sharing a Gmail thread, a sender's organization or a Message-ID goes one
    # after another; a mail's wall time is mostly round trips to the store, which lanes overlap.
    sync_mail_workers: int = setting(
        4, "GT_SYNC_MAIL_WORKERS", "Mails of one sync recorded at the same time (1: one by one). Mails sharing a "
        "Gmail thread, a sender's organization or a Message-ID are always recorded one after another, in order.")
    send_workers: int = setting(
        2, "GT_SEND_WORKERS", "On one machine (`serve`): threads that send notifications, apart from the syncing ones.")
    token_cache_size: int = setting(
        10_000, "GT_TOKEN_CACHE_SIZE", "Mailboxes whose Gmail access token a process keeps in memory until shortly "
        "before it expires (least recently used dropped first); a sync of one of them reads no secret.")
    outbox_retry_batch: int = setting(
        200, "GT_OUTBOX_RETRY_BATCH", "Retrying notifications whose time came that one sweep publishes (oldest due "
        "first); the rest wait for the next sweep.")
    # services/send_webhook.py: webhooks' own retry timing, apart from the notifications' GT_SEND_RETRY_*.
    webhook_retry_first_seconds: float = setting(30.0, "GT_WEBHOOK_RETRY_FIRST_SECONDS", (
        "The first wait after a failed webhook post; it doubles with each attempt."))
    webhook_retry_ceiling_seconds: float = setting(900.0, "GT_WEBHOOK_RETRY_CEILING_SECONDS", (
        "The longest wait between two attempts of a webhook delivery."))
    webhook_retry_budget_seconds: float = setting(86400.0, "GT_WEBHOOK_RETRY_BUDGET_SECONDS", (
        "How long after its first failed post a webhook delivery is retried before it is failed in the log (and "
        "the ticket's later deliveries go on)."))
    webhook_allow_private: bool = setting(
        False, "GT_WEBHOOK_ALLOW_PRIVATE", "Allow webhook targets on private, loopback and link-local addresses "
        "(for tests on one machine only; never in the cloud, where they would reach internal services).")
    close_solved_after_days: float = setting(
        4, "GT_CLOSE_SOLVED_AFTER_DAYS", "Days a solved ticket stays solved before the sweep closes it (Zendesk's "
        "default: 4); a closed ticket never changes, and mail answering it opens a follow-up ticket.")
    api_export_settle_seconds: float = setting(
        30.0, "GT_API_EXPORT_SETTLE_SECONDS", "The incremental export leaves out changes younger than this, so a "
        "change committed late (a slow transaction, another instance's clock) is never passed by a cursor.")
    api_requests_per_minute: int = setting(
        120, "GT_API_REQUESTS_PER_MINUTE", "REST API requests one token may make per minute (per instance in the "
        "cloud); beyond it the API answers 429 with Retry-After.")
    # Issue 18: what one mail costs must not grow with the number of mailboxes, nor one process's memory with them.
    gmail_client_cache: int = setting(
        64,
        "GT_GMAIL_CLIENT_CACHE",
        "Gmail clients kept per worker thread (least recently used dropped first); each holds ~0.4 MB, so memory "
        "stays bounded however many mailboxes one instance syncs.",
    )
    # services/own_addresses.py: "is this address ours?" answered by key, remembered a short while.
    support_address_cache: int = setting(10_000, "GT_SUPPORT_ADDRESS_CACHE", (
        "Addresses remembered per process as ours or not ours (read by address, least recently used dropped "
        "first), so a mail, a connect or a reply never reads every support address."))
    support_address_cache_seconds: float = setting(60.0, "GT_SUPPORT_ADDRESS_CACHE_SECONDS", (
        "How long an address is remembered as ours or not ours; a support address added elsewhere is known to "
        "every process within this."))
    # services/owed_labels.py: labelling each mail costs 5 units, a batchModify of up to 1,000 costs 50.
    label_batch: int = setting(
        100,
        "GT_LABEL_BATCH",
        "The courtesy label is owed per mailbox and put on in one call once this many mails are owed (one "
        "batchModify, 50 quota units, where labelling each costs 5), or ...",
    )
    label_delay_seconds: float = setting(120.0, "GT_LABEL_DELAY_SECONDS", (
        "... at the first sync after the oldest owed label waited this long (the sweep asks for that sync; what "
        "is owed is kept on the connection, so it outlives the process). 0 labels at the end of every sync."))
    # adapters/firestore_store/tickets.py: ticket numbers come in blocks, document ids are scattered.
    ticket_id_block: int = setting(
        500,
        "GT_TICKET_ID_BLOCK",
        "Firestore: ticket numbers each process reserves at once from counters/tickets (one write per block); "
        "numbers stay increasing, with gaps when a process ends mid-block.",
    )
