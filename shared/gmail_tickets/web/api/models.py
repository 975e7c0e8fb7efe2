"""The API's request and response bodies, as pydantic models: validation of every field, and the JSON Schema the
OpenAPI document is written from (web/api/registry.py)."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, field_validator

from gmail_tickets.domain.model import Comment, Ticket
from gmail_tickets.domain.paging import MAX_PAGE
from gmail_tickets.domain.ticket_fields import SUBMIT_AS, Priority, TicketStatus
from gmail_tickets.domain.ticket_query import TicketSort
from gmail_tickets.domain.ticket_views import DEFAULT_VIEW, VIEWS
from gmail_tickets.domain.upload_token import MAX_TOKEN_CHARS
from gmail_tickets.services.agent_reply import MAX_REPLY_CHARS
from gmail_tickets.services.reply_files import MAX_REPLY_FILES
from gmail_tickets.services.ticket_create import MAX_BODY, MAX_SUBJECT

View = enum.StrEnum("View", {v.key.replace("-", "_").upper(): v.key for v in VIEWS})  # type: ignore[misc]
SubmitAs = enum.StrEnum("SubmitAs", {s.name: s.value for s in SUBMIT_AS})  # type: ignore[misc]
Short = Annotated[str, StringConstraints(max_length=320)]
Cursor = Annotated[str, StringConstraints(min_length=1, max_length=1000)]
Tag = Annotated[str, StringConstraints(min_length=1, max_length=100)]
UploadToken = Annotated[str, StringConstraints(min_length=1, max_length=MAX_TOKEN_CHARS)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TicketQuery(BaseModel):
    view: View = Field(View(DEFAULT_VIEW), description="One of the console's views.")  # type: ignore[call-arg]
    status: TicketStatus | None = None
    assignee: Short | None = Field(None, description="An agent's email.")
    brand: Short | None = None
    support_address: Short | None = None
    requester: Short | None = None
    tag: Tag | None = None
    updated_since: AwareDatetime | None = Field(
        None, description="Only tickets updated at or after this moment (RFC 3339, with its offset): what changed "
                          "since your last sync. Lists sorted by `updated` only.")
    sort: TicketSort = TicketSort.UPDATED
    cursor: Cursor | None = Field(None, description="`next_cursor` or `prev_cursor` of a page.")
    limit: int = Field(25, ge=1, le=MAX_PAGE)

    @field_validator("updated_since")
    @classmethod
    def _in_utc(cls, moment: datetime | None) -> datetime | None:
        """In UTC, as the stores keep times; a moment no UTC time can hold (year 1 at +01:00) is refused."""
        try:
            return moment.astimezone(UTC) if moment is not None else None
        except OverflowError as error:
            raise ValueError("That moment is out of range.") from error


class SearchQuery(BaseModel):
    q: Annotated[str, StringConstraints(min_length=1, max_length=500)] = Field(
        description="Words, \"phrases\", field:value clauses, or #123 (docs/search.md).")
    status: TicketStatus | None = None
    assignee: Short | None = None
    tag: Tag | None = None
    cursor: Annotated[str, StringConstraints(pattern=r"^[0-9]{1,18}$")] | None = None
    limit: int = Field(25, ge=1, le=100)


class TicketOut(BaseModel):
    id: int
    subject: str
    requester: str
    requester_name: str
    support_address: str
    brand_id: str
    status: TicketStatus
    priority: Priority
    assignee: str | None
    tags: list[str]
    version: int = Field(description="Send it back on an update or reply to refuse lost updates (409).")
    created_at: datetime | None
    updated_at: datetime | None
    last_author: str | None
    last_author_kind: str | None

    @classmethod
    def of(cls, t: Ticket) -> TicketOut:
        return cls(id=t.id or 0, subject=t.subject, requester=t.requester, requester_name=t.requester_name,
                   support_address=t.connection, brand_id=t.brand_id, status=t.status, priority=t.priority,
                   assignee=t.assignee, tags=list(t.tags), version=t.version, created_at=t.created_at,
                   updated_at=t.updated_at or t.created_at, last_author=t.last_author or None,
                   last_author_kind=t.last_author_kind or None)


class TicketPage(BaseModel):
    items: list[TicketOut]
    total: int | None = Field(description="How many match in all (null for search results).")
    next_cursor: str | None = Field(description="The next (older) page; null on the last.")
    prev_cursor: str | None = None


class TicketCreate(Strict):
    requester: Annotated[str, StringConstraints(min_length=3, max_length=320)] = Field(
        description="The customer's address: the acknowledgement and every public reply go there.")
    requester_name: Annotated[str, StringConstraints(max_length=200)] = ""
    subject: Annotated[str, StringConstraints(min_length=1, max_length=MAX_SUBJECT)]
    body: Annotated[str, StringConstraints(min_length=1, max_length=MAX_BODY)] = Field(
        description="The customer's request, plain text.")
    support_address: Short | None = Field(None, description="Answer from this support address; default: the "
                                                            "default one.")


class TicketUpdate(Strict):
    status: SubmitAs | None = None  # type: ignore[valid-type]
    priority: Priority | None = None
    assignee: Short | None = Field(None, description="An agent's email; null unassigns; left out: unchanged.")
    tags: list[Tag] | None = Field(None, max_length=50, description="The whole new list of tags.")
    version: int | None = Field(None, ge=0, le=2**63 - 1, description="The version you last read (409 if stale).")


class AttachmentOut(BaseModel):
    filename: str
    content_type: str
    size: int | None


class CommentOut(BaseModel):
    id: str
    author: str
    author_email: str | None
    author_kind: str
    public: bool
    body_text: str
    created_at: datetime
    attachments: list[AttachmentOut]

    @classmethod
    def of(cls, c: Comment) -> CommentOut:
        return cls(id=c.id or "", author=c.author, author_email=c.author_email, author_kind=c.author_kind,
                   public=c.public, body_text=c.body_text, created_at=c.created_at,
                   attachments=[AttachmentOut(filename=a.filename or "", content_type=a.content_type or "",
                                              size=a.size) for a in c.attachments])


class CommentList(BaseModel):
    items: list[CommentOut]


class CommentCreate(Strict):
    body: Annotated[str, StringConstraints(min_length=1, max_length=MAX_REPLY_CHARS)]
    public: bool = Field(True, description="true: a reply mailed to the requester; false: an internal note.")
    status: SubmitAs | None = Field(None, description="Submit the ticket as this status.")  # type: ignore[valid-type]
    version: int | None = Field(None, ge=0, le=2**63 - 1)
    uploads: list[UploadToken] = Field(default_factory=list, max_length=MAX_REPLY_FILES,
                                       description="Tokens from POST /uploads: the files this comment carries "
                                                   "(a reply with files is mailed through the relay).")


class UploadQuery(BaseModel):
    filename: Annotated[str, StringConstraints(min_length=1, max_length=255)] = Field(
        description="The file's name (cleaned as a mail's attachment names are).")


class UploadOut(BaseModel):
    token: str = Field(description="Name it in a comment's `uploads`; it works for you only, for an hour.")
    filename: str
    content_type: str
    size: int
    expires_at: datetime


class SupportAddressOut(BaseModel):
    address: str
    kind: str
    brand_id: str
    is_default: bool
    status: str
    reason: str | None
    last_sync: datetime | None
    lag_seconds: float | None
    sends_24h: int
    send_limit: int | None
    warnings: list[str]


class SupportAddressList(BaseModel):
    items: list[SupportAddressOut]


class AgentOut(BaseModel):
    email: str
    name: str
    role: str
    active: bool


class AgentList(BaseModel):
    items: list[AgentOut]


class SuspendedOut(BaseModel):
    id: str
    support_address: str
    sender: str
    subject: str
    reason: str
    created_at: datetime | None
    duplicate_of_ticket: int | None


class Recovered(BaseModel):
    suspended_id: str
    ticket: TicketOut = Field(description="The ticket the mail became, or the one it joined as a comment.")
    comment_id: str | None = Field(description="The comment the mail is on that ticket (its description when new).")
    new_ticket: bool = Field(description="true: a ticket was made; false: the mail joined an existing ticket.")


class SuspendedPage(BaseModel):
    items: list[SuspendedOut]
    total: int
    next_cursor: str | None
    prev_cursor: str | None


class PageQuery(BaseModel):
    cursor: Cursor | None = None
    limit: int = Field(25, ge=1, le=MAX_PAGE)
