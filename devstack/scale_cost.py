"""A month's Google Cloud bill from `bench scale`'s figures: idle mailboxes, plus mail. List prices as assumed in
docs/scale.md (USD, us-central1 / Tier 1, no free tier, no committed-use discount); change PRICES to re-price.

Each published message is one function invocation in the cloud (Pub/Sub pushes it to a function). The billed
instance time of an idle check is modelled, not taken from the wall clock of a shared machine: the CPU seconds the
bench process spent over the measured tick (sweep, shard handlers, broker: all of it, so an upper bound of the
handlers' own), per mailbox, plus the Gmail waits a shard's check threads cannot overlap (`wait_s`: rounds of
history.list at the simulator's latency, per mailbox) — what a function instance handling the shard alone would be
busy for, whatever the load of the machine that measured it. Figures without them (older runs) fall back to the
tick's wall seconds times the workers busy. Mail: the run's seconds times the workers, spread over the mails
(Cloud Run bills request time rounded up to 100 ms, so at least that per call).
"""

from __future__ import annotations

from typing import Any

TICKS_PER_MONTH = 60 * 24 * 30  # the sweep's minute
DAYS_PER_MONTH = 30
PRICES = {
    "firestore_read": 0.03 / 100_000,
    "firestore_write": 0.09 / 100_000,
    "firestore_delete": 0.01 / 100_000,
    "secret_access": 0.03 / 10_000,
    "invocation": 0.40 / 1_000_000,
    "vcpu_second": 0.000024,
    "gib_second": 0.0000025,
    "pubsub_byte": 40 / 2**40,  # $40 per TiB, publish and delivery each, at least 1,000 bytes a message
    "kms_operation": 0.03 / 10_000,
}
# What a mailbox costs a month that no tick shows (docs/tokens.md, option B, the cloud's token store): an access
# token minted every 55 minutes by each of ~3 instances, each a Firestore read of the sealed refresh token, and a
# KMS decrypt the first time an instance sees that token (instances living ~6 hours); the watch renewed once a day
# (a transaction: a read and a write). Embedded (SQLite) keeps tokens in a local file: nothing billed.
TOKEN_READS_PER_MONTH = 2_400
TOKEN_DECRYPTS_PER_MONTH = 365
WATCH_RENEWALS_PER_MONTH = 30
VCPU, GIB = 1.0, 0.5  # the ingest function's size (infra/terraform)
MIN_BILLED_S = 0.1
MESSAGE_BYTES = 1000


def unit_cost(*, reads: float, writes: float, deletes: float, secret_reads: float, publishes: float,
              busy_s: float) -> float:
    """Dollars for one piece of work (one idle mailbox-tick, or one mail)."""
    p = PRICES
    billed_s = max(busy_s, MIN_BILLED_S * publishes) if publishes else busy_s
    return (reads * p["firestore_read"] + (writes - deletes) * p["firestore_write"] + deletes * p["firestore_delete"]
            + secret_reads * p["secret_access"] + publishes * p["invocation"]
            + billed_s * (VCPU * p["vcpu_second"] + GIB * p["gib_second"])
            + publishes * 2 * MESSAGE_BYTES * p["pubsub_byte"])


def idle_busy_s(idle: dict[str, Any], mailboxes: int, workers: int) -> float:
    """Instance seconds per idle mailbox-tick: CPU + unhidden Gmail wait when measured, else wall x workers."""
    if "cpu_s" in idle and "wait_s" in idle:
        return float(idle["cpu_s"]) / mailboxes + float(idle["wait_s"])
    return float(idle["tick_s"]) * workers / mailboxes


def idle_per_mailbox_month(idle: dict[str, Any], mailboxes: int, workers: int) -> float:
    busy_s = idle_busy_s(idle, mailboxes, workers)
    return TICKS_PER_MONTH * unit_cost(reads=idle["reads"], writes=idle["writes"], deletes=idle["deletes"],
                                       secret_reads=idle["secret_reads"], publishes=idle["publishes"],
                                       busy_s=busy_s)


def beyond_ticks_per_mailbox_month(store: str) -> float:
    """Dollars a mailbox-month for its access tokens and watch renewals (see the constants above)."""
    if store != "firestore":
        return 0.0
    p = PRICES
    return (TOKEN_READS_PER_MONTH * p["firestore_read"] + TOKEN_DECRYPTS_PER_MONTH * p["kms_operation"]
            + WATCH_RENEWALS_PER_MONTH * (p["firestore_read"] + p["firestore_write"]))


def per_mail(active: dict[str, Any], workers: int) -> float:
    writes = active.get("billed_writes_per_mail", active["writes_per_ticket"] or 0.0)  # older figures: the sum
    busy_s = active["seconds"] * workers / max(1, active["ledgered"])
    return unit_cost(reads=active["reads_per_mail"], writes=writes, deletes=active["deletes_per_mail"],
                     secret_reads=active["secret_reads_per_mail"], publishes=active["publishes_per_mail"],
                     busy_s=busy_s)


def monthly(figures: dict[str, Any], *, workers: int, mailboxes: tuple[int, ...] = (1_000, 10_000),
            mails_per_day: int = 1_000_000) -> dict[str, float]:
    """Dollars a month: idle per mailbox (its ticks, its tokens and watch), idle for each fleet size, and the mail
    on top."""
    ticks = idle_per_mailbox_month(figures["idle"], figures["mailboxes"], workers)
    beyond = beyond_ticks_per_mailbox_month(figures.get("store", "firestore"))
    idle = ticks + beyond
    out = {"idle_per_mailbox": round(idle, 4), "idle_ticks_per_mailbox": round(ticks, 4),
           "idle_tokens_and_watch_per_mailbox": round(beyond, 4),
           "idle_instance_ms": round(idle_busy_s(figures["idle"], figures["mailboxes"], workers) * 1000, 2)}
    out.update({f"idle_{n}": round(idle * n, 2) for n in mailboxes})
    if figures.get("active"):
        out[f"mail_{mails_per_day}_per_day"] = round(per_mail(figures["active"], workers) * mails_per_day
                                                     * DAYS_PER_MONTH, 2)
    return out
