# Least privilege: one service account per function, each granted only what its code does. No basic role
# (owner, editor, viewer) anywhere; tests/infra/test_terraform.py fails the build if one appears.
#
#             Firestore   secrets                                    mail bucket        publishes to
#   ingest    user        read tokens, client secret, ticket key      read/write         outbound-mail (acks)
#   sweep     user        client secret, ticket key                   -                  mailbox-sweep,
#                                                                                        outbound-mail (republish)
#   sweep-    user        read tokens, client secret, ticket key      -                  mailbox-sync
#   shard
#   send      user        read tokens, client secret, ticket key,     read               -
#                         relay password
#   admin     user        create/delete/write/read tokens; read the   read/write (the    outbound-mail (replies),
#                         client secret and the keys                  first import)      mailbox-sync
#   api       user        read the ticket key (reply Message-IDs)    -                  outbound-mail (replies, acks)

locals {
  firestore_users = toset(["ingest", "sweep", "sweep-shard", "send", "admin", "api"])

  publishes = {
    ingest_outbound = { fn = "ingest", topic = google_pubsub_topic.outbound_mail.id }
    sweep_shards    = { fn = "sweep", topic = google_pubsub_topic.mailbox_sweep.id }
    shard_sync      = { fn = "sweep-shard", topic = google_pubsub_topic.mailbox_sync.id }
    sweep_outbound  = { fn = "sweep", topic = google_pubsub_topic.outbound_mail.id } # notifications left unsent
    admin_outbound  = { fn = "admin", topic = google_pubsub_topic.outbound_mail.id }
    admin_sync      = { fn = "admin", topic = google_pubsub_topic.mailbox_sync.id }
    api_outbound    = { fn = "api", topic = google_pubsub_topic.outbound_mail.id }
  }

  mail_bucket_roles = {
    ingest = "roles/storage.objectUser"   # puts raw mail and attachments (a repeated put overwrites: needs delete)
    send   = "roles/storage.objectViewer" # attachments of outgoing mail
    admin  = "roles/storage.objectUser"   # shows attachments; the connect callback imports the first mails
  }
}

resource "google_project_iam_member" "firestore_user" {
  for_each = local.firestore_users
  project  = var.project
  role     = "roles/datastore.user"
  member   = google_service_account.fn[each.key].member
}

resource "google_pubsub_topic_iam_member" "publishers" {
  for_each = local.publishes
  topic    = each.value.topic
  role     = "roles/pubsub.publisher"
  member   = google_service_account.fn[each.value.fn].member
}

resource "google_storage_bucket_iam_member" "mail" {
  for_each = local.mail_bucket_roles
  bucket   = google_storage_bucket.mail.name
  role     = each.value
  member   = google_service_account.fn[each.key].member
}

# The function builds (Cloud Build, on behalf of Cloud Functions) run as their own account: read the source
# bucket, push images to our repository, write build logs.
resource "google_service_account" "builder" {
  account_id   = "gt-function-builder"
  display_name = "gmail-tickets: builds the functions"
}

resource "google_project_iam_member" "builder" {
  project = var.project
  role    = "roles/logging.logWriter"
  member  = google_service_account.builder.member
}

resource "google_artifact_registry_repository_iam_member" "builder" {
  location   = google_artifact_registry_repository.functions.location
  repository = google_artifact_registry_repository.functions.name
  role       = "roles/artifactregistry.writer"
  member     = google_service_account.builder.member
}

resource "google_storage_bucket_iam_member" "builder_reads_source" {
  bucket = google_storage_bucket.source.name
  role   = "roles/storage.objectViewer"
  member = google_service_account.builder.member
}
