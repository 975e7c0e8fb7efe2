"""Migration 12: ticket views. The fields a view filters and sorts by become generated (virtual) columns of the
ticket's doc, so indexes can serve them and every write keeps them true without a second copy; and tickets
stored before `updated_at` learn who wrote last and when from their latest comment.

- `t_updated`: updated_at, else created_at (domain/ticket_activity.py), so an old ticket sorts where it belongs.
- `t_rank`: the priority as a number (domain/ticket_query.PRIORITY_RANK), so "priority" sorts urgent first.
- Indexes follow the views: status with each sort, assignee (My open, Unassigned), requester, brand, mailbox.
  Counts are COUNT(*) over the same indexes. Tags (a JSON array) are filtered by json_each, unindexed.

Idempotent (the backfill touches only rows without `updated_at`; indexes IF NOT EXISTS), but the ALTERs are
not, so schema.migrate runs it once, like every migration.
"""

EPOCH = "0000-00-00T00:00:00.000000+00:00"  # domain/ticket_activity.EPOCH_KEY

MIGRATION_12 = f"""
    UPDATE tickets SET doc = json_set(tickets.doc,
        '$.last_author', json_extract(last.cdoc, '$.author'),
        '$.last_author_kind', coalesce(json_extract(last.cdoc, '$.author_kind'), 'customer'),
        '$.last_activity_at', last.created_at,
        '$.updated_at', max(last.created_at, coalesce(json_extract(tickets.doc, '$.created_at'), '')))
    FROM (SELECT ticket_id, created_at, doc AS cdoc,
                 row_number() OVER (PARTITION BY ticket_id ORDER BY created_at DESC, seq DESC) AS n
          FROM comments) AS last
    WHERE last.ticket_id = tickets.id AND last.n = 1 AND json_extract(tickets.doc, '$.updated_at') IS NULL;

    ALTER TABLE tickets ADD COLUMN t_status TEXT
        GENERATED ALWAYS AS (coalesce(json_extract(doc, '$.status'), 'new')) VIRTUAL;
    ALTER TABLE tickets ADD COLUMN t_assignee TEXT GENERATED ALWAYS AS (json_extract(doc, '$.assignee')) VIRTUAL;
    ALTER TABLE tickets ADD COLUMN t_brand TEXT
        GENERATED ALWAYS AS (coalesce(json_extract(doc, '$.brand_id'), 'default')) VIRTUAL;
    ALTER TABLE tickets ADD COLUMN t_requester TEXT
        GENERATED ALWAYS AS (lower(json_extract(doc, '$.requester'))) VIRTUAL;
    ALTER TABLE tickets ADD COLUMN t_updated TEXT GENERATED ALWAYS AS
        (coalesce(json_extract(doc, '$.updated_at'), json_extract(doc, '$.created_at'), '{EPOCH}')) VIRTUAL;
    ALTER TABLE tickets ADD COLUMN t_rank INTEGER GENERATED ALWAYS AS
        (CASE json_extract(doc, '$.priority') WHEN 'low' THEN 0 WHEN 'high' THEN 2 WHEN 'urgent' THEN 3 ELSE 1 END)
        VIRTUAL;

    CREATE INDEX IF NOT EXISTS tickets_updated ON tickets (t_updated, id);
    CREATE INDEX IF NOT EXISTS tickets_by_rank ON tickets (t_rank, t_updated, id);
    CREATE INDEX IF NOT EXISTS tickets_by_status ON tickets (t_status, t_updated, id);
    CREATE INDEX IF NOT EXISTS tickets_by_status_created ON tickets (t_status, id);
    CREATE INDEX IF NOT EXISTS tickets_by_status_rank ON tickets (t_status, t_rank, t_updated, id);
    CREATE INDEX IF NOT EXISTS tickets_by_assignee ON tickets (t_assignee, t_status, t_updated, id);
    CREATE INDEX IF NOT EXISTS tickets_by_requester ON tickets (t_requester, t_updated, id);
    CREATE INDEX IF NOT EXISTS tickets_by_brand ON tickets (t_brand, t_status, t_updated, id);
    CREATE INDEX IF NOT EXISTS tickets_by_mailbox ON tickets (connection, t_status, t_updated, id);
"""
