"""The one place that reads configuration and wires adapters into the use cases.

Everything else receives its collaborators; only this module (and bootstrap_web.py, which builds the console and
the REST API on what this wires) knows which store, publisher, secrets and Gmail endpoint are in use. Heavy client
libraries are imported only for the adapters actually chosen, which keeps the cold start of a Cloud Function short.
"""

from __future__ import annotations

import os
import socket
import threading
import uuid
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gmail_tickets import secret_names
from gmail_tickets.adapters.gmail_provider import GmailMailboxProvider
from gmail_tickets.adapters.inline_jobs import InlineJobs
from gmail_tickets.adapters.mailbox_tokens import MailboxTokens
from gmail_tickets.adapters.system_clock import SystemClock
from gmail_tickets.config import Config
from gmail_tickets.domain.ticket_token import TicketTokens, generate_key
from gmail_tickets.google_endpoints import GOOGLE_TOKEN_URI
from gmail_tickets.ports import (
    BlobStore,
    Clock,
    JobRunner,
    Publisher,
    RefreshTokens,
    Relay,
    Secrets,
    Store,
    WebhookTransport,
)
from gmail_tickets.services.deps import Deps
from gmail_tickets.services.oauth_setup import OAuthSetup
from gmail_tickets.services.own_addresses import OwnAddresses
from gmail_tickets.services.refresh_tokens import SecretRefreshTokens

if TYPE_CHECKING:
    from gmail_tickets.adapters.gmail_retry import RetryPolicy
    from gmail_tickets.embedded import EmbeddedRuntime


STATE_FOLDER = ".var"  # where the default paths of the embedded product's files point (config.py)


def build_store(config: Config) -> Store:
    if config.store == "firestore":
        from gmail_tickets.adapters.firestore_store import FirestoreStore

        return FirestoreStore(project=config.project, prefix=config.firestore_prefix,
                              id_block=config.settings.ticket_id_block)
    from gmail_tickets.adapters.sqlite_store import SqliteStore

    state_folder(Path(config.sqlite_path).parent)
    return SqliteStore(config.sqlite_path)


def state_folder(folder: Path) -> Path:
    """A folder of the embedded product's files, made 0700 when new. An existing one is tightened only when it
    is the default state folder `.var` (ours by convention): a configured path may sit in a shared folder."""
    from gmail_tickets.adapters.private_files import DIR_MODE, private_folder, tighten

    private_folder(folder)
    if folder.name == STATE_FOLDER:
        tighten(folder, DIR_MODE)
    return folder


def build_secrets(config: Config) -> Secrets:
    if config.secrets == "secretmanager":
        from gmail_tickets.adapters.secret_manager import SecretManagerSecrets

        return SecretManagerSecrets(project=config.project)
    if config.secrets != "file":
        raise ValueError(f"GT_SECRETS={config.secrets!r}: 'file' or 'secretmanager'")
    from gmail_tickets.adapters.local_secrets import FileSecrets

    state_folder(Path(config.secrets_file).parent)
    return FileSecrets(config.secrets_file)


def build_publisher(config: Config) -> Publisher:
    if config.publisher == "pubsub":
        from gmail_tickets.adapters.pubsub_publisher import PubSubPublisher

        return PubSubPublisher(project=config.project)
    from gmail_tickets.adapters.local_publisher import LocalPublisher

    return LocalPublisher()


def oauth_setup(config: Config, secrets: Secrets) -> OAuthSetup | None:
    """The deployer's OAuth client, for the console's connect pages and the `connect` command alike; None (the
    connect pages answer 503) until both the client id and its secret are configured."""
    from gmail_tickets.adapters import google_oauth

    client_secret = secrets.get(secret_names.OAUTH_CLIENT_SECRET)
    if not config.oauth_client_id or not client_secret:
        return None
    client = google_oauth.GoogleOAuth(client_id=config.oauth_client_id, client_secret=client_secret,
                                      token_uri=config.token_uri or GOOGLE_TOKEN_URI,
                                      revoke_uri=config.oauth_revoke_uri,
                                      gmail_root_url=config.gmail_root_url)
    return OAuthSetup(client_id=config.oauth_client_id, auth_uri=config.oauth_auth_uri, client=client)


def build_blobs(config: Config) -> BlobStore:
    if config.blobs == "gcs":
        from gmail_tickets.adapters.gcs_blobs import GcsBlobs

        return GcsBlobs(config.bucket, project=config.project)
    from gmail_tickets.adapters.local_blobs import FileBlobs

    state_folder(Path(config.blobs_dir).parent)
    return FileBlobs(config.blobs_dir)


def build_relay(config: Config, secrets: Secrets) -> Relay | None:
    """The SMTP relay, or None when none is configured (mail that needs it then fails visibly)."""
    if not config.relay_host:
        return None
    import ssl

    from gmail_tickets.adapters.smtp_relay import SmtpRelay

    context = ssl.create_default_context(cafile=config.relay_ca_file) if config.relay_ca_file else None
    password = (lambda: secrets.get(secret_names.RELAY_PASSWORD)) if config.relay_username else None
    return SmtpRelay(config.relay_host, config.relay_port, username=config.relay_username, password=password,
                     starttls=config.relay_starttls, ssl_context=context)


def build_clock(config: Config) -> Clock:
    """Wall time, or (devstack) wall time plus the offset in GT_CLOCK_OFFSET_FILE, which the chaos soak moves
    forward for every process of the product at once."""
    if config.clock_offset_file:
        from gmail_tickets.adapters.offset_clock import OffsetClock

        return OffsetClock(config.clock_offset_file)
    return SystemClock()


def mailbox_tokens(config: Config, secrets: Secrets, store: Store) -> MailboxTokens:
    """Access tokens cached in memory; refresh tokens sealed under the KMS key in Firestore when one is
    configured (tokens kept as secrets before are still read), else one secret per mailbox (docs/tokens.md).
    The client secret is read at the first refresh, not here: it may be set after wiring."""
    from gmail_tickets.adapters.cached_credentials import GoogleTokenRefresher

    refresher = GoogleTokenRefresher(config.oauth_client_id, lambda: secrets.get(secret_names.OAUTH_CLIENT_SECRET),
                                     config.token_uri or GOOGLE_TOKEN_URI)
    return MailboxTokens(refresh_token_store(config, secrets, store), refresher,
                         capacity=config.settings.token_cache_size)


def refresh_token_store(config: Config, secrets: Secrets, store: Store) -> RefreshTokens:
    per_secret = SecretRefreshTokens(secrets)
    if not config.token_kms_key:
        return per_secret
    from gmail_tickets.adapters.firestore_store import FirestoreStore

    if not isinstance(store, FirestoreStore):
        raise ValueError("GT_TOKEN_KMS_KEY seals refresh tokens in Firestore: it needs GT_STORE=firestore")
    from gmail_tickets.adapters.cloud_kms import CloudKmsKey
    from gmail_tickets.adapters.sealed_tokens import SealedRefreshTokens

    return SealedRefreshTokens(store.client, CloudKmsKey(config.token_kms_key), prefix=store.prefix,
                               fallback=per_secret, capacity=config.settings.token_cache_size)


def build_webhook_transport(config: Config) -> WebhookTransport:
    """Webhook posts over `requests`, refusing private targets unless GT_WEBHOOK_ALLOW_PRIVATE (tests) says."""
    from gmail_tickets.adapters.webhook_http import RequestsWebhookTransport

    return RequestsWebhookTransport(allow_private=config.settings.webhook_allow_private)


def ticket_tokens(secrets: Secrets) -> TicketTokens:
    """The key that signs our Message-IDs. Created on first use when absent (in the cloud, Terraform creates it,
    so instances never race to make two)."""
    key = secrets.get(secret_names.TICKET_TOKEN_KEY)
    if key is None:
        key = generate_key().hex()
        secrets.put(secret_names.TICKET_TOKEN_KEY, key)
    return TicketTokens(bytes.fromhex(key))


def build(
    config: Config | None = None,
    *,
    store: Store | None = None,
    secrets: Secrets | None = None,
    publisher: Publisher | None = None,
    clock: Clock | None = None,
    blobs: BlobStore | None = None,
    gmail_retry: RetryPolicy | None = None,
    relay: Relay | None = None,
    jobs: JobRunner | None = None,
) -> Deps:
    """Wire the use cases' dependencies; any of them may be passed in (tests, the demo). Jobs run inline unless
    a runner is given: nothing is left running when a call returns (what a function and the direct callers of
    the use cases need); the runtimes of one machine pass threads."""
    config = config or Config.from_env()
    secrets = secrets or build_secrets(config)
    store = store or build_store(config)
    tokens = mailbox_tokens(config, secrets, store)
    return Deps(
        store=store,
        mailbox_for=GmailMailboxProvider(tokens, config.gmail_root_url, gmail_retry,
                                         max_clients=config.settings.gmail_client_cache),
        refresh_tokens=tokens,
        publisher=publisher or build_publisher(config),
        secrets=secrets,
        clock=clock or build_clock(config),
        blobs=blobs or build_blobs(config),
        tokens=ticket_tokens(secrets),
        settings=config.settings,
        holder=f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}",
        relay=relay or build_relay(config, secrets),
        jobs=jobs or InlineJobs(),
        webhook_transport=build_webhook_transport(config),
        own_addresses=OwnAddresses(config.settings.support_address_cache,
                                   config.settings.support_address_cache_seconds),
    )


_config: Config | None = None
_deps: Deps | None = None
_deps_lock = threading.Lock()


def config() -> Config:
    """The process-wide configuration, read from the environment once."""
    global _config
    with _deps_lock:
        if _config is None:
            _config = Config.from_env()
        return _config


def deps() -> Deps:
    """The process-wide dependencies of a function instance, built on its first event. Jobs run inline: the
    instance may be frozen as soon as it has answered, which would stall a thread mid-job."""
    global _deps
    cfg = config()
    with _deps_lock:
        if _deps is None:
            _deps = build(cfg, jobs=InlineJobs())
        return _deps


def describe(config: Config) -> dict[str, Any]:
    """What is wired, for a start-up log line (no secrets)."""
    return {"store": config.store, "secrets": config.secrets, "publisher": config.publisher, "blobs": config.blobs,
            "project": config.project, "gmail": config.gmail_root_url or "google",
            "relay": f"{config.relay_host}:{config.relay_port}" if config.relay_host else None}


def local_config(env: Mapping[str, str] | None = None) -> Config:
    """`serve` and `connect` against real Gmail on this machine: GT_* variables, with Gmail push off (there is no
    Pub/Sub topic here for Gmail to push to: the sweep's sync is the delivery path)."""
    return replace(Config.from_env(None if env is None else dict(env)), gmail_push=False)


def adopt_client_secret(secrets: Secrets, env: Mapping[str, str]) -> str | None:
    """GT_OAUTH_CLIENT_SECRET, when set, is kept in Secrets (once is enough), where every later run reads it
    from. The stored secret, or None."""
    if env.get("GT_OAUTH_CLIENT_SECRET"):
        secrets.put(secret_names.OAUTH_CLIENT_SECRET, env["GT_OAUTH_CLIENT_SECRET"])
    return secrets.get(secret_names.OAUTH_CLIENT_SECRET)


def local_deps(config: Config) -> Deps:
    """The `connect` command's: the import on a thread (the command waits for it, printing progress), and the
    in-process publisher, never started (the command only connects)."""
    from gmail_tickets.adapters.local_publisher import LocalPublisher
    from gmail_tickets.adapters.thread_jobs import ThreadJobs

    return build(config, publisher=LocalPublisher(), jobs=ThreadJobs())


def embedded_runtime(config: Config, *, sweep_interval: float = 60.0, renew_watches: bool = False,
                     store: Store | None = None, workers: int | None = None) -> EmbeddedRuntime:
    """The whole product in this process, not yet started: the in-process broker is both its Publisher and its
    Subscriber, and jobs run on threads. Syncing and sending get worker pools of their own (`workers` sizes
    both, else GT_INGEST_WORKERS and GT_SEND_WORKERS), a mailbox's requests coalesced (embedded_broker.py)."""
    from gmail_tickets.adapters.thread_jobs import ThreadJobs
    from gmail_tickets.embedded import EmbeddedRuntime
    from gmail_tickets.embedded_broker import embedded_broker

    broker = embedded_broker(config.settings, workers)
    deps = build(config, store=store, publisher=broker, jobs=ThreadJobs())
    return EmbeddedRuntime(deps, broker, sweep_interval=sweep_interval, renew_watches=renew_watches)
