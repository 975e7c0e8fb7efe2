"""Files on API comments, over HTTP (`requests` against the served API, both stores): POST /uploads keeps a file
and answers a token; a reply naming it carries the file, and its mail goes out through a real SMTP relay with
the file attached (the existing rule: mail with files is the relay's); an internal note carries files unmailed.
The console's limits hold (10 MB a file and in all, 10 files), and every refusal is a problem naming the field."""

from __future__ import annotations

import base64

import pytest
import requests

from devstack.relay_server import RelayServer
from gmail_tickets import secret_names
from gmail_tickets.adapters.smtp_relay import SmtpRelay
from gmail_tickets.services.reply_files import MAX_REPLY_BYTES, MAX_REPLY_FILES
from gmail_tickets.services.send_notification import send_notification
from tests.integration.api_stack import HELP, ServedApi
from tests.integration.suspended_harness import connect

ANN = "ann@customer.test"
PDF = b"%PDF-1.4 the form, signed\n" * 40


def _ticket(api: ServedApi) -> int:
    created = api.client().post(api.at("/tickets"), json={"requester": ANN, "subject": "Form", "body": "Send it."})
    assert created.status_code == 201, created.text
    return int(created.json()["id"])


def _upload(http: requests.Session, api: ServedApi, data: bytes, name: str = "form.pdf",
            kind: str = "application/pdf") -> requests.Response:
    return http.post(api.at("/uploads"), params={"filename": name}, data=data, headers={"Content-Type": kind})


def test_a_reply_carries_uploaded_files_and_is_mailed_through_the_relay(served_api: ServedApi,
                                                                        relay: RelayServer) -> None:
    api, http = served_api, served_api.client()
    deps = api.deps
    deps.secrets.put(secret_names.RELAY_PASSWORD, relay.password)
    deps.relay = SmtpRelay(relay.host, relay.port, username=relay.username,
                           password=lambda: deps.secrets.get(secret_names.RELAY_PASSWORD),
                           ssl_context=relay.client_context(), timeout=5.0)
    connect(deps, HELP)  # a connected Gmail account: only the files send the reply to the relay
    ticket_id = _ticket(api)
    uploaded = _upload(http, api, PDF, "../../etc/form.pdf")
    assert uploaded.status_code == 201, uploaded.text
    up = uploaded.json()
    assert (up["filename"], up["content_type"], up["size"]) == ("form.pdf", "application/pdf", len(PDF))
    guessed = _upload(http, api, b"a,b\n1,2\n", "numbers.csv", "application/octet-stream").json()
    assert guessed["content_type"] == "text/csv"

    reply = http.post(api.at(f"/tickets/{ticket_id}/comments"),
                      json={"body": "The form is attached.", "uploads": [up["token"], guessed["token"]]})
    assert reply.status_code == 201, reply.text
    assert [(a["filename"], a["size"]) for a in reply.json()["attachments"]] == [("form.pdf", len(PDF)),
                                                                                 ("numbers.csv", 8)]
    [mail] = [n for n in deps.store.list_notifications(ticket_id=ticket_id) if n.event.startswith("reply:")]
    assert [a.filename for a in mail.attachments] == ["form.pdf", "numbers.csv"]
    outcome = send_notification(deps, mail.id)
    assert outcome.via == "relay" and "attachments" in outcome.reason
    [delivery] = [d for d in relay.deliveries() if d.message_id == mail.message_id]
    assert base64.b64encode(PDF)[:60] in delivery.content.replace(b"\r\n", b"")

    note = http.post(api.at(f"/tickets/{ticket_id}/comments"),
                     json={"body": "Signed copy kept.", "public": False, "uploads": [up["token"]]})
    assert note.status_code == 201 and note.json()["attachments"][0]["filename"] == "form.pdf"
    assert len([n for n in deps.store.list_notifications(ticket_id=ticket_id) if n.event.startswith("reply:")]) == 1


def test_uploads_keep_the_consoles_limits_and_refuse_with_problems(served_api: ServedApi) -> None:
    api, http = served_api, served_api.client()
    ticket_id = _ticket(api)
    assert _upload(http, api, b"").json()["errors"][0]["field"] == "body"
    assert http.post(api.at("/uploads"), data=b"x").json()["errors"][0]["field"] == "query.filename"
    too_big = _upload(http, api, b"\0" * (MAX_REPLY_BYTES + 1), "big.bin")
    assert too_big.status_code == 413 and too_big.headers["Content-Type"] == "application/problem+json"
    assert "10 MB" in too_big.json()["detail"]

    def comment(uploads: list[str], token: str | None = None) -> requests.Response:
        return api.client(token).post(api.at(f"/tickets/{ticket_id}/comments"),
                                      json={"body": "Files.", "uploads": uploads})

    six = _upload(http, api, b"\1" * (6 * 1024 * 1024), "six.bin").json()["token"]
    other = _upload(http, api, b"\2" * (6 * 1024 * 1024), "other.bin").json()["token"]
    over = comment([six, other])
    assert over.status_code == 422 and "more than 10 MB" in over.json()["detail"]
    assert over.json()["errors"][0]["field"] == "body.uploads"
    small = _upload(http, api, b"tiny", "tiny.txt").json()["token"]
    assert comment([small] * (MAX_REPLY_FILES + 1)).json()["errors"][0]["field"] == "body.uploads"
    forged = small[:-3] + ("AAA" if not small.endswith("AAA") else "BBB")
    assert comment([small, forged]).json()["errors"][0]["field"] == "body.uploads.1"
    assert comment([small], api.admin_token).json()["errors"][0]["field"] == "body.uploads.0"  # not the admin's
    assert len(api.deps.store.comments(ticket_id)) == 1  # nothing was added by a refused comment
    twice = comment([small, small])
    assert [a["filename"] for a in twice.json()["attachments"]] == ["tiny.txt", "tiny-2.txt"]


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)
def test_the_upload_operation_is_documented(served_api: ServedApi) -> None:
    document = requests.get(served_api.at("/openapi.json"), timeout=10).json()
    body = document["paths"]["/api/v1/uploads"]["post"]["requestBody"]["content"]
    assert body["application/octet-stream"]["schema"]["format"] == "binary"
    assert document["components"]["schemas"]["CommentCreate"]["properties"]["uploads"]["maxItems"] == 10
