"""Migration 8: "which tickets mention #N" served by an index on the ticket doc's `mentions` (an expression
index: the field lives in the JSON doc, and queries name the same expression)."""

MENTIONS_EXPR = "json_extract(doc, '$.mentions')"

MIGRATION_8 = f"""
    CREATE INDEX tickets_by_mentions ON tickets ({MENTIONS_EXPR}, id) WHERE {MENTIONS_EXPR} IS NOT NULL;
"""
