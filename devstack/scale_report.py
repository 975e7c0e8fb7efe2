"""`bench scale`'s figures for a reader (the table) and for issue 18 (exactly its JSON keys), with the monthly
estimate of devstack/scale_cost.py."""

from __future__ import annotations

from typing import Any

from devstack.scale_cost import monthly

IDLE_KEYS = ("reads", "writes", "transactions", "gmail_units", "publishes", "secret_reads")
ACTIVE_KEYS = ("mails_per_s", "slowest_mailbox_s", "gmail_units_per_mail", "writes_per_ticket")


def report(figures: dict[str, Any]) -> dict[str, Any]:
    """Exactly the keys issue 18 names (`--sweep-only`: the sweep's own figures)."""
    if "sweep" in figures:
        return figures["sweep"]
    return {"sweep_s": figures["idle"]["sweep_s"],
            "idle_tick": {k: figures["idle"][k] for k in IDLE_KEYS},
            "active": {k: (figures["active"] or {}).get(k) for k in ACTIVE_KEYS}}


def table(figures: dict[str, Any]) -> str:
    if "sweep" in figures:
        from devstack.scale_sweep import sweep_table

        return sweep_table(figures)
    idle, active = figures["idle"], figures["active"]
    head = [
        f"bench scale: {figures['mailboxes']} mailboxes, {figures['store']}, {figures['publisher']} publisher, "
        f"{figures['latency_ms']:.0f} ms per Gmail call",
        "",
        "idle tick (per mailbox)",
        f"  sweep call            {idle['sweep_s']:>10.3f} s",
        f"  whole tick            {idle['tick_s']:>10.3f} s   (warm-up tick {idle['warmup_tick_s']:.3f} s)",
        f"  CPU of the tick       {idle.get('cpu_s', 0):>10.3f} s   "
        f"(of which the sweep call {idle.get('sweep_cpu_s', 0):.3f} s; unhidden Gmail wait "
        f"{idle.get('wait_s', 0) * 1000:.2f} ms a mailbox)",
        *(f"  {k:<22}{idle[k]:>10.3f}" for k in (*IDLE_KEYS[:2], "deletes", *IDLE_KEYS[2:])),
        "",
    ]
    if active is None:
        return "\n".join([*head, "active: not run (--active-mailboxes 0)", "", *cost_rows(figures)])
    rows = [
        f"active ({active['mails']} mails, {active['ledgered']} in the ledger, {active['tickets']} tickets, "
        f"{active['unfinished_mailboxes']} mailboxes unfinished, {active['seconds']} s)",
        *(f"  {k:<26}{active.get(k)!s:>10}" for k in (*ACTIVE_KEYS, "sync_writes_per_mail", "writes_per_sync",
                                                   "billed_writes_per_ticket", "records_per_ticket", "reads_per_mail",
                                                   "round_trips_per_mail", "commits_per_mail", "aborted_commits",
                                                   "publishes_per_mail", "secret_reads_per_mail",
                                                   "cpu_s_per_mail", "syncs_per_mail", "gmail_calls_per_mail",
                                                   "labels_owed_per_mail", "owed_label_units_per_mail",
                                                   "delivered_s")),
        f"  gmail calls / mail      {active['gmail_calls_by_method']}",
        f"  ingest events / mail    {active['events_per_mail']}",
        "  writes per ticket by where they went: " + ", ".join(
            f"{k} {v}" for k, v in (active.get("writes_per_ticket_by_kind") or {}).items()),
    ]
    return "\n".join(head + rows + ["", *cost_rows(figures)])


def cost_rows(figures: dict[str, Any]) -> list[str]:
    cost = monthly(figures, workers=figures["workers"])
    return ["estimated monthly bill at list prices (devstack/scale_cost.py, docs/scale.md)",
            *(f"  {k:<34}{v:>10} {'ms' if k.endswith('_ms') else '$'}" for k, v in cost.items())]
