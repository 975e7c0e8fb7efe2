# The admin console: global external HTTPS load balancer → serverless NEG → the admin function, with
# Identity-Aware Proxy on the backend service.
#
# Why this shape: IAP does the Google sign-in and the access policy before a request reaches the function, and the
# function's ingress (ALLOW_INTERNAL_AND_GCLB) refuses anything that did not come through the load balancer.
# The app still verifies IAP's signed header on every request, with GT_IAP_AUDIENCE below (web/iap_auth.py).
# IAP on the Cloud Run service itself (no load balancer) is simpler and cheaper, but it cannot be set on the
# service behind a Cloud Functions resource from Terraform, so the load balancer it is.

resource "google_compute_global_address" "console" {
  name       = "gmail-tickets-console"
  depends_on = [google_project_service.apis]
}

resource "google_compute_region_network_endpoint_group" "admin" {
  name                  = "gmail-tickets-admin"
  region                = var.region
  network_endpoint_type = "SERVERLESS"

  # functions["admin"] by its name: a reference would be a cycle (its GT_IAP_AUDIENCE names this backend).
  cloud_function {
    function = "admin"
  }

  depends_on = [google_project_service.apis]
}

resource "google_compute_backend_service" "console" {
  name                  = "gmail-tickets-console"
  protocol              = "HTTPS"
  load_balancing_scheme = "EXTERNAL_MANAGED"

  backend {
    group = google_compute_region_network_endpoint_group.admin.id
  }

  iap {
    enabled              = true
    oauth2_client_id     = var.iap_oauth_client_id != "" ? var.iap_oauth_client_id : null
    oauth2_client_secret = var.iap_oauth_client_secret != "" ? var.iap_oauth_client_secret : null
  }

  log_config {
    enable      = true
    sample_rate = 1
  }
}

locals {
  # What IAP puts in its JWT's `aud` for this backend; the admin function accepts nothing else.
  iap_audience = "/projects/${local.project_number}/global/backendServices/${google_compute_backend_service.console.generated_id}"
}

resource "google_compute_url_map" "console" {
  name            = "gmail-tickets-console"
  default_service = google_compute_backend_service.console.id
}

resource "google_compute_managed_ssl_certificate" "console" {
  name = "gmail-tickets-console"
  managed {
    domains = [var.console_domain]
  }
  depends_on = [google_project_service.apis]
}

resource "google_compute_ssl_policy" "console" {
  name            = "gmail-tickets-console"
  profile         = "MODERN"
  min_tls_version = "TLS_1_2"
  depends_on      = [google_project_service.apis]
}

resource "google_compute_target_https_proxy" "console" {
  name             = "gmail-tickets-console"
  url_map          = google_compute_url_map.console.id
  ssl_certificates = [google_compute_managed_ssl_certificate.console.id]
  ssl_policy       = google_compute_ssl_policy.console.id
}

resource "google_compute_global_forwarding_rule" "console" {
  name                  = "gmail-tickets-console"
  load_balancing_scheme = "EXTERNAL_MANAGED"
  ip_address            = google_compute_global_address.console.id
  port_range            = "443"
  target                = google_compute_target_https_proxy.console.id
}

# Who may pass IAP: the admins (the app checks the same list or domain again).
locals {
  console_members = toset(concat(
    [for email in var.admin_emails : "user:${email}"],
    var.admin_domain != "" ? ["domain:${var.admin_domain}"] : [],
  ))
}

resource "google_iap_web_backend_service_iam_member" "admins" {
  for_each            = local.console_members
  web_backend_service = google_compute_backend_service.console.name
  role                = "roles/iap.httpsResourceAccessor"
  member              = each.value
}

# IAP calls the function as its service agent (X-Serverless-Authorization), so the function needs no public
# invoker (no allUsers anywhere).
resource "google_cloud_run_v2_service_iam_member" "iap_invokes_admin" {
  location = var.region
  name     = google_cloudfunctions2_function.functions["admin"].name
  role     = "roles/run.invoker"
  member   = local.iap_agent
}

check "someone_can_use_the_console" {
  assert {
    condition     = length(var.admin_emails) > 0 || var.admin_domain != ""
    error_message = "Set admin_emails or admin_domain: otherwise nobody can open the console."
  }
}
