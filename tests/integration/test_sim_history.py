"""history.list: types, label filter, paging, gaps, snapshots, and 404 for stale start ids."""

from __future__ import annotations

import itertools

import pytest
from googleapiclient.errors import HttpError

from tests.fixtures.sim import SUPPORT, api_error, make_mail


def history(gmail, start, **kwargs):
    return gmail.users().history().list(userId="me", startHistoryId=start, **kwargs).execute()


@pytest.fixture
def start(gmail):
    return gmail.users().getProfile(userId="me").execute()["historyId"]


def test_records_oldest_first_with_typed_fields_and_snapshots(sim, gmail, start):
    mid = sim.deliver(SUPPORT, make_mail())
    sim.mark_read(SUPPORT, mid)
    sim.trash(SUPPORT, mid)
    sim.delete(SUPPORT, mid)
    answer = history(gmail, start)
    records = answer["history"]
    kinds = [next(k for k in r if k not in ("id", "messages")) for r in records]
    assert kinds == ["messagesAdded", "labelsRemoved", "labelsAdded", "messagesDeleted"]
    added = records[0]["messagesAdded"][0]["message"]
    assert added == {"id": mid, "threadId": mid, "labelIds": ["INBOX", "UNREAD"]}
    assert records[1]["labelsRemoved"][0] == {
        "message": {"id": mid, "threadId": mid, "labelIds": ["INBOX"]},
        "labelIds": ["UNREAD"],
    }
    assert records[2]["labelsAdded"][0]["labelIds"] == ["TRASH"]
    assert records[3]["messagesDeleted"][0]["message"]["labelIds"] == ["INBOX", "TRASH"]
    assert records[0]["messages"] == [{"id": mid, "threadId": mid}]
    assert answer["historyId"] == gmail.users().getProfile(userId="me").execute()["historyId"]
    assert "nextPageToken" not in answer


def test_ids_increase_with_gaps_and_match_message_history_id(sim, gmail, start):
    mids = [sim.deliver(SUPPORT, make_mail()) for _ in range(10)]
    ids = [int(r["id"]) for r in history(gmail, start)["history"]]
    assert ids == sorted(ids) and len(set(ids)) == 10
    assert all(b - a > 1 for a, b in itertools.pairwise(ids))
    assert int(start) < ids[0]
    last = gmail.users().messages().get(userId="me", id=mids[-1], format="minimal").execute()
    assert last["historyId"] == str(ids[-1])


def test_start_id_is_exclusive_and_current_id_gives_nothing(sim, gmail, start):
    sim.deliver(SUPPORT, make_mail())
    first = history(gmail, start)["history"][0]["id"]
    assert "history" not in history(gmail, first)
    current = history(gmail, start)["historyId"]
    assert history(gmail, current) == {"historyId": current}


def test_history_types_filter(sim, gmail, start):
    mid = sim.deliver(SUPPORT, make_mail())
    sim.mark_read(SUPPORT, mid)
    only_added = history(gmail, start, historyTypes=["messageAdded"])["history"]
    assert [list(r)[-1] for r in only_added] == ["messagesAdded"]
    both = history(gmail, start, historyTypes=["messageAdded", "labelRemoved"])["history"]
    assert len(both) == 2


def test_label_id_filter(sim, gmail, start):
    inbox = sim.deliver(SUPPORT, make_mail())
    gmail.users().messages().send(
        userId="me", body={"raw": "RnJvbTogc3VwcG9ydEBleGFtcGxlLmNvbQ0KVG86IHhAeC5vcmcNCg0KaGk="}
    ).execute()
    records = history(gmail, start, labelId="INBOX")["history"]
    assert [r["messagesAdded"][0]["message"]["id"] for r in records] == [inbox]
    sim.mark_read(SUPPORT, inbox)
    unread = history(gmail, start, labelId="UNREAD")["history"]
    assert len(unread) == 2  # added with UNREAD, then UNREAD removed


def test_paging(sim, gmail, start):
    for _ in range(7):
        sim.deliver(SUPPORT, make_mail())
    seen, token = [], None
    while True:
        answer = history(gmail, start, maxResults=3, pageToken=token)
        seen += [r["id"] for r in answer["history"]]
        token = answer.get("nextPageToken")
        if not token:
            break
        assert answer["historyId"] == sim.history_id(SUPPORT)
    assert len(seen) == 7 and seen == sorted(seen, key=int)


def test_max_results_capped_at_500(sim, gmail, start):
    for _ in range(501):
        sim.deliver(SUPPORT, b"From: a@x.org\r\nTo: support@example.com\r\nSubject: s\r\n\r\nb\r\n")
    answer = history(gmail, start, maxResults=900)
    assert len(answer["history"]) == 500 and "nextPageToken" in answer


def test_expired_start_id_is_404_not_found(sim, gmail, start):
    sim.deliver(SUPPORT, make_mail())
    sim.expire_history(SUPPORT)
    with pytest.raises(HttpError) as info:
        history(gmail, start)
    error = api_error(info.value)
    assert (error["code"], error["reason"]) == (404, "notFound")
    fresh = gmail.users().getProfile(userId="me").execute()["historyId"]
    assert history(gmail, fresh) == {"historyId": fresh}
    sim.deliver(SUPPORT, make_mail())
    assert len(history(gmail, fresh)["history"]) == 1


def test_retention_makes_old_ids_stale_but_keeps_the_current_id(sim, gmail, start):
    sim.deliver(SUPPORT, make_mail())
    cursor = gmail.users().getProfile(userId="me").execute()["historyId"]
    sim.advance_clock(sim.config.history_retention_s + 60)
    assert history(gmail, cursor) == {"historyId": cursor}  # an idle mailbox's cursor stays usable
    sim.deliver(SUPPORT, make_mail())
    with pytest.raises(HttpError) as info:
        history(gmail, start)
    assert api_error(info.value)["code"] == 404
    assert len(history(gmail, cursor)["history"]) == 1


def test_future_or_garbage_start_id(gmail, start):
    with pytest.raises(HttpError) as info:
        history(gmail, str(int(start) + 1000))
    assert api_error(info.value)["code"] == 404
    with pytest.raises(HttpError) as info:
        history(gmail, "abc")
    assert api_error(info.value)["code"] == 400
