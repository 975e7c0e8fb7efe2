"""infra/terraform against the code it deploys, and against checkov.

No terraform binary here: the configuration is parsed with python-hcl2 and its wiring asserted. Each check below
returns a list of problems (empty: fine) instead of asserting, so the tests also feed it a deliberately broken
configuration and see it complain.

A `for_each` resource is checked per instance, as Terraform plans it: `functions["ingest"]`, `push["..."]`, with
each.key and each.value put in from the local map (or literal toset) it iterates over.
"""

from __future__ import annotations

import ast
import copy
import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hcl2
import pytest

from gmail_tickets.settings import Settings

REPO = Path(__file__).resolve().parents[2]
TF_DIR = REPO / "infra" / "terraform"
MAIN_PY = REPO / "functions" / "main.py"

FUNCTION = "google_cloudfunctions2_function"
SUBSCRIPTION = "google_pubsub_subscription"
BASIC_ROLES = frozenset({"roles/owner", "roles/editor", "roles/viewer"})
PUBLIC_MEMBERS = frozenset({"allUsers", "allAuthenticatedUsers"})
PUBLIC_API_GRANT = ("google_cloud_run_v2_service_iam_member", "public_invokes_api")
"""The one public grant allowed: anyone may invoke the api function (the REST API checks a token on every request)."""
GMAIL_PUSH_ACCOUNT = "serviceAccount:gmail-api-push@system.gserviceaccount.com"

_OPTIONS = hcl2.SerializationOptions(strip_string_quotes=True, with_comments=False, explicit_blocks=False)
_REF = re.compile(r'\b(google_[a-z0-9_]+)\.([a-z0-9_]+(?:\["[^"]*"\])?)')
_EACH_TEMPLATE = re.compile(r"\$\{each\.(key|value(?:\.\w+)*)\}")
_EACH = re.compile(r"\beach\.(key|value(?:\.\w+)*)")


def fn(key: str) -> str:
    """The name, in `Tf`, of the function `key`: an instance of the one for_each resource."""
    return f'functions["{key}"]'


def push(key: str) -> str:
    """The name, in `Tf`, of the push subscription `key`."""
    return f'push["{key}"]'


@dataclass
class Tf:
    """The merged configuration: resources by type and name, locals, variables' defaults."""

    resources: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    locals: dict[str, Any] = field(default_factory=dict)
    variables: dict[str, Any] = field(default_factory=dict)
    data: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)  # data sources (google_iam_policy)
    moved: list[tuple[str, str]] = field(default_factory=list)  # (from, to) addresses of the moved blocks

    def of(self, rtype: str) -> dict[str, dict[str, Any]]:
        return self.resources.get(rtype, {})

    def copy(self) -> Tf:
        return copy.deepcopy(self)


def parse(texts: dict[str, str]) -> Tf:
    tf = Tf()
    declared: dict[str, dict[str, dict[str, Any]]] = {}
    for name, text in texts.items():
        doc = hcl2.loads(text, serialization_options=_OPTIONS)
        for item in doc.get("resource", []):
            for rtype, named in item.items():
                for rname, body in named.items():
                    if rname in declared.get(rtype, {}):
                        raise ValueError(f"{name}: {rtype}.{rname} declared twice")
                    declared.setdefault(rtype, {})[rname] = body
        for item in doc.get("data", []):
            for rtype, named in item.items():
                tf.data.setdefault(rtype, {}).update(named)
        for item in doc.get("locals", []):
            tf.locals.update(item)
        for item in doc.get("variable", []):
            for vname, body in item.items():
                tf.variables[vname] = body.get("default")
        for item in doc.get("moved", []):
            tf.moved.append((str(item["from"]).strip("${}"), str(item["to"]).strip("${}")))
    for rtype, named in declared.items():
        for rname, body in named.items():
            tf.resources.setdefault(rtype, {}).update(instances(tf, rname, body))
    return tf


def instances(tf: Tf, rname: str, body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """A resource by instance: `rname["key"]` for each key of its for_each, with each.key and each.value put in.
    A resource without for_each, or with one this parser cannot evaluate, stays one (named `rname`)."""
    items = for_each_items(tf, body.get("for_each"))
    if items is None:
        return {rname: body}
    out = {}
    for key, value in items.items():
        instance = {k: v for k, v in body.items() if k != "for_each"}
        out[f'{rname}["{key}"]'] = put_each(instance, key, value)
    return out


def for_each_items(tf: Tf, expr: Any) -> dict[str, Any] | None:
    """{each.key: each.value} for a for_each that is a local map, a toset of string literals or
    `toset([for x in local.map : x.attr])`; None for anything else."""
    if expr is None:
        return None
    expr = resolve(tf, expr)
    if isinstance(expr, dict):
        return expr
    m = re.fullmatch(r"\$\{toset\(\[(.*)\]\)\}", str(expr), re.S)
    if m and re.fullmatch(r'\s*(?:"[^"]*"\s*,?\s*)*', m.group(1)):
        return {k: k for k in re.findall(r'"([^"]*)"', m.group(1))}
    m = re.fullmatch(r"\$\{toset\(\[for (\w+) in local\.(\w+)\s*:\s*\1\.(\w+)\]\)\}", str(expr))
    if m and isinstance(tf.locals.get(m.group(2)), dict):
        return {str(v[m.group(3)]): str(v[m.group(3)]) for v in tf.locals[m.group(2)].values()}
    return None


def put_each(value: Any, key: str, each_value: Any) -> Any:
    """`value` with each.key / each.value(.attr...) replaced: a whole expression by the value itself, a part of
    an expression by the value written as HCL, a template's ${each...} by the value's text."""

    def lookup(ref: str) -> Any:
        if ref == "key":
            return key
        found = each_value
        for attr in ref.split(".")[1:]:
            found = found.get(attr) if isinstance(found, dict) else None
        return copy.deepcopy(found)

    if isinstance(value, dict):
        return {k: put_each(v, key, each_value) for k, v in value.items()}
    if isinstance(value, list):
        return [put_each(v, key, each_value) for v in value]
    if not isinstance(value, str):
        return value
    whole = _EACH_TEMPLATE.fullmatch(value)
    if whole:
        return lookup(whole.group(1))

    def in_template(m: re.Match[str]) -> str:
        found = lookup(m.group(1))
        return found if isinstance(found, str) else hcl(found)

    value = _EACH_TEMPLATE.sub(in_template, value)
    return _EACH.sub(lambda m: hcl(lookup(m.group(1))), value)


def hcl(value: Any) -> str:
    """A parsed value written back as an HCL expression (as python-hcl2 writes one inside a larger expression)."""
    if isinstance(value, str):
        m = re.fullmatch(r"\$\{(.*)\}", value, re.S)
        return m.group(1) if m else json.dumps(value)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {hcl(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(hcl(v) for v in value) + "]"
    return str(value)


def load(directory: Path = TF_DIR) -> Tf:
    return parse({p.name: p.read_text() for p in sorted(directory.glob("*.tf"))})


def entry_points(source: str) -> dict[str, str]:
    """{function name: "cloud_event" | "http"} for every functions_framework-decorated function."""
    found: dict[str, str] = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef):
            for deco in node.decorator_list:
                target = deco.func if isinstance(deco, ast.Call) else deco
                if (isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name)
                        and target.value.id == "functions_framework" and target.attr in ("cloud_event", "http")):
                    found[node.name] = target.attr
    return found


# ---- helpers over parsed values ------------------------------------------------------------------------------

def block(body: dict[str, Any], name: str) -> dict[str, Any] | None:
    """The (first) nested block `name`, or None."""
    value = body.get(name)
    if isinstance(value, list):
        value = value[0] if value else None
    return value if isinstance(value, dict) else None


def path(body: Any, *names: str) -> Any:
    """body.a.b.c through nested blocks (a block is a list of one dict); None where something is missing."""
    for name in names:
        if not isinstance(body, dict):
            return None
        body = body.get(name)
        if isinstance(body, list) and body and all(isinstance(b, dict) for b in body):
            body = body[0]
    return body


def refs(value: Any) -> set[str]:
    """The resources ("type.name") an expression mentions."""
    return {f"{m.group(1)}.{m.group(2)}" for m in _REF.finditer(str(value))}


MIN_DELIVERIES = 2 * Settings().send_max_attempts + 2
"""A notification may take send_max_attempts deliveries on Gmail and as many on the relay (plus deliveries that
find it held by another sender) before it is sent or failed VISIBLY; dead-lettering earlier would hide it."""


def resolve(tf: Tf, value: Any) -> Any:
    """A literal, or a variable's default / a local when the expression is just that."""
    if isinstance(value, str):
        m = re.fullmatch(r"\$\{var\.(\w+)\}", value)
        if m:
            return tf.variables.get(m.group(1))
        m = re.fullmatch(r"\$\{local\.(\w+)\}", value)
        if m:
            return tf.locals.get(m.group(1))
    return value


def walk(value: Any, key: str | None = None) -> Iterator[tuple[str | None, Any]]:
    yield key, value
    if isinstance(value, dict):
        for k, v in value.items():
            yield from walk(v, k)
    elif isinstance(value, list):
        for v in value:
            yield from walk(v, key)


def functions_by_entry_point(tf: Tf) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for name, body in tf.of(FUNCTION).items():
        out.setdefault(str(path(body, "build_config", "entry_point")), []).append(name)
    return out


# ---- the checks ----------------------------------------------------------------------------------------------

def function_problems(tf: Tf, entries: dict[str, str]) -> list[str]:
    """Every entry point is deployed, from the source bucket's object, each function with its own account."""
    problems = []
    by_entry = functions_by_entry_point(tf)
    for entry in entries:
        names = by_entry.get(entry, [])
        if not names:
            problems.append(f"no {FUNCTION} has entry_point {entry!r}")
        for name in names:
            storage = path(tf.of(FUNCTION)[name], "build_config", "source", "storage_source") or {}
            if "google_storage_bucket.source" not in refs(storage.get("bucket")):
                problems.append(f"{name}: source bucket is not google_storage_bucket.source")
            if "google_storage_bucket_object.source" not in refs(storage.get("object")):
                problems.append(f"{name}: source object is not google_storage_bucket_object.source")
    accounts: dict[str, str] = {}
    for name, body in tf.of(FUNCTION).items():
        account = str(path(body, "service_config", "service_account_email"))
        if "google_service_account." not in account:
            problems.append(f"{name}: runs as {account!r}, not a service account of its own")
        elif account in accounts:
            problems.append(f"{name} and {accounts[account]} share the service account {account}")
        accounts[account] = name
    return problems


def subscriptions_to(tf: Tf, function: str) -> dict[str, dict[str, Any]]:
    target = f"{FUNCTION}.{function}"
    return {name: body for name, body in tf.of(SUBSCRIPTION).items()
            if target in refs(path(body, "push_config", "push_endpoint"))}


def topic_names_of(tf: Tf, subscriptions: dict[str, dict[str, Any]]) -> set[str]:
    names = set()
    for body in subscriptions.values():
        for ref in refs(body.get("topic")):
            rtype, rname = ref.split(".")
            if rtype == "google_pubsub_topic" and rname in tf.of(rtype):
                names.add(str(tf.of(rtype)[rname].get("name")))
    return names


def delivery_problems(tf: Tf, entries: dict[str, str]) -> list[str]:
    """Each CloudEvent function is fed by Pub/Sub with retries and a dead-letter path, and nothing else."""
    problems = []
    agent = {"${local.pubsub_agent}", str(resolve(tf, "${local.pubsub_agent}"))}
    dl_publishers = [b for b in tf.of("google_pubsub_topic_iam_member").values()
                     if b.get("role") == "roles/pubsub.publisher" and b.get("member") in agent]
    sub_grants = [b for b in tf.of("google_pubsub_subscription_iam_member").values()
                  if b.get("role") == "roles/pubsub.subscriber" and b.get("member") in agent]
    by_entry = functions_by_entry_point(tf)
    for entry, kind in entries.items():
        if kind != "cloud_event":
            continue
        for fn in by_entry.get(entry, []):
            body = tf.of(FUNCTION)[fn]
            trigger = block(body, "event_trigger")
            subs = subscriptions_to(tf, fn)
            if trigger is not None:
                # Eventarc's own subscription cannot be given a dead-letter policy: not accepted here.
                problems.append(f"{fn}: event_trigger (its Eventarc subscription has no dead-letter path)")
            if not subs:
                problems.append(f"{fn}: no Pub/Sub push subscription delivers to it")
            timeout = int(resolve(tf, path(body, "service_config", "timeout_seconds")) or 60)
            for sname, sub in subs.items():
                where = f"{fn} via {sname}"
                oidc = path(sub, "push_config", "oidc_token") or {}
                if not oidc.get("service_account_email") or not oidc.get("audience"):
                    problems.append(f"{where}: push without an OIDC token (service account and audience)")
                retry = block(sub, "retry_policy") or {}
                if not retry.get("minimum_backoff") or not retry.get("maximum_backoff"):
                    problems.append(f"{where}: no retry_policy with backoff (failed deliveries must be retried)")
                dead = block(sub, "dead_letter_policy") or {}
                attempts = resolve(tf, dead.get("max_delivery_attempts"))
                if not dead.get("dead_letter_topic"):
                    problems.append(f"{where}: no dead_letter_policy.dead_letter_topic")
                if not isinstance(attempts, int) or not MIN_DELIVERIES <= attempts <= 100:
                    problems.append(f"{where}: max_delivery_attempts {attempts!r} is not {MIN_DELIVERIES}..100")
                ack = resolve(tf, sub.get("ack_deadline_seconds"))
                if not isinstance(ack, int) or ack < timeout:
                    problems.append(f"{where}: ack deadline {ack!r} s is shorter than the function's {timeout} s")
                dl_topics = refs(dead.get("dead_letter_topic"))
                if dl_topics and not any(dl_topics & refs(g.get("topic")) for g in dl_publishers):
                    problems.append(f"{where}: the Pub/Sub service agent may not publish to {sorted(dl_topics)}")
                if not any(f"{SUBSCRIPTION}.{sname}" in refs(g.get("subscription")) for g in sub_grants):
                    problems.append(f"{where}: the Pub/Sub service agent is not a subscriber of {sname}")
                for dl in dl_topics:
                    dl_name = dl.split(".")[1]
                    if not any(dl in refs(s.get("topic")) and block(s, "push_config") is None
                               for s in tf.of(SUBSCRIPTION).values()):
                        problems.append(f"{where}: dead-letter topic {dl_name} has no pull subscription keeping it")
    return problems


def scheduler_problems(tf: Tf) -> list[str]:
    """sweep every minute with an OIDC token, its account an invoker of sweep and of nothing else."""
    problems = []
    sweeps = functions_by_entry_point(tf).get("sweep", [])
    jobs = {name: job for name, job in tf.of("google_cloud_scheduler_job").items()
            if any(f"{FUNCTION}.{fn}" in refs(path(job, "http_target", "uri")) for fn in sweeps)}
    if not jobs:
        problems.append("no Cloud Scheduler job calls the sweep function")
    for name, job in jobs.items():
        if job.get("schedule") != "* * * * *":
            problems.append(f"{name}: schedule {job.get('schedule')!r}, not every minute")
        oidc = path(job, "http_target", "oidc_token") or {}
        account = refs(oidc.get("service_account_email"))
        if not account or not oidc.get("audience"):
            problems.append(f"{name}: no oidc_token with a service account and audience")
            continue
        grants = [(rtype, body) for rtype, named in tf.resources.items() if "_iam_" in rtype
                  for body in named.values() if refs(body.get("member")) & account]
        invokes_sweep = [b for t, b in grants if b.get("role") == "roles/run.invoker"
                         and any(f"{FUNCTION}.{fn}" in refs(b.get("name")) for fn in sweeps)]
        if not invokes_sweep:
            problems.append(f"{name}: its account {sorted(account)} may not invoke sweep (roles/run.invoker)")
        if len(grants) != len(invokes_sweep):
            problems.append(f"{name}: its account {sorted(account)} has grants beyond invoking sweep")
    return problems


def gmail_publisher_problems(tf: Tf) -> list[str]:
    topics = {f"google_pubsub_topic.{name}" for name, body in tf.of("google_pubsub_topic").items()
              if body.get("name") == "gmail-push"}
    if not topics:
        return ["no topic named gmail-push"]
    for body in tf.of("google_pubsub_topic_iam_member").values():
        if (body.get("role") == "roles/pubsub.publisher" and body.get("member") == GMAIL_PUSH_ACCOUNT
                and refs(body.get("topic")) & topics):
            return []
    return [f"gmail-push does not let {GMAIL_PUSH_ACCOUNT} publish"]


def iam_problems(tf: Tf) -> list[str]:
    """No basic role and no public member in any grant, whatever the resource."""
    problems = []
    everything = [*tf.resources.items(), *((f"data.{t}", named) for t, named in tf.data.items())]
    for rtype, named in everything:
        for rname, body in named.items():
            for key, value in walk(body):
                if key == "role" and isinstance(value, str) and value in BASIC_ROLES:
                    problems.append(f"{rtype}.{rname} grants {value}")
                if key in ("member", "members") and any(p in str(value) for p in PUBLIC_MEMBERS):
                    if (rtype, rname) == PUBLIC_API_GRANT and api_grant_problems(body) == []:
                        continue
                    problems.append(f"{rtype}.{rname} grants to {value}")
    return problems


def api_grant_problems(body: dict[str, Any]) -> list[str]:
    """The public grant gives run.invoker on the api function, and nothing else."""
    problems = []
    if body.get("role") != "roles/run.invoker":
        problems.append(f"the public grant gives {body.get('role')}, not roles/run.invoker")
    if 'functions["api"]' not in str(body.get("name")):
        problems.append(f"the public grant is on {body.get('name')}, not the api function")
    return problems


def console_problems(tf: Tf) -> list[str]:
    """admin: only through the load balancer, IAP on, the audience handed to the app."""
    problems = []
    for fn in functions_by_entry_point(tf).get("admin", []):
        service = path(tf.of(FUNCTION)[fn], "service_config") or {}
        if service.get("ingress_settings") != "ALLOW_INTERNAL_AND_GCLB":
            problems.append(f"{fn}: ingress {service.get('ingress_settings')!r}, not ALLOW_INTERNAL_AND_GCLB")
        if "GT_IAP_AUDIENCE" not in str(service.get("environment_variables")):
            problems.append(f"{fn}: no GT_IAP_AUDIENCE")
    backends = tf.of("google_compute_backend_service")
    if not any(path(b, "iap", "enabled") is True for b in backends.values()):
        problems.append("no backend service with IAP enabled")
    return problems


def environment(tf: Tf, function: str) -> dict[str, Any]:
    """The environment a function gets: local.common_env, merged with its own additions."""
    value = path(tf.of(FUNCTION).get(function, {}), "service_config", "environment_variables")
    env: dict[str, Any] = {}
    if "local.common_env" in str(value):
        env.update(tf.locals.get("common_env") or {})
    if isinstance(value, dict):
        env.update(value)
    for key, val in re.findall(r"(GT_[A-Z0-9_]+)\s*=\s*([^,}]+)", str(value) if not isinstance(value, dict) else ""):
        env[key] = val.strip()
    return env


def env_problems(tf: Tf, read_by_code: set[str], pending: frozenset[str] = frozenset()) -> list[str]:
    """Each function is wired to the cloud adapters, and sets no GT_* name the code does not read."""
    problems = []
    wanted = {"GT_STORE": "firestore", "GT_PUBLISHER": "pubsub", "GT_SECRETS": "secretmanager", "GT_BLOBS": "gcs"}
    for fn in tf.of(FUNCTION):
        env = environment(tf, fn)
        for key, value in wanted.items():
            if env.get(key) != value:
                problems.append(f"{fn}: {key}={env.get(key)!r}, want {value!r}")
        for key in ("GOOGLE_CLOUD_PROJECT", "GT_BUCKET", "GT_OAUTH_CLIENT_ID", "GT_PUSH_TOPIC", "GT_SYNC_TOPIC"):
            if not env.get(key):
                problems.append(f"{fn}: {key} is not set")
        unknown = {k for k in env if k.startswith("GT_")} - read_by_code - pending
        if unknown:
            problems.append(f"{fn}: sets {sorted(unknown)}, which no code reads")
    return problems


def gt_names_read_by(package: Path) -> set[str]:
    names: set[str] = set()
    for file in package.rglob("*.py"):
        names.update(re.findall(r"[\"'](GT_[A-Z0-9_]+)[\"']", file.read_text()))
    return names


# ==== the tests ==============================================================================================

CHECKOV = REPO / ".venv-checkov" / "bin" / "checkov"
PACKAGE = REPO / "shared" / "gmail_tickets"


@pytest.fixture(scope="module")
def tf() -> Tf:
    return load()


@pytest.fixture(scope="module")
def entries() -> dict[str, str]:
    return entry_points(MAIN_PY.read_text())


# ---- the real configuration ----------------------------------------------------------------------------------

def test_every_tf_file_parses_and_declares_resources(tf: Tf) -> None:
    files = sorted(TF_DIR.glob("*.tf"))
    assert files, "infra/terraform has no .tf files"
    assert sum(len(named) for named in tf.resources.values()) > 40


def test_main_py_entry_points_are_the_known_five(entries: dict[str, str]) -> None:
    # A new entry point must get its function (and, for a CloudEvent one, its subscription) in Terraform: the
    # checks below then cover it too.
    assert entries == {"ingest": "cloud_event", "send": "cloud_event", "sweep": "http", "sweep_shard": "cloud_event",
                       "admin": "http", "api": "http"}


def test_each_entry_point_is_a_function_built_from_the_source_object(tf: Tf, entries: dict[str, str]) -> None:
    assert function_problems(tf, entries) == []


def test_each_function_has_its_own_service_account(tf: Tf) -> None:
    accounts = [path(body, "service_config", "service_account_email") for body in tf.of(FUNCTION).values()]
    assert len(accounts) == len(set(accounts)) == 6


def test_pubsub_functions_retry_and_dead_letter(tf: Tf, entries: dict[str, str]) -> None:
    assert delivery_problems(tf, entries) == []


def test_topics_feed_the_functions_the_code_expects(tf: Tf) -> None:
    assert topic_names_of(tf, subscriptions_to(tf, fn("ingest"))) == {"gmail-push", "mailbox-sync"}
    assert topic_names_of(tf, subscriptions_to(tf, fn("send"))) == {"outbound-mail"}
    assert topic_names_of(tf, subscriptions_to(tf, fn("sweep-shard"))) == {"mailbox-sweep"}


def test_sweep_runs_every_minute_with_oidc_and_a_single_purpose_account(tf: Tf) -> None:
    assert scheduler_problems(tf) == []


def test_gmail_may_publish_to_gmail_push(tf: Tf) -> None:
    assert gmail_publisher_problems(tf) == []


def test_no_basic_roles_and_nothing_public(tf: Tf) -> None:
    assert iam_problems(tf) == []


def test_console_only_through_iap(tf: Tf) -> None:
    assert console_problems(tf) == []


def test_functions_use_the_cloud_adapters_and_only_settings_the_code_reads(tf: Tf) -> None:
    assert env_problems(tf, gt_names_read_by(PACKAGE)) == []


def test_secrets_terraform_makes_are_the_names_the_code_uses(tf: Tf) -> None:
    from gmail_tickets import secret_names
    from gmail_tickets.web import auth

    made = set(re.findall(r'"([a-z-]+)"', tf.locals["provided_secrets"])) | set(tf.locals["key_versions"])
    needed = {secret_names.OAUTH_CLIENT_SECRET, secret_names.RELAY_PASSWORD, secret_names.TICKET_TOKEN_KEY,
              secret_names.OAUTH_STATE_KEY, secret_names.DOMAIN_VERIFICATION_KEY, auth.SESSION_KEY}
    assert made == needed
    # The refresh tokens are granted by name prefix: the prefix must be what secret_names produces.
    assert secret_names.refresh_token("a@example.com").startswith("gmail-token-")
    assert "/secrets/gmail-token-" in tf.locals["token_prefix"]


def test_generated_keys_never_reach_the_state() -> None:
    text = (TF_DIR / "secrets.tf").read_text()
    assert re.search(r'^ephemeral "random_password" "keys"', text, re.M)
    assert "secret_data_wo " in text or "secret_data_wo=" in text.replace(" ", "")
    assert not re.search(r"^\s*secret_data\s*=", text, re.M), "secret_data puts the value in the state"


def moved_problems(tf: Tf) -> list[str]:
    """Each moved block leads from an address no longer declared to a resource (instance) that is."""
    problems = []
    for old, new in tf.moved:
        for address, should_exist in ((old, False), (new, True)):
            rtype, _, rname = address.partition(".")
            if (rname in tf.of(rtype)) != should_exist:
                problems.append(f"moved {old} -> {new}: {address} is {'not ' if should_exist else ''}declared")
    return problems


def test_moved_blocks_lead_from_old_addresses_to_declared_instances(tf: Tf) -> None:
    assert len(tf.moved) == 12
    assert moved_problems(tf) == []


def test_a_moved_block_to_nowhere_is_caught(tf: Tf) -> None:
    broken = _broken(tf)
    broken.moved.append(("google_cloudfunctions2_function.ingest", 'google_cloudfunctions2_function.functions["x"]'))
    broken.moved.append((f"{FUNCTION}.{fn('send')}", f"{FUNCTION}.{fn('send')}"))
    assert moved_problems(broken) == [
        'moved google_cloudfunctions2_function.ingest -> google_cloudfunctions2_function.functions["x"]: '
        'google_cloudfunctions2_function.functions["x"] is not declared',
        f"moved {FUNCTION}.{fn('send')} -> {FUNCTION}.{fn('send')}: {FUNCTION}.{fn('send')} is declared",
    ]


def test_firestore_is_the_native_default_database(tf: Tf) -> None:
    (db,) = tf.of("google_firestore_database").values()
    assert db["name"] == "(default)" and db["type"] == "FIRESTORE_NATIVE"


def test_the_single_field_indexes_the_store_needs_are_declared(tf: Tf) -> None:
    from gmail_tickets.adapters.firestore_store.store import REQUIRED_FIELD_INDEXES

    declared = set()
    for resource in tf.of("google_firestore_field").values():
        for config in _blocks(resource.get("index_config")):
            for index in _blocks(config.get("indexes")):
                declared.add((resource["collection"], resource["field"], index.get("array_config"),
                              index.get("query_scope")))
    assert set(REQUIRED_FIELD_INDEXES) <= declared, declared


def test_the_index_exemptions_are_the_stores_list(tf: Tf) -> None:
    """Always-increasing fields no query reads are exempt from single-field indexing (no hot spot for nothing):
    Terraform's map is the store's UNINDEXED_FIELDS, and no query of the store names one of them."""
    from gmail_tickets.adapters.firestore_store.store import UNINDEXED_FIELDS

    declared = {(v["collection"], v["field"]) for v in tf.locals["firestore_unindexed"].values()}
    assert declared == set(UNINDEXED_FIELDS)
    exempt = {n: r for n, r in tf.of("google_firestore_field").items() if n.startswith("unindexed[")}
    assert len(exempt) == len(declared)
    assert not [i for r in exempt.values() for c in _blocks(r.get("index_config")) for i in _blocks(c.get("indexes"))]
    code = "\n".join(p.read_text() for p in (REPO / "shared/gmail_tickets/adapters/firestore_store").glob("*.py"))
    queried = set(re.findall(r'(?:FieldFilter|order_by|range_since\([^,]+,|_count_since)\(?\s*"([a-z_]+)"', code))
    only_here = {f for _, f in UNINDEXED_FIELDS} - {"created_at"}  # outbox and invites order by their own created_at
    assert not only_here & queried, only_here & queried


def _blocks(value: Any) -> list[dict[str, Any]]:
    """A nested HCL block as python-hcl2 gives it: one dict, or a list of them."""
    if value is None:
        return []
    return [b for v in (value if isinstance(value, list) else [value]) for b in (v if isinstance(v, list) else [v])]


# ---- the checks catch what they are for ----------------------------------------------------------------------

def _broken(tf: Tf) -> Tf:
    return tf.copy()


def test_a_missing_function_is_caught(tf: Tf, entries: dict[str, str]) -> None:
    broken = _broken(tf)
    del broken.resources[FUNCTION][fn("send")]
    assert any("entry_point 'send'" in p for p in function_problems(broken, entries))


def test_a_function_built_from_elsewhere_is_caught(tf: Tf, entries: dict[str, str]) -> None:
    broken = _broken(tf)
    storage = path(broken.of(FUNCTION)[fn("ingest")], "build_config", "source", "storage_source")
    storage["object"] = "function-source.zip"
    assert any("source object" in p for p in function_problems(broken, entries))


def test_a_shared_service_account_is_caught(tf: Tf, entries: dict[str, str]) -> None:
    broken = _broken(tf)
    service = path(broken.of(FUNCTION)[fn("send")], "service_config")
    service["service_account_email"] = path(broken.of(FUNCTION)[fn("ingest")], "service_config",
                                            "service_account_email")
    assert any("share the service account" in p for p in function_problems(broken, entries))


@pytest.mark.parametrize("damage, expected", [
    (lambda sub: sub.pop("dead_letter_policy"), "dead_letter_topic"),
    (lambda sub: sub.pop("retry_policy"), "retry_policy"),
    (lambda sub: path(sub, "push_config").pop("oidc_token"), "OIDC"),
    (lambda sub: sub.__setitem__("ack_deadline_seconds", 60), "ack deadline"),
    (lambda sub: path(sub, "dead_letter_policy").__setitem__("max_delivery_attempts", 1000), "..100"),
    (lambda sub: path(sub, "dead_letter_policy").__setitem__("max_delivery_attempts", 5), "..100"),
])
def test_a_subscription_without_its_safety_nets_is_caught(tf: Tf, entries: dict[str, str], damage, expected) -> None:
    broken = _broken(tf)
    damage(broken.of(SUBSCRIPTION)[push("outbound_mail_to_send")])
    problems = delivery_problems(broken, entries)
    assert any(expected in p and "outbound_mail_to_send" in p for p in problems), problems


def test_a_function_nobody_delivers_to_is_caught(tf: Tf, entries: dict[str, str]) -> None:
    broken = _broken(tf)
    del broken.resources[SUBSCRIPTION][push("outbound_mail_to_send")]
    assert any(f"{fn('send')}: no Pub/Sub push subscription" in p for p in delivery_problems(broken, entries))


def test_an_eventarc_trigger_is_caught(tf: Tf, entries: dict[str, str]) -> None:
    broken = _broken(tf)
    broken.of(FUNCTION)[fn("ingest")]["event_trigger"] = [{"pubsub_topic": "x", "retry_policy": "RETRY_POLICY_RETRY"}]
    assert any(f"{fn('ingest')}: event_trigger" in p for p in delivery_problems(broken, entries))


def test_dead_lettering_without_the_service_agent_grants_is_caught(tf: Tf, entries: dict[str, str]) -> None:
    broken = _broken(tf)
    del broken.resources["google_pubsub_topic_iam_member"]["dead_letter_publisher"]
    del broken.resources["google_pubsub_subscription_iam_member"]['dead_letter_subscriber["gmail_push_to_ingest"]']
    problems = delivery_problems(broken, entries)
    assert any("may not publish" in p for p in problems)
    assert any(f"not a subscriber of {push('gmail_push_to_ingest')}" in p for p in problems)


def test_a_dead_letter_topic_nobody_keeps_is_caught(tf: Tf, entries: dict[str, str]) -> None:
    broken = _broken(tf)
    del broken.resources[SUBSCRIPTION]["dead_letter"]
    assert any("no pull subscription" in p for p in delivery_problems(broken, entries))


def test_a_slower_schedule_or_no_oidc_is_caught(tf: Tf) -> None:
    broken = _broken(tf)
    (job,) = broken.of("google_cloud_scheduler_job").values()
    job["schedule"] = "*/5 * * * *"
    assert any("not every minute" in p for p in scheduler_problems(broken))
    path(job, "http_target").pop("oidc_token")
    assert any("no oidc_token" in p for p in scheduler_problems(broken))


def test_a_scheduler_account_with_more_rights_is_caught(tf: Tf) -> None:
    broken = _broken(tf)
    broken.resources["google_project_iam_member"]["scheduler_extra"] = {
        "project": "${var.project}", "role": "roles/datastore.user",
        "member": "${google_service_account.scheduler.member}"}
    assert any("beyond invoking sweep" in p for p in scheduler_problems(broken))


def test_a_missing_gmail_publisher_grant_is_caught(tf: Tf) -> None:
    broken = _broken(tf)
    del broken.resources["google_pubsub_topic_iam_member"]["gmail_push_publisher"]
    assert gmail_publisher_problems(broken) == [
        "gmail-push does not let serviceAccount:gmail-api-push@system.gserviceaccount.com publish"]


def test_a_basic_role_in_a_policy_document_is_caught() -> None:
    snippet = '''
    data "google_iam_policy" "admin" {
      binding {
        role    = "roles/editor"
        members = ["serviceAccount:x@p.iam.gserviceaccount.com"]
      }
    }
    '''
    assert iam_problems(parse({"x.tf": snippet})) == ["data.google_iam_policy.admin grants roles/editor"]


@pytest.mark.parametrize("rtype, body", [
    ("google_project_iam_member", {"role": "roles/owner", "member": "user:a@example.com"}),
    ("google_project_iam_binding", {"role": "roles/editor", "members": ["user:a@example.com"]}),
    ("google_cloud_run_v2_service_iam_member", {"role": "roles/run.invoker", "member": "allUsers"}),
])
def test_a_basic_role_or_public_grant_is_caught(tf: Tf, rtype: str, body: dict) -> None:
    broken = _broken(tf)
    broken.resources.setdefault(rtype, {})["oops"] = body
    assert [p for p in iam_problems(broken) if f"{rtype}.oops" in p]


def test_the_public_api_grant_widened_is_caught(tf: Tf) -> None:
    rtype, name = PUBLIC_API_GRANT
    assert tf.of(rtype)[name]["member"] == "allUsers" and iam_problems(tf) == []
    for change in ({"role": "roles/run.admin"}, {"name": '${google_cloudfunctions2_function.functions["admin"].name}'}):
        broken = _broken(tf)
        broken.of(rtype)[name].update(change)
        assert [p for p in iam_problems(broken) if name in p], change


def test_a_public_console_is_caught(tf: Tf) -> None:
    broken = _broken(tf)
    path(broken.of(FUNCTION)[fn("admin")], "service_config")["ingress_settings"] = "ALLOW_ALL"
    path(broken.of("google_compute_backend_service")["console"], "iap")["enabled"] = False
    problems = console_problems(broken)
    assert any("not ALLOW_INTERNAL_AND_GCLB" in p for p in problems)
    assert "no backend service with IAP enabled" in problems


def test_a_setting_the_code_does_not_read_is_caught(tf: Tf) -> None:
    broken = _broken(tf)
    broken.locals["common_env"] = {**broken.locals["common_env"], "GT_STORRE": "firestore"}
    del broken.locals["common_env"]["GT_STORE"]
    problems = env_problems(broken, gt_names_read_by(PACKAGE))
    assert any("GT_STORE=None" in p for p in problems)
    assert any("GT_STORRE" in p for p in problems)


def test_the_parser_sees_a_hand_written_snippet() -> None:
    snippet = '''
    resource "google_cloudfunctions2_function" "ingest" {
      build_config {
        entry_point = "ingest"
        source {
          storage_source {
            bucket = "somewhere-else"
            object = google_storage_bucket_object.source.name
          }
        }
      }
      service_config { service_account_email = "123-compute@developer.gserviceaccount.com" }
    }
    '''
    problems = function_problems(parse({"x.tf": snippet}), {"ingest": "cloud_event"})
    assert problems == ["ingest: source bucket is not google_storage_bucket.source",
                        "ingest: runs as '123-compute@developer.gserviceaccount.com', not a service account of its own"]


FOR_EACH_SNIPPET = '''
locals {
  fns = {
    a = { entry = "ingest", ingress = var.worker_ingress, env = {} }
    b = { entry = "admin", ingress = "ALLOW_INTERNAL_AND_GCLB", env = { GT_IAP_AUDIENCE = local.aud } }
  }
}
resource "google_service_account" "fn" {
  for_each   = toset(["a", "b"])
  account_id = "gt-${each.key}"
}
resource "google_cloudfunctions2_function" "f" {
  for_each = local.fns
  name     = each.key
  build_config {
    entry_point = each.value.entry
    source {
      storage_source {
        bucket = google_storage_bucket.source.name
        object = google_storage_bucket_object.source.name
      }
    }
  }
  service_config {
    ingress_settings      = each.value.ingress
    service_account_email = google_service_account.shared.email
    environment_variables = merge(local.common_env, each.value.env)
  }
}
'''


def test_a_for_each_resource_becomes_one_resource_per_key() -> None:
    tf = parse({"x.tf": FOR_EACH_SNIPPET})
    assert set(tf.of("google_service_account")) == {'fn["a"]', 'fn["b"]'}
    assert tf.of("google_service_account")['fn["b"]'] == {"account_id": "gt-b"}
    a, b = tf.of(FUNCTION)['f["a"]'], tf.of(FUNCTION)['f["b"]']
    assert (a["name"], b["name"]) == ("a", "b")
    assert functions_by_entry_point(tf) == {"ingest": ['f["a"]'], "admin": ['f["b"]']}
    assert path(a, "service_config", "ingress_settings") == "${var.worker_ingress}"
    assert path(b, "service_config", "environment_variables") == (
        "${merge(local.common_env, {GT_IAP_AUDIENCE = local.aud})}")
    assert "for_each" not in a


def test_each_instance_of_a_for_each_resource_is_checked() -> None:
    tf = parse({"x.tf": FOR_EACH_SNIPPET})
    problems = function_problems(tf, {"ingest": "cloud_event", "admin": "http"})
    assert problems == ['f["b"] and f["a"] share the service account ${google_service_account.shared.email}']
    assert console_problems(tf) == ["no backend service with IAP enabled"]
    tf.of(FUNCTION)['f["b"]']["service_config"][0]["ingress_settings"] = "${var.worker_ingress}"
    assert 'f["b"]: ingress \'${var.worker_ingress}\', not ALLOW_INTERNAL_AND_GCLB' in console_problems(tf)


def test_a_for_each_over_a_set_made_from_a_local_map() -> None:
    snippet = FOR_EACH_SNIPPET + '''
    resource "google_cloud_run_v2_service_iam_member" "invokes" {
      for_each = toset([for f in local.fns : f.entry])
      name     = google_cloudfunctions2_function.f[each.key].name
    }
    '''
    invokes = parse({"x.tf": snippet}).of("google_cloud_run_v2_service_iam_member")
    assert invokes == {'invokes["ingest"]': {"name": '${google_cloudfunctions2_function.f["ingest"].name}'},
                       'invokes["admin"]': {"name": '${google_cloudfunctions2_function.f["admin"].name}'}}


def test_an_unresolvable_for_each_stays_one_resource() -> None:
    snippet = '''
    resource "google_project_iam_member" "m" {
      for_each = setunion(local.x, local.y)
      role     = "roles/${each.key}"
    }
    '''
    assert list(parse({"x.tf": snippet}).of("google_project_iam_member")) == ["m"]


def _load_with(file: str, old: str, new: str) -> Tf:
    texts = {p.name: p.read_text() for p in sorted(TF_DIR.glob("*.tf"))}
    assert texts[file].count(old) == 1, f"{old!r} is not once in {file}"
    texts[file] = texts[file].replace(old, new)
    return parse(texts)


def test_a_broken_value_in_the_functions_map_is_caught() -> None:
    broken = _load_with("functions.tf", 'ingress = "ALLOW_INTERNAL_AND_GCLB"', 'ingress = var.worker_ingress')
    assert console_problems(broken) == [
        f"{fn('admin')}: ingress '${{var.worker_ingress}}', not ALLOW_INTERNAL_AND_GCLB"]


def test_a_broken_value_in_the_subscriptions_map_is_caught(entries: dict[str, str]) -> None:
    broken = _load_with("pubsub.tf", 'function  = "send"', 'function  = "ingest"')
    assert f"{fn('send')}: no Pub/Sub push subscription delivers to it" in delivery_problems(broken, entries)


# ---- checkov -------------------------------------------------------------------------------------------------

def run_checkov(directory: Path) -> dict:
    assert CHECKOV.exists(), f"checkov is missing at {CHECKOV}: `./dev test` installs it (see ./dev setup_checkov)"
    result = subprocess.run(
        [str(CHECKOV), "-d", str(directory), "--framework", "terraform", "--output", "json", "--quiet",
         "--skip-download"],
        capture_output=True, text=True, timeout=300, check=False)
    assert result.stdout.strip(), f"checkov printed nothing; stderr:\n{result.stderr[-3000:]}"
    report = json.loads(result.stdout)
    (report,) = report if isinstance(report, list) else [report]  # one framework, one report
    return report


@pytest.fixture(scope="module")
def checkov_report() -> dict:
    return run_checkov(TF_DIR)


def test_checkov_finds_nothing(checkov_report: dict) -> None:
    failed = [(c["check_id"], c["resource"], c["check_name"]) for c in checkov_report["results"]["failed_checks"]]
    assert failed == []
    assert checkov_report["summary"]["parsing_errors"] == 0
    assert checkov_report["summary"]["passed"] > 50


def test_checkov_skips_are_inline_and_give_a_reason(checkov_report: dict) -> None:
    text = "\n".join(p.read_text() for p in TF_DIR.glob("*.tf"))
    inline = set(re.findall(r"#checkov:skip=(CKV2?_[A-Z]+_\d+):\S", text))
    for skipped in checkov_report["results"].get("skipped_checks", []):
        assert skipped["check_id"] in inline, f"{skipped['check_id']} skipped other than inline in the .tf"
        assert (skipped.get("check_result") or {}).get("suppress_comment"), f"{skipped['check_id']}: no reason"


def test_checkov_fails_an_insecure_snippet(tmp_path: Path) -> None:
    shutil.copy(TF_DIR / "versions.tf", tmp_path / "versions.tf")
    (tmp_path / "main.tf").write_text('''
    resource "google_storage_bucket" "open" {
      name     = "open"
      location = "EU"
    }
    resource "google_storage_bucket_iam_member" "public" {
      bucket = google_storage_bucket.open.name
      role   = "roles/storage.objectViewer"
      member = "allUsers"
    }
    ''')
    report = run_checkov(tmp_path)
    failed = {c["check_id"] for c in report["results"]["failed_checks"]}
    assert {"CKV_GCP_28", "CKV_GCP_29", "CKV_GCP_114"} <= failed


def test_firestore_declares_exactly_the_composite_indexes_the_store_needs(tf: Tf) -> None:
    """The emulator never asks for an index, so a query whose index Terraform forgot fails only in production:
    the declared map must be the store's REQUIRED_INDEXES, field for field and direction for direction."""
    from gmail_tickets.adapters.firestore_store.store import REQUIRED_INDEXES

    names = {"ASCENDING": "ASC", "DESCENDING": "DESC", "CONTAINS": "CONTAINS"}
    declared = sorted((index["collection"], [(f, names[d]) for f, d in index["fields"]])
                      for index in tf.locals["firestore_indexes"].values())
    assert declared == sorted(REQUIRED_INDEXES)
    instances = tf.of("google_firestore_index")
    assert len(instances) == len(REQUIRED_INDEXES)  # one per entry of the map: nothing declared outside it
    for index in instances.values():
        assert index["database"] == "${google_firestore_database.default.name}"
        (fields,) = index["dynamic"]
        assert len(fields["fields"]["for_each"]) == 2  # a composite index: a filter field and a sort field
