# Firestore in native mode, the (default) database (the only one with a free tier).
#
# Indexes: none beyond Firestore's automatic single-field ones. Every query of
# shared/gmail_tickets/adapters/firestore_store.py is a single-field range or order (thread_pos, connection_pos,
# sender_pos, sort_key, id, address, solved_at), an `in` on rfc_message_id, or equalities only (ledger outcome + connection,
# which Firestore serves by merging single-field indexes). Add google_firestore_index here when a query needs one.
resource "google_firestore_database" "default" {
  name                              = "(default)"
  location_id                       = var.firestore_location
  type                              = "FIRESTORE_NATIVE"
  concurrency_mode                  = "PESSIMISTIC"
  point_in_time_recovery_enablement = "POINT_IN_TIME_RECOVERY_ENABLED"
  delete_protection_state           = "DELETE_PROTECTION_ENABLED"
  deletion_policy                   = "ABANDON"

  depends_on = [google_project_service.apis]
}
