"""What the use cases need from the outside world, in one bundle that bootstrap builds."""

from __future__ import annotations

from dataclasses import dataclass, field

from gmail_tickets.domain.ticket_token import TicketTokens
from gmail_tickets.ports import (
    BlobStore,
    Clock,
    JobRunner,
    MailboxProvider,
    Publisher,
    RefreshTokens,
    Relay,
    Secrets,
    Store,
    WebhookTransport,
)
from gmail_tickets.services.brand_cache import BrandCache
from gmail_tickets.services.endpoint_cache import EndpointCache
from gmail_tickets.services.held_mail import HeldMail
from gmail_tickets.services.own_addresses import OwnAddresses
from gmail_tickets.services.refresh_tokens import SecretRefreshTokens
from gmail_tickets.settings import Settings


@dataclass
class Deps:
    store: Store
    mailbox_for: MailboxProvider
    publisher: Publisher
    secrets: Secrets
    clock: Clock
    blobs: BlobStore
    tokens: TicketTokens  # signs and verifies the ticket ids in our own Message-IDs
    jobs: JobRunner  # where work that may outlive its call runs: threads on one machine, inline in a function
    settings: Settings = field(default_factory=Settings)
    holder: str = "local"  # this process/instance; each sync adds its own suffix to take leases
    relay: Relay | None = None  # the help desk's own mail servers; None: mail that needs them fails visibly
    brands: BrandCache = field(default_factory=BrandCache)
    held_mail: HeldMail = field(default_factory=HeldMail)  # mail held back behind locks, not tried again at once
    own_addresses: OwnAddresses = field(default_factory=OwnAddresses)  # "is this one of ours?", read by address
    webhook_endpoints: EndpointCache = field(default_factory=EndpointCache)
    webhook_transport: WebhookTransport | None = None  # posts webhook deliveries; None: they wait (retrying)

    # Each mailbox's refresh token; bootstrap gives the cache the provider's adapters read their access tokens
    # from, so a token put or deleted here is used (or gone) at once. Not given: kept in `secrets`, uncached.
    refresh_tokens: RefreshTokens = field(default=None)  # type: ignore[assignment]  # set in __post_init__

    def __post_init__(self) -> None:
        if self.refresh_tokens is None:
            self.refresh_tokens = SecretRefreshTokens(self.secrets)
