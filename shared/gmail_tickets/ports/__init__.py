"""The interfaces the services depend on. Adapters implement them; bootstrap picks which.

Everything here speaks domain terms: Gmail ids as strings, history ids as ints, times as aware UTC datetimes,
mail as raw bytes. Errors raised across these ports are the ones in `gmail_tickets.errors`. One module per
collaborator; this package re-exports them all, so `from gmail_tickets.ports import Store` keeps working.
"""

from gmail_tickets.ports.api_access import ApiAccessRepo
from gmail_tickets.ports.blobs import BlobStore
from gmail_tickets.ports.dns import TxtLookup
from gmail_tickets.ports.gmail import (
    HistoryPage,
    HistoryRecord,
    Mailbox,
    MailboxProvider,
    MessageMeta,
    MessageRef,
    Profile,
    RawMessage,
    SentMessage,
    WatchResult,
)
from gmail_tickets.ports.jobs import JobRunner
from gmail_tickets.ports.oauth import GMAIL_SCOPE, OAuthClient, RefreshTokens, TokenGrant
from gmail_tickets.ports.people import PeopleRepo, PeopleUnit
from gmail_tickets.ports.platform import Clock, Handler, Publisher, Secrets, Subscriber
from gmail_tickets.ports.relay import Relay
from gmail_tickets.ports.search import SearchPage, TicketSearchRepo
from gmail_tickets.ports.store import (
    ChangeRepo,
    ConnectionRepo,
    ConnectionUnit,
    LeaseRepo,
    LedgerRepo,
    LedgerUnit,
    OAuthFlowRepo,
    OutboxRepo,
    OutboxUnit,
    SetAsideRepo,
    SetAsideUnit,
    Store,
    TicketRepo,
    TicketUnit,
    UnitOfWork,
)
from gmail_tickets.ports.webhooks import PostResult, WebhookRepo, WebhookTransport, WebhookUnit

__all__ = [
    "GMAIL_SCOPE",
    "ApiAccessRepo",
    "BlobStore",
    "ChangeRepo",
    "Clock",
    "ConnectionRepo",
    "ConnectionUnit",
    "Handler",
    "HistoryPage",
    "HistoryRecord",
    "JobRunner",
    "LeaseRepo",
    "LedgerRepo",
    "LedgerUnit",
    "Mailbox",
    "MailboxProvider",
    "MessageMeta",
    "MessageRef",
    "OAuthClient",
    "OAuthFlowRepo",
    "OutboxRepo",
    "OutboxUnit",
    "PeopleRepo",
    "PeopleUnit",
    "PostResult",
    "Profile",
    "Publisher",
    "RawMessage",
    "RefreshTokens",
    "Relay",
    "SearchPage",
    "Secrets",
    "SentMessage",
    "SetAsideRepo",
    "SetAsideUnit",
    "Store",
    "Subscriber",
    "TicketRepo",
    "TicketSearchRepo",
    "TicketUnit",
    "TokenGrant",
    "TxtLookup",
    "UnitOfWork",
    "WatchResult",
    "WebhookRepo",
    "WebhookTransport",
    "WebhookUnit",
]
