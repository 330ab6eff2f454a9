"""The client's address of a request, behind the reverse proxies kefu is told to trust.

Behind nginx every request comes from the proxy's address (``REMOTE_ADDR``);
the proxy passes the client's address on in ``X-Forwarded-For``, each proxy
appending the address its connection came from. Anybody can send that header,
so only the entries written by trusted proxies are believed:
``KEFU_TRUSTED_PROXIES`` (docs/configuration.md) is either

- a count ``N``: the last ``N`` hops (``REMOTE_ADDR`` and the right-most
  entries of the header) are proxies, and the entry before them is the client;
- a list of addresses / networks: walking from ``REMOTE_ADDR`` leftwards, every
  hop inside the list is a proxy, and the first one outside it is the client;
- empty (the default): no proxy, ``REMOTE_ADDR`` is the client and the header
  is ignored.

Whatever the client wrote on the left of the header is never read, so a
spoofed ``X-Forwarded-For: 1.2.3.4`` changes nothing.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

FORWARDED_FOR = "HTTP_X_FORWARDED_FOR"

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class TrustedProxies:
    count: int = 0
    networks: tuple[Network, ...] = ()

    @property
    def any(self) -> bool:
        return bool(self.count or self.networks)

    def trusts(self, address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
        if address.version == 6 and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        return any(address in network for network in self.networks)


def parse_trusted_proxies(value: str | int | None) -> TrustedProxies:
    """``"1"`` -> one proxy; ``"127.0.0.1, 10.0.0.0/8"`` -> those addresses; ``""`` -> none."""
    if value is None or value == "":
        return TrustedProxies()
    if isinstance(value, int):
        if value < 0:
            raise ImproperlyConfigured("KEFU_TRUSTED_PROXIES: a count of proxies cannot be negative")
        return TrustedProxies(count=value)
    text = value.strip()
    if text.isdigit():
        return TrustedProxies(count=int(text))
    networks = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        try:
            networks.append(ipaddress.ip_network(part, strict=False))
        except ValueError:
            raise ImproperlyConfigured(
                f"KEFU_TRUSTED_PROXIES: {part!r} is neither a count nor an IP address or network"
            ) from None
    return TrustedProxies(networks=tuple(networks))


def parse_address(text: str):
    text = text.strip()
    if text.startswith("[") and "]" in text:  # [2001:db8::1]:443
        text = text[1 : text.index("]")]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def trusted_proxies() -> TrustedProxies:
    value = getattr(settings, "KEFU_TRUSTED_PROXIES", None)
    return value if isinstance(value, TrustedProxies) else parse_trusted_proxies(value)


def client_ip(request) -> str | None:
    """The address of the client that sent ``request`` (None without a request or an address)."""
    if request is None:
        return None
    remote = request.META.get("REMOTE_ADDR") or None
    proxies = trusted_proxies()
    if not proxies.any or remote is None:
        return remote
    forwarded = [e for e in request.META.get(FORWARDED_FOR, "").split(",") if e.strip()]
    if proxies.count:
        # hops, nearest last: the client sits right before the last ``count`` of them.
        hops = [*forwarded, remote]
        if len(hops) <= proxies.count:
            return remote  # fewer hops than proxies: it did not come through them all
        address = parse_address(hops[-proxies.count - 1])
        return str(address) if address is not None else remote
    nearest = parse_address(remote)
    if nearest is None or not proxies.trusts(nearest):
        return remote  # not from a trusted proxy: its header is the client's own word
    for entry in reversed(forwarded):
        address = parse_address(entry)
        if address is None:
            break  # garbage in a proxy's place: keep the last proxy seen
        nearest = address
        if not proxies.trusts(address):
            return str(address)
    # Every hop is a trusted proxy (or the header is missing or broken): the furthest one seen.
    return str(nearest)
