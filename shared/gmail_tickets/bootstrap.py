"""The one place that reads configuration and wires adapters into the use cases.

Everything else receives its collaborators; only this module knows which store, publisher, secrets and Gmail
endpoint are in use. Heavy client libraries are imported only for the adapters actually chosen, which keeps the
cold start of a Cloud Function short.
"""

from __future__ import annotations

import os
import socket
import threading
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gmail_tickets import secret_names
from gmail_tickets.adapters.system_clock import SystemClock
from gmail_tickets.config import Config
from gmail_tickets.domain.ticket_token import TicketTokens, generate_key
from gmail_tickets.errors import TokenRevoked
from gmail_tickets.ports import BlobStore, Clock, Mailbox, Publisher, Relay, Secrets, Store
from gmail_tickets.services.deps import Deps

if TYPE_CHECKING:
    from gmail_tickets.adapters.gmail_retry import RetryPolicy
    from gmail_tickets.web.addresses import OAuthSetup


class GmailMailboxProvider:
    """Gives a Gmail adapter per connected address, built from the refresh token kept in Secrets.

    Adapters are cached per thread (httplib2 is not thread-safe), so access tokens are refreshed once an hour,
    not once a call. `forget` drops them after a reconnect or disconnect."""

    def __init__(self, secrets: Secrets, client_id: str, token_uri: str, root_url: str | None,
                 retry: RetryPolicy | None = None) -> None:
        self._secrets = secrets
        self._retry = retry
        self._client_id = client_id
        self._token_uri = token_uri
        self._root_url = root_url
        self._local = threading.local()

    def __call__(self, address: str) -> Mailbox:
        cache: dict[tuple[str, str], Mailbox] = self._local.__dict__.setdefault("cache", {})
        token = self._secrets.get(secret_names.refresh_token(address))
        if token is None:
            raise TokenRevoked(f"no refresh token stored for {address}")
        key = (address, token)
        if key not in cache:
            from gmail_tickets.adapters.gmail_api import GmailMailbox
            from gmail_tickets.adapters.gmail_client import oauth_credentials

            client_secret = self._secrets.get(secret_names.OAUTH_CLIENT_SECRET) or ""
            credentials = oauth_credentials(token, self._client_id, client_secret, self._token_uri)
            cache[key] = GmailMailbox(address, credentials, root_url=self._root_url, retry=self._retry)
        return cache[key]


def build_store(config: Config) -> Store:
    if config.store == "firestore":
        from gmail_tickets.adapters.firestore_store import FirestoreStore

        return FirestoreStore(project=config.project, prefix=config.firestore_prefix)
    from gmail_tickets.adapters.sqlite_store import SqliteStore

    Path(config.sqlite_path).parent.mkdir(parents=True, exist_ok=True)
    return SqliteStore(config.sqlite_path)


def build_secrets(config: Config) -> Secrets:
    if config.secrets == "secretmanager":
        from gmail_tickets.adapters.secret_manager import SecretManagerSecrets

        return SecretManagerSecrets(project=config.project)
    if config.secrets != "file":
        raise ValueError(f"GT_SECRETS={config.secrets!r}: 'file' or 'secretmanager'")
    from gmail_tickets.adapters.local_secrets import FileSecrets

    return FileSecrets(config.secrets_file)


def build_publisher(config: Config) -> Publisher:
    if config.publisher == "pubsub":
        from gmail_tickets.adapters.pubsub_publisher import PubSubPublisher

        return PubSubPublisher(project=config.project)
    from gmail_tickets.adapters.local_publisher import LocalPublisher

    return LocalPublisher()


def console_oauth(config: Config, secrets: Secrets) -> OAuthSetup | None:
    """The deployer's OAuth client, as the console's connect pages use it; None (those pages answer 503) until
    both the client id and its secret are configured."""
    from gmail_tickets.web.addresses import OAuthSetup

    client_secret = secrets.get(secret_names.OAUTH_CLIENT_SECRET)
    if not config.oauth_client_id or not client_secret:
        return None
    return OAuthSetup.google(client_id=config.oauth_client_id, client_secret=client_secret,
                             token_uri=config.token_uri, revoke_uri=config.oauth_revoke_uri,
                             auth_uri=config.oauth_auth_uri, gmail_root_url=config.gmail_root_url)


def build_blobs(config: Config) -> BlobStore:
    if config.blobs == "gcs":
        from gmail_tickets.adapters.gcs_blobs import GcsBlobs

        return GcsBlobs(config.bucket, project=config.project)
    from gmail_tickets.adapters.local_blobs import FileBlobs

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
) -> Deps:
    """Wire the use cases' dependencies; any of them may be passed in (tests, the demo)."""
    config = config or Config.from_env()
    secrets = secrets or build_secrets(config)
    return Deps(
        store=store or build_store(config),
        mailbox_for=GmailMailboxProvider(
            secrets, config.oauth_client_id, config.token_uri, config.gmail_root_url, gmail_retry
        ),
        publisher=publisher or build_publisher(config),
        secrets=secrets,
        clock=clock or SystemClock(),
        blobs=blobs or build_blobs(config),
        tokens=ticket_tokens(secrets),
        settings=config.settings,
        holder=f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}",
        relay=relay or build_relay(config, secrets),
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
    """The process-wide dependencies, built on first use (a function instance builds them once)."""
    global _deps
    settings = config()
    with _deps_lock:
        if _deps is None:
            _deps = build(settings)
        return _deps


def describe(config: Config) -> dict[str, Any]:
    """What is wired, for a start-up log line (no secrets)."""
    return {"store": config.store, "secrets": config.secrets, "publisher": config.publisher, "blobs": config.blobs,
            "project": config.project, "gmail": config.gmail_root_url or "google",
            "relay": f"{config.relay_host}:{config.relay_port}" if config.relay_host else None}
