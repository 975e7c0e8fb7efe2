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
import sys
import tempfile
import threading
import urllib.request
from contextlib import ExitStack
from pathlib import Path

from devstack import emulators
from devstack.cloud_functions import (
    OUTBOUND_TOPIC,
    PROJECT,
    SWEEP_TOPIC,
    TOPICS,
    make_bucket,
    product_env,
    push_to,
    serve_function,
)
from devstack.demo import SUPPORT_ADDRESS, Outbound, deliver_and_report, relay_line
from devstack.gmail_sim import GmailSimulator, SimConfig, SimServer
from devstack.relay_server import RelayServer
from gmail_tickets import bootstrap, secret_names
from gmail_tickets.services.connect import account_kind_of, connect_mailbox

BUCKET = "demo-local-mail"


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

        env = {**os.environ, **product_env(project=PROJECT, sim_url=server.url, client_id=credentials.client_id,
                                           secrets_file=state / "secrets.json", bucket=BUCKET,
                                           relay_env=relay.env())}
        config = bootstrap.Config.from_env(env)
        deps = bootstrap.build(config)
        deps.secrets.put(secret_names.OAUTH_CLIENT_SECRET, credentials.client_secret)
        deps.secrets.put(secret_names.RELAY_PASSWORD, relay.password)

        ingest_url = stack.enter_context(serve_function("ingest", "cloudevent", env, state)).url + "/"
        send_url = stack.enter_context(serve_function("send", "cloudevent", env, state)).url + "/"
        sweep_url = stack.enter_context(serve_function("sweep", "http", env, state)).url + "/"
        shard_url = stack.enter_context(serve_function("sweep_shard", "cloudevent", env, state)).url + "/"
        push_to(ingest_url, TOPICS, "ingest")
        push_to(send_url, (OUTBOUND_TOPIC,), "send")
        push_to(shard_url, (SWEEP_TOPIC,), "sweep_shard")
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
