variable "project" {
  description = "Google Cloud project id to deploy into."
  type        = string
}

variable "region" {
  description = "Region of the functions, the buckets, the scheduler job and the serverless NEG."
  type        = string
  default     = "europe-west1"
}

variable "firestore_location" {
  description = "Firestore location (a region such as europe-west1, or a multi-region: eur3, nam5). Cannot change later."
  type        = string
  default     = "europe-west1"
}

variable "console_domain" {
  description = "Host name of the admin console (e.g. helpdesk.example.com). Point its DNS A record at the console_ip output; Google's managed certificate is issued once it resolves."
  type        = string
}

variable "admin_emails" {
  description = "Google accounts admitted to the console (IAP access and the app's own allow-list)."
  type        = list(string)
  default     = []
}

variable "admin_domain" {
  description = "Alternatively (or as well), every account of this Google Workspace domain is admitted."
  type        = string
  default     = ""
}

variable "iap_oauth_client_id" {
  description = "OAuth client for IAP's sign-in. Empty: IAP's Google-managed client (only accounts of your organisation can sign in)."
  type        = string
  default     = ""
}

variable "iap_oauth_client_secret" {
  description = "Secret of iap_oauth_client_id (stored in the state by the provider; leave empty with the Google-managed client)."
  type        = string
  default     = ""
  sensitive   = true
}

variable "oauth_client_id" {
  description = "OAuth client id (Web application) that mailboxes are connected with. Its secret goes into the Secret Manager secret oauth-client-secret, out of band."
  type        = string
}

variable "relay_host" {
  description = "SMTP relay used when Gmail must not or cannot send (empty: no relay)."
  type        = string
  default     = ""
}

variable "relay_port" {
  description = "SMTP relay port (STARTTLS is required)."
  type        = number
  default     = 587
}

variable "relay_username" {
  description = "SMTP relay user name. Its password goes into the Secret Manager secret relay-password, out of band."
  type        = string
  default     = ""
}

variable "relay_spf_include" {
  description = "The relay's SPF include (e.g. spf.relay.example), for the console's DNS guidance."
  type        = string
  default     = ""
}

variable "source_zip" {
  description = "The function source zip made by `./dev bundle`, relative to the repository root (or absolute)."
  type        = string
  default     = "dist/function-source.zip"
}

variable "python_runtime" {
  description = "Cloud Functions runtime."
  type        = string
  default     = "python311" # the interpreter the tests run; `./dev bundle` pins requirements.txt for it
}

variable "worker_ingress" {
  description = "Ingress of ingest, send, sweep and sweep-shard. Pub/Sub push and Cloud Scheduler of the same project count as internal; every caller still needs roles/run.invoker."
  type        = string
  default     = "ALLOW_INTERNAL_ONLY"
  validation {
    condition     = contains(["ALLOW_INTERNAL_ONLY", "ALLOW_ALL"], var.worker_ingress)
    error_message = "worker_ingress is ALLOW_INTERNAL_ONLY or ALLOW_ALL (IAM still guards every call)."
  }
}

variable "ingest_max_instances" {
  description = "Upper bound of ingest instances, each handling ingest_concurrency deliveries at a time. 30 x 8 = 240 syncs in flight: 10,000 mailboxes at 1 M mails a day, and a burst reaching 1,000 of them at once, with room to spare (functions.tf)."
  type        = number
  default     = 30
}

variable "ingest_concurrency" {
  description = "Deliveries one ingest instance handles at once (1 vCPU; a sync mostly waits on Gmail and Firestore)."
  type        = number
  default     = 8

  validation {
    condition     = var.ingest_concurrency >= 1 && var.ingest_concurrency <= 16
    error_message = "ingest_concurrency: 1 to 16 (each thread keeps its own Gmail clients in the instance's memory)."
  }
}

variable "max_delivery_attempts" {
  description = "Deliveries of one Pub/Sub message before it goes to its dead-letter topic (12 to 100)."
  type        = number
  default     = 15

  # A notification may need the code's send_max_attempts (5) on Gmail and again on the relay before it is sent
  # or failed visibly in the console; dead-lettering it sooner would hide it.
  validation {
    condition     = var.max_delivery_attempts >= 12 && var.max_delivery_attempts <= 100
    error_message = "max_delivery_attempts must be between 12 and 100."
  }
}

variable "raw_mail_retention_days" {
  description = "Days before raw mail and attachments move to Coldline storage (they are never deleted by Terraform)."
  type        = number
  default     = 90
}

variable "api_max_instances" {
  description = "Most instances of the api function (the REST API); each counts its own rate limit per token."
  type        = number
  default     = 3
}
