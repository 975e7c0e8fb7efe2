"""The enmime corpus (85 malformed real-world mails, /work/shared/corpora/enmime): every mail parses soundly, and
each keeps what its raw bytes hold — a subject, a sender, a body — without mojibake. Skipped with a clear reason
where the corpus is not checked out."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from gmail_tickets.mail.parse import ParseFailure, parse
from tests.corpora import ENMIME
from tests.property import assert_sound

pytestmark = pytest.mark.skipif(not ENMIME.is_dir(), reason=f"the enmime corpus is not at {ENMIME}")

NOT_A_MAIL = {"mail__erroneous.eml"}  # "// Not an RFC-822 Document": quarantined, rightly
EMPTY = {  # nothing but headers: there is no body to find
    "mail__header-only.eml", "parts__malformed-content-type-params.eml", "parts__missing-closing-param-quote.eml",
}
# `Bob <bob@extern> Bobby <bobby@extern>`: two angle addresses in one mailbox. Which one sent it is a guess, and a
# guess is never the requester (mail/sender.py); the mail is still read, from an unknown sender.
AMBIGUOUS_FROM = {"mail__malformed-multiple-address-header-values.eml"}


def _files() -> list[Path]:
    return sorted(ENMIME.glob("*.eml")) if ENMIME.is_dir() else []


def test_the_corpus_is_there() -> None:
    assert len(_files()) == 85


@pytest.mark.parametrize("path", _files(), ids=lambda p: p.name)
def test_each_mail_keeps_its_subject_sender_and_body(path: Path) -> None:
    raw = path.read_bytes()
    if path.name in NOT_A_MAIL:
        with pytest.raises(ParseFailure):
            parse(raw)
        return
    mail = parse(raw)
    assert_sound(mail)
    if re.search(rb"(?im)^\s?subject:", raw):
        assert mail.subject != "(no subject)"
    if re.search(rb"(?im)^\s?from:", raw) and path.name not in AMBIGUOUS_FROM:
        assert "@" in mail.from_address
    if path.name not in EMPTY:
        assert mail.text_body.strip() or mail.attachments
    for text in (mail.subject, mail.from_name, mail.text_body, *(a.filename for a in mail.attachments)):
        assert "\ufffd" not in text


def test_a_from_with_several_authors_is_read_as_its_sender() -> None:
    mail = parse((ENMIME / "mail__qp-utf8-header.eml").read_bytes())
    assert (mail.from_name, mail.from_address) == ("André Pirard", "pirard@vm1.ulg.ac.be")
    assert mail.subject == "MIME UTF8 Test ¢ More Text"
