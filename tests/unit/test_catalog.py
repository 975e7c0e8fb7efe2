"""The German catalog is complete: every string the code and templates mark has a German translation, none fuzzy
or empty, and none left over. A new English string without German fails here (pybabel extract finds it)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from gmail_tickets import catalogs

REPO = Path(__file__).resolve().parents[2]
GERMAN = catalogs.TRANSLATIONS / "de" / "LC_MESSAGES" / "messages.po"


def _ids(catalog: object) -> set[str]:
    return {m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id}  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory) -> object:
    out = tmp_path_factory.mktemp("pot") / "messages.pot"
    pybabel = Path(sys.executable).with_name("pybabel")
    subprocess.run([str(pybabel), "extract", "-F", "babel.cfg", "-k", "_l", "-k", "said", "--no-location",
                    "--omit-header", "-o", str(out), "."], cwd=REPO, check=True, capture_output=True)
    with out.open("rb") as handle:
        return read_po(handle)


def test_every_german_entry_is_translated_and_not_fuzzy() -> None:
    with GERMAN.open("rb") as handle:
        german = read_po(handle)
    assert len(german) > 20
    problems = []
    for message in german:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy or not all(s.strip() for s in strings):
            problems.append(message.id)
    assert problems == []


def test_the_code_marks_no_string_the_german_catalog_lacks(extracted: object) -> None:
    with GERMAN.open("rb") as handle:
        german = read_po(handle)
    assert _ids(extracted) - _ids(german) == set()  # new English without German
    assert _ids(german) - _ids(extracted) == set()  # German for strings the code no longer has


def test_placeholders_survive_translation() -> None:
    with GERMAN.open("rb") as handle:
        german = read_po(handle)
    assert [m.id for m in german if m.id and m.check()] == []  # babel's python-format checker


def test_a_missing_compiled_catalog_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "de" / "LC_MESSAGES").mkdir(parents=True)
    assert catalogs.missing(("en", "de"), tmp_path) == ["de"]
    assert catalogs.missing(("en", "de")) == []  # the build compiled this worktree's catalogs (./dev)


def test_compiling_is_deterministic() -> None:
    assert catalogs.compiled() == catalogs.compiled()
