"""bootstrap.Config.from_env: the one place configuration is read."""

from gmail_tickets.bootstrap import Config
from gmail_tickets.google_endpoints import GOOGLE_AUTH_URI, GOOGLE_REVOKE_URI, GOOGLE_TOKEN_URI


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
