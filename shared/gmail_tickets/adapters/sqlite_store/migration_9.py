"""Migration 9: retrying notifications whose time has come, served by an index on the outbox doc's
`next_attempt_at` (an expression index: the field lives in the JSON doc, and queries name the same expression).
Partial: only retrying records carry the field, so the index holds them alone and the sweep's scan grows with the
due records, not with the history."""

NEXT_ATTEMPT_EXPR = "json_extract(doc, '$.next_attempt_at')"

MIGRATION_9 = f"""
    CREATE INDEX outbox_retry_due ON outbox ({NEXT_ATTEMPT_EXPR}, id) WHERE {NEXT_ATTEMPT_EXPR} IS NOT NULL;
"""
