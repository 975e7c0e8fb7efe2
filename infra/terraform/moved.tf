# The functions, push subscriptions and their grants were one resource each before they became for_each
# resources. These blocks tell Terraform the old addresses are the new instances, so a deployment made before
# moves its state (plan: "has moved to") instead of destroying and recreating functions and subscriptions.

moved {
  from = google_cloudfunctions2_function.ingest
  to   = google_cloudfunctions2_function.functions["ingest"]
}

moved {
  from = google_cloudfunctions2_function.send
  to   = google_cloudfunctions2_function.functions["send"]
}

moved {
  from = google_cloudfunctions2_function.sweep
  to   = google_cloudfunctions2_function.functions["sweep"]
}

moved {
  from = google_cloudfunctions2_function.admin
  to   = google_cloudfunctions2_function.functions["admin"]
}

moved {
  from = google_pubsub_subscription.gmail_push_to_ingest
  to   = google_pubsub_subscription.push["gmail_push_to_ingest"]
}

moved {
  from = google_pubsub_subscription.mailbox_sync_to_ingest
  to   = google_pubsub_subscription.push["mailbox_sync_to_ingest"]
}

moved {
  from = google_pubsub_subscription.outbound_mail_to_send
  to   = google_pubsub_subscription.push["outbound_mail_to_send"]
}

moved {
  from = google_pubsub_subscription_iam_member.gmail_push_dead_letter_subscriber
  to   = google_pubsub_subscription_iam_member.dead_letter_subscriber["gmail_push_to_ingest"]
}

moved {
  from = google_pubsub_subscription_iam_member.mailbox_sync_dead_letter_subscriber
  to   = google_pubsub_subscription_iam_member.dead_letter_subscriber["mailbox_sync_to_ingest"]
}

moved {
  from = google_pubsub_subscription_iam_member.outbound_mail_dead_letter_subscriber
  to   = google_pubsub_subscription_iam_member.dead_letter_subscriber["outbound_mail_to_send"]
}

moved {
  from = google_cloud_run_v2_service_iam_member.push_invokes_ingest
  to   = google_cloud_run_v2_service_iam_member.push_invokes["ingest"]
}

moved {
  from = google_cloud_run_v2_service_iam_member.push_invokes_send
  to   = google_cloud_run_v2_service_iam_member.push_invokes["send"]
}
