# Topics, and how their messages reach the functions.
#
# Delivery is an explicit Pub/Sub PUSH subscription per (topic, function), not the function's own event_trigger:
# an event_trigger makes Eventarc create the subscription, and Terraform cannot set a dead-letter policy on it
# (hashicorp/terraform-provider-google#17697, #25069). Google calls this the "direct Pub/Sub trigger" and
# recommends it for Cloud Run functions. Pub/Sub posts its standard push envelope, which functions-framework turns
# into the CloudEvent our `@functions_framework.cloud_event` functions take (the same path `./dev demo --cloud`
# runs on the emulator). The semantics are event_trigger's retry_policy = "RETRY_POLICY_RETRY": returning acks,
# raising (HTTP 500) makes Pub/Sub deliver again with exponential backoff (retry_policy below), and after
# max_delivery_attempts the message goes to the dead-letter topic instead of being retried for ever.

resource "google_pubsub_topic" "gmail_push" {
  #checkov:skip=CKV_GCP_83:Google-managed encryption at rest; CMEK would need a Cloud KMS key and grants for every service agent (docs/deploy.md).
  name                       = "gmail-push" # Gmail's users.watch notifications
  message_retention_duration = "86400s"
  depends_on                 = [google_project_service.apis]
}

resource "google_pubsub_topic" "mailbox_sync" {
  #checkov:skip=CKV_GCP_83:Google-managed encryption at rest, as for gmail-push.
  name                       = "mailbox-sync" # the sweep's and the console's "sync this mailbox" requests
  message_retention_duration = "86400s"
  depends_on                 = [google_project_service.apis]
}

resource "google_pubsub_topic" "mailbox_sweep" {
  #checkov:skip=CKV_GCP_83:Google-managed encryption at rest, as for gmail-push.
  name                       = "mailbox-sweep" # the sweep's shards: up to 100 mailboxes each, for sweep-shard to check
  message_retention_duration = "86400s"
  depends_on                 = [google_project_service.apis]
}

resource "google_pubsub_topic" "outbound_mail" {
  #checkov:skip=CKV_GCP_83:Google-managed encryption at rest, as for gmail-push.
  name                       = "outbound-mail" # notifications to send: ticket acknowledgements, agent replies
  message_retention_duration = "86400s"
  depends_on                 = [google_project_service.apis]
}

# Gmail publishes users.watch notifications as this Google-owned account (developers.google.com/gmail/api/guides/push).
resource "google_pubsub_topic_iam_member" "gmail_push_publisher" {
  topic  = google_pubsub_topic.gmail_push.id
  role   = "roles/pubsub.publisher"
  member = "serviceAccount:gmail-api-push@system.gserviceaccount.com"
}

# Dead letters of all three subscriptions, kept 7 days by a pull subscription (a topic without a subscription
# would drop them). Each message keeps its data and attributes, plus CloudPubSubDeadLetterSourceSubscription
# naming where it came from. Look at them with:
#   gcloud pubsub subscriptions pull gmail-tickets-dead-letter --limit=10
resource "google_pubsub_topic" "dead_letter" {
  #checkov:skip=CKV_GCP_83:Google-managed encryption at rest, as for gmail-push.
  name       = "gmail-tickets-dead-letter"
  depends_on = [google_project_service.apis]
}

resource "google_pubsub_subscription" "dead_letter" {
  name                       = "gmail-tickets-dead-letter"
  topic                      = google_pubsub_topic.dead_letter.id
  message_retention_duration = "604800s"
  retain_acked_messages      = false
  ack_deadline_seconds       = 60

  expiration_policy {
    ttl = ""
  }
}

# The identity Pub/Sub signs its push requests as; it may invoke ingest, sweep-shard and send, nothing else.
resource "google_service_account" "pubsub_push" {
  account_id   = "gt-pubsub-push"
  display_name = "gmail-tickets: Pub/Sub push to ingest, sweep-shard and send"
}

# One push subscription per (topic, function). The ack deadline outlasts the function's timeout (ingest 540 s,
# send and sweep-shard 300 s), so no second delivery starts while the first still works.
locals {
  push_subscriptions = {
    gmail_push_to_ingest = {
      name      = "gmail-push-to-ingest"
      topic     = google_pubsub_topic.gmail_push.id
      function  = "ingest"
      retention = "86400s"
    }
    mailbox_sync_to_ingest = {
      name      = "mailbox-sync-to-ingest"
      topic     = google_pubsub_topic.mailbox_sync.id
      function  = "ingest"
      retention = "86400s"
    }
    mailbox_sweep_to_sweep_shard = {
      name      = "mailbox-sweep-to-sweep-shard"
      topic     = google_pubsub_topic.mailbox_sweep.id
      function  = "sweep-shard"
      retention = "86400s"
    }
    outbound_mail_to_send = {
      name      = "outbound-mail-to-send"
      topic     = google_pubsub_topic.outbound_mail.id
      function  = "send"
      retention = "604800s"
    }
  }
}

resource "google_pubsub_subscription" "push" {
  for_each = local.push_subscriptions

  name  = each.value.name
  topic = each.value.topic

  ack_deadline_seconds       = 600
  message_retention_duration = each.value.retention

  push_config {
    push_endpoint = google_cloudfunctions2_function.functions[each.value.function].service_config[0].uri
    oidc_token {
      service_account_email = google_service_account.pubsub_push.email
      audience              = google_cloudfunctions2_function.functions[each.value.function].service_config[0].uri
    }
  }

  retry_policy {
    minimum_backoff = "10s"
    maximum_backoff = "600s"
  }

  dead_letter_policy {
    dead_letter_topic     = google_pubsub_topic.dead_letter.id
    max_delivery_attempts = var.max_delivery_attempts
  }

  expiration_policy {
    ttl = ""
  }

  depends_on = [google_pubsub_topic_iam_member.dead_letter_publisher, google_cloud_run_v2_service_iam_member.push_invokes]
}

# Dead-lettering is done by the Pub/Sub service agent: it must publish to the dead-letter topic and subscribe to
# (acknowledge on) each source subscription.
resource "google_pubsub_topic_iam_member" "dead_letter_publisher" {
  topic  = google_pubsub_topic.dead_letter.id
  role   = "roles/pubsub.publisher"
  member = local.pubsub_agent
}

resource "google_pubsub_subscription_iam_member" "dead_letter_subscriber" {
  for_each     = local.push_subscriptions
  subscription = google_pubsub_subscription.push[each.key].id
  role         = "roles/pubsub.subscriber"
  member       = local.pubsub_agent
}

# The Pub/Sub service agent mints the push requests' OIDC tokens as gt-pubsub-push (needed explicitly in projects
# made before April 2021; granted on that one account only).
resource "google_service_account_iam_member" "pubsub_agent_mints_push_tokens" {
  service_account_id = google_service_account.pubsub_push.name
  role               = "roles/iam.serviceAccountTokenCreator"
  member             = local.pubsub_agent
}

# gt-pubsub-push may invoke the functions the subscriptions push to (ingest, sweep-shard, send), nothing else.
resource "google_cloud_run_v2_service_iam_member" "push_invokes" {
  for_each = toset([for sub in local.push_subscriptions : sub.function])
  location = var.region
  name     = google_cloudfunctions2_function.functions[each.key].name
  role     = "roles/run.invoker"
  member   = google_service_account.pubsub_push.member
}
