"""What an admin publishes in DNS so mail the relay sends for their domain passes SPF, DKIM and DMARC, with a
verification record that proves they control the domain; and "check now", which looks them up.

A gmail.com / googlemail.com address has no DNS of its own: it gets the truth (domain/dns_records.py) instead.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass, field

from gmail_tickets import secret_names
from gmail_tickets.domain import dns_records
from gmail_tickets.domain.dns_records import Checked, Expected
from gmail_tickets.domain.said import said
from gmail_tickets.errors import ActionRefused
from gmail_tickets.ports import TxtLookup
from gmail_tickets.services.deps import Deps

_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
DKIM_SELECTOR = "gt1"



@dataclass(frozen=True)
class DnsRecord:
    name: str
    type: str
    value: str


@dataclass(frozen=True)
class RelayDnsGuidance:
    """What the admin publishes so mail sent through the relay for `domain` passes SPF, DKIM and DMARC."""

    domain: str
    spf: DnsRecord
    verification: DnsRecord
    verification_code: str
    dkim_steps: list[str] = field(default_factory=list)
    records: list[Expected] = field(default_factory=list)  # SPF, verification, DKIM, DMARC: what "check now" checks
    consumer: bool = False  # gmail.com: `truth` instead of records
    truth: list[str] = field(default_factory=list)


def consumer_truth(domain: str) -> list[str]:
    """What a gmail.com / googlemail.com address gets instead of records, in the reader's language on the page."""
    return [
        said("%(domain)s belongs to Google: nobody else can publish SPF, DKIM or DMARC records there, so there is "
             "nothing to set up in DNS.", domain=domain),
        said("Mail the relay sends as a %(domain)s address fails %(domain)s's DMARC check: it lands in spam or "
             "bounces.", domain=domain),
        said("So keep Gmail sending on for this address, or connect an address on a domain of your own for the "
             "relay to send from."),
    ]


def domain_verification_code(key: bytes, domain: str) -> str:
    """Stable per domain and installation, unguessable without the key: proves the admin published it."""
    return hmac.new(key, f"relay-domain\x00{domain}".encode(), hashlib.sha256).hexdigest()[:32]


def _domain(domain: str) -> str:
    domain = domain.strip().lower().rstrip(".")
    if not _DOMAIN.match(domain):
        raise ActionRefused(said("%(domain)s is not a domain name.", domain=repr(domain)))
    return domain


def _code(deps: Deps, domain: str) -> str:
    key_hex = deps.secrets.get(secret_names.DOMAIN_VERIFICATION_KEY)
    if key_hex is None:
        key_hex = secrets.token_hex(32)
        deps.secrets.put(secret_names.DOMAIN_VERIFICATION_KEY, key_hex)
    return domain_verification_code(bytes.fromhex(key_hex), domain)


def relay_dns_guidance(deps: Deps, domain: str, *, spf_include: str,
                       dkim_selector: str = DKIM_SELECTOR) -> RelayDnsGuidance:
    domain = _domain(domain)
    if dns_records.is_consumer(domain):
        empty = DnsRecord(domain, "", "")
        return RelayDnsGuidance(domain, empty, empty, "", consumer=True,
                                truth=consumer_truth(domain))
    code = _code(deps, domain)
    records = dns_records.expected_records(domain, spf_include=spf_include, verification_code=code,
                                           dkim_selector=dkim_selector)
    spf, verification, dkim, dmarc = records
    return RelayDnsGuidance(
        domain=domain,
        spf=DnsRecord(spf.name, spf.type, spf.value),
        verification=DnsRecord(verification.name, verification.type, verification.value),
        verification_code=code,
        records=records,
        dkim_steps=[
            said("If %(domain)s already has a TXT record starting with v=spf1, add include:%(include)s to it "
                 "instead of creating a second one (a domain may have only one SPF record).", domain=domain,
                 include=spf_include),
            said("In your relay's settings, create a DKIM key for %(domain)s with the selector %(selector)s.",
                 domain=domain, selector=dkim_selector),
            said("Publish the public key it shows as a TXT record named %(name)s (value: v=DKIM1; k=rsa; p=…).",
                 name=dkim.name),
            said("Publish DMARC once SPF and DKIM pass: a TXT record %(name)s with %(value)s; (later "
                 "p=quarantine).", name=dmarc.name, value=dmarc.value),
            said("DNS takes up to an hour to update; then use \"Check now\"."),
        ],
    )


def check_dns(guidance: RelayDnsGuidance, lookup: TxtLookup, *, spf_include: str) -> list[Checked]:
    """Each record of the guidance looked up now: found, missing or wrong. Raises TransientError when DNS could
    not be asked."""
    if guidance.consumer:
        return []
    return [dns_records.check(record, lookup.txt(record.name), spf_include=spf_include)
            for record in guidance.records]
