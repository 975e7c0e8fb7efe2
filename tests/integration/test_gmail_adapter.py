"""GmailMailbox against the Gmail simulator over HTTP, through the real google-api-python-client and
google-auth: batching, backoff, typed errors, quota-aware label changes, sending, tokens, watch.

Backoff runs with millisecond delays; where a test checks the waits themselves it records them instead of
sleeping. The simulator's own counters (what the server saw) are the evidence for "one HTTP batch" and
"not retried"; the adapter's `usage` must agree with them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from devstack.gmail_sim import GmailSimulator, SimServer
from gmail_tickets.adapters import gmail_labels
from gmail_tickets.adapters.gmail_api import SEND_ATTEMPTS, GmailMailbox
from gmail_tickets.adapters.gmail_retry import RetryPolicy
from gmail_tickets.errors import (
    HistoryExpired,
    MailboxError,
    RateLimited,
    SendLimitReached,
    TokenRevoked,
    TransientError,
)
from tests.fixtures.sim import make_mail

ADDRESS = "support@example.com"
FAST = RetryPolicy(max_attempts=5, initial_delay=0.001, max_delay=0.005, jitter=0.001)


@pytest.fixture
def mailbox_for(sim: GmailSimulator, sim_server: SimServer) -> Iterator[Callable[..., GmailMailbox]]:
    made: list[GmailMailbox] = []

    def make(address: str = ADDRESS, *, retry: RetryPolicy = FAST, kind: str = "gmail") -> GmailMailbox:
        if address.lower() not in (a.lower() for a in sim.mailboxes()):
            sim.add_mailbox(address, kind)
        c = sim.credentials(address)  # token_uri points at the served /token
        mb = GmailMailbox.from_refresh_token(
            address, refresh_token=c.refresh_token, client_id=c.client_id, client_secret=c.client_secret,
            token_uri=c.token_uri, root_url=sim_server.url, retry=retry,
        )
        made.append(mb)
        return mb

    yield make
    for mb in made:
        mb.close()


@pytest.fixture
def mailbox(mailbox_for: Callable[..., GmailMailbox]) -> GmailMailbox:
    return mailbox_for()


def deliver(sim: GmailSimulator, n: int, address: str = ADDRESS, **kw: Any) -> list[str]:
    return [sim.deliver(address, make_mail(subject=f"Case {i}", **kw)) for i in range(n)]


def methods(sim: GmailSimulator, address: str = ADDRESS) -> dict[str, dict[str, int]]:
    return sim.counters(address)["methods"]


def recording(**kw: Any) -> tuple[RetryPolicy, list[float]]:
    slept: list[float] = []
    params = {"max_attempts": 5, "initial_delay": 0.001, "max_delay": 0.005, "jitter": 0.0, **kw}
    return RetryPolicy(sleep=slept.append, **params), slept


# --------------------------------------------------------------------------- profile and tokens


def test_first_call_refreshes_the_token_through_the_simulator(
    sim: GmailSimulator, mailbox: GmailMailbox
) -> None:
    credentials = mailbox._credentials
    assert credentials.token is None
    profile = mailbox.profile()
    assert profile.email_address == ADDRESS
    assert profile.history_id == int(sim.history_id(ADDRESS))
    assert str(credentials.token).startswith("ya29.sim-")  # an access token minted by the sim's /token
    assert mailbox.usage.units == {"getProfile": 1}
    assert methods(sim)["getProfile"] == {"calls": 1, "units": 1, "errors": 0}


def test_an_expired_access_token_is_refreshed_on_401(sim: GmailSimulator, mailbox: GmailMailbox) -> None:
    mailbox.profile()
    first = mailbox._credentials.token
    sim.advance_clock(4000)  # past the access token's lifetime on the simulator's clock
    assert mailbox.profile().email_address == ADDRESS
    assert mailbox._credentials.token != first


def test_revoked_grant_raises_token_revoked_before_and_during_a_session(
    sim: GmailSimulator, mailbox_for: Callable[..., GmailMailbox]
) -> None:
    fresh = mailbox_for()
    sim.revoke(ADDRESS)
    with pytest.raises(TokenRevoked) as info:
        fresh.profile()  # no access token yet: the refresh itself answers invalid_grant
    refresh_token = sim.credentials(ADDRESS).refresh_token
    assert refresh_token not in str(info.value)

    sim.restore(ADDRESS)
    live = mailbox_for()
    live.profile()
    access_token = str(live._credentials.token)
    sim.revoke(ADDRESS)
    with pytest.raises(TokenRevoked) as info:
        live.get_meta(["a", "b"])  # batch: 401 → refresh → invalid_grant
    with pytest.raises(TokenRevoked):
        live.profile()  # single call: same
    text = str(info.value) + "".join(getattr(info.value, "__notes__", []))
    assert access_token not in text
    assert refresh_token not in text


def test_a_401_that_persists_after_refresh_is_token_revoked(
    sim: GmailSimulator, mailbox: GmailMailbox
) -> None:
    mailbox.profile()
    sim.inject_faults(401, count=10, method="getProfile")
    with pytest.raises(TokenRevoked):
        mailbox.profile()
    assert methods(sim)["getProfile"]["calls"] == 1 + 3  # google-auth refreshed twice, we did not retry


# --------------------------------------------------------------------------- batched reads


def test_fifty_gets_travel_in_one_http_batch(sim: GmailSimulator, mailbox: GmailMailbox) -> None:
    ids = deliver(sim, 50)
    raws = mailbox.get_raw(ids)
    assert list(raws) == ids
    for mid in ids:
        got = raws[mid]
        assert got is not None
        assert got.raw == sim.raw_message(ADDRESS, mid)
        assert got.internal_date.tzinfo is not None
        assert "INBOX" in got.label_ids
    counted = methods(sim)
    assert counted["batch"]["calls"] == 1
    assert counted["messages.get"] == {"calls": 50, "units": 250, "errors": 0}
    assert mailbox.usage.http_requests == 1
    assert mailbox.usage.units["messages.get"] == 250


def test_more_than_fifty_ids_are_split_into_batches_of_fifty(
    sim: GmailSimulator, mailbox: GmailMailbox
) -> None:
    ids = deliver(sim, 101)
    metas = mailbox.get_meta(ids + ids[:5])  # duplicates are fetched once
    assert set(metas) == set(ids)
    assert all(m is not None and m.history_id > 0 for m in metas.values())
    counted = methods(sim)
    assert counted["batch"]["calls"] == 2  # 50 + 50 batched; the 101st alone needs no batch
    assert counted["messages.get"]["calls"] == 101
    assert mailbox.usage.http_requests == 3


def test_a_deleted_message_is_none_not_an_error(sim: GmailSimulator, mailbox: GmailMailbox) -> None:
    ids = deliver(sim, 3)
    sim.delete(ADDRESS, ids[1])
    metas = mailbox.get_meta(ids)
    assert metas[ids[1]] is None
    assert metas[ids[0]] is not None and metas[ids[2]] is not None
    assert mailbox.get_raw([ids[1]]) == {ids[1]: None}
    assert mailbox.get_meta([]) == {}


def test_a_429_storm_inside_a_batch_retries_only_the_failed_items(
    sim: GmailSimulator, mailbox: GmailMailbox
) -> None:
    ids = deliver(sim, 20)
    sim.inject_faults(429, count=12, method="messages.get")
    metas = mailbox.get_meta(ids)
    assert all(metas[mid] is not None for mid in ids)
    counted = methods(sim)
    assert counted["messages.get"]["errors"] == 12
    assert counted["messages.get"]["calls"] == 20 + 12  # 12 failed once and were asked again, no more
    assert counted["batch"]["calls"] == 2
    assert mailbox.usage.retries == 1


def test_a_whole_batch_failing_with_503_is_retried(sim: GmailSimulator, mailbox: GmailMailbox) -> None:
    ids = deliver(sim, 5)
    sim.inject_faults(503, count=2, method="batch")
    assert all(v is not None for v in mailbox.get_raw(ids).values())
    assert methods(sim)["batch"]["calls"] == 3


def test_batch_items_still_rate_limited_after_the_last_attempt_raise_rate_limited(
    sim: GmailSimulator, mailbox: GmailMailbox
) -> None:
    ids = deliver(sim, 3)
    sim.inject_faults(429, count=1000, method="messages.get")
    with pytest.raises(RateLimited) as info:
        mailbox.get_meta(ids)
    assert "gave up after 5 attempts" in "".join(info.value.__notes__)
    assert methods(sim)["batch"]["calls"] == 5


# --------------------------------------------------------------------------- backoff on single calls


def test_backoff_through_a_429_storm_succeeds(sim: GmailSimulator, mailbox_for: Callable[..., GmailMailbox]) -> None:
    policy, slept = recording(max_attempts=6, initial_delay=0.001, max_delay=0.004)
    mb = mailbox_for(retry=policy)
    sim.inject_faults(429, count=5, method="getProfile")
    assert mb.profile().email_address == ADDRESS
    assert slept == [0.001, 0.002, 0.004, 0.004, 0.004]  # doubling, capped
    assert methods(sim)["getProfile"] == {"calls": 6, "units": 1, "errors": 5}
    assert mb.usage.calls["getProfile"] == 6
    assert mb.usage.retries == 5


def test_retry_after_is_honoured(sim: GmailSimulator, mailbox_for: Callable[..., GmailMailbox]) -> None:
    policy, slept = recording()
    mb = mailbox_for(retry=policy)
    sim.inject_faults(429, count=1, method="labels.list", retry_after=3)
    mb.ensure_label("Helpdesk")
    assert slept == [3.0]


def test_a_5xx_storm_is_retried_and_then_reported_as_transient(
    sim: GmailSimulator, mailbox: GmailMailbox
) -> None:
    start = mailbox.profile().history_id
    deliver(sim, 1)
    sim.inject_faults(503, count=2, method="history.list")
    sim.inject_faults(500, count=2, method="history.list")
    pages = list(mailbox.history(start))
    assert [r.kind for p in pages for r in p.records] == ["messageAdded"]

    sim.inject_faults(500, count=100, method="history.list")
    with pytest.raises(TransientError) as info:
        list(mailbox.history(start))
    assert not isinstance(info.value, RateLimited)
    assert methods(sim)["history.list"]["errors"] == 4 + 5


def test_rate_limit_403_is_retried_but_a_permission_403_is_not(
    sim: GmailSimulator, mailbox: GmailMailbox
) -> None:
    sim.inject_faults(403, count=2, method="labels.list", reason="rateLimitExceeded")
    sim.inject_faults(403, count=1, method="labels.list", reason="userRateLimitExceeded")
    mailbox.ensure_label("Helpdesk")
    assert methods(sim)["labels.list"]["calls"] == 4

    sim.reset_counters(ADDRESS)
    # Same status, a message that even says "rate": the reason field decides.
    sim.inject_faults(403, count=1, method="labels.list", reason="insufficientPermissions",
                      message="Request had insufficient authentication scopes (rate).")
    with pytest.raises(MailboxError) as info:
        mailbox.ensure_label("Helpdesk")
    assert not isinstance(info.value, TransientError)
    assert "insufficientPermissions" in str(info.value)
    assert methods(sim)["labels.list"]["calls"] == 1


def test_quota_exhaustion_backs_off_then_raises_rate_limited(
    sim: GmailSimulator, mailbox: GmailMailbox
) -> None:
    sim.set_quota(per_minute=3)
    mailbox.profile()
    mailbox.profile()
    mailbox.profile()
    with pytest.raises(RateLimited):
        mailbox.profile()
    assert methods(sim)["getProfile"]["calls"] == 3 + 5


# --------------------------------------------------------------------------- history and listing


def test_history_pages_list_paging_and_expiry(sim: GmailSimulator, mailbox: GmailMailbox) -> None:
    start = mailbox.profile().history_id
    ids = deliver(sim, 520)
    current = int(sim.history_id(ADDRESS))

    pages = list(mailbox.history(start, label_id="INBOX"))
    assert len(pages) == 2
    assert [p.history_id for p in pages] == [None, current]  # the cursor only on the last page
    records = [r for p in pages for r in p.records]
    assert [r.message.id for r in records] == ids  # oldest first, one per message
    assert all(r.kind == "messageAdded" and "INBOX" in r.label_ids for r in records)
    assert [r.history_id for r in records] == sorted(r.history_id for r in records)
    assert methods(sim)["history.list"]["calls"] == 2

    listed = list(mailbox.list_messages(label_ids=["INBOX"]))
    assert [m.id for m in listed] == list(reversed(ids))  # newest first, across two pages
    assert methods(sim)["messages.list"]["calls"] == 2
    assert [m.id for m in mailbox.list_messages('subject:"Case 519"')] == [ids[519]]
    assert len(list(mailbox.list_messages(limit=3))) == 3
    assert methods(sim)["messages.list"]["calls"] == 4

    sim.expire_history(ADDRESS)
    with pytest.raises(HistoryExpired):
        next(mailbox.history(start))


def test_history_flattens_label_changes_and_deletions(sim: GmailSimulator, mailbox: GmailMailbox) -> None:
    start = mailbox.profile().history_id
    a, b = deliver(sim, 2)
    sim.trash(ADDRESS, a)
    sim.mark_read(ADDRESS, b)
    sim.delete(ADDRESS, b)
    types = ("messageAdded", "messageDeleted", "labelAdded", "labelRemoved")
    (page,) = list(mailbox.history(start, history_types=types))
    kinds = [(r.kind, r.message.id, r.changed_label_ids) for r in page.records]
    assert kinds == [
        ("messageAdded", a, ()),
        ("messageAdded", b, ()),
        ("labelAdded", a, ("TRASH",)),
        ("labelRemoved", b, ("UNREAD",)),
        ("messageDeleted", b, ()),
    ]
    assert page.history_id == int(sim.history_id(ADDRESS))
    only_added = [r.kind for p in mailbox.history(start) for r in p.records]
    assert only_added == ["messageAdded", "messageAdded", "labelAdded"]


def test_list_messages_excludes_spam_and_trash_unless_asked(sim: GmailSimulator, mailbox: GmailMailbox) -> None:
    a, b = deliver(sim, 2)
    sim.trash(ADDRESS, a)
    assert [m.id for m in mailbox.list_messages()] == [b]
    assert {m.id for m in mailbox.list_messages(include_spam_trash=True)} == {a, b}
    assert list(mailbox.list_messages(limit=0)) == []


# --------------------------------------------------------------------------- labels


def test_ensure_label_creates_once_then_reuses_case_insensitively(
    sim: GmailSimulator, mailbox: GmailMailbox
) -> None:
    label_id = mailbox.ensure_label("Helpdesk/Processed")
    assert label_id.startswith("Label_")
    assert mailbox.ensure_label("Helpdesk/Processed") == label_id
    assert mailbox.ensure_label("helpdesk/PROCESSED") == label_id
    assert methods(sim)["labels.create"]["calls"] == 1
    assert mailbox.usage.units["labels.create"] == 5
    assert mailbox.usage.units["labels.list"] == 3


def test_ensure_label_reuses_a_label_created_in_a_race(
    sim: GmailSimulator, mailbox: GmailMailbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another worker creates the label between our labels.list and labels.create: Gmail answers 409."""
    real_call = sim.call
    theirs: list[str] = []

    def racing_call(address: str, req: Any) -> Any:
        reply = real_call(address, req)
        if req.method == "labels.list" and not theirs:
            theirs.append(sim.create_label(ADDRESS, "HELPDESK"))
        return reply

    monkeypatch.setattr(sim, "call", racing_call)
    assert mailbox.ensure_label("Helpdesk") == theirs[0]
    counted = methods(sim)
    assert counted["labels.create"] == {"calls": 1, "units": 5, "errors": 1}
    assert counted["labels.list"]["calls"] == 2


# --------------------------------------------------------------------------- label changes by cost


def test_modify_for_ten_ids_and_batch_modify_beyond(sim: GmailSimulator, mailbox: GmailMailbox) -> None:
    label = mailbox.ensure_label("Helpdesk")
    ids = deliver(sim, 21)
    sim.reset_counters(ADDRESS)

    mailbox.modify_labels(ids[:10], add=[label], remove=["UNREAD"])
    counted = methods(sim)
    assert counted["messages.modify"] == {"calls": 10, "units": 50, "errors": 0}
    assert counted["batch"]["calls"] == 1  # ten modify calls, one round trip
    assert "messages.batchModify" not in counted

    mailbox.modify_labels(ids[10:], add=[label], remove=["UNREAD"])
    counted = methods(sim)
    assert counted["messages.batchModify"] == {"calls": 1, "units": 50, "errors": 0}
    assert counted["messages.modify"]["calls"] == 10

    for mid in ids:
        labels = sim.message(ADDRESS, mid)["labelIds"]
        assert label in labels and "UNREAD" not in labels
    assert mailbox.usage.units["messages.modify"] == 50
    assert mailbox.usage.units["messages.batchModify"] == 50
    # What `bench scale` prices owed labels with agrees with what the simulator counted (11 ids: one batchModify).
    assert gmail_labels.modify_units(10) == 50 and gmail_labels.modify_units(11) == 50
    assert gmail_labels.modify_units(3) == 15 and gmail_labels.modify_units(1001) == 55


def test_modify_skips_a_message_that_is_gone(sim: GmailSimulator, mailbox: GmailMailbox) -> None:
    a, b = deliver(sim, 2)
    sim.delete(ADDRESS, a)
    mailbox.modify_labels([a, b], remove=["UNREAD"])
    assert "UNREAD" not in sim.message(ADDRESS, b)["labelIds"]
    sim.reset_counters(ADDRESS)
    mailbox.modify_labels([b])  # nothing to change: no call at all
    assert methods(sim) == {}


# --------------------------------------------------------------------------- sending


def test_send_lands_in_sent_and_in_the_customers_thread(sim: GmailSimulator, mailbox: GmailMailbox) -> None:
    inbound = sim.deliver(ADDRESS, make_mail(subject="Printer on fire", message_id="<q1@example.org>"))
    thread_id = sim.message(ADDRESS, inbound)["threadId"]
    reply = make_mail(
        sender=ADDRESS, to="alice@example.org", subject="Re: Printer on fire",
        in_reply_to="<q1@example.org>", references="<q1@example.org>", body="We are on it.",
    )
    sent = mailbox.send(reply, thread_id=thread_id)
    assert sent.thread_id == thread_id
    stored = sim.message(ADDRESS, sent.id)
    assert "SENT" in stored["labelIds"]
    assert stored["threadId"] == thread_id
    assert b"We are on it." in sim.raw_message(ADDRESS, sent.id)
    assert mailbox.usage.units["messages.send"] == 100

    fresh = mailbox.send(make_mail(sender=ADDRESS, to="bob@example.org", subject="Hello"))
    assert fresh.thread_id != thread_id


def test_the_sending_limit_raises_send_limit_reached_without_retrying(
    sim: GmailSimulator, mailbox: GmailMailbox
) -> None:
    mailbox.profile()
    sim.set_send_limit(ADDRESS, 1)
    mailbox.send(make_mail(sender=ADDRESS, to="alice@example.org"))
    with pytest.raises(SendLimitReached) as info:
        mailbox.send(make_mail(sender=ADDRESS, to="bob@example.org", body="secret body text"))
    assert "secret body text" not in str(info.value)
    assert methods(sim)["messages.send"]["calls"] == 2


def test_send_is_not_retried_on_5xx_but_is_on_a_concurrency_429(
    sim: GmailSimulator, mailbox: GmailMailbox
) -> None:
    """A 5xx may come after the mail went out: retrying could send it twice. A 429 was refused unseen, so it is
    retried, but only once: a longer wait is the outbox's job (the sender's lease must outlast the call)."""
    sim.inject_faults(503, count=1, method="messages.send")
    with pytest.raises(TransientError):
        mailbox.send(make_mail(sender=ADDRESS, to="alice@example.org"))
    assert methods(sim)["messages.send"]["calls"] == 1

    sim.inject_faults(429, count=1, method="messages.send")
    mailbox.send(make_mail(sender=ADDRESS, to="alice@example.org"))
    assert methods(sim)["messages.send"]["calls"] == 1 + 2

    sim.inject_faults(429, count=2, method="messages.send")
    with pytest.raises(RateLimited):
        mailbox.send(make_mail(sender=ADDRESS, to="alice@example.org"))
    assert methods(sim)["messages.send"]["calls"] == 1 + 2 + SEND_ATTEMPTS


# --------------------------------------------------------------------------- watch


def test_watch_and_stop(sim: GmailSimulator, mailbox: GmailMailbox) -> None:
    result = mailbox.watch("projects/demo/topics/gmail-push", label_ids=["INBOX"])
    assert result.history_id == int(sim.history_id(ADDRESS))
    assert result.expiration.tzinfo == UTC
    in_a_week = datetime.fromtimestamp(sim.clock.now(), UTC) + timedelta(days=7)
    assert abs(result.expiration - in_a_week) < timedelta(seconds=5)
    watch = sim.mailbox_info(ADDRESS)["watch"]
    assert watch["labelIds"] == ["INBOX"] and watch["labelFilterBehavior"] == "include"
    assert watch["topicName"] == "projects/demo/topics/gmail-push"

    mailbox.stop_watch()
    assert sim.mailbox_info(ADDRESS)["watch"] is None
    assert mailbox.usage.units == {"watch": 100, "stop": 50}


def test_watch_with_a_bad_topic_is_a_permanent_error(mailbox: GmailMailbox) -> None:
    with pytest.raises(MailboxError) as info:
        mailbox.watch("not-a-topic")
    assert not isinstance(info.value, TransientError)


# --------------------------------------------------------------------------- threads


def test_one_instance_is_safe_from_several_threads(sim: GmailSimulator, mailbox: GmailMailbox) -> None:
    ids = deliver(sim, 8)
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(5):
                assert mailbox.profile().email_address == ADDRESS
                assert all(v is not None for v in mailbox.get_meta(ids).values())
        except BaseException as exc:
            errors.append(exc)
        finally:
            mailbox.close()

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert mailbox.usage.calls["getProfile"] == 20
    assert mailbox.usage.calls["messages.get"] == 20 * 8


def test_get_meta_with_headers_fetches_only_those(sim, sim_server) -> None:
    from gmail_tickets.adapters.gmail_api import GmailMailbox

    creds = sim.add_mailbox("meta@example.com")
    mailbox = GmailMailbox.from_refresh_token(
        "meta@example.com", refresh_token=creds.refresh_token, client_id=creds.client_id,
        client_secret=creds.client_secret, token_uri=sim_server.url + "/token", root_url=sim_server.url,
    )
    raw = b"From: Big <big@x.example>\r\nSubject: Huge\r\nMessage-ID: <huge@x>\r\n\r\n" + b"z" * 5000
    message_id = sim.deliver("meta@example.com", raw)
    meta = mailbox.get_meta([message_id], headers=["From", "Subject", "Message-ID"])[message_id]
    assert meta is not None
    assert meta.headers == {"from": "Big <big@x.example>", "subject": "Huge", "message-id": "<huge@x>"}
    assert meta.size_estimate == len(raw)
    assert mailbox.get_meta([message_id])[message_id].headers == {}
