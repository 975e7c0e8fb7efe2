"""What this deployment is wired to (store, secrets, publisher, Gmail, relay, console), read from the environment.

Each field names its variable once (`setting`); `Config.from_env` reads them all, and the behaviour `Settings` too.
docs/configuration.md lists every variable; tests/unit/test_config_docs.py keeps it complete.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from gmail_tickets.env_fields import load, setting
from gmail_tickets.google_endpoints import GOOGLE_AUTH_URI, GOOGLE_REVOKE_URI, GOOGLE_TOKEN_URI
from gmail_tickets.settings import Settings


@dataclass(frozen=True)
class Config:
    store: str = setting("sqlite", "GT_STORE", "Where tickets live: `sqlite` (a file) or `firestore`.")
    sqlite_path: str = setting(".var/gmail-tickets.sqlite", "GT_SQLITE_PATH", "The SQLite file (`GT_STORE=sqlite`).")
    firestore_prefix: str = setting(
        "", "GT_FIRESTORE_PREFIX", "Put before every Firestore collection name (several stacks in one database).")
    secrets: str = setting(
        "file", "GT_SECRETS", "Where secrets live: `file` (a 0600 JSON file) or `secretmanager` (Secret Manager).")
    secrets_file: str = setting(".var/secrets.json", "GT_SECRETS_FILE", "The secrets file (`GT_SECRETS=file`).")
    publisher: str = setting(
        "local", "GT_PUBLISHER", "How work is queued: `local` (in-process) or `pubsub` (Cloud Pub/Sub).")
    blobs: str = setting(
        "local", "GT_BLOBS", "Where raw mail and attachments live: `local` (a folder) or `gcs` (Cloud Storage).")
    blobs_dir: str = setting(".var/blobs", "GT_BLOBS_DIR", "The blob folder (`GT_BLOBS=local`).")
    bucket: str = setting("", "GT_BUCKET", "The Cloud Storage bucket (`GT_BLOBS=gcs`).")
    project: str = setting(
        "demo-local", "GOOGLE_CLOUD_PROJECT", "The Google Cloud project of Firestore, Pub/Sub, Secret Manager and "
        "Cloud Storage.")
    gmail_root_url: str | None = setting(
        None, "GT_GMAIL_ROOT_URL", "The Gmail API's root URL; unset: Google itself (the simulator's URL in the demo).")
    token_uri: str = setting(GOOGLE_TOKEN_URI, "GT_TOKEN_URI", "The OAuth token endpoint.")
    oauth_client_id: str = setting(
        "", "GT_OAUTH_CLIENT_ID", "The deployer's OAuth client; its secret is the `oauth-client-secret` secret.")
    token_kms_key: str = setting(
        "", "GT_TOKEN_KMS_KEY", "A Cloud KMS key (`projects/…/cryptoKeys/…`): mailboxes' refresh tokens sealed under "
        "it in Firestore (`GT_STORE=firestore`; docs/tokens.md); unset: one secret per mailbox.")
    oauth_auth_uri: str = setting(
        GOOGLE_AUTH_URI, "GT_OAUTH_AUTH_URI", "Google's consent page (the simulator's in the demo and tests).")
    oauth_revoke_uri: str = setting(GOOGLE_REVOKE_URI, "GT_OAUTH_REVOKE_URI", "The OAuth token revocation endpoint.")
    gmail_push: bool = setting(
        True, "GT_GMAIL_PUSH", "users.watch sends Gmail's notifications to Pub/Sub; `serve` and `connect` on one "
        "machine (no topic) turn it off.")
    relay_spf_include: str | None = setting(
        None, "GT_RELAY_SPF_INCLUDE", "The mail relay's SPF include, for the console's DNS guidance.")
    dns_nameserver: str | None = setting(
        None, "GT_DNS_NAMESERVER", "The nameserver (host or host:port) the console's \"Check now\" asks for a "
        "domain's relay records; unset: the system's resolver.")
    iap_audience: str = setting(
        "", "GT_IAP_AUDIENCE", "The console behind Identity-Aware Proxy: the backend's IAP audience, checked on "
        "every request.")
    admin_emails: tuple[str, ...] = setting(
        (), "GT_ADMIN_EMAILS", "The console's admins behind IAP (others need an agent record), comma-separated …")
    admin_domain: str | None = setting(
        None, "GT_ADMIN_DOMAIN", "… or everyone of this Workspace domain (IAP's `hd` claim).")
    iap_certs_file: str | None = setting(
        None, "GT_IAP_CERTS_FILE", "Tests only: a JSON file `{key id: PEM}` in place of IAP's published keys.")
    console_idle_seconds: float = setting(
        12 * 3600, "GT_CONSOLE_IDLE_SECONDS", "The console signs an agent out after this long unused (password "
        "sign-in; behind IAP, IAP's own session applies).")
    console_session_max_seconds: float = setting(
        24 * 3600, "GT_CONSOLE_SESSION_MAX_SECONDS", "… and this long after sign-in, used or not.")
    relay_host: str | None = setting(
        None, "GT_RELAY_HOST", "The help desk's SMTP relay (submission, STARTTLS + AUTH); unset: no relay.")
    relay_port: int = setting(587, "GT_RELAY_PORT", "The relay's port.")
    relay_username: str | None = setting(
        None, "GT_RELAY_USERNAME", "The relay's user; its password is the `relay-password` secret.")
    relay_starttls: bool = setting(True, "GT_RELAY_STARTTLS", "STARTTLS to the relay; off only for one on localhost.")
    relay_ca_file: str | None = setting(
        None, "GT_RELAY_CA_FILE", "A private CA (PEM) the relay's certificate is signed by.")
    log_level: str = setting(
        "INFO", "GT_LOG_LEVEL",
        "The log level of the functions and of `gmail-tickets serve` (DEBUG, INFO, WARNING, ERROR).")
    clock_offset_file: str | None = setting(
        None, "GT_CLOCK_OFFSET_FILE", "Devstack and tests only: a file holding seconds the product's clock runs ahead "
        "of wall time (the chaos soak advances it with the Gmail simulator's); unset: wall time.")
    settings: Settings = field(default_factory=Settings)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Config:
        """Every declared variable, from `env` (the process environment by default)."""
        env = os.environ if env is None else env
        config = load(cls, env)
        # The one default that depends on another setting: Gmail pushes to this project's topic.
        settings = load(Settings, env, defaults={"push_topic": f"projects/{config.project}/topics/gmail-push"})
        return replace(config, settings=settings)
