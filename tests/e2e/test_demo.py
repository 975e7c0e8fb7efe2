"""README command (a) as a user runs it: `gmail-tickets demo --once`, embedded and with the cloud wiring."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

SAMPLES = Path(__file__).resolve().parents[2] / "devstack" / "sample_mail"


def run_demo(*args: str, timeout: float = 240) -> dict:
    cli = Path(sys.executable).with_name("gmail-tickets")
    done = subprocess.run([str(cli), "demo", "--once", *args], capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture
def mail_dir(tmp_path: Path) -> Path:
    (tmp_path / "junk.eml").write_bytes(b"\x00\x01 not a mail at all \xff")
    # The first sample again, as Gmail would hold it after a re-import: same Message-ID, new Gmail id.
    (tmp_path / "resent.eml").write_bytes((SAMPLES / "01-new-request.eml").read_bytes())
    return tmp_path


def expected_outcomes() -> dict[str, str]:
    outcomes = {path.name: "ticket" for path in SAMPLES.glob("*.eml")}
    outcomes["02-reply-in-thread.eml"] = "comment"  # threaded by Gmail thread
    outcomes["07-auto-reply.eml"] = "suspended"  # Auto-Submitted: no ticket, kept and shown
    outcomes["08-bounce.eml"] = "comment"  # a delivery report about the mail of ticket 1
    return outcomes


def test_embedded_demo_accounts_for_every_mail(mail_dir: Path) -> None:
    report = run_demo("--mail-dir", str(mail_dir))
    outcomes = {f["file"]: f["outcome"] for f in report["files"]}
    assert outcomes == {**expected_outcomes(), "junk.eml": "quarantined", "resent.eml": "ignored"}
    assert report["delivered"] == len(outcomes)
    assert report["duplicates"] == 0
    assert (report["tickets"], report["comments"], report["suspended"], report["quarantined"], report["ignored"]) == (
        6, 2, 1, 1, 1)
    tickets = {f["file"]: f["ticket_id"] for f in report["files"]}
    assert tickets["01-new-request.eml"] == tickets["02-reply-in-thread.eml"] == tickets["08-bounce.eml"]
    assert tickets["resent.eml"] == tickets["01-new-request.eml"]


@pytest.mark.slow
@pytest.mark.firestore
@pytest.mark.pubsub
@pytest.mark.gcs
def test_cloud_demo_runs_the_same_through_emulators_cloud_storage_and_functions_framework() -> None:
    report = run_demo("--cloud")
    assert {f["file"]: f["outcome"] for f in report["files"]} == expected_outcomes()
    assert report["duplicates"] == 0
