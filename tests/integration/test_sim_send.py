"""messages.send through JSON and the upload endpoint: SENT label, threading, From/Message-ID, limits."""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime
from email import policy
from email.parser import BytesParser

import pytest
from googleapiclient.errors import HttpError
from googleapiclient.http import MediaInMemoryUpload

from gmail_tickets.adapters.gmail_client import gmail_service
from tests.fixtures.sim import SUPPORT, api_error, make_mail


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode()


def reply_to(original_id: str, subject: str = "Re: Help needed", **kwargs) -> bytes:
    return make_mail(
        sender=SUPPORT,
        to="alice@example.org",
        subject=subject,
        in_reply_to=original_id,
        references=original_id,
        **kwargs,
    )


def headers_of(raw: bytes):
    return BytesParser(policy=policy.default).parsebytes(raw)


@pytest.fixture
def ticket(sim, gmail):
    """An incoming mail and its thread id."""
    mid = sim.deliver(SUPPORT, make_mail(message_id="<orig@example.org>"))
    return gmail.users().messages().get(userId="me", id=mid, format="minimal").execute()["threadId"]


def test_send_json_raw_gets_sent_label_and_joins_thread(sim, gmail, ticket):
    sent = (
        gmail.users()
        .messages()
        .send(userId="me", body={"raw": b64(reply_to("<orig@example.org>")), "threadId": ticket})
        .execute()
    )
    assert sent["labelIds"] == ["SENT"]
    assert sent["threadId"] == ticket
    assert gmail.users().messages().list(userId="me", q="in:inbox").execute()["resultSizeEstimate"] == 1


@pytest.mark.parametrize("with_metadata", [False, True], ids=["simple", "multipart"])
def test_send_upload_endpoint(sim, gmail, ticket, with_metadata):
    raw = reply_to("<orig@example.org>", body="via upload")
    body = {"threadId": ticket} if with_metadata else None
    sent = (
        gmail.users()
        .messages()
        .send(userId="me", body=body, media_body=MediaInMemoryUpload(raw, mimetype="message/rfc822"))
        .execute()
    )
    assert sent["labelIds"] == ["SENT"]
    assert (sent["threadId"] == ticket) is with_metadata  # no threadId: a new thread in the sender's box
    stored = sim.raw_message(SUPPORT, sent["id"])
    assert stored.endswith(raw)


def test_send_resumable_upload_one_chunk(sim, gmail, ticket):
    raw = reply_to("<orig@example.org>", body="y" * 5000)
    media = MediaInMemoryUpload(raw, mimetype="message/rfc822", resumable=True)
    sent = gmail.users().messages().send(userId="me", body={"threadId": ticket}, media_body=media).execute()
    assert sent["threadId"] == ticket
    assert sim.raw_message(SUPPORT, sent["id"]).endswith(raw)


def test_send_resumable_upload_in_chunks(sim, sim_server, gmail_credentials, ticket):
    """Chunks answer 308 (Resume Incomplete) without Location, as Google does. A plain httplib2.Http
    follows 308 as a redirect and fails; the product's gmail_service() builds its Http so that it does not."""
    service = gmail_service(gmail_credentials(SUPPORT), root_url=sim_server.url)
    raw = reply_to("<orig@example.org>", body="y" * 600_000)  # three 256 KiB chunks: 308, 308, 200
    media = MediaInMemoryUpload(raw, mimetype="message/rfc822", resumable=True, chunksize=1024 * 256)
    request = service.users().messages().send(userId="me", body={"threadId": ticket}, media_body=media)
    sent, steps = None, 0
    while sent is None:
        _, sent = request.next_chunk()
        steps += 1
    assert steps == 3
    assert sent["threadId"] == ticket
    assert sim.raw_message(SUPPORT, sent["id"]).endswith(raw)


def test_thread_id_without_matching_subject_or_references_starts_a_new_thread(gmail, ticket):
    other_subject = (
        gmail.users()
        .messages()
        .send(
            userId="me", body={"raw": b64(reply_to("<orig@example.org>", subject="Something else")), "threadId": ticket}
        )
        .execute()
    )
    no_refs = (
        gmail.users()
        .messages()
        .send(
            userId="me",
            body={
                "raw": b64(make_mail(sender=SUPPORT, to="a@example.org", subject="Re: Help needed")),
                "threadId": ticket,
            },
        )
        .execute()
    )
    assert other_subject["threadId"] != ticket
    assert no_refs["threadId"] != ticket


def test_incoming_reply_threads_by_headers_and_normalized_subject(sim, gmail, ticket):
    sent = (
        gmail.users()
        .messages()
        .send(userId="me", body={"raw": b64(reply_to("<orig@example.org>")), "threadId": ticket})
        .execute()
    )
    sent_msgid = headers_of(sim.raw_message(SUPPORT, sent["id"]))["Message-ID"]
    answer = sim.deliver(
        SUPPORT,
        make_mail(
            subject="AW: RE:  help NEEDED", in_reply_to=sent_msgid, references=f"<orig@example.org> {sent_msgid}"
        ),
    )
    assert gmail.users().messages().get(userId="me", id=answer, format="minimal").execute()["threadId"] == ticket


def test_send_adds_message_id_and_rewrites_from(sim, gmail):
    raw = b"From: Someone Else <other@example.net>\r\nTo: bob@example.org\r\nSubject: hi\r\n\r\nbody\r\n"
    sent = gmail.users().messages().send(userId="me", body={"raw": b64(raw)}).execute()
    stored = headers_of(sim.raw_message(SUPPORT, sent["id"]))
    assert stored["From"].addresses[0].addr_spec == SUPPORT
    assert stored["From"].addresses[0].display_name == "Someone Else"
    assert stored["Message-ID"].endswith("@mail.gmail.com>")
    assert stored["Date"]


def test_sent_mail_is_message_added_with_sent_not_inbox(sim, gmail):
    start = gmail.users().getProfile(userId="me").execute()["historyId"]
    gmail.users().messages().send(
        userId="me", body={"raw": b64(make_mail(sender=SUPPORT, to="x@example.org"))}
    ).execute()
    history = gmail.users().history().list(userId="me", startHistoryId=start).execute()["history"]
    assert history[0]["messagesAdded"][0]["message"]["labelIds"] == ["SENT"]


def test_send_needs_recipients(gmail):
    raw = b"From: support@example.com\r\nSubject: nobody\r\n\r\nhi\r\n"
    with pytest.raises(HttpError) as info:
        gmail.users().messages().send(userId="me", body={"raw": b64(raw)}).execute()
    assert api_error(info.value)["code"] == 400


def test_send_limit_counts_recipients_over_rolling_24h(sim, gmail):
    sim.set_send_limit(SUPPORT, 5)
    three = make_mail(sender=SUPPORT, to="a@x.org, b@x.org", cc="c@x.org")
    gmail.users().messages().send(userId="me", body={"raw": b64(three)}).execute()
    two = make_mail(sender=SUPPORT, to="d@x.org", bcc="e@x.org")
    gmail.users().messages().send(userId="me", body={"raw": b64(two)}).execute()
    with pytest.raises(HttpError) as info:
        gmail.users().messages().send(userId="me", body={"raw": b64(make_mail(sender=SUPPORT, to="f@x.org"))}).execute()
    error = api_error(info.value)
    assert error["code"] == 429
    when = re.fullmatch(r"User-rate limit exceeded\.  Retry after (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3})Z "
                        r"\(Mail sending\)", error["message"])
    assert when is not None  # Gmail's wording: the first send's recipients leave the window a day after it
    retry_at = datetime.fromisoformat(when.group(1)).replace(tzinfo=UTC).timestamp()
    assert abs(retry_at - (sim.clock.now() + 86_400)) < 5
    assert error["reason"] == "userRateLimitExceeded" and error["domain"] == "usageLimits"
    sim.advance_clock(86_401)
    gmail.users().messages().send(userId="me", body={"raw": b64(make_mail(sender=SUPPORT, to="f@x.org"))}).execute()


def test_send_limit_defaults_by_kind(sim, gmail_client):
    gmail_client("g@example.com", "gmail")
    gmail_client("w@example.com", "workspace")
    assert sim.mailbox_info("g@example.com")["sendLimit"] == 500
    assert sim.mailbox_info("w@example.com")["sendLimit"] == 2000


def test_send_limit_error_also_on_upload(sim, gmail):
    sim.set_send_limit(SUPPORT, 0)
    with pytest.raises(HttpError) as info:
        gmail.users().messages().send(
            userId="me", media_body=MediaInMemoryUpload(make_mail(sender=SUPPORT), mimetype="message/rfc822")
        ).execute()
    assert "(Mail sending)" in api_error(info.value)["message"]


def test_local_delivery_between_simulated_mailboxes(sim, gmail_client):
    sim.config.local_delivery = True
    agent = gmail_client(SUPPORT)
    gmail_client("customer@example.org")
    raw = make_mail(sender=SUPPORT, to="customer@example.org", subject="Your ticket #1")
    agent.users().messages().send(userId="me", body={"raw": b64(raw)}).execute()
    [received] = sim.messages("customer@example.org")
    assert received["labelIds"] == ["INBOX", "UNREAD"] and received["subject"] == "Your ticket #1"
