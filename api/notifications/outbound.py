"""Where the server may send Web Push: https endpoints whose host resolves only to public
addresses, checked when a browser subscribes and again before every send (DNS can change in
between). Hosts on settings.push_allowed_hosts (a local test endpoint) skip both checks."""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

import requests

from api.i18n import Text


class UnsafeEndpoint(ValueError):
    """The endpoint is not a public https push service; `why` says what is wrong."""

    def __init__(self, why: Text) -> None:
        self.why = why
        super().__init__(why.render("en"))


def is_public(address: str) -> bool:
    """True for a globally routable unicast address (IPv4 or IPv6)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not (
        ip.is_multicast or ip.is_private or ip.is_reserved or ip.is_loopback or ip.is_link_local
    )


def check_endpoint(endpoint: str, *, allowed_hosts: list[str]) -> None:
    """Raise UnsafeEndpoint unless the server may POST to the endpoint now."""
    parts = urlsplit(endpoint)
    host = (parts.hostname or "").lower()
    if not host:
        raise UnsafeEndpoint(Text("notifications.https_only"))
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise UnsafeEndpoint(Text("notifications.https_only")) from None
    if host in allowed_hosts or f"{host}:{port}" in allowed_hosts:
        if parts.scheme not in ("https", "http"):
            raise UnsafeEndpoint(Text("notifications.https_only"))
        return
    if parts.scheme != "https" or parts.username or parts.password:
        raise UnsafeEndpoint(Text("notifications.https_only"))
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise UnsafeEndpoint(Text("notifications.unresolvable", {"host": host})) from None
    addresses = {info[4][0] for info in found}
    private = sorted(a for a in addresses if not is_public(a))
    if not addresses or private:
        raise UnsafeEndpoint(
            Text("notifications.private_address", {"host": host, "address": ", ".join(private)})
        )


class NoRedirects(requests.Session):
    """A requests session that never follows a redirect (a 3xx is the push service's answer)."""

    def request(self, *args, **kwargs):  # type: ignore[no-untyped-def, override]
        kwargs["allow_redirects"] = False
        return super().request(*args, **kwargs)
