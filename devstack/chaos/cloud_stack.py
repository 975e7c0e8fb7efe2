"""The soak's cloud flavour: the product as Cloud Functions runs it, on Google's emulators, with instances to kill.

Firestore, Pub/Sub and Cloud Storage are the emulators (devstack/emulators.py); functions-framework serves
two ingest, two send, one sweep and one sweep_shard instance from functions/main.py (devstack/cloud_functions.py, as
`demo --cloud` does), each replaced ~1 s after it dies (cloud_instances.py). Push subscriptions deliver to one
URL per function, so a round-robin proxy stands for the platform's load balancer in front of each pair
(cloud_proxy.py). Subscriptions are production's (infra/terraform/pubsub.tf): ack deadline 600 s, redelivery
backoff 10 to 600 s, dead-lettered after 15 deliveries (the emulator honours all three, but for the first
redelivery of a push, which it sends ~1 s after the failure; measured: 1.1 s, then 15.7, 18.0 and 27.1 s; it
pushes at most 2 messages of one subscription at a time). A scheduler thread calls
`sweep` every few seconds, standing in for Cloud Scheduler's minute. The Pub/Sub emulator keeps its port, so it
can be restarted in place.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import urllib.request

from devstack import emulators
from devstack.chaos.cloud_instances import Instance
from devstack.chaos.cloud_proxy import RoundRobinProxy
from devstack.chaos.stack import Kill, World
from devstack.cloud_functions import (
    DEAD_LETTER_TOPIC,
    OUTBOUND_TOPIC,
    PRODUCTION,
    SWEEP_TOPIC,
    TOPICS,
    Delivery,
    make_bucket,
    make_dead_letter_topic,
    product_env,
    push_to,
)
from gmail_tickets import bootstrap, secret_names
from gmail_tickets.services.connect import connect_mailbox

log = logging.getLogger(__name__)
PROJECT = "chaos-cloud"
BUCKET = "chaos-cloud-mail"
# As infra/terraform/functions.tf deploys them: signature, timeout, requests at a time per instance (None: many).
FUNCTIONS = {"ingest": ("cloudevent", 540, 1), "send": ("cloudevent", 300, 1), "sweep": ("http", 120, None),
             "sweep_shard": ("cloudevent", 300, 1)}
EMULATOR_VARIABLES = ("FIRESTORE_EMULATOR_HOST", "PUBSUB_EMULATOR_HOST", "STORAGE_EMULATOR_HOST",
                      "GOOGLE_CLOUD_PROJECT")


class CloudStack:
    """ProductStack for the cloud (devstack/chaos/stack.py). Logs of every process in world.state_dir."""

    flavour = "cloud"

    def __init__(self, *, ingest_instances: int = 2, send_instances: int = 2, sweep_interval: float = 3.0,
                 restart_delay: float = 1.0, delivery: Delivery = PRODUCTION,
                 settings_env: dict[str, str] | None = None) -> None:
        """`settings_env`: GT_* variables of behaviour for this stack only (say a test's own lease length), on top
        of the world's product_env that every flavour runs with."""
        self._sizes = {"ingest": ingest_instances, "send": send_instances}
        self._sweep_interval = sweep_interval
        self._restart_delay = restart_delay
        self._delivery = delivery
        self._settings_env = dict(settings_env or {})
        self.kills: list[Kill] = []
        self.sweep_failures = 0  # scheduled sweep calls that found no instance (killed) or failed
        self.dead_lettered = 0  # messages seen on the dead-letter subscription (dead_letters())
        self._world: World | None = None
        self._emulators: dict[str, emulators.Emulator] = {}
        self._instances: dict[str, Instance] = {}
        self._proxies: dict[str, RoundRobinProxy] = {}
        self._environ_before: dict[str, str | None] = {}
        self._stop = threading.Event()
        self._broker_lock = threading.Lock()
        self._scheduler: threading.Thread | None = None
        self._stopped = False

    # ---- ProductStack ------------------------------------------------------------------------------------
    def start(self, world: World) -> dict[str, str]:
        """Start it all and connect every mailbox (watch on, the simulator pushing to topic gmail-push). The
        emulators' variables are also put into this process's os.environ (put back by stop()): the Google
        clients of Deps built from the returned env find the emulators there."""
        self._world = world
        try:
            return self._start(world)
        except BaseException:
            self.stop()
            raise

    def killable(self) -> list[str]:
        return [name for name, instance in self._instances.items() if instance.is_up()]

    def kill(self, process: str) -> Kill:
        """SIGKILL the instance `process` (e.g. "ingest-1"); one being replaced right now is waited for first,
        so every Kill recorded hit a live process."""
        instance = self._instances.get(process)
        if instance is None:
            raise ValueError(f"no process {process!r}; killable: {sorted(self._instances)}")
        deadline = time.monotonic() + 60
        while not instance.kill():
            if time.monotonic() > deadline or not instance.wait_up(deadline - time.monotonic()):
                raise RuntimeError(f"{process} did not come up to be killed")
        kill = Kill(process, time.monotonic())
        self.kills.append(kill)
        return kill

    def restart_broker(self) -> bool:
        """SIGKILL the Pub/Sub emulator and start it again on the same port, then make its topics and push
        subscriptions again (real Pub/Sub keeps them; the emulator keeps everything in memory).

        Messages in flight — published, not yet acknowledged — are lost with it, and publishes during the gap
        fail. Google's Pub/Sub never loses an acknowledged publish, so this is harsher than production, and it is
        exactly what the sweep's reconciliation (a sync of every mailbox, republishing notifications whose time
        has come) must cover. Seen here: a publish the product began while the emulator was down does not
        complete once it is back, but waits out its timeout (PubSubPublisher's 30 s), holding its instance."""
        with self._broker_lock:
            old = self._emulators["pubsub"]
            port = int(old.host.rsplit(":", 1)[1])
            old.kill()
            self._emulators["pubsub"] = self._start_pubsub(port)
            self._wire_broker()
        return True

    def sweep_now(self) -> None:
        """One sweep, now; waits (up to a minute) for the sweep instance if it was just killed."""
        deadline = time.monotonic() + 60
        while not self._call_sweep():
            if time.monotonic() > deadline:
                raise RuntimeError("the sweep function did not answer for a minute")
            time.sleep(0.2)

    def stop(self) -> None:
        """Everything down: the scheduler and the Pub/Sub emulator first (nothing more is delivered), then the
        instances, the proxies and the other emulators. Idempotent."""
        if self._stopped:
            return
        self._stopped = True
        self._stop.set()
        if self._scheduler is not None:
            self._scheduler.join(2)  # a sweep call in progress ends with its instance, below
        if "pubsub" in self._emulators:
            self._emulators["pubsub"].stop()
        for instance in self._instances.values():
            instance.stop()
        for proxy in self._proxies.values():
            proxy.stop()
        for emulator in self._emulators.values():
            emulator.stop()
        if self._world is not None:  # the simulator outlives us: let it stop publishing to a dead emulator
            self._world.sim.configure_push(pubsub_emulator_host=None, pubsub_topic=None)
        for key, value in self._environ_before.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value

    # ---- beyond the protocol -----------------------------------------------------------------------------
    def dead_letters(self) -> int:
        """Take what reached the dead-letter subscription since the last call; returns the running total."""
        from google.cloud import pubsub_v1

        subscriber = pubsub_v1.SubscriberClient()
        path = subscriber.subscription_path(PROJECT, DEAD_LETTER_TOPIC)
        with self._broker_lock:
            reply = subscriber.pull(request={"subscription": path, "max_messages": 1000}, timeout=10)
            if reply.received_messages:
                subscriber.acknowledge(subscription=path, ack_ids=[m.ack_id for m in reply.received_messages])
        self.dead_lettered += len(reply.received_messages)
        return self.dead_lettered

    def ports(self) -> list[int]:
        """Where its processes listen (instances and emulators): to look for any left behind."""
        hosts = [i.host for i in self._instances.values()] + [e.host for e in self._emulators.values()]
        return [int(host.rsplit(":", 1)[1]) for host in hosts]

    # ---- wiring ------------------------------------------------------------------------------------------
    def _start(self, world: World) -> dict[str, str]:
        state = world.state_dir
        state.mkdir(parents=True, exist_ok=True)
        self._emulators["firestore"] = emulators.start_firestore(log_path=state / "firestore.log")
        self._emulators["pubsub"] = self._start_pubsub(None)
        self._emulators["gcs"] = emulators.start_gcs(log_path=state / "gcs.log")
        hosts = {"FIRESTORE_EMULATOR_HOST": self._emulators["firestore"].host,
                 "PUBSUB_EMULATOR_HOST": self._emulators["pubsub"].host,
                 "STORAGE_EMULATOR_HOST": self._emulators["gcs"].url,
                 "GOOGLE_CLOUD_PROJECT": PROJECT}
        self._environ_before = {key: os.environ.get(key) for key in EMULATOR_VARIABLES}
        os.environ.update(hosts)
        make_bucket(BUCKET, PROJECT)

        env = {**hosts, **product_env(project=PROJECT, sim_url=world.sim_url, client_id=world.client_id,
                                      secrets_file=state / "secrets.json", bucket=BUCKET,
                                      relay_env=world.relay.env()),
               "GT_CLOCK_OFFSET_FILE": str(world.clock_file), **world.product_env, **self._settings_env}
        deps = bootstrap.build(bootstrap.Config.from_env(env))  # also makes the ticket-token key, before any instance
        deps.secrets.put(secret_names.OAUTH_CLIENT_SECRET, world.client_secret)
        deps.secrets.put(secret_names.RELAY_PASSWORD, world.relay.password)

        for target, (signature, timeout, concurrency) in FUNCTIONS.items():
            # functions-framework's gunicorn: THREADS requests at a time, a request cut off after its timeout
            process_env = {**os.environ, **env, "CLOUD_RUN_TIMEOUT_SECONDS": str(timeout),
                           **({"THREADS": str(concurrency)} if concurrency else {})}
            names = [f"{target}-{n}" for n in range(1, self._sizes[target] + 1)] if target in self._sizes else [target]
            for name in names:
                self._instances[name] = Instance(name, target, signature, process_env, state,
                                                 restart_delay=self._restart_delay).start()
        for instance in self._instances.values():
            if not instance.wait_up(60):
                raise RuntimeError(f"{instance.name} did not start; see {state / (instance.name + '.log')}")
        for target in self._sizes:
            group = [i for i in self._instances.values() if i.target == target]
            self._proxies[target] = RoundRobinProxy(target, group, timeout=self._delivery.ack_deadline_seconds,
                                                    log_path=state / f"proxy-{target}.log").start()
        self._wire_broker()

        topic = f"projects/{PROJECT}/topics/{TOPICS[0]}"  # what users.watch names (GT_PUSH_TOPIC's default)
        world.sim.set_push_callback(None)
        world.sim.configure_push(url=None, pubsub_topic=topic, pubsub_emulator_host=hosts["PUBSUB_EMULATOR_HOST"])
        for address in world.mailboxes:
            connect_mailbox(deps, address, world.refresh_tokens[address], watch=True)
        self._scheduler = threading.Thread(target=self._schedule, name="cloud-scheduler", daemon=True)
        self._scheduler.start()
        return env

    def _start_pubsub(self, port: int | None) -> emulators.Emulator:
        """On `port` when given: a killed emulator's port may be held a moment longer, so try for a while."""
        assert self._world is not None
        log_path = self._world.state_dir / "pubsub.log"
        deadline = time.monotonic() + 20
        while True:
            try:
                return emulators.start_pubsub(port, log_path=log_path)
            except emulators.EmulatorError:
                if port is None or time.monotonic() > deadline:
                    raise
                time.sleep(0.25)

    def _wire_broker(self) -> None:
        """What Terraform makes: the dead-letter topic, then topics and push subscriptions to the proxies."""
        if self._delivery.dead_letter_topic:
            make_dead_letter_topic(PROJECT, self._delivery.dead_letter_topic)
        push_to(self._proxies["ingest"].url, TOPICS, "ingest", project=PROJECT, delivery=self._delivery)
        push_to(self._proxies["send"].url, (OUTBOUND_TOPIC,), "send", project=PROJECT, delivery=self._delivery)
        push_to(self._instances["sweep_shard"].url, (SWEEP_TOPIC,), "sweep_shard", project=PROJECT,
                delivery=self._delivery)

    def _schedule(self) -> None:
        while not self._stop.wait(self._sweep_interval):
            if not self._call_sweep():
                self.sweep_failures += 1

    def _call_sweep(self) -> bool:
        sweep = self._instances["sweep"]
        request = urllib.request.Request(sweep.url, data=b"", method="POST")
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return bool(response.status == 200)
        except OSError as exc:
            log.info("sweep call failed: %s", exc)
            return False
