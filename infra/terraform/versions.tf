# Terraform >= 1.11: the keys Terraform generates are ephemeral and reach Secret Manager through write-only
# arguments (secret_data_wo), so no secret value is ever written to the state or a plan file.
terraform {
  required_version = ">= 1.11"

  required_providers {
    google = {
      source  = "hashicorp/google"
      version = "~> 7.0"
    }
    google-beta = {
      source  = "hashicorp/google-beta"
      version = "~> 7.0"
    }
    random = {
      source  = "hashicorp/random"
      version = "~> 3.7"
    }
  }

  # State lives in a Cloud Storage bucket the deployer creates once (docs/deploy.md):
  #   terraform init -backend-config="bucket=<state bucket>" -backend-config="prefix=gmail-tickets"
  backend "gcs" {}
}

provider "google" {
  project = var.project
  region  = var.region
}

# Only for google_project_service_identity (the Pub/Sub and IAP service agents), which is beta-only.
provider "google-beta" {
  project = var.project
  region  = var.region
}
