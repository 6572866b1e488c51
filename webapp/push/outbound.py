"""Outbound HTTP to addresses a user chose (push endpoints): only public internet addresses,
reached at the very address that was checked, never through a redirect or a proxy.

The rule (docs/security.md, "Outbound requests (push)"): a push endpoint is an https URL on
port 443 whose host is a DNS name (no IP literal in any notation, no private-use suffix).
Before each connection the name is resolved ONCE; if any answer is not a public address the
request is refused (`BlockedAddress`) without connecting; otherwise the connection goes to
the first checked address, while TLS SNI, the certificate check and the Host header keep the
name. A second resolution by the HTTP library (DNS rebinding) cannot happen: it is only ever
handed an IP address.

The transport that connects to the checked address is webapp.push.pinned (requests), which
only the push sender imports.

`PUSH_ALLOW_LOCAL_ENDPOINTS` (tests, a push relay on the showroom LAN) lifts the checks on
the URL and the addresses, but the name is still resolved once and the connection pinned.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from urllib.parse import SplitResult, urlsplit

from urllib3.util.connection import allowed_gai_family

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Suffixes that only ever name something private or special-use (RFC 6761, 6762, 8375,
# ICANN's .internal) or that home routers and company networks hand out.
PRIVATE_SUFFIXES = (
    "localhost",
    "local",
    "localdomain",
    "lan",
    "home",
    "home.arpa",
    "arpa",
    "internal",
    "intranet",
    "corp",
    "private",
    "test",
    "invalid",
    "example",
    "onion",
)
LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
TOP_LABEL = re.compile(r"^[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?$")
MAX_HOST = 253

_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_V4_SPECIAL = (
    ipaddress.ip_network("192.0.0.0/24"),  # IETF protocol assignments
    ipaddress.ip_network("100.64.0.0/10"),  # carrier-grade NAT
)


class BlockedAddress(Exception):
    """The destination is not a public push address: nothing was sent.

    The message is a short code for logs (`str(exc)`); it never holds a network error.
    """


def _split(url: str) -> SplitResult | None:
    if not url or not url.isascii() or not url.isprintable() or " " in url:
        return None
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        return None
    return parts


def host_problem(host: str) -> str | None:
    """Why `host` (lower case, as urlsplit gives it) is not a public DNS name, or None.

    Refused: IP literals in any notation (`127.1`, `0x7f000001`, `2130706433`, `0177.0.0.1`,
    `[::1]`), a trailing dot, single-label names, a top label that does not start with a
    letter, characters outside a-z 0-9 - ., and the private-use suffixes.
    """
    if not host or len(host) > MAX_HOST or not host.isascii():
        return "host"
    if host.endswith("."):
        return "trailing dot"
    labels = host.split(".")
    if len(labels) < 2:
        return "single label"
    if not all(LABEL.match(label) for label in labels) or not TOP_LABEL.match(labels[-1]):
        return "not a name"
    try:
        socket.inet_aton(host)
    except OSError:
        pass
    else:
        return "not a name"  # a numeric form the C library would take as an address
    if any(host == suffix or host.endswith("." + suffix) for suffix in PRIVATE_SUFFIXES):
        return "private name"
    return None


def endpoint_problem(url: str, *, allow_local: bool = False) -> str | None:
    """Why `url` is not an acceptable push endpoint, or None (a short code, not for users).

    Strict (the default): https, port 443 or none, no user name or password, and a host that
    passes `host_problem`. With `allow_local`: http or https and some host.
    """
    parts = _split(url)
    if parts is None or not parts.hostname:
        return "url"
    if allow_local:
        return None if parts.scheme in ("http", "https") else "scheme"
    if parts.scheme != "https":
        return "scheme"
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        return "user info"
    if parts.port not in (None, 443):
        return "port"
    return host_problem(parts.hostname)


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def is_public_address(address: IPAddress) -> bool:
    """True only for a unicast address of the public internet.

    False for loopback, private, shared (100.64/10), link-local, multicast, reserved,
    unspecified, documentation and benchmark ranges, and for IPv6 forms that carry such an
    IPv4 address (IPv4-mapped, NAT64, 6to4). Teredo and site-local are refused outright.
    (`ipaddress.is_global` alone is not enough: it calls multicast and `::ffff:…` global.)
    """
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            return is_public_address(embedded)
        if address.scope_id:
            return False
        if address.teredo is not None or address.is_site_local:
            return False
        if address.sixtofour is not None and not is_public_address(address.sixtofour):
            return False
    elif any(address in network for network in _V4_SPECIAL):
        return False
    return (
        address.is_global
        and not address.is_private
        and not address.is_multicast
        and not address.is_reserved
        and not address.is_loopback
        and not address.is_link_local
        and not address.is_unspecified
    )


def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address `host` resolves to for a TCP connection, in the resolver's order.

    Raises OSError (socket.gaierror) when the name does not resolve.
    """
    answers = socket.getaddrinfo(host, port, allowed_gai_family(), socket.SOCK_STREAM)
    addresses: list[IPAddress] = []
    for _family, _type, _proto, _name, sockaddr in answers:
        address = ipaddress.ip_address(str(sockaddr[0]))
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise socket.gaierror(socket.EAI_NONAME, "no address")
    return addresses


def checked_address(host: str, port: int, *, allow_local: bool = False) -> IPAddress:
    """Resolve `host` once and return the address to connect to.

    Raises BlockedAddress when ANY answer is not public (unless `allow_local`): a name with a
    public and a private answer is refused, whichever comes first. Raises OSError when the
    name does not resolve.
    """
    addresses = resolve(host, port)
    if not allow_local and not all(is_public_address(a) for a in addresses):
        raise BlockedAddress("blocked address")
    return addresses[0]
