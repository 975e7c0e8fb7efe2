# The REST API (/api/v1, docs/api.md): the api function, callable by anyone on the internet, like every help desk's
# API. The platform lets every request in; the app refuses each one without a valid API token (a SHA-256-keyed
# lookup, web/api/auth.py) and limits each token's rate. This is the one public grant in the configuration
# (tests/infra/test_terraform.py allows exactly this one).

resource "google_cloud_run_v2_service_iam_member" "public_invokes_api" {
  #checkov:skip=CKV_GCP_102:The REST API is public by design; every request is authenticated by an API token in the app.
  location = var.region
  name     = google_cloudfunctions2_function.functions["api"].name
  role     = "roles/run.invoker"
  member   = "allUsers"
}
