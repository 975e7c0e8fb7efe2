"""What an admin publishes in DNS so mail the relay sends for their domain passes SPF and DKIM, with a
verification record that proves they control the domain."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass, field

from gmail_tickets import secret_names
from gmail_tickets.errors import ActionRefused
from gmail_tickets.services.deps import Deps

_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


@dataclass(frozen=True)
class DnsRecord:
    name: str
    type: str
    value: str


@dataclass(frozen=True)
class RelayDnsGuidance:
    """What the admin publishes so mail sent through the relay for `domain` passes SPF and DKIM."""

    domain: str
    spf: DnsRecord
    verification: DnsRecord
    verification_code: str
    dkim_steps: list[str] = field(default_factory=list)


def domain_verification_code(key: bytes, domain: str) -> str:
    """Stable per domain and installation, unguessable without the key: proves the admin published it."""
    return hmac.new(key, f"relay-domain\x00{domain}".encode(), hashlib.sha256).hexdigest()[:32]


def relay_dns_guidance(deps: Deps, domain: str, *, spf_include: str, dkim_selector: str = "gt1") -> RelayDnsGuidance:
    domain = domain.strip().lower().rstrip(".")
    if not _DOMAIN.match(domain):
        raise ActionRefused(f"{domain!r} is not a domain name.")
    key_hex = deps.secrets.get(secret_names.DOMAIN_VERIFICATION_KEY)
    if key_hex is None:
        key_hex = secrets.token_hex(32)
        deps.secrets.put(secret_names.DOMAIN_VERIFICATION_KEY, key_hex)
    code = domain_verification_code(bytes.fromhex(key_hex), domain)
    dkim_name = f"{dkim_selector}._domainkey.{domain}"
    return RelayDnsGuidance(
        domain=domain,
        spf=DnsRecord(domain, "TXT", f"v=spf1 include:{spf_include} ~all"),
        verification=DnsRecord(f"_gmail-tickets.{domain}", "TXT", f"gmail-tickets-verification={code}"),
        verification_code=code,
        dkim_steps=[
            f"If {domain} already has a TXT record starting with v=spf1, add include:{spf_include} to it "
            "instead of creating a second one (a domain may have only one SPF record).",
            f"In your relay's settings, create a DKIM key for {domain} with the selector {dkim_selector}.",
            f"Publish the public key it shows as a TXT record named {dkim_name} (value: v=DKIM1; k=rsa; p=…).",
            "Wait for DNS to update (up to an hour), then use the relay's check to confirm DKIM signing.",
            f"Optionally publish DMARC: a TXT record _dmarc.{domain} with v=DMARC1; p=none; once SPF and DKIM pass.",
        ],
    )


