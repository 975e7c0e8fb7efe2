"""The incremental export's query and page. A ticket here is exactly the JSON `gmail-tickets export` writes
(domain/ticket_json.py): these models describe it for the OpenAPI document and check each ticket against that
description; they make no JSON of their own. Times stay the export's fixed-width UTC text."""

from __future__ import annotations

from pydantic import BaseModel, Field

from gmail_tickets.domain.paging import MAX_PAGE
from gmail_tickets.web.api.models import Cursor

LAST_SECOND = 253402300799  # 9999-12-31T23:59:59Z: the last moment a store's time can hold


class ExportQuery(BaseModel):
    cursor: Cursor | None = Field(None, description="`after_cursor` of the last page: go on after it.")
    start_time: int | None = Field(None, ge=0, le=LAST_SECOND,
                                   description="Unix seconds: start with the tickets changed at or after it.")
    limit: int = Field(100, ge=1, le=MAX_PAGE, description="Tickets per page.")


class ExportedChange(BaseModel):
    at: str | None
    actor: str
    field: str = Field(description="status, priority, assignee or tags.")
    old: str | None
    new: str | None


class ExportedAttachment(BaseModel):
    filename: str
    content_type: str
    size: int | None
    blob_key: str | None = Field(description="Where the bytes are in the blob store (not sent here).")
    inline: bool


class ExportedComment(BaseModel):
    id: str | None
    ticket_id: int
    author: str
    author_kind: str
    public: bool
    created_at: str | None
    body_text: str
    message_id: str | None
    attachments: list[ExportedAttachment]


class ExportedTicket(BaseModel):
    id: int
    subject: str
    status: str
    priority: str
    requester: str
    requester_name: str
    assignee: str | None
    tags: list[str]
    brand_id: str
    connection: str = Field(description="The support address the ticket came in on.")
    followers: list[str]
    created_at: str | None
    updated_at: str | None = Field(description="The last change: what the export is ordered by (then the id).")
    received_at: str | None
    solved_at: str | None
    follow_up_of: int | None
    version: int
    history: list[ExportedChange] = Field(description="Each change of status, priority, assignee, tags; oldest first.")
    comments: list[ExportedComment] = Field(description="Oldest first; the first is the description.")


class ExportPage(BaseModel):
    tickets: list[ExportedTicket] = Field(description="Oldest change first.")
    count: int
    after_cursor: str = Field(description="Pass as `cursor` for the next page, or later for what changed since.")
    end_of_stream: bool = Field(description="Nothing more for now: poll again later with `after_cursor`.")
