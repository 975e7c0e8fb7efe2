"""Config.from_env: the one place configuration is read (every variable declared once, on its field)."""

import dataclasses

import pytest

from gmail_tickets.bootstrap import Config
from gmail_tickets.env_fields import ConfigError, env_settings
from gmail_tickets.google_endpoints import GOOGLE_AUTH_URI, GOOGLE_REVOKE_URI, GOOGLE_TOKEN_URI
from gmail_tickets.settings import Settings


def test_defaults_are_the_embedded_product_against_google() -> None:
    config = Config.from_env({})
    assert (config.store, config.secrets, config.publisher, config.blobs) == ("sqlite", "file", "local", "local")
    assert (config.oauth_auth_uri, config.token_uri, config.oauth_revoke_uri) == (
        GOOGLE_AUTH_URI, GOOGLE_TOKEN_URI, GOOGLE_REVOKE_URI)
    assert config.gmail_root_url is None and config.gmail_push is True
    assert config.settings.push_topic == "projects/demo-local/topics/gmail-push"


def test_cloud_settings_from_the_environment() -> None:
    config = Config.from_env({
        "GT_STORE": "firestore", "GT_PUBLISHER": "pubsub", "GT_BLOBS": "gcs", "GT_BUCKET": "mail",
        "GOOGLE_CLOUD_PROJECT": "acme", "GT_GMAIL_PUSH": "false", "GT_IAP_AUDIENCE": "/projects/1/x",
        "GT_ADMIN_EMAILS": " a@acme.example, ,b@acme.example ", "GT_ADMIN_DOMAIN": "acme.example",
        "GT_RELAY_SPF_INCLUDE": "_spf.relay.example", "GT_OAUTH_AUTH_URI": "http://127.0.0.1:9/o/oauth2/v2/auth",
    })
    assert (config.store, config.publisher, config.blobs, config.bucket) == ("firestore", "pubsub", "gcs", "mail")
    assert config.settings.push_topic == "projects/acme/topics/gmail-push"
    assert config.gmail_push is False
    assert config.admin_emails == ("a@acme.example", "b@acme.example")
    assert (config.iap_audience, config.admin_domain) == ("/projects/1/x", "acme.example")
    assert config.relay_spf_include == "_spf.relay.example"
    assert config.oauth_auth_uri == "http://127.0.0.1:9/o/oauth2/v2/auth"


# ---- the generic loader: one declaration per variable, converted by the field's type -------------------------

TODAYS_DEFAULTS = Config(
    store="sqlite", sqlite_path=".var/gmail-tickets.sqlite", firestore_prefix="", secrets="file",
    secrets_file=".var/secrets.json", publisher="local", blobs="local", blobs_dir=".var/blobs", bucket="",
    project="demo-local", gmail_root_url=None, token_uri="https://oauth2.googleapis.com/token", oauth_client_id="",
    oauth_auth_uri="https://accounts.google.com/o/oauth2/v2/auth", oauth_revoke_uri="https://oauth2.googleapis.com/revoke",
    gmail_push=True, relay_spf_include=None, dns_nameserver=None, iap_audience="", admin_emails=(), admin_domain=None,
    iap_certs_file=None,
    relay_host=None, relay_port=587, relay_username=None, relay_starttls=True, relay_ca_file=None, log_level="INFO",
    settings=Settings(
        label_name="Helpdesk", push_topic="projects/demo-local/topics/gmail-push", sync_topic="mailbox-sync",
        lease_seconds=10.0, fetch_chunk=100, full_sync_margin_seconds=3600, initial_lookback_seconds=3600,
        watch_renew_before_seconds=86400, max_message_bytes=20971520, burst_threshold=20, burst_window_seconds=600,
        list_mail_is_bulk=True, outbound_topic="outbound-mail", send_limit=None, send_lease_seconds=30.0,
        send_recheck_seconds=60.0, send_max_attempts=5, send_limit_block_seconds=3600,
        outbox_republish_after_seconds=60,
    ),
)


def test_an_empty_environment_gives_the_defaults_of_before() -> None:
    assert Config.from_env({}) == TODAYS_DEFAULTS
    assert Config() == TODAYS_DEFAULTS  # what tests and the demo build directly


def test_an_empty_variable_counts_as_unset() -> None:
    """Terraform passes "" for an optional variable left unset (GT_RELAY_HOST, GT_ADMIN_DOMAIN, ...)."""
    env = {e.env: "" for e in env_settings(Config) + env_settings(Settings)}
    assert Config.from_env(env) == TODAYS_DEFAULTS


def test_values_are_converted_by_the_fields_type() -> None:
    config = Config.from_env({
        "GT_RELAY_PORT": "2525", "GT_LEASE_SECONDS": "1.5", "GT_SEND_LIMIT": "40", "GT_RELAY_STARTTLS": "No",
        "GT_LIST_MAIL_IS_BULK": "0", "GT_GMAIL_PUSH": " TRUE ", "GT_RELAY_HOST": "smtp.example",
        "GT_LOG_LEVEL": "DEBUG", "GT_ADMIN_EMAILS": "ana@example.com",
    })
    assert (config.relay_port, config.relay_starttls, config.gmail_push) == (2525, False, True)
    assert (config.relay_host, config.log_level, config.admin_emails) == ("smtp.example", "DEBUG", ("ana@example.com",))
    assert (config.settings.lease_seconds, config.settings.send_limit) == (1.5, 40)
    assert config.settings.list_mail_is_bulk is False


@pytest.mark.parametrize(("name", "value", "message"), [
    ("GT_SEND_LIMIT", "abc", "GT_SEND_LIMIT: expected an integer, got 'abc'"),
    ("GT_RELAY_PORT", "58 7", "GT_RELAY_PORT: expected an integer, got '58 7'"),
    ("GT_LEASE_SECONDS", "2m", "GT_LEASE_SECONDS: expected a number, got '2m'"),
    ("GT_GMAIL_PUSH", "off", "GT_GMAIL_PUSH: expected one of 1/true/yes/0/false/no, got 'off'"),
])
def test_a_bad_value_names_its_variable(name: str, value: str, message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        Config.from_env({name: value})
    assert str(raised.value) == message


def test_the_push_topic_follows_the_project_unless_set() -> None:
    assert Config.from_env({"GOOGLE_CLOUD_PROJECT": "acme"}).project == "acme"
    given = Config.from_env({"GOOGLE_CLOUD_PROJECT": "acme", "GT_PUSH_TOPIC": "projects/other/topics/t"})
    assert given.settings.push_topic == "projects/other/topics/t"


def _another_value(hint: object, default: object) -> tuple[str, object]:
    """(the variable's text, the value it must give) differing from `default`, for a field of type `hint`."""
    samples: dict[object, tuple[str, object]] = {
        str: ("changed", "changed"), int: ("7", 7), int | None: ("9", 9), float: ("2.5", 2.5),
        str | None: ("set", "set"), tuple[str, ...]: ("a, b", ("a", "b")),
        bool: ("no", False) if default else ("yes", True),
    }
    return samples[hint]


@pytest.mark.parametrize("part", [Config, Settings])
def test_every_field_is_reachable_from_the_environment(part: type) -> None:
    declared = env_settings(part)
    assert {d.field for d in declared} == {f.name for f in dataclasses.fields(part)} - {"settings"}
    env, want = {}, {}
    for d in declared:
        env[d.env], want[d.field] = _another_value(d.type, d.default)
    config = Config.from_env(env)
    loaded = config if part is Config else config.settings
    assert {name: getattr(loaded, name) for name in want} == want


def test_each_variable_is_declared_once() -> None:
    names = [d.env for d in env_settings(Config) + env_settings(Settings)]
    assert len(names) == len(set(names)) == 80
    assert all(name.startswith("GT_") for name in names if name != "GOOGLE_CLOUD_PROJECT")
