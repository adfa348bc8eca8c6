"""Where webhooks may go: the guard against server-side request forgery.

A webhook makes Stoop's servers send requests to an address someone typed. Held to the strict
rule (always in production, ``STOOP_WEBHOOK_STRICT_URLS`` elsewhere), an address must be
``https`` and its server must resolve only to public addresses: never loopback, private,
link-local (169.254.169.254 is the cloud's metadata service), multicast, reserved or
unspecified ones, in IPv4 or IPv6, an IPv4 address inside an IPv6 one included. Whatever way
the host is written (``2130706433``, ``0177.0.0.1``, ``[::1]``), it is the address it
*resolves to* that is checked.

The check runs when the address is saved (:func:`check_url`, a 422 that says why) and again at
every delivery (:func:`resolve_target`): a name can resolve elsewhere by then (DNS rebinding),
so the delivery connects to the very address that was checked (see :mod:`.transport`).
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

from panel.core.errors import ValidationError
from panel.core.i18n import lazy_text as _l

MAX_URL = 2000
NAT64 = ipaddress.ip_network("64:ff9b::/96")
DEFAULT_PORTS = {"http": 80, "https": 443}


class UnsafeUrl(ValidationError):
    """An address a webhook may not use (422 on save; a failed attempt at delivery)."""

    code = "unsafe_url"


@dataclass(frozen=True)
class Target:
    """Where one delivery connects: the checked ``address`` and what the URL said."""

    scheme: str
    host: str
    port: int
    path: str
    address: str

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == DEFAULT_PORTS[self.scheme] else f"{host}:{self.port}"


def is_public(address: str) -> bool:
    """True when ``address`` (an IP address) is on the public internet."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is None and ip in NAT64:
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None:
            return is_public(str(embedded))
    special = (
        ip.is_private,
        ip.is_loopback,
        ip.is_link_local,
        ip.is_multicast,
        ip.is_reserved,
        ip.is_unspecified,
    )
    return ip.is_global and not any(special)


def _split(url: str, strict: bool) -> SplitResult:
    """The parts of a well-formed http(s) URL (https only when ``strict``)."""
    malformed = _l("Write the full address of the receiving system, starting with https://.")
    if not url or len(url) > MAX_URL:
        raise UnsafeUrl(_l("Write an address of at most %(max)s characters.", max=MAX_URL))
    if not url.isascii() or any(c.isspace() or ord(c) < 32 or c == "\x7f" for c in url):
        raise UnsafeUrl(malformed)
    parts = urlsplit(url)
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname or parts.fragment:
        raise UnsafeUrl(malformed)
    if parts.username is not None or parts.password is not None:
        raise UnsafeUrl(_l("Leave any user name and password out of the address."))
    try:
        parts.port  # noqa: B018 - reading it checks it
    except ValueError:
        raise UnsafeUrl(malformed) from None
    if strict and parts.scheme != "https":
        raise UnsafeUrl(_l("Use an address that starts with https://, so what is sent is private."))
    return parts


def _resolve(host: str, port: int) -> list[str]:
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise UnsafeUrl(_l("No server called %(host)s could be found.", host=host)) from None
    return list(dict.fromkeys(str(info[4][0]) for info in found))


def _checked(host: str, port: int, strict: bool) -> list[str]:
    addresses = _resolve(host, port)
    if strict:
        for address in addresses:
            if not is_public(address):
                raise UnsafeUrl(
                    _l(
                        "%(host)s leads to %(address)s, which is not on the public internet. "
                        "Webhooks only go to public servers.",
                        host=host,
                        address=address,
                    )
                )
    if not addresses:
        raise UnsafeUrl(_l("No server called %(host)s could be found.", host=host))
    return addresses


def check_url(url: str, *, strict: bool) -> str:
    """The address, as a webhook may keep it; UnsafeUrl (422) saying what is wrong. Only the
    strict rule looks the host up: in development anything reachable will do."""
    parts = _split(url, strict)
    if strict:
        _checked(parts.hostname or "", parts.port or DEFAULT_PORTS[parts.scheme], strict)
    return url


def resolve_target(url: str, *, strict: bool) -> Target:
    """Resolve the address once and check what it resolved to; the delivery connects there."""
    parts = _split(url, strict)
    host = parts.hostname or ""
    port = parts.port or DEFAULT_PORTS[parts.scheme]
    address = _checked(host, port, strict)[0]
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return Target(parts.scheme, host, port, path, address)
