"""messages.list: the search operators, negation, paging and the spam/trash rule, through the real client."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tests.fixtures.sim import SUPPORT, make_mail

DAY_MS = 86_400_000


def ids(gmail, **kwargs) -> list[str]:
    answer = gmail.users().messages().list(userId="me", **kwargs).execute()
    return [m["id"] for m in answer.get("messages", [])]


@pytest.fixture
def box(sim, gmail):
    """A small mailbox: named messages with distinct senders, labels and dates."""
    now_ms = sim.clock.now_ms()
    m = {}
    m["new"] = sim.deliver(
        SUPPORT,
        make_mail(subject="Printer on fire", sender="Bob <bob@example.org>", message_id="<fire@example.org>"),
        internal_date_ms=now_ms - 1000,
    )
    m["read"] = sim.deliver(
        SUPPORT,
        make_mail(subject="Invoice question", sender="carol@example.net", body="Where is my invoice?"),
        ["INBOX"],
        internal_date_ms=now_ms - 2 * DAY_MS,
    )
    m["starred"] = sim.deliver(
        SUPPORT,
        make_mail(subject="Refund please", cc="dave@example.com"),
        ["INBOX", "UNREAD", "STARRED"],
        internal_date_ms=now_ms - 10 * DAY_MS,
    )
    m["old"] = sim.deliver(
        SUPPORT, make_mail(subject="Ancient history"), ["INBOX"], internal_date_ms=now_ms - 400 * DAY_MS
    )
    m["spam"] = sim.deliver(
        SUPPORT, make_mail(subject="You won a prize"), ["SPAM", "UNREAD"], internal_date_ms=now_ms - 3000
    )
    m["trash"] = sim.deliver(SUPPORT, make_mail(subject="Printer fixed"), ["TRASH"], internal_date_ms=now_ms - 4000)
    m["sent"] = (
        gmail.users()
        .messages()
        .send(userId="me", body={"raw": _raw(make_mail(sender=SUPPORT, to="erin@example.org", subject="Your ticket"))})
        .execute()["id"]
    )
    return m


def _raw(data: bytes) -> str:
    import base64

    return base64.urlsafe_b64encode(data).decode()


def test_list_is_newest_first_and_excludes_spam_and_trash(gmail, box):
    assert ids(gmail) == [box["sent"], box["new"], box["read"], box["starred"], box["old"]]
    answer = gmail.users().messages().list(userId="me").execute()
    assert answer["resultSizeEstimate"] == 5
    assert set(answer["messages"][0]) == {"id", "threadId"}


def test_include_spam_trash_and_in_spam_trash_anywhere(gmail, box):
    assert set(ids(gmail, includeSpamTrash=True)) == set(box.values())
    assert ids(gmail, q="in:spam") == [box["spam"]]
    assert ids(gmail, q="in:trash") == [box["trash"]]
    assert set(ids(gmail, q="in:anywhere")) == set(box.values())
    assert ids(gmail, labelIds=["SPAM"]) == [box["spam"]]


def test_in_inbox_sent_and_drafts(gmail, box):
    assert ids(gmail, q="in:inbox") == [box["new"], box["read"], box["starred"], box["old"]]
    assert ids(gmail, q="in:sent") == [box["sent"]]
    assert ids(gmail, q="in:drafts") == []


def test_is_unread_read_starred(gmail, box):
    assert ids(gmail, q="is:unread") == [box["new"], box["starred"]]
    assert ids(gmail, q="is:read in:inbox") == [box["read"], box["old"]]
    assert ids(gmail, q="is:starred") == [box["starred"]]


def test_after_before_epoch_seconds(sim, gmail, box):
    now_s = int(sim.clock.now())
    assert ids(gmail, q=f"after:{now_s - 3 * 86400}") == [box["sent"], box["new"], box["read"]]
    assert ids(gmail, q=f"before:{now_s - 3 * 86400}") == [box["starred"], box["old"]]


def test_after_before_dates_are_pacific_midnight(sim, gmail):
    pacific = ZoneInfo("America/Los_Angeles")
    at = datetime(2024, 3, 10, 0, 30, tzinfo=pacific)  # 30 min after Pacific midnight
    mid = sim.deliver(SUPPORT, make_mail(), internal_date_ms=int(at.timestamp() * 1000))
    assert ids(gmail, q="after:2024/03/10") == [mid]
    assert ids(gmail, q="after:2024/03/11") == []
    assert ids(gmail, q="before:2024/03/11 after:2024/03/09") == [mid]
    assert ids(gmail, q="before:2024/03/10") == []


def test_newer_than_older_than(gmail, box):
    assert ids(gmail, q="newer_than:1d") == [box["sent"], box["new"]]
    assert ids(gmail, q="newer_than:1m") == [box["sent"], box["new"], box["read"], box["starred"]]
    assert ids(gmail, q="older_than:1y") == [box["old"]]
    assert ids(gmail, q="older_than:5d newer_than:1y") == [box["starred"]]


def test_label_operator_by_user_label_name(sim, gmail, box):
    label = gmail.users().labels().create(userId="me", body={"name": "Needs Reply"}).execute()
    sim.modify_labels(SUPPORT, box["read"], [label["id"]])
    assert ids(gmail, q="label:needs-reply") == [box["read"]]
    assert ids(gmail, q='label:"Needs Reply"') == [box["read"]]
    assert ids(gmail, labelIds=[label["id"]]) == [box["read"]]
    assert ids(gmail, q="label:inbox is:unread") == [box["new"], box["starred"]]


def test_from_to_cc_subject(gmail, box):
    assert ids(gmail, q="from:bob@example.org") == [box["new"]]
    assert ids(gmail, q="from:bob") == [box["new"]]
    assert ids(gmail, q="from:me") == [box["sent"]]
    assert ids(gmail, q="to:erin@example.org") == [box["sent"]]
    assert ids(gmail, q="to:dave@example.com") == [box["starred"]]
    assert ids(gmail, q="cc:dave") == [box["starred"]]
    assert ids(gmail, q="subject:printer") == [box["new"]]
    assert ids(gmail, q='subject:"on fire"') == [box["new"]]
    assert ids(gmail, q="subject:(printer fire)") == [box["new"]]


def test_rfc822msgid(gmail, box):
    assert ids(gmail, q="rfc822msgid:fire@example.org") == [box["new"]]
    assert ids(gmail, q="rfc822msgid:<fire@example.org>") == [box["new"]]


def test_free_text_and_or(gmail, box):
    assert ids(gmail, q="invoice") == [box["read"]]
    assert ids(gmail, q="refund OR invoice") == [box["read"], box["starred"]]
    assert ids(gmail, q="{refund invoice}") == [box["read"], box["starred"]]


def test_negation(gmail, box):
    assert ids(gmail, q="-is:unread in:inbox") == [box["read"], box["old"]]
    assert ids(gmail, q="in:inbox -from:bob -subject:refund") == [box["read"], box["old"]]
    assert ids(gmail, q="-in:inbox") == [box["sent"]]


def test_and_of_terms_with_label_ids(gmail, box):
    assert ids(gmail, q="is:unread", labelIds=["STARRED"]) == [box["starred"]]
    assert ids(gmail, labelIds=["INBOX", "UNREAD"]) == [box["new"], box["starred"]]


def test_has_attachment_and_filename(sim, gmail):
    with_file = sim.deliver(SUPPORT, make_mail(attachments=[("log.txt", b"boom", "text/plain")]))
    sim.deliver(SUPPORT, make_mail())
    assert ids(gmail, q="has:attachment") == [with_file]
    assert ids(gmail, q="filename:log.txt") == [with_file]


def test_paging_with_next_page_token(sim, gmail):
    now = sim.clock.now_ms()
    made = [sim.deliver(SUPPORT, make_mail(), internal_date_ms=now - i * 1000) for i in range(7)]
    seen, token, pages = [], None, 0
    while True:
        answer = gmail.users().messages().list(userId="me", maxResults=3, pageToken=token).execute()
        assert answer["resultSizeEstimate"] == 7
        seen += [m["id"] for m in answer["messages"]]
        pages += 1
        token = answer.get("nextPageToken")
        if not token:
            break
    assert seen == made and pages == 3


def test_paging_is_stable_when_mail_arrives_between_pages(sim, gmail):
    now = sim.clock.now_ms()
    made = [sim.deliver(SUPPORT, make_mail(), internal_date_ms=now - i * 1000) for i in range(4)]
    first = gmail.users().messages().list(userId="me", maxResults=2).execute()
    sim.deliver(SUPPORT, make_mail(), internal_date_ms=now + 5000)
    second = gmail.users().messages().list(userId="me", maxResults=2, pageToken=first["nextPageToken"]).execute()
    assert [m["id"] for m in first["messages"] + second["messages"]] == made


def test_max_results_default_100_and_capped_at_500(sim, gmail):
    for _ in range(510):
        sim.deliver(SUPPORT, b"From: x@example.org\r\nTo: support@example.com\r\nSubject: bulk\r\n\r\nhi\r\n")
    assert len(gmail.users().messages().list(userId="me").execute()["messages"]) == 100
    assert len(gmail.users().messages().list(userId="me", maxResults=1000).execute()["messages"]) == 500


def test_empty_result(gmail):
    assert gmail.users().messages().list(userId="me", q="from:nobody").execute() == {"resultSizeEstimate": 0}


def test_larger_smaller_and_size_compare_the_message_bytes(sim, gmail):
    small = sim.deliver(SUPPORT, make_mail(subject="small", body="x"))
    big = sim.deliver(SUPPORT, make_mail(subject="big", body="y" * 300_000))
    assert ids(gmail, q="larger:200K") == [big]
    assert ids(gmail, q="size:200000") == [big]
    assert ids(gmail, q="smaller:1M") == [big, small]
    assert ids(gmail, q="-larger:200K") == [small]


def test_a_bad_size_is_a_bad_request(gmail):
    from googleapiclient.errors import HttpError

    with pytest.raises(HttpError) as raised:
        ids(gmail, q="larger:lots")
    assert raised.value.resp.status == 400
