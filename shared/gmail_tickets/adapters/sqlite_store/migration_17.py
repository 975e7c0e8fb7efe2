"""Migration 17: recovered suspended mail. An agent's recovery moves the record off `suspended` (whose list and
count stay what they were: every row is listed) into `recovered_mail`, where it keeps its links to the ticket and
comment the mail became.

Independent of every other migration (a new table only, IF NOT EXISTS): it may run in any place of the sequence.
"""

MIGRATION_17 = """
    CREATE TABLE IF NOT EXISTS recovered_mail (
        id  TEXT PRIMARY KEY,
        doc TEXT NOT NULL
    );
"""
