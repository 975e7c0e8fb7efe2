"""How `gmail-tickets bench scale` shows its figures (devstack/bench_scale.py measures them): the keys issue 18 names,
and the table for a reader with the monthly estimate (devstack/scale_cost.py)."""

from __future__ import annotations

from typing import Any

from devstack.scale_cost import monthly

IDLE_KEYS = ("reads", "writes", "transactions", "gmail_units", "publishes", "secret_reads")
ACTIVE_KEYS = ("mails_per_s", "slowest_mailbox_s", "gmail_units_per_mail", "writes_per_ticket")


def table(figures: dict[str, Any]) -> str:
    idle, active = figures["idle"], figures["active"]
    head = [
        f"bench scale: {figures['mailboxes']} mailboxes, {figures['store']}, {figures['publisher']} publisher, "
        f"{figures['latency_ms']:.0f} ms per Gmail call",
        "",
        "idle tick (per mailbox)",
        f"  sweep call            {idle['sweep_s']:>10.3f} s",
        f"  whole tick            {idle['tick_s']:>10.3f} s   (warm-up tick {idle['warmup_tick_s']:.3f} s)",
        *(f"  {k:<22}{idle[k]:>10.3f}" for k in (*IDLE_KEYS[:2], "deletes", *IDLE_KEYS[2:])),
        "",
    ]
    if active is None:
        return "\n".join([*head, "active: not run (--active-mailboxes 0)", "", *cost_rows(figures)])
    rows = [
        f"active ({active['mails']} mails, {active['ledgered']} in the ledger, {active['tickets']} tickets, "
        f"{active['unfinished_mailboxes']} mailboxes unfinished, {active['seconds']} s)",
        *(f"  {k:<22}{active[k]!s:>10}" for k in (*ACTIVE_KEYS, "records_per_ticket", "reads_per_mail",
                                                   "round_trips_per_mail", "commits_per_mail", "aborted_commits",
                                                   "publishes_per_mail", "secret_reads_per_mail")),
    ]
    return "\n".join(head + rows + ["", *cost_rows(figures)])


def cost_rows(figures: dict[str, Any]) -> list[str]:
    cost = monthly(figures, workers=figures["workers"])
    return ["estimated monthly bill at list prices (devstack/scale_cost.py, docs/scale.md)",
            *(f"  {k:<22}{v:>10} $" for k, v in cost.items())]
