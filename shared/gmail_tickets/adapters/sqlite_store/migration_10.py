"""Migration 10: people. Agents keyed by their lower-cased email, invitations by the hash of their token (the
token itself is never stored), and the audit log of admin actions in the order they happened (`seq`)."""

MIGRATION_10 = """
    CREATE TABLE agents (
        email TEXT PRIMARY KEY,
        doc   TEXT NOT NULL
    );

    CREATE TABLE invites (
        token_hash TEXT PRIMARY KEY,
        created_at TEXT NOT NULL,
        doc        TEXT NOT NULL
    );

    CREATE TABLE audit (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id  TEXT NOT NULL UNIQUE,
        at  TEXT NOT NULL,
        doc TEXT NOT NULL
    );
    CREATE INDEX audit_newest ON audit (at, seq);
"""
