"""Gmail's Authentication-Results stamp on delivered mail, with the verdicts a test or the demo asks for.

Gmail's MX checks SPF, DKIM and DMARC on every mail it receives and PREPENDS one header, above all the mail's own:

    Authentication-Results: mx.google.com;
           dkim=pass header.i=@example.org header.s=s1 header.b=AbC123de;
           spf=pass (google.com: domain of ann@example.org designates 203.0.113.7 as permitted sender)
           smtp.mailfrom=ann@example.org;
           dmarc=pass (p=NONE sp=NONE dis=NONE) header.from=example.org

The simulator cannot check anything (there is no SMTP, DNS or signature), so the verdicts come with each
delivery (`GmailSimulator.deliver(..., auth=Verdicts(...))`, or the control API's query parameters). Given none,
it adds NO stamp: the mail is stored byte for byte as given, which is what every existing test and the sample
mail expect. Real Gmail always stamps; what it writes for a domain with no SPF, DKIM or DMARC record is
`spf=none … smtp.mailfrom=…` alone, which `Verdicts(spf="none")` produces. Only Authentication-Results is added
(not Gmail's Received, X-Received or ARC-* headers). A header the mail already carried stays below the stamp, as
a forged one does in Gmail.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import parseaddr

_ANGLE = re.compile(rb"<[^<>@\s]+@([^<>\s]+)>")


@dataclass(frozen=True)
class Verdicts:
    """Results as RFC 8601 words (pass, fail, softfail, neutral, none, temperror, permerror)."""

    spf: str | None = None
    spf_domain: str | None = None  # smtp.mailfrom's domain; the From's domain when not given
    dkim: tuple[tuple[str, str | None], ...] = ()  # (result, signing domain or None for the From's) per signature
    dmarc: str | None = None  # None: the From domain publishes no DMARC record (Gmail then writes no dmarc=)
    dmarc_policy: str = "NONE"  # p=; with REJECT or QUARANTINE real Gmail would not put a failing mail in INBOX

    @property
    def empty(self) -> bool:
        return self.spf is None and not self.dkim and self.dmarc is None

    @classmethod
    def from_params(cls, param: Callable[[str], str | None]) -> Verdicts | None:
        """From query parameters: spf=RESULT[:DOMAIN], dkim=RESULT[:DOMAIN][,RESULT[:DOMAIN]…], dmarc=RESULT,
        dmarcPolicy=NONE|QUARANTINE|REJECT. None when none of spf, dkim, dmarc is given."""
        spf = param("spf")
        spf_result, _, spf_domain = (spf or "").partition(":")
        dkim = tuple(_pair(item) for item in (param("dkim") or "").split(",") if item.strip())
        verdicts = cls(spf=spf_result or None, spf_domain=spf_domain or None, dkim=dkim,
                       dmarc=param("dmarc") or None, dmarc_policy=(param("dmarcPolicy") or "NONE").upper())
        return None if verdicts.empty else verdicts


def _pair(item: str) -> tuple[str, str | None]:
    result, _, domain = item.strip().partition(":")
    return result, domain or None


def stamp(raw: bytes, verdicts: Verdicts | None) -> bytes:
    """`raw` with Gmail's Authentication-Results prepended; unchanged when there are no verdicts."""
    if verdicts is None or verdicts.empty:
        return raw
    sender, domain = _from(raw)
    newline = b"\r\n" if b"\r\n" in raw[:2048] else b"\n"
    results = []
    for n, (result, signer) in enumerate(verdicts.dkim, start=1):
        results.append(f"dkim={result} header.i=@{signer or domain} header.s=s{n} header.b=Sim{n:05d}")
    if verdicts.spf is not None:
        mail_from = sender if not verdicts.spf_domain else f"bounces@{verdicts.spf_domain}"
        results.append(f"spf={verdicts.spf} ({_spf_comment(verdicts.spf, mail_from)}) smtp.mailfrom={mail_from}")
    if verdicts.dmarc is not None:
        dis = "NONE" if verdicts.dmarc == "pass" or verdicts.dmarc_policy == "NONE" else verdicts.dmarc_policy
        p = verdicts.dmarc_policy
        results.append(f"dmarc={verdicts.dmarc} (p={p} sp={p} dis={dis}) header.from={domain}")
    folded = (";" + newline.decode() + "       ").join(["Authentication-Results: mx.google.com", *results])
    return folded.encode() + newline + raw


def _spf_comment(result: str, mail_from: str) -> str:
    if result == "pass":
        return f"google.com: domain of {mail_from} designates 192.0.2.25 as permitted sender"
    if result == "none":
        return f"google.com: {mail_from} does not designate permitted sender hosts"
    return f"google.com: domain of {mail_from} does not designate 192.0.2.25 as permitted sender"


def _from(raw: bytes) -> tuple[str, str]:
    """The From address and its domain, as Gmail takes them for DMARC (the addr-spec in angle brackets first)."""
    head = raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    line = next((ln for ln in re.split(rb"\r?\n(?![ \t])", head) if ln.lower().startswith(b"from:")), b"")
    angle = _ANGLE.findall(line)
    if angle:
        domain = angle[-1].decode("ascii", "replace").lower()
        return f"sender@{domain}", domain
    address = parseaddr(line[5:].decode("ascii", "replace"))[1].lower()
    return address or "unknown@invalid", address.rpartition("@")[2] or "invalid"
