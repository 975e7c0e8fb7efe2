"""The SQLite schema's released migrations, 1 to 5, exactly as shipped: never edit them (a test pins their
text); add the next one in its own module and list it in schema.MIGRATIONS."""

RELEASED: tuple[str, ...] = (
    # 1: everything the Store port needs.
    """
    CREATE TABLE connections (
        address          TEXT PRIMARY KEY,
        brand_id         TEXT NOT NULL,
        status           TEXT NOT NULL,
        account_kind     TEXT NOT NULL,
        history_id       INTEGER,
        watch_expiration TEXT,
        label_id         TEXT,
        send_via_gmail   INTEGER NOT NULL,
        last_sync_at     TEXT,
        last_error       TEXT,
        warnings         TEXT NOT NULL DEFAULT '[]',
        created_at       TEXT,
        disconnected_at  TEXT
    );

    CREATE TABLE support_addresses (
        address    TEXT PRIMARY KEY,
        brand_id   TEXT NOT NULL,
        is_default INTEGER NOT NULL,
        kind       TEXT NOT NULL
    );

    CREATE TABLE brands (
        id   TEXT PRIMARY KEY,
        name TEXT NOT NULL
    );

    -- AUTOINCREMENT: ids only ever grow, never reused even if the newest ticket were deleted.
    CREATE TABLE tickets (
        id                INTEGER PRIMARY KEY AUTOINCREMENT,
        subject           TEXT NOT NULL,
        requester         TEXT NOT NULL,
        connection        TEXT NOT NULL,
        brand_id          TEXT NOT NULL,
        requester_name    TEXT NOT NULL,
        followers         TEXT NOT NULL DEFAULT '[]',
        status            TEXT NOT NULL,
        created_at        TEXT,
        suppress_triggers INTEGER NOT NULL
    );
    CREATE INDEX tickets_by_connection ON tickets (connection, id);

    -- seq keeps insertion order, the tie-breaker between comments with the same created_at.
    CREATE TABLE comments (
        seq              INTEGER PRIMARY KEY AUTOINCREMENT,
        id               TEXT NOT NULL UNIQUE,
        ticket_id        INTEGER NOT NULL REFERENCES tickets (id) DEFERRABLE INITIALLY DEFERRED,
        author           TEXT NOT NULL,
        body_text        TEXT NOT NULL,
        created_at       TEXT NOT NULL,
        connection       TEXT NOT NULL,
        gmail_message_id TEXT,
        message_id       TEXT,
        matched_by       TEXT,
        attachments      TEXT NOT NULL DEFAULT '[]'
    );
    CREATE INDEX comments_by_ticket ON comments (ticket_id, created_at, seq);

    -- The ledger is also the thread index: rows with a ticket answer "which ticket is this thread / this
    -- Message-ID on", so a new ticket costs no extra index rows.
    CREATE TABLE ledger (
        connection       TEXT NOT NULL,
        gmail_message_id TEXT NOT NULL,
        outcome          TEXT NOT NULL,
        ticket_id        INTEGER REFERENCES tickets (id) DEFERRABLE INITIALLY DEFERRED,
        comment_id       TEXT,
        rfc_message_id   TEXT,
        thread_id        TEXT,
        created_at       TEXT,
        PRIMARY KEY (connection, gmail_message_id)
    );
    CREATE INDEX ledger_by_thread ON ledger (connection, thread_id)
        WHERE ticket_id IS NOT NULL AND thread_id IS NOT NULL;
    CREATE INDEX ledger_by_rfc_message_id ON ledger (rfc_message_id)
        WHERE ticket_id IS NOT NULL AND rfc_message_id IS NOT NULL;

    CREATE TABLE quarantine (
        seq              INTEGER PRIMARY KEY AUTOINCREMENT,
        id               TEXT NOT NULL UNIQUE,
        connection       TEXT,
        reason           TEXT NOT NULL,
        raw              BLOB NOT NULL,
        source           TEXT NOT NULL,
        gmail_message_id TEXT,
        created_at       TEXT
    );

    CREATE TABLE leases (
        key        TEXT PRIMARY KEY,
        holder     TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        look_again INTEGER NOT NULL DEFAULT 0
    );
    """,
    # 2: mail fidelity. Columns are added (nullable), never rebuilt, so an upgrade is quick on a big file and
    # rows written by version 1 read back as "not known" (no sender, no raw key, no HTML).
    """
    ALTER TABLE comments ADD COLUMN body_html TEXT;

    -- sender is stored lower-cased; burst detection counts one sender's recent mail across every mailbox.
    -- Partial: version-1 rows and mail without a From address cost no index space.
    ALTER TABLE ledger ADD COLUMN sender TEXT;
    ALTER TABLE ledger ADD COLUMN raw_key TEXT;
    CREATE INDEX ledger_by_sender ON ledger (sender, created_at) WHERE sender IS NOT NULL;

    -- seq keeps insertion order, the tie-breaker between suspended mail with the same created_at.
    CREATE TABLE suspended (
        seq              INTEGER PRIMARY KEY AUTOINCREMENT,
        id               TEXT NOT NULL UNIQUE,
        connection       TEXT NOT NULL,
        gmail_message_id TEXT NOT NULL,
        sender           TEXT NOT NULL,
        subject          TEXT NOT NULL,
        reason           TEXT NOT NULL,
        created_at       TEXT NOT NULL,
        raw_key          TEXT
    );
    CREATE INDEX suspended_newest ON suspended (created_at, seq);
    """,
    # 3: connecting accounts. Connections gain the initial import's progress (0 of 0 for rows written before);
    # an OAuth flow lives here from the admin's "connect" until Google redirects back, then is taken once.
    """
    ALTER TABLE connections ADD COLUMN import_total INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE connections ADD COLUMN import_done INTEGER NOT NULL DEFAULT 0;

    CREATE TABLE oauth_flows (
        nonce         TEXT PRIMARY KEY,
        session_id    TEXT NOT NULL,
        address       TEXT NOT NULL,
        brand_id      TEXT NOT NULL,
        import_recent INTEGER NOT NULL,
        code_verifier TEXT NOT NULL,
        redirect_uri  TEXT NOT NULL,
        created_at    TEXT NOT NULL,
        expires_at    TEXT NOT NULL,
        reconnect     INTEGER NOT NULL
    );
    """,
    # 4: agent replies. A comment says who wrote it: mail from the customer, or an agent in the console. Rows
    # written before were all mail, so the default makes them read back as "customer" without a rewrite.
    """
    ALTER TABLE comments ADD COLUMN author_kind TEXT NOT NULL DEFAULT 'customer';
    """,
    # 5: outbound notifications. Tickets remember their Gmail thread (our mail joins it) and brands may carry
    # their own acknowledgement text; rows written before read back as "unknown" / "the built-in text".
    """
    ALTER TABLE tickets ADD COLUMN gmail_thread_id TEXT;
    ALTER TABLE brands ADD COLUMN ack_template TEXT;

    -- One row per notification we owe (domain/outbox.py). `doc` is the record as outbox_codec writes it, the
    -- same format the Firestore store keeps; the other columns copy the fields list_notifications selects and
    -- sorts by. No foreign key to tickets: the Firestore store has none either.
    CREATE TABLE outbox (
        id         TEXT PRIMARY KEY,
        ticket_id  INTEGER NOT NULL,
        state      TEXT NOT NULL,
        created_at TEXT,
        doc        TEXT NOT NULL
    );
    -- Newest first (created_at DESC, id DESC) within one state, one ticket, or all of them.
    CREATE INDEX outbox_by_state ON outbox (state, created_at, id);
    CREATE INDEX outbox_by_ticket ON outbox (ticket_id, created_at, id);
    CREATE INDEX outbox_newest ON outbox (created_at, id);

    -- One account's Gmail sends over the rolling 24 h, as outbox_codec writes it.
    CREATE TABLE send_windows (
        address TEXT PRIMARY KEY,
        doc     TEXT NOT NULL
    );
    """,
)
