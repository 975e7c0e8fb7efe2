"""`gmail-tickets bench coldstart`: what a new Cloud Functions instance pays before its first answer.

1. Import: N fresh interpreters each `import main` (functions/ on sys.path) with the cloud configuration
   (GT_STORE=firestore, GT_PUBLISHER=pubsub, GT_SECRETS=secretmanager, GT_BLOBS=gcs). Median and p90 of the import
   alone and of the whole process; which heavy client libraries the import loaded (none should be: bootstrap builds
   adapters, and imports their libraries, on the first event); and, from one `python -X importtime` run, the
   modules that dominate.
2. First event: for each entry point in functions/main.py, fresh processes that load it through functions-framework
   (`create_app`, as the runtime does) and serve one request with the same cloud configuration, pointed at Google's
   Firestore and Pub/Sub emulators, the Cloud Storage emulator and the local Secret Manager
   (devstack/secret_manager_server.py): ingest gets a Pub/Sub envelope for a mailbox nobody connected, sweep a
   POST, send an event for an unknown notification, admin a GET without IAP's assertion (refused). Load time, first
   request (the adapters' clients are built then) and a second, warm request. One extra run per entry point goes
   first and is discarded: it warms the emulators' JVMs.

Emulators answer from this machine, so network time to Google is not in these figures; client construction,
channel set-up and the imports are.
"""

from __future__ import annotations

import argparse
import ast
import base64
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
FUNCTIONS = REPO / "functions"
TARGET_IMPORT_MEDIAN_S = 1.0
HEAVY_MODULES = ("google.cloud.firestore", "google.cloud.pubsub_v1", "google.cloud.storage",
                 "google.cloud.secretmanager", "google.cloud.secretmanager_v1", "googleapiclient.discovery", "grpc")
PROJECT = "coldstart-bench"
BUCKET = "coldstart-bench"
IAP_AUDIENCE = "/projects/123456/locations/europe-west1/services/admin"
CLOUD_ENV = {"GT_STORE": "firestore", "GT_PUBLISHER": "pubsub", "GT_SECRETS": "secretmanager", "GT_BLOBS": "gcs",
             "GT_BUCKET": BUCKET, "GOOGLE_CLOUD_PROJECT": PROJECT, "GT_IAP_AUDIENCE": IAP_AUDIENCE,
             "GT_ADMIN_EMAILS": "ana@example.com"}

_IMPORT_CHILD = """
import json, sys, time
sys.path.insert(0, {functions!r})
started = time.perf_counter()
import main
seconds = time.perf_counter() - started
heavy = sorted(m for m in {heavy!r} if m in sys.modules)
print(json.dumps({{"seconds": seconds, "heavy": heavy}}))
"""

_EVENT_CHILD = """
import json, sys, time
started = time.perf_counter()
import functions_framework
app = functions_framework.create_app({target!r}, {source!r}, {signature!r})
loaded = time.perf_counter()
client = app.test_client()
request = {request!r}
def call():
    response = client.open("/", method=request["method"], data=request["body"].encode(), headers=request["headers"])
    return response.status_code
status = call()
first = time.perf_counter()
warm_status = call()
warm = time.perf_counter()
print(json.dumps({{"load": loaded - started, "first": first - loaded, "warm": warm - first, "status": status,
                   "warm_status": warm_status}}))
"""


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def entry_points(source: Path = FUNCTIONS / "main.py") -> dict[str, str]:
    """{name: signature type} of functions decorated with functions_framework.cloud_event / .http."""
    kinds = {"cloud_event": "cloudevent", "http": "http"}
    found: dict[str, str] = {}
    for node in ast.parse(source.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.FunctionDef):
            for decorator in node.decorator_list:
                name = decorator.attr if isinstance(decorator, ast.Attribute) else getattr(decorator, "id", "")
                if name in kinds:
                    found[node.name] = kinds[name]
    return found


def summary(values: Sequence[float]) -> dict[str, float]:
    ordered = sorted(values)
    p90 = statistics.quantiles(ordered, n=10, method="inclusive")[8] if len(ordered) > 1 else ordered[0]
    return {"median_s": round(statistics.median(ordered), 3), "p90_s": round(p90, 3),
            "min_s": round(ordered[0], 3), "max_s": round(ordered[-1], 3)}


def child_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """This environment minus any GT_ and emulator settings of the caller, plus the cloud configuration."""
    drop = ("GT_", "FIRESTORE_EMULATOR_HOST", "PUBSUB_EMULATOR_HOST", "STORAGE_EMULATOR_HOST",
            "SECRET_MANAGER_EMULATOR_HOST")
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    return {**env, **CLOUD_ENV, **(extra or {})}


def measure_import(runs: int) -> dict[str, Any]:
    code = _IMPORT_CHILD.format(functions=str(FUNCTIONS), heavy=HEAVY_MODULES)
    imports, processes, heavy = [], [], set()
    for _ in range(runs):
        started = time.perf_counter()
        out = subprocess.run([sys.executable, "-c", code], env=child_env(), cwd=FUNCTIONS, capture_output=True,
                             text=True, check=True)
        processes.append(time.perf_counter() - started)
        answer = json.loads(out.stdout.strip().splitlines()[-1])
        imports.append(answer["seconds"])
        heavy.update(answer["heavy"])
    return {"runs": runs, **summary(imports), "process": summary(processes), "heavy_modules_loaded": sorted(heavy),
            "top_imports_ms": import_profile()}


def import_profile(top: int = 12) -> list[tuple[str, float]]:
    """The modules under `import main` whose import (with what they import) costs most, in ms, from one
    `python -X importtime` run: where to look when the import gets slow."""
    code = f"import sys; sys.path.insert(0, {str(FUNCTIONS)!r}); import main"
    out = subprocess.run([sys.executable, "-X", "importtime", "-c", code], env=child_env(), cwd=FUNCTIONS,
                         capture_output=True, text=True, check=True)
    rows: list[tuple[str, float, int]] = []
    for line in out.stderr.splitlines():
        parts = line.removeprefix("import time:").split("|")
        if not line.startswith("import time:") or len(parts) != 3 or not parts[1].strip().isdigit():
            continue
        name = parts[2].rstrip()
        rows.append((name.strip(), int(parts[1]) / 1000, (len(name) - len(name.lstrip())) // 2))
    # -X importtime prints a module after everything it imported: main's subtree is the block ending at "main".
    end = next(i for i, (name, _, depth) in enumerate(rows) if name == "main" and depth == 0)
    start = end
    while start > 0 and rows[start - 1][2] > 0:
        start -= 1
    block = sorted(rows[start:end], key=lambda row: -row[1])
    return [(name, round(ms, 1)) for name, ms, _ in block[:top]]


def request_for(target: str, signature: str) -> dict[str, Any]:
    """The first request each entry point gets (see the module docstring)."""
    if signature == "http":
        return {"method": "POST" if target == "sweep" else "GET", "body": "", "headers": {}}
    payload = {"notification": "coldstart-unknown"} if target == "send" else (
        {"emailAddress": "nobody@example.com", "historyId": "1"} if target == "ingest" else {})
    data = base64.b64encode(json.dumps(payload).encode()).decode()
    body = {"message": {"data": data, "messageId": "1", "publishTime": "2026-11-28T00:00:00Z"},
            "subscription": f"projects/{PROJECT}/subscriptions/coldstart"}
    headers = {"ce-id": "1", "ce-specversion": "1.0", "ce-source": "//pubsub.googleapis.com/",
               "ce-type": "google.cloud.pubsub.topic.v1.messagePublished", "Content-Type": "application/json"}
    return {"method": "POST", "body": json.dumps(body), "headers": headers}


def measure_first_events(runs: int) -> dict[str, Any]:
    from devstack import emulators
    from devstack.secret_manager_server import SecretManagerServer
    from gmail_tickets import secret_names
    from gmail_tickets.adapters.secret_manager import SecretManagerSecrets, emulator_client
    from gmail_tickets.domain.ticket_token import generate_key

    results: dict[str, Any] = {}
    with ExitStack() as stack:
        log("first event: starting the Firestore, Pub/Sub and Cloud Storage emulators and the local Secret Manager")
        firestore = stack.enter_context(emulators.start_firestore())
        pubsub = stack.enter_context(emulators.start_pubsub())
        gcs = stack.enter_context(emulators.start_gcs())
        secret_manager = stack.enter_context(SecretManagerServer())
        # What Terraform provisions before the first instance starts: the ticket-token key, the bucket.
        SecretManagerSecrets(PROJECT, emulator_client(secret_manager.host)).put(
            secret_names.TICKET_TOKEN_KEY, generate_key().hex())
        from gmail_tickets.adapters.gcs_blobs import emulator_client as gcs_client

        gcs_client(gcs.host, PROJECT).create_bucket(BUCKET)
        state = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="gt-coldstart-")))
        env = child_env({"FIRESTORE_EMULATOR_HOST": firestore.host, "PUBSUB_EMULATOR_HOST": pubsub.host,
                         "STORAGE_EMULATOR_HOST": f"http://{gcs.host}",
                         "SECRET_MANAGER_EMULATOR_HOST": secret_manager.host, "HOME": str(state)})
        for target, signature in sorted(entry_points().items()):
            code = _EVENT_CHILD.format(target=target, source=str(FUNCTIONS / "main.py"), signature=signature,
                                       request=request_for(target, signature))
            loads, firsts, totals, warms, statuses = [], [], [], [], set()
            for n in range(runs + 1):
                out = subprocess.run([sys.executable, "-c", code], env=env, cwd=FUNCTIONS, capture_output=True,
                                     text=True, timeout=120)
                if out.returncode != 0:
                    raise RuntimeError(f"{target}: child failed:\n{out.stderr[-3000:]}")
                answer = json.loads(out.stdout.strip().splitlines()[-1])
                statuses.add(answer["status"])
                if n == 0:
                    continue  # discarded: it warms the emulators' JVMs, which production does not have
                loads.append(answer["load"])
                firsts.append(answer["first"])
                totals.append(answer["load"] + answer["first"])
                warms.append(answer["warm"])
            results[target] = {"runs": runs, "status": sorted(statuses), "load": summary(loads),
                               "first_event": summary(firsts), "load_plus_first_event": summary(totals),
                               "warm_event": summary(warms)}
            log(f"  {target}: load {results[target]['load']['median_s']} s, first event "
                f"{results[target]['first_event']['median_s']} s (median of {runs}), status {sorted(statuses)}")
    return results


def run(args: argparse.Namespace) -> dict[str, Any]:
    runs = max(1, int(getattr(args, "runs", 15) or 15))
    log(f"import: {runs} fresh processes of `import main` with the cloud configuration")
    imported = measure_import(runs)
    log(f"  median {imported['median_s']} s, p90 {imported['p90_s']} s; heavy modules loaded: "
        f"{imported['heavy_modules_loaded'] or 'none'}")
    first_runs = max(3, runs // 3)
    first = measure_first_events(first_runs)
    return {
        "config": {k: v for k, v in CLOUD_ENV.items() if k.startswith("GT_") and k != "GT_ADMIN_EMAILS"},
        "import": imported,
        "first_event": first,
        "targets": {"import_median_s_max": TARGET_IMPORT_MEDIAN_S},
        "met": {"import_median": imported["median_s"] <= TARGET_IMPORT_MEDIAN_S,
                "no_heavy_client_at_import": not imported["heavy_modules_loaded"]},
    }
