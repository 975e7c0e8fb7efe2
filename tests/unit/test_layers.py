"""Dependencies point inward (docs/architecture.md, "Layers"): checked on every import statement of the product,
including imports inside functions, so a shortcut from a service into an adapter fails here, not in review."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "shared" / "gmail_tickets"

# Which of our own modules each layer may import (prefixes of dotted names under gmail_tickets).
PURE = ("domain", "mail", "errors")
ALLOWED: dict[str, tuple[str, ...]] = {
    "domain": PURE,
    "mail": PURE,
    "ports": (*PURE, "ports"),
    "services": (*PURE, "ports", "services", "settings", "secret_names", "logs", "catalogs"),
    "adapters": (*PURE, "ports", "adapters", "secret_names", "google_endpoints", "settings", "logs"),
}
ENTRY_POINTS_MAY_NOT = ("adapters",)  # entry points get adapters through bootstrap only
ENTRY_POINTS = ("web", "local", "cli", "embedded")


def _layer(path: Path) -> str:
    return path.relative_to(PACKAGE).parts[0].removesuffix(".py")


def _our_imports(path: Path) -> list[tuple[int, str]]:
    """(line, module under gmail_tickets) for every import of ours in the file."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] if node.module != "gmail_tickets" else [f"gmail_tickets.{a.name}" for a in node.names]
        found += [(node.lineno, n.removeprefix("gmail_tickets.")) for n in names if n.startswith("gmail_tickets.")]
    return found


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def _violations(path: Path, layer: str) -> list[str]:
    where = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
    bad: list[str] = []
    for line, module in _our_imports(path):
        top = module.split(".")[0]
        if layer in ALLOWED and top not in ALLOWED[layer]:
            bad.append(f"{where}:{line} ({layer}) imports gmail_tickets.{module}")
        if layer in ENTRY_POINTS and top in ENTRY_POINTS_MAY_NOT:
            bad.append(f"{where}:{line} (entry point) imports gmail_tickets.{module}: go through bootstrap")
    return bad


@pytest.mark.parametrize("layer", [*ALLOWED, *ENTRY_POINTS])
def test_each_layer_imports_only_inward(layer: str) -> None:
    files = [p for p in _modules() if _layer(p) == layer]
    assert files, f"no modules found for layer {layer}"
    assert [v for p in files for v in _violations(p, layer)] == []


def test_the_functions_import_no_adapter() -> None:
    main = ROOT / "functions" / "main.py"
    assert [m for _, m in _our_imports(main) if m.split(".")[0] in ENTRY_POINTS_MAY_NOT] == []


def test_the_check_catches_an_import_that_points_outward(tmp_path: Path) -> None:
    """The check itself can fail: a service reaching into an adapter, even inside a function, and a console
    module building an adapter itself."""
    probe = tmp_path / "probe.py"
    probe.write_text("import gmail_tickets.domain.model\n\ndef f():\n"
                     "    from gmail_tickets.adapters.sqlite_store import SqliteStore\n")
    assert _violations(probe, "services") == [f"{probe}:4 (services) imports gmail_tickets.adapters.sqlite_store"]
    assert len(_violations(probe, "web")) == 1
    assert _violations(probe, "adapters") == []
