"""A new function instance imports functions/main.py before its first event, and Cloud Functions bills and delays
that first event by it. The heavy client libraries (Firestore, Pub/Sub, Cloud Storage, Secret Manager, the Gmail
discovery client, grpc) must load only when bootstrap builds the adapters that use them, and the console only on the
first admin request. Checked on sys.modules, which, unlike a timing, cannot flake; the figures are
`gmail-tickets bench coldstart` (docs/benchmarks.md)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from devstack.bench_coldstart import CLOUD_ENV

REPO = Path(__file__).resolve().parents[2]
HEAVY = ["google.cloud.firestore", "google.cloud.pubsub_v1", "google.cloud.storage", "google.cloud.secretmanager",
         "google.cloud.secretmanager_v1", "googleapiclient.discovery", "grpc",
         "gmail_tickets.web.app"]  # the console: built on the first admin request only


def test_importing_main_loads_no_heavy_client() -> None:
    code = (f"import json, sys; sys.path.insert(0, {str(REPO / 'functions')!r}); import main; "
            f"print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))")
    env = {k: v for k, v in os.environ.items() if not k.startswith("GT_")} | CLOUD_ENV
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=REPO / "functions", capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []
