"""Everything about the simulator that a test, the demo or a benchmark may want to turn."""

from __future__ import annotations

from dataclasses import dataclass, field

GMAIL_SCOPE = "https://www.googleapis.com/auth/gmail.modify"
SEND_LIMITS = {"gmail": 500, "workspace": 2000}
DAY = 86400.0


@dataclass
class SimConfig:
    """Defaults follow Gmail; tests shrink the slow ones (push interval) rather than sleep."""

    seed: int | None = None
    """Seeds ids, tokens, history gaps and push drops: the same seed replays the same run."""

    client_id: str = "gmail-sim-client.apps.googleusercontent.com"
    client_secret: str = "gmail-sim-secret"
    extra_clients: dict[str, str] = field(default_factory=dict)
    """Further OAuth clients (client_id → secret): codes and refresh tokens are bound to the client they were
    issued to, and a second client is how a test shows it."""
    access_token_ttl_s: int = 3599

    quota_units_per_minute: int = 15_000
    quota_error_status: int = 429
    """429 rateLimitExceeded (what Gmail mostly answers today) or 403 userRateLimitExceeded (older)."""
    max_concurrent_per_user: int = 10
    max_batch_parts: int = 100

    default_latency_ms: float = 0.0
    latency_ms: dict[str, float] = field(default_factory=dict)
    """Per-method override, keyed by method name ("messages.get"; "batch" for a whole batch request)."""

    history_retention_s: float = 7 * DAY
    history_id_step: tuple[int, int] = (2, 9)
    """Each history id is the previous plus a random step in this range: ids increase WITH gaps."""

    inline_body_limit: int = 64 * 1024
    """format=full: leaf parts bigger than this (and every part with a filename) come as body.attachmentId."""

    query_timezone: str = "America/Los_Angeles"
    """Gmail reads YYYY/MM/DD in search queries as midnight Pacific time."""

    watch_ttl_s: float = 7 * DAY
    push_min_interval_s: float = 1.0
    push_delay_s: float = 0.0
    push_drop_rate: float = 0.0
    push_url: str | None = None
    push_subscription: str | None = None
    push_pubsub_topic: str | None = None
    """Overrides the topic from users.watch when publishing to the Pub/Sub emulator."""
    push_pubsub_emulator_host: str | None = None
    """host:port of a Pub/Sub emulator to publish to; else PUBSUB_EMULATOR_HOST from the environment."""
    push_http_retries: int = 2

    max_recipients_per_message: int = 100
    local_delivery: bool = False
    """Mail sent to another simulated mailbox also lands in its inbox (the demo's customer mailbox)."""
    refresh_token_ttl_testing_s: float = 7 * DAY
    """Refresh tokens of mailboxes flagged `testing_client` expire after this long (OAuth app in Testing)."""
