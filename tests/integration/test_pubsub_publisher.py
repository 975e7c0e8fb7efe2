"""PubSubPublisher against Google's real Pub/Sub emulator: what we publish is what a subscriber gets.

Each test has a project of its own on the session's emulator (see tests/fixtures/cloud.py), so topics and
subscriptions never leak between tests.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from devstack.emulators import free_port
from gmail_tickets.adapters.pubsub_publisher import PubSubPublisher, TopicNotFound, encode
from gmail_tickets.errors import TransientError
from gmail_tickets.ports import Publisher
from tests.fixtures.cloud import PubSubProject

pytestmark = pytest.mark.pubsub


def test_published_json_round_trips_through_a_subscription(pubsub_project: PubSubProject) -> None:
    pubsub_project.create_topic("outbound-mail")
    subscription = pubsub_project.subscribe("outbound-mail")
    publisher: Publisher = pubsub_project.publisher()
    message = {
        "kind": "ticket_created",
        "ticket_id": 42,
        "connection": "help@acme.test",
        "subject": "Ünïcode ✓ — quotes \" and \\ backslashes",
        "recipients": ["ann@customer.test", "bob@customer.test"],
        "nested": {"n": None, "ok": True, "ratio": 0.5},
    }

    publisher.publish("outbound-mail", message)

    assert pubsub_project.pull_json(subscription, 1) == [message]


def test_every_message_arrives_once(pubsub_project: PubSubProject) -> None:
    pubsub_project.create_topic("mailbox-sync")
    subscription = pubsub_project.subscribe("mailbox-sync")
    publisher = pubsub_project.publisher()

    for n in range(5):
        publisher.publish("mailbox-sync", {"connection": f"box{n}@acme.test"})

    got = pubsub_project.pull_json(subscription, 5)
    assert sorted(m["connection"] for m in got) == [f"box{n}@acme.test" for n in range(5)]
    assert pubsub_project.pull(subscription, 1, timeout=1.0) == []  # acked: nothing comes again


def test_a_full_topic_path_is_used_as_given(pubsub_project: PubSubProject) -> None:
    path = pubsub_project.create_topic("gmail-push")
    subscription = pubsub_project.subscribe("gmail-push")

    PubSubPublisher("some-other-project", emulator_host=pubsub_project.host).publish(path, {"full": "path"})

    assert pubsub_project.pull_json(subscription, 1) == [{"full": "path"}]


def test_datetimes_are_sent_as_iso_8601(pubsub_project: PubSubProject) -> None:
    pubsub_project.create_topic("events")
    subscription = pubsub_project.subscribe("events")
    at = datetime(2024, 5, 17, 9, 30, 15, 123456, tzinfo=UTC)

    pubsub_project.publisher().publish("events", {"at": at})

    assert pubsub_project.pull_json(subscription, 1) == [{"at": "2024-05-17T09:30:15.123456+00:00"}]


def test_a_missing_topic_is_a_clear_error_and_is_not_created(pubsub_project: PubSubProject) -> None:
    publisher = pubsub_project.publisher()

    with pytest.raises(TopicNotFound, match=r"projects/.+/topics/no-such-topic does not exist"):
        publisher.publish("no-such-topic", {"x": 1})

    assert not pubsub_project.topic_exists("no-such-topic")


def test_create_topics_creates_a_missing_topic_on_first_use(pubsub_project: PubSubProject) -> None:
    publisher = pubsub_project.publisher(create_topics=True)

    publisher.publish("made-on-demand", {"first": True})  # no subscriber yet: this one is not kept
    assert pubsub_project.topic_exists("made-on-demand")
    subscription = pubsub_project.subscribe("made-on-demand")
    publisher.publish("made-on-demand", {"second": True})

    assert pubsub_project.pull_json(subscription, 1) == [{"second": True}]


def test_create_topics_reuses_an_existing_topic(pubsub_project: PubSubProject) -> None:
    pubsub_project.create_topic("exists")
    subscription = pubsub_project.subscribe("exists")

    pubsub_project.publisher(create_topics=True).publish("exists", {"n": 1})

    assert pubsub_project.pull_json(subscription, 1) == [{"n": 1}]


def test_unserialisable_data_fails_before_anything_is_sent() -> None:
    with pytest.raises(TypeError, match="bytes"):
        encode({"raw": b"\x00"})


def test_an_unreachable_broker_is_a_transient_error() -> None:
    # Nothing listens on this loopback port: publish must give up within its timeout, as retryable.
    publisher = PubSubPublisher("demo-test", emulator_host=f"127.0.0.1:{free_port()}", timeout=1.0)
    try:
        with pytest.raises(TransientError, match="not confirmed"):
            publisher.publish("anything", {"x": 1})
    finally:
        publisher.close()


def test_publish_many_sends_all_and_waits_once(pubsub_project: PubSubProject) -> None:
    """The sweep's fan-out: every message arrives once; a missing topic is still TopicNotFound."""
    pubsub_project.create_topic("mailbox-sweep")
    subscription = pubsub_project.subscribe("mailbox-sweep")
    publisher = pubsub_project.publisher()
    messages = [{"shard": n, "mailboxes": [f"box{n}@example.com"]} for n in range(300)]

    publisher.publish_many("mailbox-sweep", messages)

    got = pubsub_project.pull_json(subscription, 300, timeout=30)
    assert sorted(m["shard"] for m in got) == list(range(300))
    with pytest.raises(TopicNotFound):
        publisher.publish_many("no-such-topic", messages[:3])
