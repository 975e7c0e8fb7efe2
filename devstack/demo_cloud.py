"""`gmail-tickets demo --cloud`: the cloud wiring on one machine.

Google's Firestore and Pub/Sub emulators and a local Cloud Storage server stand in for the managed services (raw
mail and attachments go to a bucket there); functions-framework serves `ingest`, `send`
and `sweep` from functions/main.py exactly as Cloud Functions would; Pub/Sub push subscriptions deliver the
simulator's Gmail notifications (topic gmail-push) and the sweep's requests (topic mailbox-sync) to `ingest`, and
the outbox's events (topic outbound-mail) to `send`; the demo calls `sweep` over HTTP on a timer, as Cloud
Scheduler does. The SMTP relay (devstack/relay_server.py) runs in the demo's process; the functions reach it through
GT_RELAY_* and read its password from the secrets file they share with the demo.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from contextlib import ExitStack
from pathlib import Path

from devstack import emulators
from devstack.demo import SUPPORT_ADDRESS, Outbound, deliver_and_report, relay_line
from devstack.gmail_sim import GmailSimulator, SimConfig, SimServer
from devstack.relay_server import RelayServer
from gmail_tickets import bootstrap, secret_names
from gmail_tickets.services.connect import account_kind_of, connect_mailbox

PROJECT = "demo-local"
REPO = Path(__file__).resolve().parents[1]
OUTBOUND_TOPIC = "outbound-mail"
TOPICS = ("gmail-push", "mailbox-sync")  # to ingest; OUTBOUND_TOPIC to send
BUCKET = "demo-local-mail"


def make_bucket(name: str) -> None:
    """In the cloud Terraform makes the bucket; here the demo does, on the local Cloud Storage server."""
    from google.cloud import storage

    storage.Client(project=PROJECT).create_bucket(name)


def serve_function(target: str, signature: str, env: dict[str, str], log_dir: Path) -> tuple[subprocess.Popen, str]:
    """Run one entry point of functions/main.py under functions-framework, as Cloud Functions does."""
    port = emulators.free_port()
    binary = Path(sys.executable).with_name("functions-framework")
    log = open(log_dir / f"{target}.log", "wb")  # noqa: SIM115 - lives as long as the process
    process = subprocess.Popen(
        [str(binary), "--source", str(REPO / "functions" / "main.py"), "--target", target,
         "--signature-type", signature, "--host", "127.0.0.1", "--port", str(port)],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"functions-framework {target} exited; see {log_dir / (target + '.log')}")
        try:
            urllib.request.urlopen(url, timeout=0.5)
            break
        except urllib.error.HTTPError:
            break  # it answers: a cloud_event target refuses GET, which is fine
        except OSError:
            time.sleep(0.1)
    return process, url


def push_to(function_url: str, topics: tuple[str, ...], target: str) -> None:
    """Topics and push subscriptions on the Pub/Sub emulator, delivering to the function `target` at its URL."""
    from google.cloud import pubsub_v1

    publisher, subscriber = pubsub_v1.PublisherClient(), pubsub_v1.SubscriberClient()
    for topic in topics:
        topic_path = publisher.topic_path(PROJECT, topic)
        publisher.create_topic(name=topic_path)
        subscriber.create_subscription(
            name=subscriber.subscription_path(PROJECT, f"{topic}-to-{target}"),
            topic=topic_path,
            push_config=pubsub_v1.types.PushConfig(push_endpoint=function_url),
            ack_deadline_seconds=60,
        )


def run_cloud(args: argparse.Namespace) -> int:
    with ExitStack() as stack, tempfile.TemporaryDirectory(prefix="gmail-tickets-cloud-") as tmp:
        state = Path(tmp)
        print("starting the Firestore, Pub/Sub and Cloud Storage emulators", file=sys.stderr)
        clouds = emulators.start_cloud_emulators(PROJECT)
        stack.callback(clouds.stop)
        os.environ.update(clouds.env())  # this process (the simulator's push, the demo's store) uses them too
        gcs = emulators.start_gcs()
        stack.callback(gcs.stop)
        os.environ["STORAGE_EMULATOR_HOST"] = f"http://{gcs.host}"
        make_bucket(BUCKET)

        sim = GmailSimulator(SimConfig())
        credentials = sim.add_mailbox(SUPPORT_ADDRESS, str(account_kind_of(SUPPORT_ADDRESS)),
                                      send_limit=args.send_limit)
        server = SimServer(sim, host="127.0.0.1", port=0).start()
        stack.callback(server.stop)
        relay = stack.enter_context(RelayServer(state / "relay"))

        env = {
            **os.environ,
            "GT_STORE": "firestore",
            "GT_PUBLISHER": "pubsub",
            "GOOGLE_CLOUD_PROJECT": PROJECT,
            "GT_GMAIL_ROOT_URL": server.url,
            "GT_TOKEN_URI": server.url.rstrip("/") + "/token",
            "GT_OAUTH_CLIENT_ID": credentials.client_id,
            "GT_SECRETS_FILE": str(state / "secrets.json"),
            "GT_BLOBS": "gcs",
            "GT_BUCKET": BUCKET,
            "GT_OUTBOUND_TOPIC": OUTBOUND_TOPIC,
            **relay.env(),
        }
        config = bootstrap.Config.from_env(env)
        deps = bootstrap.build(config)
        deps.secrets.put(secret_names.OAUTH_CLIENT_SECRET, credentials.client_secret)
        deps.secrets.put(secret_names.RELAY_PASSWORD, relay.password)

        ingest, ingest_url = serve_function("ingest", "cloudevent", env, state)
        stack.callback(ingest.terminate)
        send, send_url = serve_function("send", "cloudevent", env, state)
        stack.callback(send.terminate)
        sweep, sweep_url = serve_function("sweep", "http", env, state)
        stack.callback(sweep.terminate)
        push_to(ingest_url, TOPICS, "ingest")
        push_to(send_url, (OUTBOUND_TOPIC,), "send")
        connect_mailbox(deps, SUPPORT_ADDRESS, credentials.refresh_token, watch=True)
        print(f"Gmail simulator at {server.url}; ingest at {ingest_url}, send at {send_url}, sweep at {sweep_url}; "
              f"connected {SUPPORT_ADDRESS} (cloud: Firestore, Pub/Sub push, Cloud Storage, functions-framework)",
              file=sys.stderr)
        print(relay_line(relay, sim.mailbox_info(SUPPORT_ADDRESS)["sendLimit"]), file=sys.stderr)

        stop = threading.Event()
        stack.callback(stop.set)

        def scheduler() -> None:
            while not stop.wait(args.sweep_interval):
                try:
                    urllib.request.urlopen(urllib.request.Request(sweep_url, method="POST"), timeout=30)
                except OSError as exc:
                    print(f"sweep call failed: {exc}", file=sys.stderr)

        threading.Thread(target=scheduler, name="scheduler", daemon=True).start()
        return deliver_and_report(args, deps, Outbound(sim, relay), server.url)
