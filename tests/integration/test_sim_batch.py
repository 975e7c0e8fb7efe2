"""The batch endpoint through new_batch_http_request(), and its exact wire format."""

from __future__ import annotations

import json
import uuid

import httplib2
import pytest
from googleapiclient.errors import HttpError

from tests.fixtures.sim import SUPPORT, api_error, make_mail


def run_batch(service, requests):
    results: dict[str, tuple] = {}
    batch = service.new_batch_http_request(callback=lambda rid, resp, exc: results.__setitem__(rid, (resp, exc)))
    for request in requests:
        batch.add(request)
    batch.execute()
    return [results[str(i + 1)] for i in range(len(requests))]


def test_batch_of_50_gets(sim, gmail):
    mids = [sim.deliver(SUPPORT, make_mail(subject=f"n{i}")) for i in range(50)]
    results = run_batch(
        gmail,
        [gmail.users().messages().get(userId="me", id=m, format="metadata", metadataHeaders=["Subject"]) for m in mids],
    )
    assert [exc for _, exc in results] == [None] * 50
    assert [resp["id"] for resp, _ in results] == mids
    assert results[7][0]["payload"]["headers"] == [{"name": "Subject", "value": "n7"}]
    counters = sim.counters(SUPPORT)["methods"]
    assert counters["messages.get"] == {"calls": 50, "units": 250, "errors": 0}
    assert counters["batch"]["calls"] == 1


def test_batch_parts_fail_independently(sim, gmail):
    mid = sim.deliver(SUPPORT, make_mail())
    results = run_batch(
        gmail,
        [
            gmail.users().messages().get(userId="me", id=mid),
            gmail.users().messages().get(userId="me", id="1234567890abcdef"),
            gmail.users().messages().modify(userId="me", id=mid, body={"removeLabelIds": ["UNREAD"]}),
            gmail.users().messages().batchModify(userId="me", body={"ids": [mid], "addLabelIds": ["STARRED"]}),
        ],
    )
    assert results[0][1] is None
    assert isinstance(results[1][1], HttpError) and api_error(results[1][1])["code"] == 404
    assert results[2][0]["labelIds"] == ["INBOX"]
    assert results[3] == ("", None)
    assert "STARRED" in sim.message(SUPPORT, mid)["labelIds"]


def test_batch_mixes_accounts_by_part_authorization(sim, gmail_client):
    a, b = gmail_client("a@example.com"), gmail_client("b@example.com")
    results: dict[str, dict] = {}
    batch = a.new_batch_http_request(callback=lambda rid, resp, exc: results.__setitem__(rid, resp))
    batch.add(a.users().getProfile(userId="me"), request_id="a")
    batch.add(b.users().getProfile(userId="me"), request_id="b")
    batch.execute()
    assert results["a"]["emailAddress"] == "a@example.com"
    assert results["b"]["emailAddress"] == "b@example.com"


def test_batch_wire_format_is_exact(sim, sim_server):
    """Raw HTTP: response parts carry Content-ID <response-X> and an inner HTTP/1.1 status line, CRLF."""
    sim.add_mailbox(SUPPORT)
    mid = sim.deliver(SUPPORT, make_mail())
    token = sim.access_token(SUPPORT)
    boundary = "===============7330845974216740156=="
    cid = f"{uuid.uuid4()} + 1"
    body = (
        f"--{boundary}\nContent-Type: application/http\nContent-Transfer-Encoding: binary\nContent-ID: <{cid}>\n\n"
        f"GET /gmail/v1/users/me/messages/{mid}?format=minimal&alt=json HTTP/1.1\n"
        f"Content-Type: application/json\nauthorization: Bearer {token}\n\n\n--{boundary}--"
    )
    resp, content = httplib2.Http().request(
        f"{sim_server.url}/batch/gmail/v1",
        "POST",
        body=body,
        headers={"content-type": f'multipart/mixed; boundary="{boundary}"'},
    )
    assert resp.status == 200 and resp["content-type"].startswith("multipart/mixed; boundary=")
    text = content.decode()
    assert f"Content-ID: <response-{cid}>\r\n" in text
    assert "Content-Type: application/http\r\n" in text
    _, _, inner = text.partition("\r\n\r\nHTTP/1.1 200 OK\r\n")
    assert inner, text
    payload = inner.split("\r\n\r\n", 1)[1].split("\r\n--", 1)[0]
    assert json.loads(payload)["id"] == mid


def test_batch_with_outer_authorization_only(sim, sim_server):
    sim.add_mailbox(SUPPORT)
    token = sim.access_token(SUPPORT)
    body = (
        "--b\r\nContent-Type: application/http\r\nContent-ID: <x>\r\n\r\n"
        "GET /gmail/v1/users/me/profile HTTP/1.1\r\n\r\n\r\n--b--\r\n"
    )
    resp, content = httplib2.Http().request(
        f"{sim_server.url}/batch",
        "POST",
        body=body,
        headers={"content-type": "multipart/mixed; boundary=b", "authorization": f"Bearer {token}"},
    )
    assert resp.status == 200
    assert "Content-ID: <response-x>" in content.decode()
    assert '"emailAddress":"support@example.com"' in content.decode()


def test_batch_over_100_parts_is_refused(sim, gmail):
    mid = sim.deliver(SUPPORT, make_mail())
    with pytest.raises(HttpError) as info:
        run_batch(gmail, [gmail.users().messages().get(userId="me", id=mid) for _ in range(101)])
    assert info.value.resp.status == 400
