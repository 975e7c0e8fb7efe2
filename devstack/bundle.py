"""`gmail-tickets bundle`: the Cloud Functions source archive, dist/function-source.zip, byte for byte reproducible.

    main.py              functions/*.py at the root: the entry points Cloud Functions loads
    gmail_tickets/       the product package (Python files and its package data: templates, static, and the
                         message catalogs compiled from their .po files), no caches
    requirements.txt     the runtime closure, pinned: pyproject's [project].dependencies and everything they need,
                         at the versions of requirements.lock, so the cloud runs what the tests ran

Reproducible (the same sources give the same sha256, so Terraform and Cloud Build redeploy only on change):
entries sorted, every timestamp 1980-01-01, permissions 0644, one compression level. The closure is walked through
the installed distributions' metadata (what `pip install -c requirements.lock -e .` put in this virtualenv), with
the extras each requirement asks for and environment markers evaluated for this interpreter, which is the
functions' runtime version; a package missing from the lock, or installed at another version, is an error.
"""

from __future__ import annotations

import argparse
import fnmatch
import hashlib
import io
import json
import os
import tomllib
import zipfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from gmail_tickets import catalogs

REPO = Path(__file__).resolve().parents[1]
ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest a zip can say
FILE_MODE = 0o100644  # a regular file, rw-r--r--
PACKAGE = "gmail_tickets"


class BundleError(RuntimeError):
    """The bundle cannot be built as pinned (a dependency missing from the lock, or installed at another version)."""


@dataclass(frozen=True)
class Bundle:
    path: Path
    size: int
    sha256: str
    files: int
    requirements: list[str]


def read_lock(path: Path) -> dict[str, tuple[str, str]]:
    """requirements.lock as {canonical name: (name as spelled, version)}."""
    pins: dict[str, tuple[str, str]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        requirement = Requirement(line)
        versions = [spec.version for spec in requirement.specifier if spec.operator == "=="]
        if len(versions) != 1:
            raise BundleError(f"requirements.lock: not an exact pin: {line!r}")
        pins[canonicalize_name(requirement.name)] = (requirement.name, versions[0])
    return pins


def runtime_closure(roots: list[str]) -> set[str]:
    """Canonical names of `roots` and everything they require, as installed here (extras followed, markers applied)."""
    walked: dict[str, set[str]] = {}
    queue = [Requirement(text) for text in roots]
    while queue:
        requirement = queue.pop()
        if requirement.marker is not None and not requirement.marker.evaluate({"extra": ""}):
            continue
        name = canonicalize_name(requirement.name)
        extras = set(requirement.extras)
        if name in walked and extras <= walked[name]:
            continue
        walked.setdefault(name, set()).update(extras)
        try:
            requires = metadata.distribution(requirement.name).requires or []
        except metadata.PackageNotFoundError:
            raise BundleError(f"{requirement.name} is not installed here: run ./dev setup first (./dev lint)") from None
        wanted = {""} | walked[name]
        for text in requires:
            child = Requirement(text)
            if child.marker is None or any(child.marker.evaluate({"extra": extra}) for extra in wanted):
                child.marker = None  # decided here; the child's own markers were evaluated with its parent's extras
                queue.append(child)
    return set(walked)


def pinned_requirements(repo: Path) -> list[str]:
    """requirements.txt lines: the runtime closure at the lock's versions, sorted by name."""
    project = tomllib.loads((repo / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    lock = read_lock(repo / "requirements.lock")
    lines = []
    for name in sorted(runtime_closure(project["dependencies"])):
        if name not in lock:
            raise BundleError(f"{name} is needed at runtime but not pinned in requirements.lock")
        spelled, version = lock[name]
        installed = metadata.version(name)
        if installed != version:
            raise BundleError(f"{name}: requirements.lock pins {version}, {installed} is installed here "
                              "(./dev lint reinstalls the pins)")
        lines.append(f"{spelled}=={version}")
    return lines


def package_data_patterns(repo: Path) -> dict[str, list[str]]:
    """[tool.setuptools.package-data] of our package and its subpackages ({"gmail_tickets.web": [patterns]})."""
    pyproject = tomllib.loads((repo / "pyproject.toml").read_text(encoding="utf-8"))
    data = pyproject.get("tool", {}).get("setuptools", {}).get("package-data", {})
    return {package: list(patterns) for package, patterns in data.items()
            if package == PACKAGE or package.startswith(PACKAGE + ".")}


def source_files(repo: Path) -> dict[str, Path]:
    """{name in the archive: file}: functions/*.py at the root, the package's Python files and package data."""
    files = {path.name: path for path in sorted((repo / "functions").glob("*.py"))}
    if "main.py" not in files:
        raise BundleError(f"no functions/main.py under {repo}")
    root = repo / "shared" / PACKAGE
    data_dirs = {root.parent.joinpath(*package.split(".")): patterns
                 for package, patterns in package_data_patterns(repo).items()}
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root.parent)
        if not path.is_file() or "__pycache__" in relative.parts:
            continue
        is_data = any(path.is_relative_to(folder) and fnmatch.fnmatch(path.relative_to(folder).as_posix(), pattern)
                      for folder, patterns in data_dirs.items() for pattern in patterns)
        if path.suffix == ".py" or path.name == "py.typed" or is_data:
            files[relative.as_posix()] = path
    return files


def compiled_catalogs(repo: Path) -> dict[str, bytes]:
    """The console's message catalogs, compiled here from their .po sources (the .mo files are never committed, so
    the archive must not depend on whatever lies on disk)."""
    root = repo / "shared" / PACKAGE / "translations"
    return {path.relative_to(root.parents[1]).as_posix(): data for path, data in catalogs.compiled(root).items()}


def archive_bytes(entries: dict[str, bytes]) -> bytes:
    """A zip of `entries` that depends on nothing but their names and bytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in sorted(entries):
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.create_system = 3  # Unix, so the mode below is read
            info.external_attr = FILE_MODE << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, entries[name], compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)
    return buffer.getvalue()


def build(repo: Path = REPO, out: Path | None = None) -> Bundle:
    """Write the archive (atomically) and say what it is."""
    out = out or repo / "dist" / "function-source.zip"
    requirements = pinned_requirements(repo)
    header = "# The functions' runtime closure, pinned from requirements.lock (generated by `gmail-tickets bundle`).\n"
    entries = {name: path.read_bytes() for name, path in source_files(repo).items()}
    entries.update(compiled_catalogs(repo))
    entries["requirements.txt"] = (header + "\n".join(requirements) + "\n").encode()
    data = archive_bytes(entries)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, out)
    return Bundle(out, len(data), hashlib.sha256(data).hexdigest(), len(entries), requirements)


def main(args: argparse.Namespace) -> int:
    repo = Path(args.repo).resolve() if getattr(args, "repo", None) else REPO
    bundle = build(repo, Path(args.out).resolve() if getattr(args, "out", None) else None)
    if getattr(args, "json", False):
        print(json.dumps({"path": str(bundle.path), "size": bundle.size, "sha256": bundle.sha256,
                          "files": bundle.files, "requirements": len(bundle.requirements)}))
    else:
        print(f"{bundle.path}  {bundle.size} bytes  sha256 {bundle.sha256}")
        print(f"  {bundle.files} files, {len(bundle.requirements)} pinned requirements")
    return 0
