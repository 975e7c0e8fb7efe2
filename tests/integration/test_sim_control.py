"""The /sim/v1 control API over HTTP, checked through the real client where Gmail shows the effect."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import pytest
from googleapiclient.errors import HttpError

from gmail_tickets.adapters.gmail_client import gmail_service, oauth_credentials
from tests.fixtures.sim import api_error, make_mail

ADDRESS = "help@example.com"


class Control:
    def __init__(self, base: str) -> None:
        self.base = f"{base}/sim/v1"

    def __call__(self, verb: str, path: str, body: Any = None, raw: bytes | None = None) -> tuple[int, Any]:
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        request = urllib.request.Request(self.base + path, data=data, method=verb)
        try:
            with urllib.request.urlopen(request) as answer:
                content, status, ctype = answer.read(), answer.status, answer.headers["Content-Type"]
        except urllib.error.HTTPError as error:
            content, status, ctype = error.read(), error.code, error.headers["Content-Type"]
        return status, json.loads(content) if ctype.startswith("application/json") else content


@pytest.fixture
def control(sim_server) -> Control:
    return Control(sim_server.url)


@pytest.fixture
def client(control):
    status, creds = control("POST", "/mailboxes", {"address": ADDRESS, "kind": "workspace"})
    assert status == 201 and creds["token_uri"].endswith("/token")
    service = gmail_service(
        oauth_credentials(creds["refresh_token"], creds["client_id"], creds["client_secret"], creds["token_uri"]),
        root_url=creds["token_uri"].rsplit("/", 1)[0],
    )
    return service


def deliver(control, raw: bytes, labels: str | None = None) -> str:
    path = f"/mailboxes/{ADDRESS}/deliver" + (f"?labels={labels}" if labels is not None else "")
    status, body = control("POST", path, raw=raw)
    assert status == 201
    return body["id"]


def test_index_and_health(control):
    assert control("GET", "/health") == (200, {"ok": True, "mailboxes": 0})
    status, body = control("GET", "")
    assert status == 200 and any("deliver" in line for line in body["routes"])


def test_create_mailbox_twice_is_an_error(control, client):
    status, _ = control("POST", "/mailboxes", {"address": ADDRESS})
    assert status == 400
    assert control("GET", f"/mailboxes/{ADDRESS}")[1]["kind"] == "workspace"
    assert control("GET", "/mailboxes/nobody@example.com")[0] == 404


def test_deliver_raw_default_and_explicit_labels(control, client):
    raw_one = make_mail(subject="one")
    first = deliver(control, raw_one)
    second = deliver(control, make_mail(subject="two"), labels="INBOX")
    got = client.users().messages().get(userId="me", id=first, format="minimal").execute()
    assert got["labelIds"] == ["INBOX", "UNREAD"]
    assert client.users().messages().get(userId="me", id=second, format="minimal").execute()["labelIds"] == ["INBOX"]
    _, listed = control("GET", f"/mailboxes/{ADDRESS}/messages?q=subject:one")
    assert [m["id"] for m in listed["messages"]] == [first]
    assert control("GET", f"/mailboxes/{ADDRESS}/messages/{first}?format=raw") == (200, raw_one)


def test_deliver_with_verdicts_prepends_gmails_authentication_results_stamp(control, client):
    import base64

    from gmail_tickets.mail.parse import parse

    raw = make_mail(sender="Ann <ann@mail.example.org>", subject="stamped")
    status, body = control("POST", f"/mailboxes/{ADDRESS}/deliver?spf=pass&dkim=pass,fail:other.example&dmarc=pass",
                           raw=raw)
    assert status == 201
    got = client.users().messages().get(userId="me", id=body["id"], format="raw").execute()
    stored = base64.urlsafe_b64decode(got["raw"])
    assert stored.startswith(b"Authentication-Results: mx.google.com;") and stored.endswith(raw)
    auth = parse(stored).auth
    assert (auth.spf, auth.dkim, auth.dmarc, auth.dkim_domains) == ("pass", "pass", "pass", ("mail.example.org",))
    assert auth.authenticated and auth.label == "verified sender"
    plain = deliver(control, make_mail(subject="unstamped"))  # no verdicts given: stored byte for byte, no stamp
    assert b"Authentication-Results" not in control("GET", f"/mailboxes/{ADDRESS}/messages/{plain}?format=raw")[1]
    spoof = control("POST", f"/mailboxes/{ADDRESS}/deliver?spf=fail:evil.example&dmarc=fail", raw=raw)[1]
    spoofed = parse(control("GET", f"/mailboxes/{ADDRESS}/messages/{spoof['id']}?format=raw")[1]).auth
    assert spoofed.possible_spoof and not spoofed.authenticated and spoofed.spf_domain == "evil.example"


def test_message_actions_show_in_gmail(control, client):
    mid = deliver(control, make_mail())
    assert control("POST", f"/mailboxes/{ADDRESS}/messages/{mid}/read")[1]["labelIds"] == ["INBOX"]
    assert "TRASH" in control("POST", f"/mailboxes/{ADDRESS}/messages/{mid}/trash")[1]["labelIds"]
    assert client.users().messages().list(userId="me").execute()["resultSizeEstimate"] == 0
    control("POST", f"/mailboxes/{ADDRESS}/messages/{mid}/untrash")
    assert control("POST", f"/mailboxes/{ADDRESS}/messages/{mid}/spam")[1]["labelIds"] == ["SPAM"]
    assert client.users().messages().list(userId="me", q="in:spam").execute()["messages"][0]["id"] == mid
    assert control("DELETE", f"/mailboxes/{ADDRESS}/messages/{mid}")[0] == 200
    with pytest.raises(HttpError):
        client.users().messages().get(userId="me", id=mid).execute()


def test_revoke_restore(control, client):
    from google.auth.exceptions import RefreshError

    control("POST", f"/mailboxes/{ADDRESS}/revoke")
    with pytest.raises(RefreshError):
        client.users().getProfile(userId="me").execute()
    control("POST", f"/mailboxes/{ADDRESS}/restore", {})
    assert client.users().getProfile(userId="me").execute()["emailAddress"] == ADDRESS


def test_expire_history_and_clock(control, client):
    start = client.users().getProfile(userId="me").execute()["historyId"]
    assert control("POST", f"/mailboxes/{ADDRESS}/history/expire")[0] == 200
    with pytest.raises(HttpError) as info:
        client.users().history().list(userId="me", startHistoryId=start).execute()
    assert api_error(info.value)["code"] == 404
    before = control("GET", "/clock")[1]["now"]
    after = control("POST", "/clock/advance", {"seconds": 3600})[1]["now"]
    assert after - before >= 3600


def test_faults_latency_quota_send_limit_counters(control, client):
    status, fault = control("POST", "/faults", {"status": 503, "count": 1, "method": "getProfile", "address": ADDRESS})
    assert status == 201 and fault["count"] == 1
    with pytest.raises(HttpError):
        client.users().getProfile(userId="me").execute()
    assert control("GET", "/faults")[1]["faults"][0]["hits"] == 1
    control("DELETE", "/faults")
    assert control("PUT", "/latency", {"default_ms": 5, "methods": {"messages.get": 10}})[1] == {
        "default_ms": 5,
        "methods": {"messages.get": 10},
    }
    assert control("PUT", "/quota", {"per_minute": 100})[1]["per_minute"] == 100
    assert control("PUT", f"/mailboxes/{ADDRESS}/send-limit", {"limit": 3})[1]["sendLimit"] == 3
    client.users().getProfile(userId="me").execute()
    counters = control("GET", f"/counters?address={ADDRESS}")[1]
    assert counters["methods"]["getProfile"] == {"calls": 2, "units": 1, "errors": 1}
    control("DELETE", "/counters")
    assert control("GET", f"/counters?address={ADDRESS}")[1]["calls"] == 0


def test_push_settings(control, client):
    status, settings = control("PUT", "/push", {"url": "http://127.0.0.1:9/push", "delay_s": 0.5, "drop_rate": 0.1})
    assert status == 200 and settings["delay_s"] == 0.5 and settings["url"].endswith("/push")
    assert control("PUT", "/push", {"bogus": 1})[0] == 400
    client.users().watch(userId="me", body={"topicName": "projects/p/topics/t"}).execute()
    assert control("GET", "/push")[1]["watches"][ADDRESS]["topicName"] == "projects/p/topics/t"


def test_unknown_route_is_404(control):
    assert control("GET", "/nothing")[0] == 404


def test_bulk_creates_mailboxes_with_label_and_watch(control):
    status, body = control("POST", "/mailboxes/bulk", {"prefix": "desk", "domain": "scale.example", "count": 3,
                                                      "start": 5, "label": "Tickets",
                                                      "watch_topic": "projects/p/topics/gmail-push"})
    assert status == 201
    made = body["mailboxes"]
    assert [m["address"] for m in made] == ["desk5@scale.example", "desk6@scale.example", "desk7@scale.example"]
    assert all(m["refresh_token"] and m["label_id"] and m["watch_expiration_ms"] for m in made)
    info = control("GET", "/mailboxes/desk6@scale.example")[1]
    assert info["watch"]["topicName"] == "projects/p/topics/gmail-push"
    assert str(made[1]["history_id"]) == str(info["historyId"])
    assert control("POST", "/mailboxes/bulk", {"count": 0})[0] == 400
