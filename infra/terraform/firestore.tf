# Firestore in native mode, the (default) database (the only one with a free tier).
#
# Indexes: none beyond Firestore's automatic single-field ones. Every query of
# shared/gmail_tickets/adapters/firestore_store.py is a single-field range or order (thread_pos, connection_pos,
# sender_pos, sort_key, id, address, solved_at), an `in` on rfc_message_id, or equalities only (ledger outcome + connection,
# which Firestore serves by merging single-field indexes). Add google_firestore_index here when a query needs one.
# One single-field index is declared (REQUIRED_FIELD_INDEXES in firestore_store/store.py): full-text search looks
# comments up across tickets by `array_contains` on `search_terms` in the `comments` collection group, and
# Firestore keeps single-field indexes for collection-group scope only when asked (docs/search.md).
#
# Concurrency: OPTIMISTIC. In PESSIMISTIC mode a transaction's reads take locks, and a function instance killed
# mid-transaction (a crash, a deploy, a timeout) leaves them held until its transaction idles out (about a
# minute): the next attempt at the same mail waits that long. In OPTIMISTIC mode reads take no lock and a dead
# client holds nothing; a conflict shows at commit, which the store retries (adapters/firestore_store/
# transaction.py). The product has no hot document to starve under optimistic retries: ticket ids come in
# blocks from an increment outside any transaction, and one mailbox's mail is ingested by one sync at a time.
# The emulator locks as PESSIMISTIC does whatever this says, so the chaos soak's cloud flavour measures the
# harsher case.
resource "google_firestore_database" "default" {
  name                              = "(default)"
  location_id                       = var.firestore_location
  type                              = "FIRESTORE_NATIVE"
  concurrency_mode                  = "OPTIMISTIC"
  point_in_time_recovery_enablement = "POINT_IN_TIME_RECOVERY_ENABLED"
  delete_protection_state           = "DELETE_PROTECTION_ENABLED"
  deletion_policy                   = "ABANDON"

  depends_on = [google_project_service.apis]
}

# Full-text search's lookup of comments by term across every ticket (adapters/firestore_store/search.py).
resource "google_firestore_field" "comment_search_terms" {
  database   = google_firestore_database.default.name
  collection = "comments"
  field      = "search_terms"

  index_config {
    indexes {
      array_config = "CONTAINS"
      query_scope  = "COLLECTION_GROUP"
    }
  }
}
