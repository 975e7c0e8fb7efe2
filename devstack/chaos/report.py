"""The soak's verdict: the bar (issue 13) checked against the figures, and the report a person reads.

Acknowledgement duplicates come in two kinds (truth.py): unexplained ones, which the bar forbids, and explained ones
(a mail sent again, with one Message-ID, after its relay hand-over was interrupted, as the record says: the
product's deliberate at-least-once moment, like any mail server's), which are reported apart and never lost mail."""

from __future__ import annotations

from typing import Any

BAR = {"missing_max": 0, "duplicated_max": 0, "longest_stall_s_max": 35.0, "settle_s_max": 60.0}


def bar(result: dict[str, Any]) -> dict[str, Any]:
    """Pass/fail of each line of the bar; `passed` only when every line passes (a run that never settled fails)."""
    mail, acks = result["mail"], result["acks"]
    settle = result["settle_s"]
    checks = {
        "mail_missing": mail["missing"] <= BAR["missing_max"],
        "mail_duplicated": mail["duplicated"] <= BAR["duplicated_max"],
        "acks_missing": acks["missing"] <= BAR["missing_max"],
        "acks_duplicated": acks["duplicated"] + acks["strays"] <= BAR["duplicated_max"],  # unexplained only
        "longest_stall": result["longest_stall_s"] <= BAR["longest_stall_s_max"],
        "settle": settle is not None and settle <= BAR["settle_s_max"],
    }
    return {"limits": BAR, "checks": checks, "passed": all(checks.values())}


def text(result: dict[str, Any]) -> str:
    mail, acks, verdict = result["mail"], result["acks"], result["bar"]
    settle = "never (timed out)" if result["settle_s"] is None else f"{result['settle_s']:.1f} s"
    faults = ", ".join(f"{kind} ×{n}" for kind, n in sorted(result["faults"]["injected"].items()))
    lines = [
        f"chaos soak, {result['flavour']} flavour: {mail['delivered']} mails over {result['seconds']:.0f} s on "
        f"{len(result['mailboxes'])} mailboxes (seed {result['seed']})",
        f"  faults injected: {faults}",
        *(f"  not applicable here: {kind} ×{n}" for kind, n in sorted(result["faults"]["not_applicable"].items())),
        *(f"  fault not injected: {error}" for error in result["faults"]["errors"]),
        f"  mail: {mail['accounted']} accounted once ({_pairs(mail['outcomes'])}), {mail['missing']} missing, "
        f"{mail['duplicated']} duplicated",
        f"  acknowledgements: {acks['decided']} to send ({acks['skipped']} skipped by the rules), "
        f"{acks['delivered_once']} delivered once (via {_pairs(acks['via'])}), {acks['missing']} missing, "
        f"{acks['duplicated']} duplicated unexplained, {acks['strays']} stray; states: {_pairs(acks['states'])}",
        f"  explained duplicates: {acks.get('explained_duplicates', 0)} (two copies with one Message-ID: sent again "
        f"after the relay hand-over was interrupted, as the record notes; "
        f"{acks.get('resent_after_interruption', 0)} records resent in all)",
        *(f"  failed ×{n}: {reason}" for reason, n in acks.get("failures", {}).items()),
        f"  settle after the faults stopped: {settle}",
        f"  longest stall of a mailbox after a SIGKILL: {result['longest_stall_s']:.1f} s "
        f"({result['stalls']['measured']} measured, {result['stalls']['unresolved']} never resolved; longest with no "
        f"clock jump during it: {result['stalls']['longest_without_clock_jump_s']:.1f} s)",
        "  bar: " + ("PASSED" if verdict["passed"] else "FAILED: " + ", ".join(
            name for name, ok in verdict["checks"].items() if not ok)),
    ]
    return "\n".join(lines)


def _pairs(counts: dict[str, int]) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(counts.items()) if v) or "none"
