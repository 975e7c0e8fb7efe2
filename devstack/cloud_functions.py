"""The cloud wiring on one machine, shared by `demo --cloud` and the chaos soak's cloud flavour.

functions-framework serves the entry points of functions/main.py as Cloud Functions does; Pub/Sub push
subscriptions on the emulator deliver to them; a bucket on the local Cloud Storage server holds raw mail. What
Terraform makes in the cloud (topics, subscriptions, the bucket), these functions make here.
"""

from __future__ import annotations

import socket
import sys
from dataclasses import dataclass
from pathlib import Path

from devstack import emulators

PROJECT = "demo-local"
REPO = Path(__file__).resolve().parents[1]
OUTBOUND_TOPIC = "outbound-mail"
TOPICS = ("gmail-push", "mailbox-sync")  # to ingest; OUTBOUND_TOPIC to send; SWEEP_TOPIC to sweep_shard
SWEEP_TOPIC = "mailbox-sweep"
DEAD_LETTER_TOPIC = "gmail-tickets-dead-letter"


@dataclass(frozen=True)
class Delivery:
    """How a push subscription redelivers: the demo's plain one, or PRODUCTION's (infra/terraform/pubsub.tf)."""

    ack_deadline_seconds: int = 60
    min_backoff_seconds: int | None = None  # None: the emulator's default (about a second between attempts)
    max_backoff_seconds: int | None = None
    dead_letter_topic: str | None = None
    max_delivery_attempts: int = 15


PRODUCTION = Delivery(ack_deadline_seconds=600, min_backoff_seconds=10, max_backoff_seconds=600,
                      dead_letter_topic=DEAD_LETTER_TOPIC, max_delivery_attempts=15)


def make_bucket(name: str, project: str = PROJECT) -> None:
    """In the cloud Terraform makes the bucket; here we do, on the local Cloud Storage server."""
    from google.cloud import storage

    storage.Client(project=project).create_bucket(name)


def function_answers(host: str, timeout: float = 0.5) -> bool:
    """functions-framework is serving at `host`: its port takes connections (Cloud Run's default startup probe is
    a TCP one). Not an HTTP request: GET / on an http target runs the function, so probing the sweep ran a sweep
    per probe, and under load each outlived the probe's timeout until the instance was declared dead."""
    address, port = host.rsplit(":", 1)
    try:
        socket.create_connection((address, int(port)), timeout=timeout).close()
    except OSError:
        return False
    return True


def serve_function(target: str, signature: str, env: dict[str, str], log_dir: Path, *, port: int | None = None,
                   name: str | None = None, thread_bound: bool = False) -> emulators.Emulator:
    """Run one entry point of functions/main.py under functions-framework, as Cloud Functions does, in its own
    process group (stop() or kill() ends gunicorn and its worker together). Its output is appended to
    log_dir/NAME.log; `port` fixed, a new instance takes the place of a dead one at the same address."""
    binary = Path(sys.executable).with_name("functions-framework")

    def command(chosen: int) -> list[str]:
        return [str(binary), "--source", str(REPO / "functions" / "main.py"), "--target", target,
                "--signature-type", signature, "--host", "127.0.0.1", "--port", str(chosen)]

    label = name or target
    return emulators.launch(label, command, port, 30.0, ready=function_answers, env=env,
                            log_path=log_dir / f"{label}.log", thread_bound=thread_bound)


def make_dead_letter_topic(project: str = PROJECT, topic: str = DEAD_LETTER_TOPIC) -> None:
    """The dead-letter topic and the pull subscription that keeps its messages (of the same name, as in
    Terraform: a topic without a subscription would drop them)."""
    from google.cloud import pubsub_v1

    publisher, subscriber = pubsub_v1.PublisherClient(), pubsub_v1.SubscriberClient()
    topic_path = publisher.topic_path(project, topic)
    publisher.create_topic(name=topic_path)
    subscriber.create_subscription(name=subscriber.subscription_path(project, topic), topic=topic_path,
                                   ack_deadline_seconds=60)


def push_to(function_url: str, topics: tuple[str, ...], target: str, *, project: str = PROJECT,
            delivery: Delivery = Delivery()) -> None:
    """Topics and push subscriptions (TOPIC-to-TARGET) on the Pub/Sub emulator, delivering to the function
    `target` at its URL. A dead-letter topic in `delivery` must exist already (make_dead_letter_topic)."""
    from google.cloud import pubsub_v1
    from google.pubsub_v1 import types

    publisher, subscriber = pubsub_v1.PublisherClient(), pubsub_v1.SubscriberClient()
    policies: dict[str, object] = {}
    if delivery.min_backoff_seconds is not None:
        policies["retry_policy"] = types.RetryPolicy(
            minimum_backoff={"seconds": delivery.min_backoff_seconds},
            maximum_backoff={"seconds": delivery.max_backoff_seconds or 600})
    if delivery.dead_letter_topic:
        policies["dead_letter_policy"] = types.DeadLetterPolicy(
            dead_letter_topic=publisher.topic_path(project, delivery.dead_letter_topic),
            max_delivery_attempts=delivery.max_delivery_attempts)
    for topic in topics:
        topic_path = publisher.topic_path(project, topic)
        publisher.create_topic(name=topic_path)
        subscriber.create_subscription(request={
            "name": subscriber.subscription_path(project, f"{topic}-to-{target}"),
            "topic": topic_path,
            "push_config": types.PushConfig(push_endpoint=function_url),
            "ack_deadline_seconds": delivery.ack_deadline_seconds,
            **policies,
        })


def product_env(*, project: str, sim_url: str, client_id: str, secrets_file: Path, bucket: str,
                relay_env: dict[str, str]) -> dict[str, str]:
    """The product's variables in this wiring: Firestore, Pub/Sub, Cloud Storage, the simulator for Google,
    secrets in a file (the OAuth client secret and the relay password), the local relay."""
    return {
        "GT_STORE": "firestore",
        "GT_PUBLISHER": "pubsub",
        "GOOGLE_CLOUD_PROJECT": project,
        "GT_GMAIL_ROOT_URL": sim_url,
        "GT_TOKEN_URI": sim_url.rstrip("/") + "/token",
        "GT_OAUTH_CLIENT_ID": client_id,
        "GT_SECRETS_FILE": str(secrets_file),
        "GT_BLOBS": "gcs",
        "GT_BUCKET": bucket,
        "GT_OUTBOUND_TOPIC": OUTBOUND_TOPIC,
        **relay_env,
    }
