"""Which of a sync's fetched mails may be recorded at the same time, and which must wait for one another.

A mail's decision reads what earlier mail left behind: its Gmail thread's ticket, the tickets of the Message-IDs it
names (In-Reply-To, References), the same Message-ID recorded already (a copy), and its sender's and their
organization's recent count (bursts). Mails that share any of these keys go in one lane, in the order Gmail gave
them; lanes share none, so recording them at the same time decides each mail as recording them one by one would.
The one count lanes do share is the mailbox's own acknowledgements (the account's limit, notifications.py): lanes
recorded together may each miss the others' newest, as two instances already may; the account's send window still
serialises the sends themselves. Only the headers are read here (the body is parsed once, when recorded).

A mail can also depend on what an earlier mail's unit WROTE besides its own records: a bounce or an auto-reply to
the acknowledgement a new ticket just got names that acknowledgement's Message-ID (ours), unknown before. So mail
that names one of our own Message-IDs, or looks automatic from its headers (a delivery report, a mail server or
null sender, Auto-Submitted), or is too big to fetch (its headers only) is a barrier: it is recorded alone, after
everything before it and before everything after it. `steps` runs in order; the lanes of one step side by side.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from gmail_tickets.domain.auto_mail import BOUNCE_SENDERS
from gmail_tickets.domain.org_domain import organization_of
from gmail_tickets.mail.headers import HeaderTable, peek
from gmail_tickets.mail.parse import derived_message_id
from gmail_tickets.ports import MessageMeta, RawMessage

_NAMED = ("message-id", "in-reply-to", "references")


def steps(ids: Sequence[str], fetched: Mapping[str, RawMessage | None], metas: Mapping[str, MessageMeta | None],
          is_ours: Callable[[str], bool]) -> list[list[list[str]]]:
    """`ids` as steps to take in order, each a list of lanes (each lane in the given order) that may go side by
    side. `is_ours`: whether a Message-ID is one we made (ticket_token.TicketTokens.is_ours)."""
    found: list[list[list[str]]] = []
    run: list[tuple[str, set[str]]] = []
    for gmail_id in ids:
        keys = _keys(fetched.get(gmail_id), metas.get(gmail_id), is_ours)
        if keys is None:
            if run:
                found.append(_lanes(run))
                run = []
            found.append([[gmail_id]])
        else:
            run.append((gmail_id, keys))
    if run:
        found.append(_lanes(run))
    return found


def _lanes(mails: list[tuple[str, set[str]]]) -> list[list[str]]:
    """Mails that share a key joined into one lane (union-find), lanes ordered by their first mail."""
    parent = list(range(len(mails)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    owner: dict[str, int] = {}
    for i, (_, keys) in enumerate(mails):
        for key in keys:
            if key in owner:
                parent[root(i)] = root(owner[key])
            else:
                owner[key] = i
    grouped: dict[int, list[str]] = {}
    for i, (gmail_id, _) in enumerate(mails):
        grouped.setdefault(root(i), []).append(gmail_id)
    return list(grouped.values())


def _keys(message: RawMessage | None, meta: MessageMeta | None, is_ours: Callable[[str], bool]) -> set[str] | None:
    """The Gmail thread, the sender's organization (or address) and every Message-ID the mail has or names; None
    for a barrier (see above). A mail gone from Gmail has no keys: nothing to record, a lane of its own."""
    if message is None:
        return None if meta is not None else set()
    try:
        table = peek(message.raw)
        sender = table.mailbox("from")[1]
        named = [i for name in _NAMED for i in table.message_ids(name)]
    except Exception:  # headers this cannot read: the mail waits for all before it (recording it will say why)
        return None
    if _looks_automatic(table, sender) or any(is_ours(i) for i in named):
        return None
    keys = {f"thread:{message.thread_id}"} if message.thread_id else set()
    if sender:
        keys.add(f"org:{organization_of(sender) or sender.lower()}")
    keys.update(f"id:{i}" for i in named or [derived_message_id(message.raw)])
    return keys


def _looks_automatic(table: HeaderTable, sender: str) -> bool:
    content_type = table.raw.get("content-type", "").lower()
    auto = table.raw.get("auto-submitted", "").strip().lower()
    return ("report" in content_type or sender.split("@", 1)[0].lower() in BOUNCE_SENDERS or not sender
            or table.raw.get("return-path", "").strip() == "<>" or auto not in ("", "no"))
