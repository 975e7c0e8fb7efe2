"""Migration 6: one record format for both stores (adapters/records.py), as the outbox already had.

Every table keeps its record as JSON in `doc`, plus copies of only the fields it is queried, sorted or indexed
by, so a new field of a record needs no migration. Tables are rebuilt: the old ones renamed (their indexes
dropped first, the names are reused), the new ones filled from them (times were already records.py's text; 0/1
become JSON booleans; JSON text columns nest), then the old ones dropped, children before parents. Row ids, seq
values and AUTOINCREMENT counters carry over, so ticket ids keep growing and orders hold. No foreign keys any
more: the Firestore store has none either.
"""

MIGRATION_6 = """
    DROP INDEX tickets_by_connection;
    DROP INDEX comments_by_ticket;
    DROP INDEX ledger_by_thread;
    DROP INDEX ledger_by_rfc_message_id;
    DROP INDEX ledger_by_sender;
    DROP INDEX suspended_newest;
    ALTER TABLE connections RENAME TO connections_v5;
    ALTER TABLE support_addresses RENAME TO support_addresses_v5;
    ALTER TABLE brands RENAME TO brands_v5;
    ALTER TABLE tickets RENAME TO tickets_v5;
    ALTER TABLE comments RENAME TO comments_v5;
    ALTER TABLE ledger RENAME TO ledger_v5;
    ALTER TABLE quarantine RENAME TO quarantine_v5;
    ALTER TABLE suspended RENAME TO suspended_v5;
    ALTER TABLE leases RENAME TO leases_v5;
    ALTER TABLE oauth_flows RENAME TO oauth_flows_v5;

    CREATE TABLE connections (address TEXT PRIMARY KEY, doc TEXT NOT NULL);
    INSERT INTO connections (address, doc)
    SELECT address, json_object(
        'address', address, 'brand_id', brand_id, 'status', status, 'account_kind', account_kind,
        'history_id', history_id, 'watch_expiration', watch_expiration, 'label_id', label_id,
        'send_via_gmail', json(CASE WHEN send_via_gmail THEN 'true' ELSE 'false' END),
        'last_sync_at', last_sync_at, 'last_error', last_error, 'warnings', json(warnings),
        'created_at', created_at, 'disconnected_at', disconnected_at, 'import_total', import_total,
        'import_done', import_done)
    FROM connections_v5;

    CREATE TABLE support_addresses (address TEXT PRIMARY KEY, doc TEXT NOT NULL);
    INSERT INTO support_addresses (address, doc)
    SELECT address, json_object(
        'address', address, 'brand_id', brand_id,
        'is_default', json(CASE WHEN is_default THEN 'true' ELSE 'false' END), 'kind', kind)
    FROM support_addresses_v5;

    CREATE TABLE brands (id TEXT PRIMARY KEY, doc TEXT NOT NULL);
    INSERT INTO brands (id, doc)
    SELECT id, json_object('id', id, 'name', name, 'ack_template', ack_template) FROM brands_v5;

    -- AUTOINCREMENT: ids only ever grow, never reused even if the newest ticket were deleted.
    CREATE TABLE tickets (
        id         INTEGER PRIMARY KEY AUTOINCREMENT,
        connection TEXT NOT NULL,
        doc        TEXT NOT NULL
    );
    CREATE INDEX tickets_by_connection ON tickets (connection, id);
    INSERT INTO tickets (id, connection, doc)
    SELECT id, connection, json_object(
        'subject', subject, 'requester', requester, 'connection', connection, 'brand_id', brand_id,
        'requester_name', requester_name, 'followers', json(followers), 'status', status,
        'created_at', created_at,
        'suppress_triggers', json(CASE WHEN suppress_triggers THEN 'true' ELSE 'false' END),
        'gmail_thread_id', gmail_thread_id, 'id', id)
    FROM tickets_v5;

    -- seq keeps insertion order, the tie-breaker between comments with the same created_at.
    CREATE TABLE comments (
        seq        INTEGER PRIMARY KEY AUTOINCREMENT,
        id         TEXT NOT NULL UNIQUE,
        ticket_id  INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        doc        TEXT NOT NULL
    );
    CREATE INDEX comments_by_ticket ON comments (ticket_id, created_at, seq);
    INSERT INTO comments (seq, id, ticket_id, created_at, doc)
    SELECT seq, id, ticket_id, created_at, json_object(
        'id', id, 'ticket_id', ticket_id, 'author', author, 'body_text', body_text, 'created_at', created_at,
        'connection', connection, 'gmail_message_id', gmail_message_id, 'message_id', message_id,
        'matched_by', matched_by, 'attachments', json(attachments), 'body_html', body_html,
        'author_kind', author_kind)
    FROM comments_v5;

    -- The ledger is also the thread index: rows with a ticket answer "which ticket is this thread / this
    -- Message-ID on", so a new ticket costs no extra index rows. thread_id is the index's alone (not a field of
    -- the entry); sender is lower-cased, what burst detection counts across every mailbox.
    CREATE TABLE ledger (
        connection       TEXT NOT NULL,
        gmail_message_id TEXT NOT NULL,
        outcome          TEXT NOT NULL,
        ticket_id        INTEGER,
        rfc_message_id   TEXT,
        thread_id        TEXT,
        created_at       TEXT,
        sender           TEXT,
        doc              TEXT NOT NULL,
        PRIMARY KEY (connection, gmail_message_id)
    );
    CREATE INDEX ledger_by_thread ON ledger (connection, thread_id)
        WHERE ticket_id IS NOT NULL AND thread_id IS NOT NULL;
    CREATE INDEX ledger_by_rfc_message_id ON ledger (rfc_message_id)
        WHERE ticket_id IS NOT NULL AND rfc_message_id IS NOT NULL;
    CREATE INDEX ledger_by_sender ON ledger (sender, created_at) WHERE sender IS NOT NULL;
    INSERT INTO ledger (rowid, connection, gmail_message_id, outcome, ticket_id, rfc_message_id, thread_id,
                        created_at, sender, doc)
    SELECT rowid, connection, gmail_message_id, outcome, ticket_id, rfc_message_id, thread_id, created_at,
        sender, json_object(
        'connection', connection, 'gmail_message_id', gmail_message_id, 'outcome', outcome,
        'ticket_id', ticket_id, 'comment_id', comment_id, 'rfc_message_id', rfc_message_id,
        'created_at', created_at, 'sender', sender, 'raw_key', raw_key)
    FROM ledger_v5;

    -- raw stays a BLOB beside the doc (JSON holds no bytes).
    CREATE TABLE quarantine (
        seq        INTEGER PRIMARY KEY AUTOINCREMENT,
        id         TEXT NOT NULL UNIQUE,
        created_at TEXT,
        raw        BLOB NOT NULL,
        doc        TEXT NOT NULL
    );
    INSERT INTO quarantine (seq, id, created_at, raw, doc)
    SELECT seq, id, created_at, raw, json_object(
        'id', id, 'connection', connection, 'reason', reason, 'source', source,
        'gmail_message_id', gmail_message_id, 'created_at', created_at)
    FROM quarantine_v5;

    CREATE TABLE suspended (
        seq        INTEGER PRIMARY KEY AUTOINCREMENT,
        id         TEXT NOT NULL UNIQUE,
        created_at TEXT NOT NULL,
        doc        TEXT NOT NULL
    );
    CREATE INDEX suspended_newest ON suspended (created_at, seq);
    INSERT INTO suspended (seq, id, created_at, doc)
    SELECT seq, id, created_at, json_object(
        'id', id, 'connection', connection, 'gmail_message_id', gmail_message_id, 'sender', sender,
        'subject', subject, 'reason', reason, 'created_at', created_at, 'raw_key', raw_key)
    FROM suspended_v5;

    CREATE TABLE leases (key TEXT PRIMARY KEY, doc TEXT NOT NULL);
    INSERT INTO leases (key, doc)
    SELECT key, json_object(
        'key', key, 'holder', holder, 'expires_at', expires_at,
        'look_again', json(CASE WHEN look_again THEN 'true' ELSE 'false' END))
    FROM leases_v5;

    CREATE TABLE oauth_flows (nonce TEXT PRIMARY KEY, doc TEXT NOT NULL);
    INSERT INTO oauth_flows (nonce, doc)
    SELECT nonce, json_object(
        'nonce', nonce, 'session_id', session_id, 'address', address, 'brand_id', brand_id,
        'import_recent', json(CASE WHEN import_recent THEN 'true' ELSE 'false' END),
        'code_verifier', code_verifier, 'redirect_uri', redirect_uri, 'created_at', created_at,
        'expires_at', expires_at, 'reconnect', json(CASE WHEN reconnect THEN 'true' ELSE 'false' END))
    FROM oauth_flows_v5;

    -- The AUTOINCREMENT counters: the old tables' (renamed with them) replace the ones the copies made.
    DELETE FROM sqlite_sequence WHERE name IN ('tickets', 'comments', 'quarantine', 'suspended');
    UPDATE sqlite_sequence SET name = substr(name, 1, length(name) - 3)
        WHERE name IN ('tickets_v5', 'comments_v5', 'quarantine_v5', 'suspended_v5');

    DROP TABLE comments_v5;
    DROP TABLE ledger_v5;
    DROP TABLE tickets_v5;
    DROP TABLE connections_v5;
    DROP TABLE support_addresses_v5;
    DROP TABLE brands_v5;
    DROP TABLE quarantine_v5;
    DROP TABLE suspended_v5;
    DROP TABLE leases_v5;
    DROP TABLE oauth_flows_v5;
    """
