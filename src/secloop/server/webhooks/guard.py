"""Which webhook addresses may be contacted: the SSRF guard.

A webhook URL comes from configuration, but the server must never become a way to
reach what only it can reach (cloud metadata, admin ports on localhost, the internal
network). Steps, each refusing with a message that names the URL and the reason:

1. The URL parses, its scheme is http or https, and it has a host.
2. The host matches the allowlist: a host name, a ``*.suffix`` pattern, an IP address
   or a CIDR. Nothing is allowed when the allowlist is empty.
3. The host name is resolved; every address must be acceptable, not just the first
   (a name with one public and one private address is refused: DNS rebinding).
4. An address that is private, loopback, link-local (169.254.169.254, the cloud
   metadata service), multicast, reserved or unspecified is refused unless a CIDR or
   IP entry of the allowlist contains it: a host-name entry alone never allows it.
5. The caller connects to the address checked here, not to a new lookup, and does
   not follow redirects (a 3xx could point anywhere): ``deliver`` does both.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from secloop.core.errors import Error

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], list[str]]


class WebhookRefusedError(Error):
    """A webhook target is not allowed: never retried."""


@dataclass(frozen=True, slots=True)
class Destination:
    """A checked target: the URL's parts plus the address to connect to."""

    scheme: str
    host: str
    port: int
    address: str
    path: str  # with the query string


@dataclass(frozen=True, slots=True)
class Allowlist:
    names: frozenset[str]
    suffixes: tuple[str, ...]
    networks: tuple[IPNetwork, ...]

    @classmethod
    def parse(cls, entries: Sequence[str]) -> Allowlist:
        names: set[str] = set()
        suffixes: list[str] = []
        networks: list[IPNetwork] = []
        for raw in entries:
            entry = raw.strip().lower()
            try:
                networks.append(ipaddress.ip_network(entry, strict=False))
                continue
            except ValueError:
                pass
            if entry.startswith("*."):
                suffixes.append(entry[1:])
            elif entry:
                names.add(entry.rstrip("."))
        return cls(frozenset(names), tuple(suffixes), tuple(networks))

    def allows_name(self, host: str) -> bool:
        return host in self.names or any(host.endswith(s) for s in self.suffixes)

    def covers(self, address: IPAddress) -> bool:
        return any(address in network for network in self.networks)


def system_resolver(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as err:
        raise WebhookRefusedError(f"{host}: cannot resolve: {err.strerror}") from None
    return sorted({str(info[4][0]) for info in infos})


def _is_internal(address: IPAddress) -> bool:
    return (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )


def check_url(url: str, allow: Allowlist, resolve: Resolver = system_resolver) -> Destination:
    """The destination ``url`` may be sent to, or WebhookRefusedError saying why not."""
    parts = urlsplit(url)  # (1)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower().rstrip(".")
    if scheme not in {"http", "https"} or not host:
        raise WebhookRefusedError(f"{url}: not an http(s) URL with a host")
    try:
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError:
        raise WebhookRefusedError(f"{url}: invalid port") from None
    literal = _literal(host)
    if not (allow.allows_name(host) or (literal is not None and allow.covers(literal))):  # (2)
        raise WebhookRefusedError(f"{url}: host {host} is not in webhook_allow_hosts")
    addresses = [literal] if literal is not None else [_parse(a) for a in resolve(host, port)]
    if not addresses:  # (3)
        raise WebhookRefusedError(f"{url}: {host} has no address")
    for address in addresses:
        if _is_internal(address) and not allow.covers(address):  # (4)
            raise WebhookRefusedError(
                f"{url}: {host} resolves to internal address {address}; "
                "add it as an IP or CIDR to webhook_allow_hosts to allow it"
            )
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Destination(scheme, host, port, str(addresses[0]), path)  # (5)


def _literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def _parse(text: str) -> IPAddress:
    return ipaddress.ip_address(text.split("%", 1)[0])  # drop an IPv6 zone id
