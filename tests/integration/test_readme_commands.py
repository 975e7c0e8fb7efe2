"""Every command the README documents, run in its smoke form, so a documented command can never crash at once again.

The README's code blocks and its command table are parsed for `./dev …` lines. Each must name one of the `dev`
script's commands; each `gmail-tickets` one (`demo`, `bench`, `bundle`, `gt ARGS`) must parse with the real
parser AND resolve to a handler (the `sim` crash was a parse that succeeded and a handler that was missing), and
answers `--help` from the installed entry point. `gt sim` is run for real, bounded: it must print its JSON line and
stop cleanly on SIGTERM.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from gmail_tickets.cli import build_parser

ROOT = Path(__file__).resolve().parents[2]
CLI = Path(sys.executable).with_name("gmail-tickets")
PRODUCT = {"demo": ["demo"], "bench": ["bench"], "bundle": ["bundle"], "gt": []}  # dev command → CLI prefix


def readme_commands() -> list[list[str]]:
    """`./dev …` commands from the README's fenced blocks and its `| `./dev …` |` table cells."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    lines = [line for block in re.findall(r"```\n(.*?)```", text, re.S) for line in block.splitlines()]
    lines += re.findall(r"^\| `(\./dev [^`]+)` \|", text, re.M)
    commands = []
    for line in lines:
        words = shlex.split(line, comments=True)
        if words[:1] == ["./dev"]:
            commands.append([w for w in words[1:] if not (w.startswith("[") or w.endswith("]"))])
    return commands


def dev_commands() -> set[str]:
    """The case labels of the `dev` script."""
    script = (ROOT / "dev").read_text(encoding="utf-8")
    return set(re.findall(r"^\s+([a-z]+)\)", script, re.M))


COMMANDS = readme_commands()


def test_the_readme_documents_commands_and_sim_among_them() -> None:
    assert len(COMMANDS) >= 15
    assert ["gt", "sim", "--port", "8085", "--mailbox", "support@example.com"] in COMMANDS


@pytest.mark.parametrize("words", COMMANDS, ids=[" ".join(c) for c in COMMANDS])
def test_each_readme_command_parses_and_has_a_handler(words: list[str]) -> None:
    assert words[0] in dev_commands(), f"./dev {words[0]} is not a command of the dev script"
    if words[0] not in PRODUCT:
        return  # test, lint: the dev script runs pytest / ruff itself
    argv = PRODUCT[words[0]] + words[1:]
    args = build_parser().parse_args(argv)
    assert callable(getattr(args, "run", None)), f"gmail-tickets {' '.join(argv)} parses but has no handler"


@pytest.mark.parametrize("sub", sorted({(PRODUCT[c[0]] + c[1:])[0] for c in COMMANDS if c[0] in PRODUCT}))
def test_each_product_command_answers_help(sub: str) -> None:
    done = subprocess.run([str(CLI), sub, "--help"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "usage: gmail-tickets" in done.stdout


def test_gt_sim_as_documented_serves_and_stops() -> None:
    """The command as the README gives it, on a free port instead of 8085 (someone may hold that one)."""
    words = next(c for c in COMMANDS if c[:2] == ["gt", "sim"])
    argv = [w if w != "8085" else "0" for w in words[1:]]
    proc = subprocess.Popen([str(CLI), *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        announced = json.loads(proc.stdout.readline())
        assert [m["address"] for m in announced["mailboxes"]] == ["support@example.com"]
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=15)
    assert proc.returncode == 0, err[-2000:]


def test_bench_scale_as_documented_runs_on_a_few_mailboxes() -> None:
    """The documented command with a tiny N (the real one takes minutes): it must finish and print the JSON."""
    words = next(c for c in COMMANDS if c[:2] == ["bench", "scale"])
    argv = ["bench", *words[1:], "--active-mailboxes", "2", "--mails-per-mailbox", "2", "--latency", "0"]
    argv[argv.index("--mailboxes") + 1] = "5"
    done = subprocess.run([str(CLI), *argv], capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-2000:]
    assert set(json.loads(done.stdout)) == {"sweep_s", "idle_tick", "active"}


def test_gt_export_as_documented_writes_json_lines(tmp_path: Path) -> None:
    """The export, as the README gives it, against a state folder holding one ticket."""
    from datetime import UTC, datetime

    from gmail_tickets.adapters.sqlite_store import SqliteStore
    from gmail_tickets.domain.model import Ticket

    words = next(c for c in COMMANDS if c[:2] == ["gt", "export"])
    with SqliteStore(tmp_path / "gt.sqlite") as store:
        store.atomically(lambda uow: uow.add_ticket(Ticket("Printer", "ann@c.test", "help@acme.test",
                                                           created_at=datetime.now(UTC))))
    env = {k: v for k, v in os.environ.items() if not k.startswith("GT_")}
    env |= {"GT_SQLITE_PATH": str(tmp_path / "gt.sqlite"),
            "GT_SECRETS_FILE": str(tmp_path / "secrets.json"), "GT_BLOBS_DIR": str(tmp_path / "blobs")}
    done = subprocess.run([str(CLI), *words[1:], "--since", "2024-05-17"], capture_output=True, text=True,
                          timeout=60, env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    (line,) = done.stdout.splitlines()
    assert json.loads(line)["subject"] == "Printer" and "exported 1 tickets in all" in done.stderr
