"""Profile, labels and account checks through the real client."""

from __future__ import annotations

import pytest
from googleapiclient.errors import HttpError

from tests.fixtures.sim import SUPPORT, api_error, make_mail


def test_profile_names_the_tokens_account(sim, gmail):
    sim.deliver(SUPPORT, make_mail())
    sim.deliver(SUPPORT, make_mail())
    profile = gmail.users().getProfile(userId="me").execute()
    assert profile["emailAddress"] == SUPPORT
    assert profile["messagesTotal"] == 2
    assert profile["threadsTotal"] == 2
    assert profile["historyId"] == sim.history_id(SUPPORT)
    assert isinstance(profile["historyId"], str)


def test_explicit_user_id_must_match_the_token(gmail, gmail_client):
    gmail_client("other@example.com")
    assert gmail.users().getProfile(userId=SUPPORT).execute()["emailAddress"] == SUPPORT
    assert gmail.users().getProfile(userId=SUPPORT.upper()).execute()["emailAddress"] == SUPPORT
    with pytest.raises(HttpError) as info:
        gmail.users().getProfile(userId="other@example.com").execute()
    assert api_error(info.value)["code"] == 403
    assert api_error(info.value)["reason"] == "forbidden"


def test_each_mailbox_sees_only_its_own_mail(sim, gmail_client):
    a, b = gmail_client("a@example.com"), gmail_client("b@example.com")
    sim.deliver("a@example.com", make_mail(to="a@example.com"))
    assert a.users().messages().list(userId="me").execute()["resultSizeEstimate"] == 1
    assert b.users().messages().list(userId="me").execute()["resultSizeEstimate"] == 0


def test_labels_list_has_the_system_labels(gmail):
    labels = {label["id"]: label for label in gmail.users().labels().list(userId="me").execute()["labels"]}
    for system in (
        "INBOX",
        "UNREAD",
        "SENT",
        "DRAFT",
        "SPAM",
        "TRASH",
        "STARRED",
        "IMPORTANT",
        "CATEGORY_PERSONAL",
        "CATEGORY_SOCIAL",
        "CATEGORY_PROMOTIONS",
        "CATEGORY_UPDATES",
        "CATEGORY_FORUMS",
    ):
        assert labels[system]["type"] == "system"


def test_labels_create_get_and_counts(sim, gmail):
    created = (
        gmail.users()
        .labels()
        .create(
            userId="me",
            body={"name": "Tickets/Done", "labelListVisibility": "labelShow", "messageListVisibility": "show"},
        )
        .execute()
    )
    assert created["type"] == "user" and created["name"] == "Tickets/Done"
    mid = sim.deliver(SUPPORT, make_mail(), ["INBOX", "UNREAD", created["id"]])
    got = gmail.users().labels().get(userId="me", id=created["id"]).execute()
    assert got["messagesTotal"] == 1 and got["messagesUnread"] == 1 and got["threadsTotal"] == 1
    sim.mark_read(SUPPORT, mid)
    assert gmail.users().labels().get(userId="me", id=created["id"]).execute()["messagesUnread"] == 0
    names = [label["name"] for label in gmail.users().labels().list(userId="me").execute()["labels"]]
    assert "Tickets/Done" in names


def test_labels_create_taken_name_is_409_duplicate_case_insensitively(gmail):
    gmail.users().labels().create(userId="me", body={"name": "Helpdesk"}).execute()
    with pytest.raises(HttpError) as info:
        gmail.users().labels().create(userId="me", body={"name": "HELPDESK"}).execute()
    error = api_error(info.value)
    assert (error["code"], error["reason"], error["status"]) == (409, "duplicate", "ALREADY_EXISTS")


def test_labels_create_system_name_is_refused(gmail):
    with pytest.raises(HttpError) as info:
        gmail.users().labels().create(userId="me", body={"name": "Inbox"}).execute()
    assert api_error(info.value)["code"] == 400


def test_labels_get_unknown_is_404(gmail):
    with pytest.raises(HttpError) as info:
        gmail.users().labels().get(userId="me", id="Label_999").execute()
    assert api_error(info.value)["reason"] == "notFound"


def test_labels_patch_and_delete(sim, gmail):
    label = gmail.users().labels().create(userId="me", body={"name": "Old"}).execute()
    mid = sim.deliver(SUPPORT, make_mail(), ["INBOX", label["id"]])
    patched = gmail.users().labels().patch(userId="me", id=label["id"], body={"name": "New"}).execute()
    assert patched["name"] == "New"
    gmail.users().labels().delete(userId="me", id=label["id"]).execute()
    assert label["id"] not in gmail.users().messages().get(userId="me", id=mid).execute()["labelIds"]


def test_partial_response_with_fields(sim, gmail):
    mid = sim.deliver(SUPPORT, make_mail())
    got = gmail.users().messages().get(userId="me", id=mid, fields="id,labelIds").execute()
    assert got == {"id": mid, "labelIds": ["INBOX", "UNREAD"]}
    listed = gmail.users().messages().list(userId="me", fields="messages(id)").execute()
    assert listed == {"messages": [{"id": mid}]}
