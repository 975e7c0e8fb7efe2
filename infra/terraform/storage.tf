# Raw mail (raw/<connection>/<gmail id>.eml) and attachments (attachments/<sha256>), written by ingest.
resource "google_storage_bucket" "mail" {
  name                        = "${var.project}-gmail-tickets-mail"
  location                    = var.region
  storage_class               = "STANDARD"
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = false

  # Puts are idempotent (content-addressed keys, immutable mail), so overwrites write the same bytes; versioning
  # still keeps anything deleted or overwritten by mistake for 30 days.
  versioning {
    enabled = true
  }

  lifecycle_rule {
    condition {
      days_since_noncurrent_time = 30
      with_state                 = "ARCHIVED"
    }
    action {
      type = "Delete"
    }
  }

  lifecycle_rule {
    condition {
      age        = var.raw_mail_retention_days
      with_state = "LIVE"
    }
    action {
      type          = "SetStorageClass"
      storage_class = "COLDLINE"
    }
  }

  logging {
    log_bucket = google_storage_bucket.access_logs.name
  }

  depends_on = [google_project_service.apis]
}

# The function source zip (`./dev bundle` makes it). Its name carries the content hash, so a new bundle is a new
# object and every function that builds from it is redeployed.
resource "google_storage_bucket" "source" {
  name                        = "${var.project}-gmail-tickets-source"
  location                    = var.region
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = true

  versioning {
    enabled = true
  }

  lifecycle_rule {
    condition {
      num_newer_versions = 5
      with_state         = "ARCHIVED"
    }
    action {
      type = "Delete"
    }
  }

  logging {
    log_bucket = google_storage_bucket.access_logs.name
  }

  depends_on = [google_project_service.apis]
}

locals {
  source_zip = startswith(var.source_zip, "/") ? var.source_zip : "${path.module}/../../${var.source_zip}"
}

resource "google_storage_bucket_object" "source" {
  name   = "function-source-${filemd5(local.source_zip)}.zip"
  bucket = google_storage_bucket.source.name
  source = local.source_zip
}

# Usage logs of the two buckets above.
resource "google_storage_bucket" "access_logs" {
  #checkov:skip=CKV_GCP_62:This is the access-log sink itself; logging it into itself would loop.
  name                        = "${var.project}-gmail-tickets-access-logs"
  location                    = var.region
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"

  versioning {
    enabled = true
  }

  lifecycle_rule {
    condition {
      age = 365
    }
    action {
      type = "Delete"
    }
  }

  depends_on = [google_project_service.apis]
}

# Cloud Storage writes usage logs as this Google group (cloud.google.com/storage/docs/access-logs).
resource "google_storage_bucket_iam_member" "access_log_writer" {
  bucket = google_storage_bucket.access_logs.name
  role   = "roles/storage.objectCreator"
  member = "group:cloud-storage-analytics@google.com"
}
