"""Organizational domains (RFC 7489 3.2): the registrable part of a domain, by the Public Suffix List.

"Is this Reply-To in the sender's domain?" and "how much mail came from this domain?" must not be fooled by
subdomains (support.example.co.uk and example.co.uk are one organization; example.co.uk and other.co.uk are not),
so both compare organizational domains. The list ships inside `publicsuffixlist` (no network at run time).
"""

from __future__ import annotations

from functools import cache, lru_cache

from publicsuffixlist import PublicSuffixList


@cache
def _suffixes() -> PublicSuffixList:
    """Built on first use, not at import (a function's cold start pays only when mail needs it); the list
    bundled with the pinned package, so every machine answers the same."""
    return PublicSuffixList()


def domain_of(address: str | None) -> str:
    """The lower-cased domain of an address ("" when there is none)."""
    if not address or "@" not in address:
        return ""
    return address.rpartition("@")[2].strip().strip(".").lower()


@lru_cache(maxsize=4096)
def organizational_domain(domain: str) -> str:
    """example.co.uk for mail.example.co.uk; a public suffix itself (or an unknown single label) is its own."""
    name = domain.strip().strip(".").lower()
    if not name:
        return ""
    try:
        return _suffixes().privatesuffix(name) or name
    except Exception:  # odd labels (IDN errors): compare the name as written
        return name


def organization_of(address: str | None) -> str:
    """The organizational domain of an address ("" when it has no domain)."""
    domain = domain_of(address)
    return organizational_domain(domain) if domain else ""


def same_organization(first: str | None, second: str | None) -> bool:
    """Both addresses have a domain, and it is the same organization's."""
    a, b = organization_of(first), organization_of(second)
    return bool(a) and a == b
