"""Migration 16: webhooks (domain/webhooks.py). Endpoints as docs; deliveries as docs with the index keys the
record computes copied into columns: `endpoint_pos` (an endpoint's log), and, only while unsettled, `stream_pos`
(a stream's queue, in order) and `pending_pos` (every delivery still owed, for the sweep), so those two indexes
hold only work.

Independent of every other migration (new tables only, IF NOT EXISTS): it may run in any place of the sequence.
"""

MIGRATION_16 = """
    CREATE TABLE IF NOT EXISTS webhook_endpoints (
        id         TEXT PRIMARY KEY,
        created_at TEXT,
        doc        TEXT NOT NULL
    );

    CREATE TABLE IF NOT EXISTS webhook_deliveries (
        id           TEXT PRIMARY KEY,
        endpoint_pos TEXT NOT NULL,
        stream_pos   TEXT,
        pending_pos  TEXT,
        doc          TEXT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS webhook_deliveries_by_endpoint ON webhook_deliveries (endpoint_pos);
    CREATE INDEX IF NOT EXISTS webhook_deliveries_by_stream ON webhook_deliveries (stream_pos)
        WHERE stream_pos IS NOT NULL;
    CREATE INDEX IF NOT EXISTS webhook_deliveries_pending ON webhook_deliveries (pending_pos)
        WHERE pending_pos IS NOT NULL;
"""
