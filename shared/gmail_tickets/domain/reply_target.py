"""Where an agent's reply goes: the requester (the From sender), or the Reply-To their mail named — only when that
address is in the sender's own organizational domain, or when the agent confirmed it in the console.

Reply-To is a header anyone can write: followed blindly, a stranger could have the agents' answers (and whatever
they quote) mailed to an address of their choosing. Within the sender's own organization it is the ordinary
"replies to our team address" case, so it is followed without asking.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from gmail_tickets.domain.model import Comment, Ticket
from gmail_tickets.domain.org_domain import same_organization


@dataclass(frozen=True)
class ReplyTarget:
    requester: str
    reply_to: str | None = None  # a Reply-To other than the requester, from the requester's latest mail
    same_organization: bool = False

    @property
    def needs_confirmation(self) -> bool:
        """The console offers "reply to <reply_to> instead" beside the reply box."""
        return self.reply_to is not None and not self.same_organization

    def address(self, confirmed: str | None = None) -> str:
        """The reply's To. `confirmed` is the Reply-To the agent ticked; it counts only when it is this one (a
        Reply-To that changed since the page was shown is not confirmed)."""
        if self.reply_to is None:
            return self.requester
        agreed = confirmed is not None and confirmed.strip().lower() == self.reply_to.lower()
        return self.reply_to if self.same_organization or agreed else self.requester


def reply_target(ticket: Ticket, conversation: Sequence[Comment]) -> ReplyTarget:
    """From the latest mail of the requester that named a Reply-To other than the requester."""
    requester = ticket.requester
    for comment in reversed(conversation):
        if comment.author_kind != "customer" or (comment.author or "").strip().lower() != requester.lower():
            continue
        reply_to = (comment.reply_to or "").strip()
        if reply_to and "@" in reply_to and reply_to.lower() != requester.lower():
            return ReplyTarget(requester, reply_to, same_organization(requester, reply_to))
        return ReplyTarget(requester)
    return ReplyTarget(requester)
