"""cloudbuild.yaml: it parses, and it runs the pipeline in order, testing with the command the README gives."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
CLOUDBUILD = REPO / "cloudbuild.yaml"
README = REPO / "README.md"

# The pipeline's stages, in order, and how each is recognised in a step's command line.
STAGES: list[tuple[str, re.Pattern[str]]] = [
    ("install", re.compile(r"\./dev gt --help|pip install")),
    ("lint", re.compile(r"\./dev lint\b")),
    ("test", re.compile(r"\./dev test\b")),
    ("bundle", re.compile(r"\./dev bundle\b")),
    ("terraform init", re.compile(r"^init\b.*-backend-config=bucket=\$\{_[A-Z_]+\}")),
    ("terraform plan", re.compile(r"^plan\b.*-out=(\S+)")),
    ("terraform apply", re.compile(r"^apply\b.*\btfplan\b")),
]


def parse_yaml(text: str) -> Any:
    return yaml.safe_load(text)


def command(step: dict[str, Any]) -> str:
    """What a step runs, as one line: the entrypoint's script (bash -c) or the image's own arguments."""
    args = [str(a) for a in step.get("args", [])]
    if step.get("entrypoint") in ("bash", "sh") and args[:1] == ["-c"]:
        return " ".join(args[1:])
    return " ".join(args)


def pipeline_problems(build: dict[str, Any], header: str) -> list[str]:
    problems = []
    steps = build.get("steps") or []
    positions: list[int] = []
    for stage, pattern in STAGES:
        found = [i for i, step in enumerate(steps) if pattern.search(command(step))]
        if not found:
            problems.append(f"no step does {stage}")
            continue
        positions.append(found[0])
    if positions != sorted(positions):
        problems.append(f"stages out of order: {positions}")
    for i, step in enumerate(steps):
        if step.get("waitFor"):
            problems.append(f"step {i} ({step.get('id')}) has waitFor: the stages must run one after another")
    used = set(re.findall(r"\$\{(_[A-Z0-9_]+)\}", json.dumps(steps)))
    declared = set(build.get("substitutions") or {})
    if used - declared:
        problems.append(f"substitutions used but not declared: {sorted(used - declared)}")
    for name in sorted(declared):
        if not re.search(rf"^#.*\b{name}\b", header, re.M):
            problems.append(f"substitution {name} is not documented in the comments at the top of the file")
    return problems


def header_of(text: str) -> str:
    """The comment block the file starts with."""
    lines = []
    for line in text.splitlines():
        if not line.startswith("#") and line.strip():
            break
        lines.append(line)
    return "\n".join(lines)


@pytest.fixture(scope="module")
def text() -> str:
    return CLOUDBUILD.read_text()


@pytest.fixture(scope="module")
def build(text: str) -> dict[str, Any]:
    parsed = parse_yaml(text)
    assert isinstance(parsed, dict) and parsed.get("steps"), "cloudbuild.yaml has no steps"
    return parsed


def test_the_pipeline_runs_in_order_with_documented_substitutions(build: dict[str, Any], text: str) -> None:
    assert pipeline_problems(build, header_of(text)) == []


def test_the_test_step_is_the_readmes_test_command(build: dict[str, Any]) -> None:
    assert "./dev test" in README.read_text()
    tests = [step for step in build["steps"] if re.search(r"\./dev test\b", command(step))]
    assert len(tests) == 1
    assert not re.search(r"\./dev test\s+-", command(tests[0])), "the whole suite, not a filtered part of it"


def test_terraform_applies_the_plan_it_made_in_the_terraform_folder(build: dict[str, Any]) -> None:
    terraform = [s for s in build["steps"] if re.match(r"(init|plan|apply)\b", command(s))]
    assert [command(s).split()[0] for s in terraform] == ["init", "plan", "apply"]
    assert {s.get("dir") for s in terraform} == {"infra/terraform"}
    plan_file = re.search(r"-out=(\S+)", command(terraform[1])).group(1)
    assert command(terraform[2]).split()[-1] == plan_file


def test_the_state_bucket_is_a_substitution_without_a_made_up_default(build: dict[str, Any]) -> None:
    assert build["substitutions"]["_TF_STATE_BUCKET"] == ""  # the deployer's own bucket, or init fails


# ---- the check itself can fail -------------------------------------------------------------------------------

def test_swapped_stages_are_caught(build: dict[str, Any], text: str) -> None:
    broken = json.loads(json.dumps(build))
    steps = broken["steps"]
    test_at = next(i for i, s in enumerate(steps) if "./dev test" in command(s))
    bundle_at = next(i for i, s in enumerate(steps) if "./dev bundle" in command(s))
    steps[test_at], steps[bundle_at] = steps[bundle_at], steps[test_at]
    assert any("out of order" in p for p in pipeline_problems(broken, header_of(text)))


def test_a_missing_test_step_is_caught(build: dict[str, Any], text: str) -> None:
    broken = json.loads(json.dumps(build))
    broken["steps"] = [s for s in broken["steps"] if "./dev test" not in command(s)]
    assert "no step does test" in pipeline_problems(broken, header_of(text))


def test_an_undocumented_or_undeclared_substitution_is_caught(build: dict[str, Any]) -> None:
    broken = json.loads(json.dumps(build))
    broken["steps"][-1]["args"].append("-var=x=${_NOT_DECLARED}")
    broken["substitutions"]["_UNDOCUMENTED"] = "x"
    problems = pipeline_problems(broken, header_of(CLOUDBUILD.read_text()))
    assert any("_NOT_DECLARED" in p for p in problems)
    assert any("_UNDOCUMENTED is not documented" in p for p in problems)


def test_parallel_steps_are_caught(build: dict[str, Any], text: str) -> None:
    broken = json.loads(json.dumps(build))
    broken["steps"][2]["waitFor"] = ["-"]
    assert any("waitFor" in p for p in pipeline_problems(broken, header_of(text)))
