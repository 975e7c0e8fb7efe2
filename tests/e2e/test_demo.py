"""README command (a) as a user runs it: `gmail-tickets demo --once`, embedded and with the cloud wiring.

With `--send-limit 3` the simulated Gmail account refuses a fourth mail a day: the acknowledgements past it must go
through the local SMTP relay, each exactly once, counted where they landed (SENT folder, relay)."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import pytest

from devstack.demo import Outbound, deliver_and_report
from devstack.embedded_stack import EmbeddedStack

SAMPLES = Path(__file__).resolve().parents[2] / "devstack" / "sample_mail"


def run_demo(*args: str, timeout: float = 240, umask: int | None = None) -> dict:
    cli = Path(sys.executable).with_name("gmail-tickets")
    done = subprocess.run([str(cli), "demo", "--once", *args], capture_output=True, text=True, timeout=timeout,
                          umask=-1 if umask is None else umask)
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


def test_embedded_demo_accounts_for_every_mail_and_sends_past_gmails_limit_via_the_relay(mail_dir: Path) -> None:
    report = run_demo("--mail-dir", str(mail_dir), "--send-limit", "3")
    outcomes = {f["file"]: f["outcome"] for f in report["files"]}
    assert outcomes == {**expected_outcomes(), "junk.eml": "quarantined", "resent.eml": "ignored"}
    assert report["delivered"] == len(outcomes)
    assert report["duplicates"] == 0
    assert (report["tickets"], report["comments"], report["suspended"], report["quarantined"], report["ignored"]) == (
        6, 2, 1, 1, 1)
    tickets = {f["file"]: f["ticket_id"] for f in report["files"]}
    assert tickets["01-new-request.eml"] == tickets["02-reply-in-thread.eml"] == tickets["08-bounce.eml"]
    assert tickets["resent.eml"] == tickets["01-new-request.eml"]
    acks = report["tickets"]  # every sample ticket has a real requester: one acknowledgement each
    assert acks > 3
    assert report["notifications"] == {"total": acks, "via_gmail": 3, "via_relay": acks - 3, "failed": 0,
                                       "skipped": 0, "duplicates": 0, "queued": 0, "retrying": 0}


REUSED_ID_MAIL = b"""From: Bob Stone <bob@other.example>
To: support@example.com
Subject: Refund for order 7781
Date: Sun, 29 Nov 2026 14:03:00 +0000
Message-ID: <CAF=alice-001@mail.customer.example>
Content-Type: text/plain; charset=utf-8

A different mail from a different person, whose mailer reused Alice's Message-ID.
"""

INVALID_REQUESTER_MAIL = b"""From: Dora <dora..lee@customer.example>
To: support@example.com
Subject: Where is my parcel?
Date: Sun, 29 Nov 2026 15:20:00 +0000
Message-ID: <dora-1@mua.customer.example>
Content-Type: text/plain; charset=utf-8

My address has two dots in a row; no server takes mail to it.
"""


def test_the_demo_exits_0_with_an_invalid_requester_and_a_reused_message_id_both_accounted_for(
        tmp_path: Path) -> None:
    """Neither is a failure: the reused Message-ID is a ticket of its own (not dropped as "the same mail"), the
    invalid address a ticket whose acknowledgement is skipped with the reason (not a send that fails for good)."""
    (tmp_path / "reused-id.eml").write_bytes(REUSED_ID_MAIL)
    (tmp_path / "invalid-requester.eml").write_bytes(INVALID_REQUESTER_MAIL)
    report = run_demo("--mail-dir", str(tmp_path))  # asserts exit code 0
    outcomes = {f["file"]: f["outcome"] for f in report["files"]}
    assert outcomes == {**expected_outcomes(), "reused-id.eml": "ticket", "invalid-requester.eml": "ticket"}
    tickets = {f["file"]: f["ticket_id"] for f in report["files"]}
    assert tickets["reused-id.eml"] != tickets["01-new-request.eml"]
    assert (report["tickets"], report["ignored"], report["duplicates"]) == (8, 0, 0)
    sent = report["notifications"]
    assert (sent["total"], sent["skipped"], sent["via_gmail"] + sent["via_relay"]) == (8, 1, 7)
    assert (sent["failed"], sent["retrying"], sent["queued"], sent["duplicates"]) == (0, 0, 0, 0)


def test_the_demo_fails_when_a_notification_is_not_delivered(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    """Gmail may send nothing and the relay is down: every acknowledgement is retrying (it would go out once the
    relay is back), none is delivered, and the demo fails."""
    args = argparse.Namespace(once=True, mail_dir=None, timeout=120.0)
    with EmbeddedStack(tmp_path, send_limit=0) as stack:
        assert stack.deps is not None and stack.relay is not None
        stack.relay.stop()
        code = deliver_and_report(args, stack.deps, Outbound(stack.sim, stack.relay), stack.sim_url)

    report = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert code == 1
    assert report["notifications"] == {"total": 6, "via_gmail": 0, "via_relay": 0, "failed": 0, "skipped": 0,
                                       "duplicates": 0, "queued": 0, "retrying": 6}


def test_the_sample_mail_arrives_with_gmails_stamp_so_its_senders_show_verified(tmp_path: Path,
                                                                                 capsys: pytest.CaptureFixture[str]
                                                                                 ) -> None:
    """Real Gmail stamps every mail it receives; the demo's samples come from domains that sign theirs."""
    args = argparse.Namespace(once=True, mail_dir=None, timeout=120.0)
    with EmbeddedStack(tmp_path) as stack:
        assert stack.deps is not None and stack.relay is not None
        assert deliver_and_report(args, stack.deps, Outbound(stack.sim, stack.relay), stack.sim_url) == 0
        tickets = stack.store.list_tickets(limit=100)
        descriptions = [stack.store.comments(t.id)[0] for t in tickets if t.id is not None]
    capsys.readouterr()
    assert len(descriptions) == 6
    assert all(c.auth is not None and c.auth.authenticated for c in descriptions), [c.auth for c in descriptions]


@pytest.mark.slow
@pytest.mark.firestore
@pytest.mark.pubsub
@pytest.mark.gcs
def test_cloud_demo_runs_the_same_through_emulators_cloud_storage_and_functions_framework() -> None:
    report = run_demo("--cloud", "--send-limit", "3")
    assert {f["file"]: f["outcome"] for f in report["files"]} == expected_outcomes()
    assert report["duplicates"] == 0
    sent = report["notifications"]
    assert sent["total"] == report["tickets"]
    assert (sent["failed"], sent["duplicates"], sent["queued"]) == (0, 0, 0)
    assert sent["via_gmail"] + sent["via_relay"] == sent["total"]
    assert sent["via_gmail"] <= 3 and sent["via_relay"] >= sent["total"] - 3  # the send function used the relay


def test_the_embedded_demos_files_are_readable_by_their_owner_only(tmp_path: Path) -> None:
    """Every ticket and mail body is in these files: the state folder and blob folders 0700, the database (with
    its -wal and -shm while they exist), the secrets and every blob 0600, under the usual umask of 022."""
    state = tmp_path / "state"
    run_demo("--state-dir", str(state), umask=0o022)
    modes = {path.relative_to(state).as_posix(): path.stat().st_mode & 0o777
             for path in [state, *state.rglob("*")] if not path.relative_to(state).as_posix().startswith("relay")}
    assert {"gmail-tickets.sqlite", "secrets.json", "blobs"} <= modes.keys()
    assert any(name.startswith("blobs/raw/") and name.endswith(".eml") for name in modes)
    wrong = {name: oct(mode) for name, mode in modes.items()
             if mode != (0o700 if (state / name).is_dir() else 0o600)}
    assert wrong == {}
