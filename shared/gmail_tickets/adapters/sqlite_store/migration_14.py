"""Migration 14: `sweep_state`, where a sweep that could not finish in its minute saves the address it stopped
after (services/sweep.py). Written to stand alone (IF NOT EXISTS, no other table touched), so it applies the same
whichever migrations come before it."""

MIGRATION_14 = """
    CREATE TABLE IF NOT EXISTS sweep_state (name TEXT PRIMARY KEY, value TEXT);
"""
