"""TXT lookups with dnspython: the system's resolver, or one named nameserver (`GT_DNS_NAMESERVER`, host[:port])
so tests can point it at a responder on 127.0.0.1 and an admin at a resolver that does not cache."""

from __future__ import annotations

import dns.exception
import dns.resolver

from gmail_tickets.errors import TransientError

TIMEOUT_SECONDS = 5.0


class DnsTxtLookup:
    def __init__(self, nameserver: str | None = None, *, timeout: float = TIMEOUT_SECONDS) -> None:
        if nameserver:
            host, _, port = nameserver.rpartition(":") if nameserver.count(":") == 1 else (nameserver, "", "")
            self._resolver = dns.resolver.Resolver(configure=False)
            self._resolver.nameservers = [host]
            self._resolver.port = int(port) if port else 53
        else:
            self._resolver = dns.resolver.Resolver()
        self._resolver.lifetime = timeout
        self._resolver.cache = None  # "check now" means now, not what was answered a minute ago

    def txt(self, name: str) -> list[str] | None:
        try:
            answer = self._resolver.resolve(name, "TXT", search=False)
        except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
            return None
        except dns.exception.DNSException as exc:
            raise TransientError(f"DNS lookup of {name} failed ({type(exc).__name__})") from None
        return [b"".join(rdata.strings).decode("utf-8", "replace") for rdata in answer]
