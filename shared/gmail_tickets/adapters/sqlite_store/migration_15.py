"""Migration 15: API tokens and idempotency records (domain/api_access.py, web/api/).

New tables only, each created if missing: it reads and changes nothing another migration made, so it runs the
same whichever of the migrations around it came first.
"""

MIGRATION_15 = """
    CREATE TABLE IF NOT EXISTS api_tokens (id TEXT PRIMARY KEY, agent TEXT NOT NULL, created_at TEXT,
                                           doc TEXT NOT NULL);
    CREATE INDEX IF NOT EXISTS api_tokens_by_agent ON api_tokens (agent, created_at);
    CREATE TABLE IF NOT EXISTS api_idempotency (key TEXT PRIMARY KEY, doc TEXT NOT NULL);
"""
