# Firestore in native mode, the (default) database (the only one with a free tier).
#
# Indexes: Firestore's automatic single-field ones serve every query of shared/gmail_tickets/adapters/firestore_store/
# but the paged lists' (below): a single-field range or order (thread_pos, connection_pos, sender_pos, sort_key, id,
# address, solved_at), an `in` on rfc_message_id, or equalities only (ledger outcome + connection, which Firestore
# serves by merging single-field indexes). Add to google_firestore_index.lists when a query needs one.
# One single-field index is declared (REQUIRED_FIELD_INDEXES in firestore_store/store.py): full-text search looks
# comments up across tickets by `array_contains` on `search_terms` in the `comments` collection group, and
# Firestore keeps single-field indexes for collection-group scope only when asked (docs/search.md).
#
# Concurrency: OPTIMISTIC. In PESSIMISTIC mode a transaction's reads take locks, and a function instance killed
# mid-transaction (a crash, a deploy, a timeout) leaves them held until its transaction idles out (about a
# minute): the next attempt at the same mail waits that long. In OPTIMISTIC mode reads take no lock and a dead
# client holds nothing; a conflict shows at commit, which the store retries (adapters/firestore_store/
# transaction.py). The product has no hot document to starve under optimistic retries: ticket ids come in
# blocks from an increment outside any transaction, the console's change marks (changes/all) are blind increments
# after the commit, never in a transaction, and one mailbox's mail is ingested by one sync at a time.
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

# "Ana is replying": one small document per ticket someone typed a reply on (adapters/firestore_presence.py). Its
# entries expire on their own when read; this TTL policy deletes documents a day after their last typing.
resource "google_firestore_field" "presence_ttl" {
  database   = google_firestore_database.default.name
  collection = "presence"
  field      = "expire_at"

  ttl_config {}
  index_config {}
}

# Composite indexes: the console's paged lists (adapters/firestore_store/ticket_list.py VIEW_INDEXES, listed in
# store.REQUIRED_INDEXES; tests/infra/test_terraform.py holds this map to that list). A ticket view filters by one
# field (status, assignee, brand, support address, requester, or a tag) and sorts by another (updated_pos,
# priority_pos, id), walking down (Older) or up (Newer), so each pair is declared in both directions; a view with
# several filters is served by Firestore merging these. Notifications page by state and created_at. Counts are
# aggregation queries over the same indexes.
locals {
  firestore_indexes = {
    tickets_status_asc_updated_pos_desc = { collection = "tickets", fields = [["status", "ASCENDING"], ["updated_pos", "DESCENDING"]] }
    tickets_status_asc_updated_pos_asc = { collection = "tickets", fields = [["status", "ASCENDING"], ["updated_pos", "ASCENDING"]] }
    tickets_status_asc_id_desc = { collection = "tickets", fields = [["status", "ASCENDING"], ["id", "DESCENDING"]] }
    tickets_status_asc_id_asc = { collection = "tickets", fields = [["status", "ASCENDING"], ["id", "ASCENDING"]] }
    tickets_status_asc_priority_pos_desc = { collection = "tickets", fields = [["status", "ASCENDING"], ["priority_pos", "DESCENDING"]] }
    tickets_status_asc_priority_pos_asc = { collection = "tickets", fields = [["status", "ASCENDING"], ["priority_pos", "ASCENDING"]] }
    tickets_assignee_asc_updated_pos_desc = { collection = "tickets", fields = [["assignee", "ASCENDING"], ["updated_pos", "DESCENDING"]] }
    tickets_assignee_asc_updated_pos_asc = { collection = "tickets", fields = [["assignee", "ASCENDING"], ["updated_pos", "ASCENDING"]] }
    tickets_assignee_asc_id_desc = { collection = "tickets", fields = [["assignee", "ASCENDING"], ["id", "DESCENDING"]] }
    tickets_assignee_asc_id_asc = { collection = "tickets", fields = [["assignee", "ASCENDING"], ["id", "ASCENDING"]] }
    tickets_assignee_asc_priority_pos_desc = { collection = "tickets", fields = [["assignee", "ASCENDING"], ["priority_pos", "DESCENDING"]] }
    tickets_assignee_asc_priority_pos_asc = { collection = "tickets", fields = [["assignee", "ASCENDING"], ["priority_pos", "ASCENDING"]] }
    tickets_brand_id_asc_updated_pos_desc = { collection = "tickets", fields = [["brand_id", "ASCENDING"], ["updated_pos", "DESCENDING"]] }
    tickets_brand_id_asc_updated_pos_asc = { collection = "tickets", fields = [["brand_id", "ASCENDING"], ["updated_pos", "ASCENDING"]] }
    tickets_brand_id_asc_id_desc = { collection = "tickets", fields = [["brand_id", "ASCENDING"], ["id", "DESCENDING"]] }
    tickets_brand_id_asc_id_asc = { collection = "tickets", fields = [["brand_id", "ASCENDING"], ["id", "ASCENDING"]] }
    tickets_brand_id_asc_priority_pos_desc = { collection = "tickets", fields = [["brand_id", "ASCENDING"], ["priority_pos", "DESCENDING"]] }
    tickets_brand_id_asc_priority_pos_asc = { collection = "tickets", fields = [["brand_id", "ASCENDING"], ["priority_pos", "ASCENDING"]] }
    tickets_connection_asc_updated_pos_desc = { collection = "tickets", fields = [["connection", "ASCENDING"], ["updated_pos", "DESCENDING"]] }
    tickets_connection_asc_updated_pos_asc = { collection = "tickets", fields = [["connection", "ASCENDING"], ["updated_pos", "ASCENDING"]] }
    tickets_connection_asc_id_desc = { collection = "tickets", fields = [["connection", "ASCENDING"], ["id", "DESCENDING"]] }
    tickets_connection_asc_id_asc = { collection = "tickets", fields = [["connection", "ASCENDING"], ["id", "ASCENDING"]] }
    tickets_connection_asc_priority_pos_desc = { collection = "tickets", fields = [["connection", "ASCENDING"], ["priority_pos", "DESCENDING"]] }
    tickets_connection_asc_priority_pos_asc = { collection = "tickets", fields = [["connection", "ASCENDING"], ["priority_pos", "ASCENDING"]] }
    tickets_requester_key_asc_updated_pos_desc = { collection = "tickets", fields = [["requester_key", "ASCENDING"], ["updated_pos", "DESCENDING"]] }
    tickets_requester_key_asc_updated_pos_asc = { collection = "tickets", fields = [["requester_key", "ASCENDING"], ["updated_pos", "ASCENDING"]] }
    tickets_requester_key_asc_id_desc = { collection = "tickets", fields = [["requester_key", "ASCENDING"], ["id", "DESCENDING"]] }
    tickets_requester_key_asc_id_asc = { collection = "tickets", fields = [["requester_key", "ASCENDING"], ["id", "ASCENDING"]] }
    tickets_requester_key_asc_priority_pos_desc = { collection = "tickets", fields = [["requester_key", "ASCENDING"], ["priority_pos", "DESCENDING"]] }
    tickets_requester_key_asc_priority_pos_asc = { collection = "tickets", fields = [["requester_key", "ASCENDING"], ["priority_pos", "ASCENDING"]] }
    tickets_tags_contains_updated_pos_desc = { collection = "tickets", fields = [["tags", "CONTAINS"], ["updated_pos", "DESCENDING"]] }
    tickets_tags_contains_updated_pos_asc = { collection = "tickets", fields = [["tags", "CONTAINS"], ["updated_pos", "ASCENDING"]] }
    tickets_tags_contains_id_desc = { collection = "tickets", fields = [["tags", "CONTAINS"], ["id", "DESCENDING"]] }
    tickets_tags_contains_id_asc = { collection = "tickets", fields = [["tags", "CONTAINS"], ["id", "ASCENDING"]] }
    tickets_tags_contains_priority_pos_desc = { collection = "tickets", fields = [["tags", "CONTAINS"], ["priority_pos", "DESCENDING"]] }
    tickets_tags_contains_priority_pos_asc = { collection = "tickets", fields = [["tags", "CONTAINS"], ["priority_pos", "ASCENDING"]] }
    outbox_state_asc_created_at_desc = { collection = "outbox", fields = [["state", "ASCENDING"], ["created_at", "DESCENDING"]] }
    outbox_state_asc_created_at_asc = { collection = "outbox", fields = [["state", "ASCENDING"], ["created_at", "ASCENDING"]] }
  }
}

resource "google_firestore_index" "lists" {
  for_each   = local.firestore_indexes
  database   = google_firestore_database.default.name
  collection = each.value.collection

  dynamic "fields" {
    for_each = each.value.fields
    content {
      field_path   = fields.value[0]
      order        = fields.value[1] == "CONTAINS" ? null : fields.value[1]
      array_config = fields.value[1] == "CONTAINS" ? "CONTAINS" : null
    }
  }
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

# Single-field index exemptions: fields no query reads whose values only grow and arrive in bursts (a sync's last
# time, a lease's expiry, insertion sequence numbers, creation times). Firestore indexes every field by default,
# and an index over always-increasing values written together is a hot spot (its new entries land on one tablet)
# that serves nothing here. The list is UNINDEXED_FIELDS in shared/gmail_tickets/adapters/firestore_store/store.py;
# tests/infra/test_terraform.py holds this map to it.
locals {
  firestore_unindexed = {
    connections_last_sync_at = { collection = "connections", field = "last_sync_at" }
    connections_labels_owed  = { collection = "connections", field = "labels_owed" }
    connections_owed_since   = { collection = "connections", field = "labels_owed_since" }
    leases_expires_at        = { collection = "leases", field = "expires_at" }
    leases_watched_until     = { collection = "leases", field = "watched_until" }
    ledger_seq               = { collection = "ledger", field = "seq" }
    ledger_created_at        = { collection = "ledger", field = "created_at" }
    tickets_created_at       = { collection = "tickets", field = "created_at" }
    comments_seq             = { collection = "comments", field = "seq" }
    comments_created_at      = { collection = "comments", field = "created_at" }
  }
}

resource "google_firestore_field" "unindexed" {
  for_each   = local.firestore_unindexed
  database   = google_firestore_database.default.name
  collection = each.value.collection
  field      = each.value.field

  index_config {}
}
