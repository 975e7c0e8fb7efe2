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
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gmail_tickets import secret_names
from gmail_tickets.adapters.system_clock import SystemClock
from gmail_tickets.domain.ticket_token import TicketTokens, generate_key
from gmail_tickets.errors import TokenRevoked
from gmail_tickets.google_endpoints import GOOGLE_AUTH_URI, GOOGLE_REVOKE_URI, GOOGLE_TOKEN_URI
from gmail_tickets.ports import BlobStore, Clock, Mailbox, Publisher, Relay, Secrets, Store
from gmail_tickets.services.deps import Deps
from gmail_tickets.settings import Settings

if TYPE_CHECKING:
    from gmail_tickets.adapters.gmail_retry import RetryPolicy
    from gmail_tickets.web.addresses import OAuthSetup


@dataclass(frozen=True)
class Config:
    store: str = "sqlite"  # sqlite | firestore
    sqlite_path: str = ".var/gmail-tickets.sqlite"
    firestore_prefix: str = ""
    secrets: str = "file"  # file (a 0600 JSON file)
    secrets_file: str = ".var/secrets.json"
    publisher: str = "local"  # local | pubsub
    blobs: str = "local"  # local (a folder) | gcs (Cloud Storage)
    blobs_dir: str = ".var/blobs"
    bucket: str = ""
    project: str = "demo-local"
    gmail_root_url: str | None = None  # None: Google itself; the devstack simulator's URL otherwise
    token_uri: str = GOOGLE_TOKEN_URI
    oauth_client_id: str = ""
    oauth_auth_uri: str = GOOGLE_AUTH_URI  # Google's consent page (the simulator's in the demo and tests)
    oauth_revoke_uri: str = GOOGLE_REVOKE_URI
    gmail_push: bool = True  # users.watch → Pub/Sub; `serve` and `connect` on one machine (no topic) turn it off
    relay_spf_include: str | None = None  # the mail relay's SPF include, for the console's DNS guidance
    iap_audience: str = ""  # the console behind Identity-Aware Proxy: the backend's IAP audience
    admin_emails: tuple[str, ...] = ()  # who may use the console (IAP identities) …
    admin_domain: str | None = None  # … or everyone of this Workspace domain (IAP's `hd` claim)
    iap_certs_file: str | None = None  # tests only: {key id: PEM} in place of IAP's published keys
    relay_host: str | None = None  # the help desk's SMTP relay (submission, STARTTLS + AUTH); None: no relay
    relay_port: int = 587
    relay_username: str | None = None  # its password is the `relay-password` secret
    relay_starttls: bool = True  # off only for a trusted relay on localhost
    relay_ca_file: str | None = None  # a private CA the relay's certificate is signed by
    settings: Settings = field(default_factory=Settings)

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Config:
        env = dict(os.environ if env is None else env)
        project = env.get("GOOGLE_CLOUD_PROJECT", cls.project)
        defaults = Settings()
        settings = replace(
            defaults,
            label_name=env.get("GT_LABEL_NAME", defaults.label_name),
            push_topic=env.get("GT_PUSH_TOPIC", f"projects/{project}/topics/gmail-push"),
            sync_topic=env.get("GT_SYNC_TOPIC", defaults.sync_topic),
            outbound_topic=env.get("GT_OUTBOUND_TOPIC", defaults.outbound_topic),
            send_limit=int(env["GT_SEND_LIMIT"]) if env.get("GT_SEND_LIMIT") else None,
        )
        return cls(
            store=env.get("GT_STORE", cls.store),
            sqlite_path=env.get("GT_SQLITE_PATH", cls.sqlite_path),
            firestore_prefix=env.get("GT_FIRESTORE_PREFIX", ""),
            secrets=env.get("GT_SECRETS", cls.secrets),
            secrets_file=env.get("GT_SECRETS_FILE", cls.secrets_file),
            publisher=env.get("GT_PUBLISHER", cls.publisher),
            blobs=env.get("GT_BLOBS", cls.blobs),
            blobs_dir=env.get("GT_BLOBS_DIR", cls.blobs_dir),
            bucket=env.get("GT_BUCKET", ""),
            project=project,
            gmail_root_url=env.get("GT_GMAIL_ROOT_URL") or None,
            token_uri=env.get("GT_TOKEN_URI", GOOGLE_TOKEN_URI),
            oauth_client_id=env.get("GT_OAUTH_CLIENT_ID", ""),
            oauth_auth_uri=env.get("GT_OAUTH_AUTH_URI") or GOOGLE_AUTH_URI,
            oauth_revoke_uri=env.get("GT_OAUTH_REVOKE_URI") or GOOGLE_REVOKE_URI,
            gmail_push=env.get("GT_GMAIL_PUSH", "1").lower() not in ("0", "false", "no"),
            relay_spf_include=env.get("GT_RELAY_SPF_INCLUDE") or None,
            iap_audience=env.get("GT_IAP_AUDIENCE", ""),
            admin_emails=tuple(e.strip() for e in env.get("GT_ADMIN_EMAILS", "").split(",") if e.strip()),
            admin_domain=env.get("GT_ADMIN_DOMAIN") or None,
            iap_certs_file=env.get("GT_IAP_CERTS_FILE") or None,
            relay_host=env.get("GT_RELAY_HOST") or None,
            relay_port=int(env.get("GT_RELAY_PORT") or 587),
            relay_username=env.get("GT_RELAY_USERNAME") or None,
            relay_starttls=env.get("GT_RELAY_STARTTLS", "1").lower() not in ("0", "false", "no"),
            relay_ca_file=env.get("GT_RELAY_CA_FILE") or None,
            settings=settings,
        )


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
