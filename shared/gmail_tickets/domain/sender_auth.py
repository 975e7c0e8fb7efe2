"""Who sent a mail, as far as Google vouches for it.

Gmail stamps every inbound mail with `Authentication-Results: mx.google.com; spf=…; dkim=…; dmarc=…`. Only that
stamp counts (the topmost header with authserv-id mx.google.com; anything a sender wrote is ignored), and it is
read into a `SenderAuth` when the mail is parsed (mail/authentication.py). The rules built on it:

- authenticated: DMARC passed, or SPF or DKIM passed for a domain aligned with the From domain (same
  organizational domain) — then the From is who it says, and a reply's Cc may join the ticket;
- possible spoof: the From domain publishes DMARC (Gmail reports dmarc=pass or fail) and the mail failed it;
- no stamp at all (mail the simulator delivered without verdicts, or history imported on connect): not
  authenticated, not a spoof — the mail is handled as from an unverified sender.
"""

from __future__ import annotations

from dataclasses import dataclass

PASS = "pass"
FAIL = "fail"


@dataclass(frozen=True)
class SenderAuth:
    """Google's verdicts on one mail, lower-cased result words as RFC 8601 names them (pass, fail, softfail,
    neutral, none, temperror, permerror), None where the stamp has no such method."""

    from_domain: str = ""  # the From address's domain, lower-cased
    spf: str | None = None
    spf_domain: str | None = None  # smtp.mailfrom's domain
    dkim: str | None = None  # the best DKIM result: pass if any signature passed
    dkim_domains: tuple[str, ...] = ()  # header.d (or header.i's domain) of each passing signature
    dmarc: str | None = None
    spf_aligned: bool = False  # spf passed for the From's organizational domain
    dkim_aligned: bool = False  # a passing DKIM signature of the From's organizational domain

    @property
    def stamped(self) -> bool:
        return any(v is not None for v in (self.spf, self.dkim, self.dmarc))

    @property
    def authenticated(self) -> bool:
        """The From is vouched for: DMARC pass, or an aligned SPF or DKIM pass."""
        aligned_pass = (self.spf == PASS and self.spf_aligned) or (self.dkim == PASS and self.dkim_aligned)
        return self.dmarc == PASS or aligned_pass

    @property
    def dmarc_published(self) -> bool:
        """Gmail evaluated DMARC for the From domain against a published policy. `none` (no record) and Gmail's
        `bestguesspass` (no record; it guessed) are not a published policy; a temperror or permerror is (the
        record exists, or could not be read), so such mail is not taken on the From's word."""
        return self.dmarc not in (None, "none", "bestguesspass")

    @property
    def possible_spoof(self) -> bool:
        return self.dmarc_published and self.dmarc == FAIL

    @property
    def label(self) -> str:
        """What the console shows beside the sender."""
        if self.authenticated:
            return "verified sender"
        if self.possible_spoof:
            return "possible spoof (DMARC failed)"
        return "not verified"
