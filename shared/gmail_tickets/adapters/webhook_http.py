"""Posting webhook deliveries with `requests`, safely: a target's host is resolved once, every address it
resolves to is checked (private, loopback, link-local, reserved and multicast addresses are refused unless the
deployment allows them for tests), and the connection goes to the checked address itself, so a second DNS
answer (rebinding) cannot send the post elsewhere. TLS still verifies the certificate against the host's name
(SNI and hostname check set on the pool). Redirects are not followed (a 3xx is a failed attempt); timeouts bound
the connect and each read, and at most MAX_RESPONSE_BYTES of the answer are read."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter

from gmail_tickets.ports import PostResult

CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 10.0
MAX_RESPONSE_BYTES = 4096
Resolver = Callable[[str, int], list[str]]


class RefusedTarget(Exception):
    """The target's address is one we do not post to."""


def resolve(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def allowed_address(address: str, *, allow_private: bool) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return allow_private or (ip.is_global and not ip.is_multicast)


class _PinnedHostAdapter(HTTPAdapter):
    """Connects to the URL's (checked) IP address, but speaks TLS to `host`: SNI and certificate name."""

    def __init__(self, host: str) -> None:
        self._host = host
        super().__init__(max_retries=0)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["server_hostname"] = self._host
        kwargs["assert_hostname"] = self._host
        super().init_poolmanager(*args, **kwargs)


class RequestsWebhookTransport:
    """The WebhookTransport port over `requests`."""

    def __init__(self, *, allow_private: bool = False, resolver: Resolver = resolve) -> None:
        self._allow_private = allow_private
        self._resolve = resolver

    def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> PostResult:
        try:
            pinned_url, host_header, host = self._pin(url)
        except RefusedTarget as exc:
            return PostResult(None, str(exc), permanent=True)
        except (OSError, ValueError) as exc:
            return PostResult(None, f"cannot resolve the target: {type(exc).__name__}")
        session = requests.Session()
        session.mount("https://", _PinnedHostAdapter(host))
        session.mount("http://", HTTPAdapter(max_retries=0))
        try:
            with session.post(pinned_url, data=body, headers={**headers, "Host": host_header},
                              timeout=(CONNECT_TIMEOUT, READ_TIMEOUT), allow_redirects=False, stream=True) as resp:
                resp.raw.read(MAX_RESPONSE_BYTES, decode_content=False)  # bounded: the rest is dropped
                status = resp.status_code
        except requests.RequestException as exc:
            return PostResult(None, f"no answer: {type(exc).__name__}")
        finally:
            session.close()
        return PostResult(status, None if 200 <= status < 300 else f"answered {status}")

    def _pin(self, url: str) -> tuple[str, str, str]:
        """The URL with its host replaced by a checked address, the Host header, and the host's name."""
        parts = urlsplit(url)
        host = parts.hostname
        if parts.scheme not in ("http", "https") or not host:
            raise RefusedTarget("not an http(s) address")
        port = parts.port or (443 if parts.scheme == "https" else 80)
        addresses = self._resolve(host, port)
        if not addresses:
            raise RefusedTarget("the host has no address")
        refused = [a for a in addresses if not allowed_address(a, allow_private=self._allow_private)]
        if refused:
            raise RefusedTarget(f"refused: {host} resolves to a private or reserved address ({refused[0]})")
        address = addresses[0]
        literal = f"[{address}]" if ":" in address else address
        netloc = f"{literal}:{parts.port}" if parts.port else literal
        host_header = f"{host}:{parts.port}" if parts.port else host
        return urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, "")), host_header, host
