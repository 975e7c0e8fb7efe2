""""Check now" of a domain's relay records, with dnspython asking a real DNS responder on 127.0.0.1
(tests/fixtures/dns_server.py): found, missing and wrong per record, the verification code confirmed from DNS,
and the truth instead of records for gmail.com."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from gmail_tickets.adapters.dns_txt import DnsTxtLookup
from gmail_tickets.adapters.local_secrets import FileSecrets
from gmail_tickets.domain.dns_records import Verdict
from gmail_tickets.errors import TransientError
from gmail_tickets.services import relay_dns
from tests.fixtures.dns_server import txt_responder

SPF = "_spf.relay.example.net"


@pytest.fixture
def deps(tmp_path: Path) -> Any:
    return SimpleNamespace(secrets=FileSecrets(tmp_path / "secrets.json"))


def verdicts(checks: list[Any]) -> dict[str, Verdict]:
    return {c.record.purpose: c.verdict for c in checks}


def test_every_record_missing_then_found_as_published(deps: Any) -> None:
    guide = relay_dns.relay_dns_guidance(deps, "acme.example", spf_include=SPF)
    with txt_responder({}) as dns:
        lookup = DnsTxtLookup(dns.nameserver, timeout=2)
        assert set(verdicts(relay_dns.check_dns(guide, lookup, spf_include=SPF)).values()) == {Verdict.MISSING}
        dns.records.update({
            "acme.example": ["v=spf1 include:_spf.google.com include:_spf.relay.example.net ~all", "other=1"],
            "_gmail-tickets.acme.example": [guide.verification.value],
            "gt1._domainkey.acme.example": ["v=DKIM1; k=rsa; p=" + "A" * 400],  # longer than one TXT string
            "_dmarc.acme.example": ["v=DMARC1; p=none"],
        })
        checks = relay_dns.check_dns(guide, lookup, spf_include=SPF)
    assert set(verdicts(checks).values()) == {Verdict.FOUND}
    assert "the code matches" in checks[1].detail
    assert "_gmail-tickets.acme.example" in dns.queries


def test_wrong_records_say_what_is_wrong(deps: Any) -> None:
    guide = relay_dns.relay_dns_guidance(deps, "acme.example", spf_include=SPF)
    records: dict[str, list[str] | None] = {
        "acme.example": ["v=spf1 include:_spf.google.com ~all"],
        "_gmail-tickets.acme.example": ["gmail-tickets-verification=0000"],
        "gt1._domainkey.acme.example": ["v=DKIM1; k=rsa"],
        "_dmarc.acme.example": ["not dmarc"],
    }
    with txt_responder(records) as dns:
        checks = relay_dns.check_dns(guide, DnsTxtLookup(dns.nameserver, timeout=2), spf_include=SPF)
        assert set(verdicts(checks).values()) == {Verdict.WRONG}
        assert f"lacks include:{SPF}" in checks[0].detail and "another code" in checks[1].detail
        dns.records["acme.example"] = ["v=spf1 include:_spf.relay.example.net ~all", "v=spf1 -all"]
        two = relay_dns.check_dns(guide, DnsTxtLookup(dns.nameserver, timeout=2), spf_include=SPF)[0]
    assert two.verdict is Verdict.WRONG and "only one" in two.detail


def test_dns_that_cannot_answer_is_a_transient_error(deps: Any) -> None:
    guide = relay_dns.relay_dns_guidance(deps, "acme.example", spf_include=SPF)
    with txt_responder({"acme.example": None}) as dns, pytest.raises(TransientError):
        relay_dns.check_dns(guide, DnsTxtLookup(dns.nameserver, timeout=2), spf_include=SPF)


@pytest.mark.parametrize("domain", ["gmail.com", "GoogleMail.com."])
def test_gmail_com_gets_the_truth_and_no_records(deps: Any, domain: str) -> None:
    guide = relay_dns.relay_dns_guidance(deps, domain, spf_include=SPF)
    assert guide.consumer and guide.records == [] and guide.verification_code == ""
    text = " ".join(guide.truth)
    assert "nobody else can publish" in text and "DMARC" in text and "spam or bounces" in text
    assert "keep Gmail sending on" in text
    assert relay_dns.check_dns(guide, DnsTxtLookup("127.0.0.1:9"), spf_include=SPF) == []
