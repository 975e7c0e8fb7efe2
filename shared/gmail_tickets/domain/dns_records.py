"""The DNS records mail sent through the relay for a domain needs, and a verdict on what DNS answered.

gmail.com and googlemail.com belong to Google: nobody else can publish records there, and mail the relay sends as a
gmail.com address fails gmail.com's DMARC (p=quarantine), so it lands in spam or bounces. Such addresses get that
truth instead of records. A domain of one's own gets SPF, our verification TXT, DKIM and DMARC, each checked
against the TXT strings DNS returned: found, missing or wrong. Pure: the lookups are the caller's.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from gmail_tickets.domain.said import said

CONSUMER_DOMAINS = frozenset({"gmail.com", "googlemail.com"})
VERIFICATION_PREFIX = "gmail-tickets-verification="


def is_consumer(address_or_domain: str) -> bool:
    """A consumer Gmail address (or its domain): no DNS of its own."""
    return address_or_domain.rpartition("@")[2].strip().lower().rstrip(".") in CONSUMER_DOMAINS


class Verdict(StrEnum):
    FOUND = "found"
    MISSING = "missing"
    WRONG = "wrong"


@dataclass(frozen=True)
class Expected:
    purpose: str  # SPF | Verification | DKIM | DMARC
    name: str
    type: str
    value: str  # what to publish (DKIM: its shape; the key comes from the relay)


@dataclass(frozen=True)
class Checked:
    record: Expected
    verdict: Verdict
    detail: str


def expected_records(domain: str, *, spf_include: str, verification_code: str,
                     dkim_selector: str) -> list[Expected]:
    return [
        Expected("SPF", domain, "TXT", f"v=spf1 include:{spf_include} ~all"),
        Expected("Verification", f"_gmail-tickets.{domain}", "TXT", f"{VERIFICATION_PREFIX}{verification_code}"),
        Expected("DKIM", f"{dkim_selector}._domainkey.{domain}", "TXT", said("v=DKIM1; k=rsa; p=… (from your relay)")),
        Expected("DMARC", f"_dmarc.{domain}", "TXT", "v=DMARC1; p=none"),
    ]


def check(record: Expected, answers: list[str] | None, *, spf_include: str) -> Checked:
    """`answers`: the TXT strings at the record's name (each record's strings joined), None when the name has none."""
    texts = [a.strip() for a in answers or []]

    def verdict(v: Verdict, detail: str) -> Checked:
        return Checked(record, v, detail)

    if record.purpose == "SPF":
        spf = [t for t in texts if t.lower().startswith("v=spf1")]
        if not spf:
            return verdict(Verdict.MISSING, said("no TXT record starting with v=spf1"))
        if len(spf) > 1:
            return verdict(Verdict.WRONG, said("%(count)s SPF records: a domain may have only one, merge them",
                                               count=len(spf)))
        if f"include:{spf_include}".lower() not in spf[0].lower().split():
            return verdict(Verdict.WRONG, said("the SPF record lacks include:%(include)s: %(record)s",
                                               include=spf_include, record=spf[0]))
        return verdict(Verdict.FOUND, spf[0])
    if record.purpose == "Verification":
        ours = [t for t in texts if t.startswith(VERIFICATION_PREFIX)]
        if not ours:
            return verdict(Verdict.MISSING, said("no verification record"))
        if record.value not in ours:
            return verdict(Verdict.WRONG, said("a verification record with another code (copy the value shown here)"))
        return verdict(Verdict.FOUND, said("the domain is verified: the code matches"))
    prefix = "v=DKIM1" if record.purpose == "DKIM" else "v=DMARC1"
    mine = [t for t in texts if t.replace(" ", "").lower().startswith(prefix.lower())]
    if not mine:
        if texts:
            return verdict(Verdict.WRONG, said("a TXT record that does not start with %(prefix)s", prefix=prefix))
        return verdict(Verdict.MISSING, said("no %(purpose)s record", purpose=record.purpose))
    if record.purpose == "DKIM" and "p=" not in mine[0].replace(" ", ""):
        return verdict(Verdict.WRONG, said("the DKIM record has no public key (p=)"))
    return verdict(Verdict.FOUND, mine[0][:120])
