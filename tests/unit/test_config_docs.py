"""docs/configuration.md lists every variable the product reads, as declared on the Config and Settings fields, and
no code or doc names a GT_* variable that is neither declared nor documented (nothing read from the environment
undeclared, no stale name in the docs)."""

import re
from pathlib import Path
from typing import Any

from gmail_tickets.config import Config
from gmail_tickets.env_fields import EnvSetting, env_settings
from gmail_tickets.settings import Settings

REPO = Path(__file__).resolve().parents[2]
DOC = REPO / "docs" / "configuration.md"
SCANNED = ["shared", "functions", "devstack", "infra", "docs", "README.md", "cloudbuild.yaml"]
TEXT = {".py", ".tf", ".md", ".yaml", ".yml", ".sh", ".html", ".toml", ".txt", ".json", ".cfg", ""}
NAME = re.compile(r"\bGT_[A-Z0-9_]+")


def shown(value: Any) -> str:
    """A default as the table shows it."""
    if value is None or value in ("", ()):
        return "none"
    if isinstance(value, bool):
        return "`true`" if value else "`false`"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"`{value}`"


def escaped(text: str) -> str:
    return text.replace("|", "\\|")


def table(declared: list[EnvSetting]) -> str:
    rows = [f"| `{d.env}` | {shown(d.default)} | {escaped(d.doc)} |" for d in declared]
    return "\n".join(["| Variable | Default | What it does |", "|---|---|---|", *rows])


def names_in(path: Path) -> dict[str, Path]:
    found: dict[str, Path] = {}
    files = [path] if path.is_file() else sorted(path.rglob("*"))
    for file in files:
        if file.is_file() and file.suffix in TEXT and "__pycache__" not in file.parts:
            found.update(dict.fromkeys(NAME.findall(file.read_text(errors="replace")), file))
    return found


def unknown(names: dict[str, Path], known: set[str]) -> list[str]:
    """Names neither in `known` nor, for a prefix like GT_RELAY_ (as in "GT_RELAY_*"), the start of one in it."""
    return [f"{name} ({where.relative_to(REPO)})" for name, where in sorted(names.items())
            if name not in known and not (name.endswith("_") and any(k.startswith(name) for k in known))]


DECLARED = {d.env for d in env_settings(Config) + env_settings(Settings)}


def test_the_doc_tables_are_the_declarations() -> None:
    """A variable declared on a field (or its default or text changed) must be in docs/configuration.md as shown."""
    doc = DOC.read_text()
    for part in (Config, Settings):
        expected = table(env_settings(part))
        assert expected in doc, f"docs/configuration.md: the {part.__name__} table should read:\n\n{expected}\n"


def test_every_variable_named_anywhere_is_declared_or_documented() -> None:
    documented = set(NAME.findall(DOC.read_text()))
    used: dict[str, Path] = {}
    for part in SCANNED:
        used.update(names_in(REPO / part))
    assert unknown(used, DECLARED | documented) == []


def test_the_doc_names_only_variables_something_reads() -> None:
    """A name documented but not declared must at least be read somewhere (GT_OAUTH_CLIENT_SECRET: the local
    commands take it once and store it in Secrets)."""
    outside_doc: dict[str, Path] = {}
    for part in SCANNED:
        outside_doc.update({n: p for n, p in names_in(REPO / part).items() if p != DOC})
    documented = names_in(DOC)
    assert unknown(documented, DECLARED | set(outside_doc)) == []


def test_a_name_nobody_declared_is_caught() -> None:
    """The check itself: a typo, and a prefix that starts no variable, are reported; GT_RELAY_ (GT_RELAY_*) is not."""
    names = {"GT_STORRE": DOC, "GT_RELAY_": DOC, "GT_NOTHING_": DOC, "GT_STORE": DOC}
    assert unknown(names, DECLARED) == ["GT_NOTHING_ (docs/configuration.md)", "GT_STORRE (docs/configuration.md)"]
