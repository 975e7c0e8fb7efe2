"""Migration 13: full-text search (ports/search.py, docs/search.md).

`ticket_search` is an FTS5 table with one row per searchable text: a ticket's subject, requester name and address
(rowid = -ticket id) and each comment's text, public or internal (rowid = the comment's seq). The rowids make
keeping it in step a lookup by key; `ticket_id` says which ticket a row is on. `words` holds the text already in
search_text's normal form (NFKC, case-folded, accents removed, CJK runs as character pairs), so the index and the
query agree whatever SQLite's tokenizer knows; `unicode61 remove_diacritics 2` folds accents again for safety.
The store writes these rows in the transaction that writes the ticket or comment (tickets.py).

The back-fill calls `search_index_text`, a function every connection of this store registers (database.py), so
existing tickets and comments get the same normal form as new ones. Idempotent: it empties the table first.
"""

TICKET_TEXT = ("coalesce(json_extract(doc, '$.subject'), '') || ' ' || coalesce(json_extract(doc, '$.requester_name'), "
               "'') || ' ' || coalesce(json_extract(doc, '$.requester'), '')")

MIGRATION_13 = f"""
    CREATE VIRTUAL TABLE IF NOT EXISTS ticket_search USING fts5(
        words, ticket_id UNINDEXED, tokenize = 'unicode61 remove_diacritics 2');

    DELETE FROM ticket_search;

    INSERT INTO ticket_search (rowid, words, ticket_id)
    SELECT -id, search_index_text({TICKET_TEXT}), id FROM tickets;

    INSERT INTO ticket_search (rowid, words, ticket_id)
    SELECT seq, search_index_text(coalesce(json_extract(doc, '$.body_text'), '')), ticket_id FROM comments;
"""
