# Secret Manager. Secret ids are the names in shared/gmail_tickets/secret_names.py and web/auth.py.
#
# - oauth-client-secret, relay-password: the secrets only the deployer has. Terraform makes the (empty) secrets;
#   their values are added out of band, so they never pass through Terraform:
#     printf %s "$SECRET" | gcloud secrets versions add oauth-client-secret --data-file=-
# - ticket-token-key, oauth-state-key, domain-verification-key, console-session-key: random keys the code would
#   otherwise create on first use (instances racing to create two). Terraform creates them once, as 32 random
#   bytes in hex, from ephemeral values through the write-only secret_data_wo: they are in no state or plan file.
#   Rotate one by raising key_versions[name] (and know what that key signs before you do).
# - gmail-token-<slug>-<hash>: one refresh token per connected mailbox, as releases before sealed tokens kept them
#   (kms.tf). Still read while a mailbox has no sealed token; its next connect moves the token and deletes the
#   secret, so the grants below stay until no gmail-token-* secret is left.

locals {
  provided_secrets = toset(["oauth-client-secret", "relay-password"])
  generated_keys   = toset(["ticket-token-key", "oauth-state-key", "domain-verification-key", "console-session-key"])

  key_versions = {
    "ticket-token-key"        = 1
    "oauth-state-key"         = 1
    "domain-verification-key" = 1
    "console-session-key"     = 1
  }

  # Who reads which of the fixed secrets (the refresh tokens are granted below, by name prefix).
  secret_readers = {
    ingest      = ["oauth-client-secret", "ticket-token-key"]
    sweep       = ["oauth-client-secret", "ticket-token-key"]
    sweep-shard = ["oauth-client-secret", "ticket-token-key"]
    send        = ["oauth-client-secret", "ticket-token-key", "relay-password"]
    admin       = ["oauth-client-secret", "ticket-token-key", "oauth-state-key", "domain-verification-key", "console-session-key"]
    api         = ["ticket-token-key"]
  }
  secret_reader_pairs = merge([
    for fn, ids in local.secret_readers : { for id in ids : "${fn}/${id}" => { fn = fn, secret = id } }
  ]...)

  token_prefix    = "projects/${local.project_number}/secrets/gmail-token-"
  token_condition = "resource.name.startsWith(\"${local.token_prefix}\")"
}

resource "google_secret_manager_secret" "fixed" {
  for_each  = setunion(local.provided_secrets, local.generated_keys)
  secret_id = each.value

  replication {
    auto {}
  }

  depends_on = [google_project_service.apis]
}

ephemeral "random_password" "keys" {
  for_each = local.generated_keys
  length   = 64
  # Hex digits only (the code reads these keys with bytes.fromhex): digits plus "abcdef" as the "special" set.
  upper            = false
  lower            = false
  numeric          = true
  special          = true
  override_special = "abcdef"
}

resource "google_secret_manager_secret_version" "keys" {
  for_each               = local.generated_keys
  secret                 = google_secret_manager_secret.fixed[each.value].id
  secret_data_wo         = ephemeral.random_password.keys[each.value].result
  secret_data_wo_version = local.key_versions[each.value]
}

resource "google_secret_manager_secret_iam_member" "readers" {
  for_each  = local.secret_reader_pairs
  secret_id = google_secret_manager_secret.fixed[each.value.secret].id
  role      = "roles/secretmanager.secretAccessor"
  member    = google_service_account.fn[each.value.fn].member
}

# Refresh tokens. ingest, sweep-shard and send read them; the condition limits the grant to gmail-token-* secrets, so
# it is not a key to the client secret or the relay password.
resource "google_project_iam_member" "token_readers" {
  for_each = toset(["ingest", "sweep-shard", "send"])
  project  = var.project
  role     = "roles/secretmanager.secretAccessor"
  member   = google_service_account.fn[each.key].member

  condition {
    title      = "gmail-token secrets only"
    expression = local.token_condition
  }
}

# The admin function connects and disconnects mailboxes: it creates a token's secret, adds versions (reconnect),
# reads it, and deletes it (disconnect). Creating is checked against the project, before the secret has a name,
# so it is a role of its own, unconditional; the rest is limited to gmail-token-* secrets.
resource "google_project_iam_custom_role" "token_creator" {
  role_id     = "gmailTicketsTokenCreator"
  title       = "gmail-tickets: create refresh-token secrets"
  description = "Create Secret Manager secrets (the admin function's new gmail-token-* secrets)."
  permissions = ["secretmanager.secrets.create"]
}

resource "google_project_iam_custom_role" "token_keeper" {
  role_id     = "gmailTicketsTokenKeeper"
  title       = "gmail-tickets: manage refresh-token secrets"
  description = "Read, write and delete gmail-token-* secrets (bound with a name-prefix condition)."
  permissions = [
    "secretmanager.secrets.get",
    "secretmanager.secrets.delete",
    "secretmanager.versions.add",
    "secretmanager.versions.access",
    "secretmanager.versions.get",
    "secretmanager.versions.list",
    "secretmanager.versions.destroy",
  ]
}

resource "google_project_iam_member" "admin_creates_tokens" {
  project = var.project
  role    = google_project_iam_custom_role.token_creator.id
  member  = google_service_account.fn["admin"].member
}

resource "google_project_iam_member" "admin_keeps_tokens" {
  project = var.project
  role    = google_project_iam_custom_role.token_keeper.id
  member  = google_service_account.fn["admin"].member

  condition {
    title      = "gmail-token secrets only"
    expression = local.token_condition
  }
}
