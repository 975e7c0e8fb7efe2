"""Every file of CPython's own email test corpus, plus crafted edge cases, delivered to a connected mailbox and
ingested by the embedded product exactly as the demo runs it (push → ingest → store). Each must end as a
ticket, comment, suspended, ignored or quarantined record with its raw bytes kept — none lost, none stalling
the mailbox."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
import test.test_email

from devstack.embedded_stack import EmbeddedStack
from gmail_tickets.domain.model import Outcome

CORPUS = Path(os.path.dirname(test.test_email.__file__)) / "data"

CRAFTED = {
    "empty-body.eml": b"From: a@x.example\r\nSubject: nothing\r\n\r\n",
    "no-headers.eml": b"\r\n\r\njust a body, no headers at all\r\n",
    "binary-garbage.eml": bytes(range(256)) * 8,
    "nul-bytes.eml": b"From: a@x.example\r\nSubject: nul\x00here\r\n\r\nbody\x00with\x00nuls\r\n",
    "invalid-base64.eml": (b"From: a@x.example\r\nSubject: b64\r\nContent-Transfer-Encoding: base64\r\n"
                           b"Content-Type: text/plain; charset=utf-8\r\n\r\n!!!not base64 at all===\r\n"),
    "deep-nesting.eml": (b"From: a@x.example\r\nSubject: deep\r\nContent-Type: multipart/mixed; boundary=b0\r\n\r\n"
                         + b"".join(f"--b{i}\r\nContent-Type: multipart/mixed; boundary=b{i + 1}\r\n\r\n".encode()
                                    for i in range(60))
                         + b"--b60\r\nContent-Type: text/plain\r\n\r\nbottom\r\n"),
    "endless-header.eml": b"From: a@x.example\r\nSubject: " + b"long " * 20_000 + b"\r\n\r\nbody\r\n",
    "8bit-headers-undeclared.eml": b"From: J\xfcrgen <j@x.example>\r\nSubject: Gr\xfc\xdfe\r\n\r\nK\xf6nnen Sie\r\n",
    "wrong-charset.eml": (b"From: a@x.example\r\nSubject: =?ks_c_5601-1987?B?vsiz58fPvLy/5A==?=\r\n"
                          b"Content-Type: text/plain; charset=gb2312\r\n\r\n" + "你好，𠀀".encode("gb18030") + b"\r\n"),
    "many-recipients.eml": (b"From: a@x.example\r\nSubject: cc storm\r\nCc: "
                            + b", ".join(f"p{i}@x.example".encode() for i in range(2000)) + b",\r\n\r\nhi\r\n"),
}


@pytest.mark.slow
def test_every_corpus_and_crafted_mail_ends_recorded_with_its_raw_bytes(tmp_path: Path) -> None:
    files = {path.name: path.read_bytes() for path in sorted(CORPUS.iterdir()) if path.is_file()}
    assert len(files) >= 60, f"CPython's email test corpus is missing at {CORPUS}"
    files.update(CRAFTED)
    with EmbeddedStack(tmp_path, sweep_interval=5) as stack:
        delivered = {name: stack.deliver(raw) for name, raw in files.items()}
        ids = list(delivered.values())
        deadline = time.monotonic() + 180
        while len(stack.store.ledger_contains("support@example.com", ids)) < len(ids):
            assert time.monotonic() < deadline, "ingestion stalled"
            time.sleep(0.2)
        outcomes = {}
        for name, gmail_id in delivered.items():
            entry = stack.store.atomically(lambda uow, i=gmail_id: uow.get_ledger("support@example.com", i))
            outcomes[name] = entry.outcome
            assert entry.raw_key is not None, f"{name}: raw bytes not kept"
            assert stack.deps.blobs.get(entry.raw_key) == files[name], f"{name}: raw bytes changed"
        quarantined = {record.gmail_message_id for record in stack.store.list_quarantine(limit=1000)}
    assert set(outcomes.values()) <= set(Outcome)
    assert outcomes["msg_01.txt"] == Outcome.TICKET
    assert outcomes["no-headers.eml"] == Outcome.QUARANTINED
    assert {delivered[n] for n, o in outcomes.items() if o == Outcome.QUARANTINED} == quarantined
    # Most of the corpus is real mail: it must mostly become tickets and comments, not vanish into quarantine.
    readable = [o for o in outcomes.values() if o in (Outcome.TICKET, Outcome.COMMENT, Outcome.SUSPENDED)]
    assert len(readable) >= 45, outcomes
