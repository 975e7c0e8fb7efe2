"""Real-world shaped mail: CPython's own email test corpus and our sample mail all parse soundly.

The corpus directory also holds images and sounds (for other stdlib tests); those have no header block and must
raise ParseFailure, the one exception `parse` may raise.
"""

import os
import re
from pathlib import Path

import pytest
import test.test_email

from gmail_tickets.mail.parse import ParseFailure, parse
from tests.property import assert_sound

CORPUS = Path(os.path.dirname(test.test_email.__file__)) / "data"
SAMPLES = Path(__file__).parents[2] / "devstack" / "sample_mail"
_HEADER_LINE = re.compile(rb"(?:From .*\r?\n)?[!-9;-~]+:")


def _files(folder: Path, pattern: str = "*") -> list[Path]:
    return sorted(p for p in folder.glob(pattern) if p.is_file())


def test_the_corpus_is_there() -> None:
    assert len(_files(CORPUS, "msg_*.txt")) >= 40
    assert len(_files(SAMPLES, "*.eml")) >= 6


@pytest.mark.parametrize("path", _files(CORPUS), ids=lambda p: p.name)
def test_cpython_email_corpus(path: Path) -> None:
    raw = path.read_bytes()
    if not _HEADER_LINE.match(raw):
        with pytest.raises(ParseFailure):
            parse(raw)
        return
    assert_sound(parse(raw))


@pytest.mark.parametrize("path", _files(SAMPLES, "*.eml"), ids=lambda p: p.name)
def test_sample_mail(path: Path) -> None:
    mail = parse(path.read_bytes())
    assert_sound(mail)
    assert mail.requester != "unknown sender"
    assert mail.problems == []


def test_corpus_bounces_are_delivery_reports() -> None:
    ucla = parse((CORPUS / "msg_16.txt").read_bytes())
    assert ucla.is_delivery_report
    assert ucla.original_message_id == "002001c144a6$8752e060$56104586@oxy.edu"
