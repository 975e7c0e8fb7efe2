# The five Cloud Functions (gen2), one service account each, all built from the one source zip.
#
#   ingest       gmail-push, mailbox-sync ─push─▶  sync the mailbox, 8 at a time (pubsub.tf: subscriptions, dead letters)
#   send         outbound-mail ─push─▶             Gmail messages.send / relay
#   sweep        Cloud Scheduler, every minute ─▶  one mailbox-sweep message per 100 active connections
#   sweep-shard  mailbox-sweep ─push─▶             check a shard's mailboxes: mailbox-sync for those with news,
#                                                  watches renewed each on its own time of day
#   admin        HTTPS load balancer + IAP ─▶      the console           (console.tf)
#   api          HTTPS, public, bearer tokens ─▶   the REST API /api/v1  (api.tf: who may call it)

locals {
  common_env = {
    GOOGLE_CLOUD_PROJECT = var.project
    GT_STORE             = "firestore"
    GT_PUBLISHER         = "pubsub"
    GT_SECRETS           = "secretmanager"
    GT_BLOBS             = "gcs"
    GT_BUCKET            = google_storage_bucket.mail.name
    GT_OAUTH_CLIENT_ID   = var.oauth_client_id
    GT_TOKEN_KMS_KEY     = google_kms_crypto_key.tokens.id   # refresh tokens sealed in Firestore (kms.tf)
    GT_PUSH_TOPIC        = google_pubsub_topic.gmail_push.id # projects/<p>/topics/gmail-push
    GT_SYNC_TOPIC        = google_pubsub_topic.mailbox_sync.name
    GT_SWEEP_TOPIC       = google_pubsub_topic.mailbox_sweep.name
    GT_OUTBOUND_TOPIC    = google_pubsub_topic.outbound_mail.name
    GT_RELAY_HOST        = var.relay_host
    GT_RELAY_PORT        = tostring(var.relay_port)
    GT_RELAY_USERNAME    = var.relay_username
    GT_RELAY_SPF_INCLUDE = var.relay_spf_include
  }

  # The five functions, by name (= the key). entry_point is the function in functions/main.py; a null
  # concurrency leaves the platform's default. Pub/Sub push subscriptions feed ingest and send (pubsub.tf).
  #
  # ingest takes Gmail's pushes (and the console's "sync this mailbox" requests), several at a time: a sync
  # mostly waits on Gmail and Firestore, and its code path is thread-safe (docs/capacity.md: the process's
  # Deps are built once under a lock, the caches lock, each thread has its own Gmail clients and the sync lease
  # keeps two syncs of one mailbox apart). functions-framework serves a request per gunicorn thread: THREADS is
  # set to the concurrency, so no request waits for a thread inside an instance.
  #
  # Sized for 10,000 mailboxes (docs/capacity.md has the figures):
  #   steady: 1 M mails a day = 12 mails/s, x5 at the busiest hour = 60 syncs/s; a sync that finds mail takes
  #           ~1 s (history.list, messages.get, 2-3 transactions), so 60 are in flight (Little's law); each also
  #           brings ~1 more push (our label's change) that the stored cursor answers with one read (~10 ms).
  #   burst:  one mail to 1,000 of the mailboxes at once (a newsletter to every support address): 1,000 syncs of
  #           ~1 s to finish in ~5 s = 200 in flight.
  #   => 8 per instance (1 vCPU; a sync mostly waits on round trips) x 30 instances = 240 in flight. 1 GiB: 8
  #      threads x 64 cached Gmail clients x 0.4 MB = 0.2 GB, plus the libraries and the mail in hand.
  functions = {
    ingest = {
      entry_point     = "ingest"
      memory          = "1Gi"
      timeout_seconds = 540
      max_instances   = var.ingest_max_instances
      concurrency     = var.ingest_concurrency
      ingress         = var.worker_ingress
      extra_env       = { THREADS = tostring(var.ingest_concurrency) }
    }
    send = {
      entry_point     = "send"
      memory          = "512Mi"
      timeout_seconds = 300
      max_instances   = 10
      concurrency     = 1
      ingress         = var.worker_ingress
      extra_env       = {}
    }
    sweep = {
      entry_point     = "sweep"
      memory          = "512Mi"
      timeout_seconds = 120
      max_instances   = 2
      concurrency     = null
      ingress         = var.worker_ingress
      extra_env       = {}
    }
    # A shard of 100 mailboxes is checked by 50 threads (GT_SWEEP_CHECK_WORKERS) in about a second; 10,000
    # mailboxes make 100 shards a minute, so a few instances at a time keep up.
    sweep-shard = {
      entry_point     = "sweep_shard"
      memory          = "512Mi"
      timeout_seconds = 300
      max_instances   = 20
      concurrency     = 1
      ingress         = var.worker_ingress
      extra_env       = {}
    }
    admin = {
      entry_point     = "admin"
      memory          = "1Gi"
      timeout_seconds = 300 # the connect callback imports the first mails before it answers
      max_instances   = 3
      concurrency     = 8
      # Reached only through the HTTPS load balancer (IAP); its *.run.app URL refuses the internet.
      ingress = "ALLOW_INTERNAL_AND_GCLB"
      extra_env = {
        GT_IAP_AUDIENCE = local.iap_audience
        GT_ADMIN_EMAILS = join(",", var.admin_emails)
        GT_ADMIN_DOMAIN = var.admin_domain
      }
    }
    api = {
      entry_point     = "api"
      memory          = "512Mi"
      timeout_seconds = 60
      max_instances   = var.api_max_instances
      concurrency     = 16
      # Reached by other tools over the internet: every request needs an API token (web/api/auth.py), checked
      # by the app; no IAP, which would ask for a Google sign-in no script has.
      ingress   = "ALLOW_ALL"
      extra_env = {}
    }
  }

  build = {
    runtime           = var.python_runtime
    docker_repository = google_artifact_registry_repository.functions.id
    service_account   = google_service_account.builder.id
  }
}

resource "google_service_account" "fn" {
  for_each     = toset(["ingest", "sweep", "sweep-shard", "send", "admin", "api"])
  account_id   = "gt-${each.key}"
  display_name = "gmail-tickets: the ${each.key} function"
}

# Images of the built functions.
resource "google_artifact_registry_repository" "functions" {
  #checkov:skip=CKV_GCP_84:Google-managed encryption; the images hold our open code and pinned packages, no data.
  location      = var.region
  repository_id = "gmail-tickets-functions"
  format        = "DOCKER"

  # Every deploy adds four images: delete those older than 30 days, except each function's latest few.
  cleanup_policy_dry_run = false

  cleanup_policies {
    id     = "delete-old"
    action = "DELETE"
    condition {
      older_than = "2592000s"
    }
  }

  cleanup_policies {
    id     = "keep-recent"
    action = "KEEP"
    most_recent_versions {
      keep_count = 10
    }
  }

  depends_on = [google_project_service.apis]
}

# One resource for the five: what differs between them is in local.functions. Each runs as its own account
# (google_service_account.fn, keyed alike), so no two can share one.
resource "google_cloudfunctions2_function" "functions" {
  #checkov:skip=CKV_GCP_124:Only the api function (the public REST API, a token checked on every request) allows all ingress.
  for_each = local.functions

  name     = each.key
  location = var.region

  build_config {
    runtime           = local.build.runtime
    entry_point       = each.value.entry_point
    docker_repository = local.build.docker_repository
    service_account   = local.build.service_account
    source {
      storage_source {
        bucket = google_storage_bucket.source.name
        object = google_storage_bucket_object.source.name
      }
    }
  }

  service_config {
    available_memory                 = each.value.memory
    available_cpu                    = "1"
    timeout_seconds                  = each.value.timeout_seconds
    max_instance_count               = each.value.max_instances
    max_instance_request_concurrency = each.value.concurrency
    ingress_settings                 = each.value.ingress
    all_traffic_on_latest_revision   = true
    service_account_email            = google_service_account.fn[each.key].email
    environment_variables            = merge(local.common_env, each.value.extra_env)
  }

  depends_on = [
    google_project_service.apis,
    google_project_iam_member.builder,
    google_artifact_registry_repository_iam_member.builder,
    google_storage_bucket_iam_member.builder_reads_source,
  ]
}

# Cloud Scheduler calls sweep every minute with an OIDC token of its own account, which may invoke sweep only.
resource "google_service_account" "scheduler" {
  account_id   = "gt-scheduler"
  display_name = "gmail-tickets: Cloud Scheduler calling sweep"
}

resource "google_cloud_run_v2_service_iam_member" "scheduler_invokes_sweep" {
  location = var.region
  name     = google_cloudfunctions2_function.functions["sweep"].name
  role     = "roles/run.invoker"
  member   = google_service_account.scheduler.member
}

resource "google_cloud_scheduler_job" "sweep" {
  name             = "gmail-tickets-sweep"
  description      = "Fan the connected mailboxes out in shards for checking; republish lost notifications."
  region           = var.region
  schedule         = "* * * * *"
  time_zone        = "Etc/UTC"
  attempt_deadline = "120s"

  # A missed minute is made up by the next one: no retries piling up behind it.
  retry_config {
    retry_count = 0
  }

  http_target {
    http_method = "POST"
    uri         = google_cloudfunctions2_function.functions["sweep"].service_config[0].uri
    oidc_token {
      service_account_email = google_service_account.scheduler.email
      audience              = google_cloudfunctions2_function.functions["sweep"].service_config[0].uri
    }
  }

  depends_on = [google_project_service.apis, google_cloud_run_v2_service_iam_member.scheduler_invokes_sweep]
}
