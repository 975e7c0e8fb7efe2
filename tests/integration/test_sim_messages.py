"""messages.get in every format, attachments, modify/batchModify/trash/delete, insert and import."""

from __future__ import annotations

import base64
from email import policy
from email.parser import BytesParser

import pytest
from googleapiclient.errors import HttpError
from googleapiclient.http import MediaInMemoryUpload

from tests.fixtures.sim import SUPPORT, api_error, make_mail


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def test_get_minimal_has_the_message_fields_with_int64_as_strings(sim, gmail):
    raw = make_mail(body="It's broken & <urgent>")
    mid = sim.deliver(SUPPORT, raw, internal_date_ms=1_700_000_000_123)
    got = gmail.users().messages().get(userId="me", id=mid, format="minimal").execute()
    assert set(got) == {"id", "threadId", "labelIds", "snippet", "historyId", "internalDate", "sizeEstimate"}
    assert got["internalDate"] == "1700000000123"
    assert got["historyId"].isdigit()
    assert got["sizeEstimate"] == len(raw)
    assert got["snippet"] == "It&#39;s broken &amp; &lt;urgent&gt;"
    assert got["labelIds"] == ["INBOX", "UNREAD"]


def test_get_metadata_with_selected_headers(sim, gmail):
    mid = sim.deliver(SUPPORT, make_mail(subject="Hello there", message_id="<x1@example.org>"))
    got = (
        gmail.users()
        .messages()
        .get(userId="me", id=mid, format="metadata", metadataHeaders=["Subject", "message-id"])
        .execute()
    )
    assert got["payload"]["headers"] == [
        {"name": "Subject", "value": "Hello there"},
        {"name": "Message-ID", "value": "<x1@example.org>"},
    ]
    assert "parts" not in got["payload"] and "body" not in got["payload"]


def test_get_full_payload_tree(sim, gmail):
    raw = make_mail(
        body="plain text", html="<p>html text</p>", attachments=[("a.pdf", b"%PDF-1.4 tiny", "application/pdf")]
    )
    mid = sim.deliver(SUPPORT, raw)
    payload = gmail.users().messages().get(userId="me", id=mid).execute()["payload"]
    assert payload["mimeType"] == "multipart/mixed" and payload["partId"] == ""
    assert {"name": "Subject", "value": "Help needed"} in payload["headers"]
    alternative, attachment = payload["parts"]
    assert alternative["partId"] == "0" and alternative["mimeType"] == "multipart/alternative"
    plain, html = alternative["parts"]
    assert (plain["partId"], plain["mimeType"], html["partId"]) == ("0.0", "text/plain", "0.1")
    assert unb64(plain["body"]["data"]).decode().strip() == "plain text"
    assert plain["body"]["size"] == len(unb64(plain["body"]["data"]))
    assert attachment["filename"] == "a.pdf" and attachment["partId"] == "1"
    assert "data" not in attachment["body"] and attachment["body"]["size"] == len(b"%PDF-1.4 tiny")
    fetched = (
        gmail.users()
        .messages()
        .attachments()
        .get(userId="me", messageId=mid, id=attachment["body"]["attachmentId"])
        .execute()
    )
    assert unb64(fetched["data"]) == b"%PDF-1.4 tiny"
    assert fetched["size"] == len(b"%PDF-1.4 tiny")


def test_big_body_comes_as_attachment_id(sim, gmail):
    big = "x" * (sim.config.inline_body_limit + 10)
    mid = sim.deliver(SUPPORT, make_mail(body=big))
    payload = gmail.users().messages().get(userId="me", id=mid).execute()["payload"]
    assert "data" not in payload["body"]
    data = (
        gmail.users()
        .messages()
        .attachments()
        .get(userId="me", messageId=mid, id=payload["body"]["attachmentId"])
        .execute()["data"]
    )
    assert unb64(data).decode().strip() == big


def test_unknown_attachment_id_is_an_error(sim, gmail):
    mid = sim.deliver(SUPPORT, make_mail())
    with pytest.raises(HttpError) as info:
        gmail.users().messages().attachments().get(userId="me", messageId=mid, id="nope").execute()
    assert api_error(info.value)["code"] == 400


def test_get_raw_is_base64url_of_the_exact_bytes(sim, gmail):
    raw = make_mail(subject="Ünïcödé ✓", body="Grüße")
    mid = sim.deliver(SUPPORT, raw)
    got = gmail.users().messages().get(userId="me", id=mid, format="raw").execute()
    assert unb64(got["raw"]) == raw
    assert "payload" not in got and got["id"] == mid
    assert "-" in got["raw"] or "_" in got["raw"] or "+" not in got["raw"]


def test_headers_are_decoded_like_gmail(sim, gmail):
    mid = sim.deliver(SUPPORT, make_mail(subject="Ünïcödé ✓"))
    got = gmail.users().messages().get(userId="me", id=mid, format="metadata", metadataHeaders=["Subject"]).execute()
    assert got["payload"]["headers"][0]["value"] == "Ünïcödé ✓"


def test_get_unknown_message_is_404_and_bad_id_400(gmail):
    with pytest.raises(HttpError) as info:
        gmail.users().messages().get(userId="me", id="18c0ffee00000000").execute()
    assert (api_error(info.value)["code"], api_error(info.value)["reason"]) == (404, "notFound")
    with pytest.raises(HttpError) as info:
        gmail.users().messages().get(userId="me", id="not-an-id").execute()
    assert api_error(info.value)["code"] == 400


def test_modify_adds_and_removes_labels(sim, gmail):
    mid = sim.deliver(SUPPORT, make_mail())
    label = gmail.users().labels().create(userId="me", body={"name": "Ticketed"}).execute()["id"]
    answer = (
        gmail.users()
        .messages()
        .modify(userId="me", id=mid, body={"addLabelIds": [label, "STARRED"], "removeLabelIds": ["UNREAD"]})
        .execute()
    )
    assert set(answer) == {"id", "threadId", "labelIds"}
    assert sorted(answer["labelIds"]) == sorted(["INBOX", "STARRED", label])


def test_modify_refuses_sent_draft_and_unknown_labels(sim, gmail):
    mid = sim.deliver(SUPPORT, make_mail())
    for body in (
        {"addLabelIds": ["SENT"]},
        {"addLabelIds": ["DRAFT"]},
        {"addLabelIds": ["Label_77"]},
        {"removeLabelIds": ["SENT"]},
    ):
        with pytest.raises(HttpError) as info:
            gmail.users().messages().modify(userId="me", id=mid, body=body).execute()
        assert api_error(info.value)["code"] == 400


def test_batch_modify_answers_empty_and_changes_all(sim, gmail):
    mids = [sim.deliver(SUPPORT, make_mail()) for _ in range(3)]
    answer = (
        gmail.users()
        .messages()
        .batchModify(userId="me", body={"ids": mids, "removeLabelIds": ["UNREAD", "INBOX"]})
        .execute()
    )
    assert answer == ""  # 204, no body: the client (RawModel) hands back ""
    for mid in mids:
        assert "labelIds" not in gmail.users().messages().get(userId="me", id=mid, format="minimal").execute()


def test_batch_modify_over_1000_ids_is_refused(gmail):
    with pytest.raises(HttpError) as info:
        gmail.users().messages().batchModify(
            userId="me", body={"ids": [f"{i:016x}" for i in range(1001)], "addLabelIds": ["STARRED"]}
        ).execute()
    assert api_error(info.value)["code"] == 400


def test_trash_untrash_and_delete(sim, gmail):
    mid = sim.deliver(SUPPORT, make_mail())
    assert "TRASH" in gmail.users().messages().trash(userId="me", id=mid).execute()["labelIds"]
    assert gmail.users().messages().list(userId="me").execute()["resultSizeEstimate"] == 0
    assert "TRASH" not in gmail.users().messages().untrash(userId="me", id=mid).execute()["labelIds"]
    gmail.users().messages().delete(userId="me", id=mid).execute()
    with pytest.raises(HttpError):
        gmail.users().messages().get(userId="me", id=mid).execute()


def test_insert_json_raw_with_labels(gmail):
    raw = make_mail(subject="Inserted")
    answer = (
        gmail.users().messages().insert(userId="me", body={"raw": b64(raw), "labelIds": ["INBOX", "UNREAD"]}).execute()
    )
    got = gmail.users().messages().get(userId="me", id=answer["id"], format="raw").execute()
    assert unb64(got["raw"]) == raw and got["labelIds"] == ["INBOX", "UNREAD"]


def test_insert_without_labels_is_archived(gmail):
    answer = gmail.users().messages().insert(userId="me", body={"raw": b64(make_mail())}).execute()
    assert "labelIds" not in answer
    assert gmail.users().messages().list(userId="me", q="in:inbox").execute()["resultSizeEstimate"] == 0


def test_insert_media_upload_simple_and_multipart(gmail):
    raw = make_mail(subject="Uploaded", attachments=[("bin.dat", bytes(range(256)), "application/octet-stream")])
    simple = (
        gmail.users()
        .messages()
        .insert(userId="me", media_body=MediaInMemoryUpload(raw, mimetype="message/rfc822"))
        .execute()
    )
    multi = (
        gmail.users()
        .messages()
        .insert(
            userId="me", body={"labelIds": ["INBOX"]}, media_body=MediaInMemoryUpload(raw, mimetype="message/rfc822")
        )
        .execute()
    )
    for answer in (simple, multi):
        got = gmail.users().messages().get(userId="me", id=answer["id"], format="raw").execute()
        assert unb64(got["raw"]) == raw
    assert multi["labelIds"] == ["INBOX"]


def test_import_json_and_upload_with_date_header(gmail):
    raw = make_mail(subject="Imported", date="Tue, 05 Mar 2024 10:00:00 +0000")
    via_json = (
        gmail.users()
        .messages()
        .import_(userId="me", body={"raw": b64(raw), "labelIds": ["INBOX"]}, internalDateSource="dateHeader")
        .execute()
    )
    via_upload = (
        gmail.users()
        .messages()
        .import_(
            userId="me", body={"labelIds": ["INBOX"]}, media_body=MediaInMemoryUpload(raw, mimetype="message/rfc822")
        )
        .execute()
    )
    first = gmail.users().messages().get(userId="me", id=via_json["id"], format="minimal").execute()
    assert first["internalDate"] == "1709632800000"
    assert gmail.users().messages().get(userId="me", id=via_upload["id"], format="minimal").execute()["labelIds"] == [
        "INBOX"
    ]


def test_insert_threads_a_reply_by_references_and_subject(gmail):
    first = (
        gmail.users()
        .messages()
        .insert(userId="me", body={"raw": b64(make_mail(subject="Broken", message_id="<p1@example.org>"))})
        .execute()
    )
    reply = (
        gmail.users()
        .messages()
        .insert(
            userId="me",
            body={
                "raw": b64(
                    make_mail(subject="RE: Broken", in_reply_to="<p1@example.org>", references="<p1@example.org>")
                )
            },
        )
        .execute()
    )
    other = (
        gmail.users()
        .messages()
        .insert(userId="me", body={"raw": b64(make_mail(subject="Different topic", in_reply_to="<p1@example.org>"))})
        .execute()
    )
    assert reply["threadId"] == first["threadId"]
    assert other["threadId"] != first["threadId"]


def test_invalid_raw_is_400(gmail):
    with pytest.raises(HttpError) as info:
        gmail.users().messages().insert(userId="me", body={"raw": "***"}).execute()
    assert api_error(info.value)["code"] == 400
    with pytest.raises(HttpError):
        gmail.users().messages().insert(userId="me", body={}).execute()


def test_threads_get_returns_messages_in_order(sim, gmail):
    first = sim.deliver(SUPPORT, make_mail(subject="Loop", message_id="<l1@example.org>"))
    second = sim.deliver(SUPPORT, make_mail(subject="Re: Loop", in_reply_to="<l1@example.org>"))
    thread_id = gmail.users().messages().get(userId="me", id=first, format="minimal").execute()["threadId"]
    thread = gmail.users().threads().get(userId="me", id=thread_id, format="minimal").execute()
    assert [m["id"] for m in thread["messages"]] == [first, second]
    parsed = BytesParser(policy=policy.default).parsebytes(sim.raw_message(SUPPORT, second))
    assert parsed["In-Reply-To"] == "<l1@example.org>"
