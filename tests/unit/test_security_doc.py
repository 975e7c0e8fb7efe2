"""docs/security.md names the test that holds each rule; a renamed or deleted test must fail here, so the page
cannot claim a guard that no longer exists."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "security.md"
CITED = re.compile(r"\b(tests/[\w/]+\.py)::(test_\w+)")


def cited_tests(text: str) -> list[tuple[str, str]]:
    """Every `tests/<path>.py::test_name` in the text, in order, without repeats."""
    return list(dict.fromkeys(CITED.findall(text)))


def missing(cited: list[tuple[str, str]], root: Path) -> list[str]:
    """The cited tests whose file does not exist or defines no such test function."""
    gone = []
    for path, name in cited:
        file = root / path
        defined = file.is_file() and re.search(rf"^\s*(?:async\s+)?def {name}\(", file.read_text(), re.MULTILINE)
        if not defined:
            gone.append(f"{path}::{name}")
    return gone


def test_every_test_the_security_page_cites_exists() -> None:
    cited = cited_tests(DOC.read_text())
    assert len(cited) >= 40  # the page cites tests; a broken pattern must not pass by finding none
    assert missing(cited, ROOT) == []


def test_a_renamed_test_or_a_missing_file_is_caught(tmp_path: Path) -> None:
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_x.py").write_text("def test_kept() -> None:\n    pass\n\ndef test_kept_longer():\n")
    text = ("`tests/test_x.py::test_kept`, `tests/test_x.py::test_gone`, `tests/test_y.py::test_kept`, "
            "`tests/test_x.py::test_kept_longer`, `tests/test_x.py::test_kep`")
    assert missing(cited_tests(text), tmp_path) == [
        "tests/test_x.py::test_gone", "tests/test_y.py::test_kept", "tests/test_x.py::test_kep"]
