"""Migration 7: index-served counts for the anti-spam rules.

- ledger.sender_domain: the organizational domain of the (lower-cased) sender, so the burst rule can count one
  domain's mail in a window (rotating From addresses of one domain) with one range scan.
- outbox.auto_to / outbox.auto_account: on automatic mail we meant to send (not skipped), its recipient and its
  account, so "one acknowledgement per recipient per interval" and "a ceiling per account per hour" are range
  scans too.

Rows written before stay NULL and are not counted: the windows these counts look at are at most an hour long.
"""

MIGRATION_7 = """
    ALTER TABLE ledger ADD COLUMN sender_domain TEXT;
    CREATE INDEX ledger_by_sender_domain ON ledger (sender_domain, created_at) WHERE sender_domain IS NOT NULL;

    ALTER TABLE outbox ADD COLUMN auto_to TEXT;
    ALTER TABLE outbox ADD COLUMN auto_account TEXT;
    CREATE INDEX outbox_auto_by_recipient ON outbox (auto_to, created_at) WHERE auto_to IS NOT NULL;
    CREATE INDEX outbox_auto_by_account ON outbox (auto_account, created_at) WHERE auto_account IS NOT NULL;
"""
