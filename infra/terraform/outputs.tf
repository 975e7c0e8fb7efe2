output "console_url" {
  description = "The admin console (after the DNS record and the managed certificate are in place)."
  value       = "https://${var.console_domain}"
}

output "oauth_redirect_uri" {
  description = "Authorized redirect URI to register on the OAuth client (oauth_client_id)."
  value       = "https://${var.console_domain}/oauth/callback"
}

output "console_ip" {
  description = "Point an A record for console_domain at this address."
  value       = google_compute_global_address.console.address
}

output "iap_audience" {
  description = "The audience IAP signs for; the admin function has it as GT_IAP_AUDIENCE."
  value       = local.iap_audience
}

output "topics" {
  description = "The Pub/Sub topics (full names). gmail_push is what users.watch publishes to."
  value = {
    gmail_push    = google_pubsub_topic.gmail_push.id
    mailbox_sync  = google_pubsub_topic.mailbox_sync.id
    outbound_mail = google_pubsub_topic.outbound_mail.id
    dead_letter   = google_pubsub_topic.dead_letter.id
  }
}

output "dead_letter_subscription" {
  description = "Where undeliverable messages wait (7 days): gcloud pubsub subscriptions pull NAME"
  value       = google_pubsub_subscription.dead_letter.name
}

output "mail_bucket" {
  description = "Raw mail and attachments."
  value       = google_storage_bucket.mail.name
}

output "function_service_accounts" {
  description = "The identity of each function."
  value       = { for k, sa in google_service_account.fn : k => sa.email }
}

output "api_url" {
  description = "The REST API's base: append /api/v1 (docs/api.md)."
  value       = google_cloudfunctions2_function.functions["api"].service_config[0].uri
}
