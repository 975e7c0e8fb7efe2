"""Google's Authentication-Results stamp → `SenderAuth` (domain/sender_auth.py).

Which header counts (RFC 8601 §5: trust only what your own border MTA wrote, and ignore what arrived with the
mail): Gmail's MX is our border. It prepends its stamp (authserv-id `mx.google.com`) above every header the mail
came with, and nothing between it and the mailbox adds another. So only the TOPMOST Authentication-Results header
is read, and only when its authserv-id is `mx.google.com`. One a sender wrote sits below Google's and is never
read, even if it claims to be Google's. When the topmost is someone else's (mail fetched from another provider,
history from before a migration), nothing is trusted: the mail counts as unverified, never as verified.

Alignment (RFC 7489 relaxed mode): SPF's `smtp.mailfrom` domain or a passing DKIM signature's `header.d`
(`header.i`'s domain when Gmail writes that) must share the From domain's organizational domain, from the Public
Suffix List (the `publicsuffixlist` package). A malformed stamp never raises: it is noted and read as no stamp.
"""

from __future__ import annotations

from collections.abc import Sequence

import authres

from gmail_tickets.domain.org_domain import organizational_domain
from gmail_tickets.domain.sender_auth import PASS, SenderAuth
from gmail_tickets.mail.notes import Notes

GOOGLE = "mx.google.com"
_WORST_FIRST = ("fail", "permerror", "temperror", "softfail", "neutral", "policy", "none")


def aligned(domain: str | None, from_domain: str) -> bool:
    return bool(domain) and bool(from_domain) and (
        organizational_domain(domain or "") == organizational_domain(from_domain))


def sender_auth(headers: Sequence[str], from_address: str, notes: Notes) -> SenderAuth | None:
    """Google's verdicts on the mail from the raw values of its Authentication-Results headers, topmost first;
    None when the topmost is not Google's or cannot be read."""
    if not headers:
        return None
    try:
        stamp = authres.AuthenticationResultsHeader.parse_value(" ".join(headers[0].split()))
    except Exception:  # authres raises its own SyntaxError on any malformed value; a bug must not sink the mail
        notes.add("Authentication-Results not readable; sender not verified")
        return None
    if str(stamp.authserv_id).lower() != GOOGLE:
        notes.add("topmost Authentication-Results is not Google's; sender not verified")
        return None
    from_domain = from_address.rpartition("@")[2].lower() if "@" in from_address else ""
    spf = dkim = dmarc = spf_domain = None
    dkim_results: list[tuple[str, str]] = []
    for result in stamp.results:
        method, verdict = str(result.method).lower(), str(result.result).lower()
        props = {f"{p.type}.{p.name}".lower(): str(p.value) for p in result.properties}
        if method == "spf" and spf is None:
            spf, spf_domain = verdict, _domain(props.get("smtp.mailfrom") or props.get("smtp.helo"))
        elif method == "dkim":
            dkim_results.append((verdict, _domain(props.get("header.d") or props.get("header.i")) or ""))
        elif method == "dmarc" and dmarc is None:
            header_from = (props.get("header.from") or from_domain).lower()
            dmarc = verdict if header_from == from_domain else None  # a verdict on another domain says nothing here
    if dkim_results:
        verdicts = [v for v, _ in dkim_results]
        dkim = PASS if PASS in verdicts else next((w for w in _WORST_FIRST if w in verdicts), verdicts[0])
    passing = tuple(d for v, d in dkim_results if v == PASS and d)
    return SenderAuth(
        from_domain=from_domain, spf=spf, spf_domain=spf_domain, dkim=dkim, dkim_domains=passing, dmarc=dmarc,
        spf_aligned=spf == PASS and aligned(spf_domain, from_domain),
        dkim_aligned=any(aligned(d, from_domain) for d in passing),
    )


def _domain(value: str | None) -> str | None:
    """The domain of `x@d`, `@d` or `d`, lower-cased."""
    if not value:
        return None
    return value.rpartition("@")[2].strip().lower() or None
