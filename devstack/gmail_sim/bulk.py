"""Many mailboxes in one control call: what a scale bench needs to set up thousands of accounts in seconds.

Creating them one POST at a time, then authorizing, labelling and watching each through the API, costs several
round trips per mailbox; this does the same work inside the simulator (no quota, no latency) and hands back what
the product would have learnt from those calls: the refresh token, the label id, the cursor and the watch's end.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .simulator import GmailSimulator

MAX_BULK = 100_000


def add_mailboxes(sim: GmailSimulator, *, prefix: str, domain: str, count: int, start: int = 0, kind: str = "workspace",
                  label: str | None = None, watch_topic: str | None = None) -> list[dict[str, Any]]:
    """Mailboxes `{prefix}{start}@{domain}` … `{prefix}{start + count - 1}@{domain}`, each with `label` created
    and, with `watch_topic`, a watch on it (as `users.watch` sets one)."""
    if not 0 < count <= MAX_BULK:
        raise ValueError(f"count must be 1..{MAX_BULK}")
    made: list[dict[str, Any]] = []
    for n in range(start, start + count):
        address = f"{prefix}{n}@{domain}"
        creds = sim.add_mailbox(address, kind)
        label_id = sim.create_label(address, label) if label else None
        expiration_ms = sim.push.watch(address, watch_topic, [], "include") if watch_topic else None
        made.append({"address": creds.address, "refresh_token": creds.refresh_token, "label_id": label_id,
                     "history_id": int(sim.history_id(address)), "watch_expiration_ms": expiration_ms})
    return made
