"""Migration 11: the ticket lifecycle (domain/ticket_lifecycle.py). Migration 10 is the agents' (people) change,
kept in its own module; this one does not depend on it.

- Tickets stored before statuses moved: every one was "new"; one an agent has replied on becomes "open" (Zendesk's
  first agent action), the rest stay "new". `received_at` is filled from the first comment's time (the mail's
  Gmail internalDate, the best date those rows kept). New fields (priority, tags, version, …) need no rewrite:
  records.py reads a missing key as the field's default.
- "Which solved tickets are due to close" is served by a partial expression index on the doc's `solved_at`,
  which only solved tickets carry: the sweep's cost grows with the solved tickets, not with all of them.

Idempotent (IF NOT EXISTS, and the updates touch only rows still in their old shape), so running it twice is
harmless.
"""

SOLVED_AT_EXPR = "json_extract(doc, '$.solved_at')"

MIGRATION_11 = f"""
    UPDATE tickets SET doc = json_set(doc, '$.status', 'open')
    WHERE json_extract(doc, '$.status') = 'new' AND EXISTS (
        SELECT 1 FROM comments
        WHERE comments.ticket_id = tickets.id AND json_extract(comments.doc, '$.author_kind') = 'agent');

    UPDATE tickets SET doc = json_set(doc, '$.received_at', (
        SELECT comments.created_at FROM comments WHERE comments.ticket_id = tickets.id
        ORDER BY comments.created_at, comments.seq LIMIT 1))
    WHERE json_extract(doc, '$.received_at') IS NULL
      AND EXISTS (SELECT 1 FROM comments WHERE comments.ticket_id = tickets.id);

    CREATE INDEX IF NOT EXISTS tickets_solved_due ON tickets ({SOLVED_AT_EXPR}, id)
        WHERE {SOLVED_AT_EXPR} IS NOT NULL;
"""
