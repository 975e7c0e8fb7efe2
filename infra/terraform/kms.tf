# Cloud KMS: the one key the mailboxes' refresh tokens are sealed under (docs/tokens.md).
#
# Each refresh token is kept in Firestore (refresh_tokens/{gmail-token-…}), encrypted with a data key of its own,
# and that data key is encrypted by this key (envelope encryption; shared/gmail_tickets/adapters/sealed_tokens.py).
# One key version costs $0.06 a month whatever the number of mailboxes; one Secret Manager version per mailbox
# cost $0.06 a month each ($600 at 10,000 mailboxes). A token is opened (a KMS decrypt) only when an access
# token is minted, about once an hour per mailbox and instance, not once a sync.
#
# Rotation makes a new primary version every 90 days; the older versions stay enabled, so tokens sealed under
# them still open, and each reconnect seals under the newest. The key cannot be destroyed by Terraform: without
# it no stored token opens (every mailbox would need reconnecting).

resource "google_kms_key_ring" "tokens" {
  name       = "gmail-tickets"
  location   = var.region
  depends_on = [google_project_service.apis]
}

resource "google_kms_crypto_key" "tokens" {
  name            = "refresh-tokens"
  key_ring        = google_kms_key_ring.tokens.id
  purpose         = "ENCRYPT_DECRYPT"
  rotation_period = "7776000s" # 90 days

  version_template {
    algorithm        = "GOOGLE_SYMMETRIC_ENCRYPTION"
    protection_level = "SOFTWARE"
  }

  lifecycle {
    prevent_destroy = true
  }
}

# The admin function seals (connect, reconnect) and opens (disconnect revokes the token at Google); ingest,
# sweep-shard (its checks call Gmail) and send only open. Granted on this key alone.
resource "google_kms_crypto_key_iam_member" "token_sealer" {
  crypto_key_id = google_kms_crypto_key.tokens.id
  role          = "roles/cloudkms.cryptoKeyEncrypterDecrypter"
  member        = google_service_account.fn["admin"].member
}

resource "google_kms_crypto_key_iam_member" "token_openers" {
  for_each      = toset(["ingest", "sweep-shard", "send"])
  crypto_key_id = google_kms_crypto_key.tokens.id
  role          = "roles/cloudkms.cryptoKeyDecrypter"
  member        = google_service_account.fn[each.key].member
}
