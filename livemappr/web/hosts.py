"""Which names the web view answers to: the ``Host`` (and ``Origin``) allow-list.

Runs on: the web thread (``livemappr-web``), once per HTTP request or WebSocket upgrade.

A browser sends ``Host`` (and, for a WebSocket, ``Origin``) with the name
in its address bar. A DNS-rebinding page makes its own name
(``evil.example``) resolve to the performer's machine: its requests come
from an admitted address (the browser's own) and its ``Origin`` matches its
``Host``, so only the name tells it apart. The view therefore answers only
to names that can only mean this machine:

* loopback: ``localhost``, ``*.localhost`` (browsers resolve these to
  loopback themselves) and loopback addresses (``127.0.0.0/8``, ``::1``);
* this machine: its host name (``socket.gethostname()``, with ``.local``
  for mDNS, and its fully qualified name), the address the server is bound
  to and the address the request arrived on (a phone that typed the LAN
  address);
* what the user allowed: address literals inside the client allow-list
  (``allow``; :class:`livemappr.control.allowlist.AllowList`) and names
  given as ``hosts``.

An address literal cannot be rebound (no DNS is involved), so admitting one
never opens a rebinding hole; a name is admitted only when it is on the list.
"""

import ipaddress
import socket
import urllib.parse

#: Longest Host value looked at (a name is at most 253 characters, plus a port).
MAX_HOST_CHARS = 300


def split_host(value):
    """``(name, port)`` from a ``Host`` value (``name``, ``name:port``, ``[v6]:port``), the
    name lower-cased without a trailing dot; None when it is not one."""
    if not isinstance(value, str) or not value or len(value) > MAX_HOST_CHARS or not value.isascii():
        return None
    value = value.strip().lower()
    port = None
    if value.startswith("["):
        end = value.find("]")
        if end < 0:
            return None
        name, rest = value[1:end], value[end + 1:]
        if rest:
            if not rest.startswith(":"):
                return None
            port = rest[1:]
        try:
            ipaddress.IPv6Address(name.split("%")[0])
        except ValueError:
            return None
    else:
        name, sep, port = value.partition(":")
        if not sep:
            port = None
    if port is not None and (not port.isdigit() or len(port) > 5 or int(port) > 65535):
        return None
    name = name.rstrip(".") if not name.endswith("..") else ""
    if not name or any(c in name for c in "/\\@?#% \t"):
        return None
    return name, (int(port) if port is not None else None)


def own_names():
    """This machine's names, lower-cased: host name, its ``.local`` and its fully qualified name."""
    names = set()
    try:
        host = socket.gethostname().lower().rstrip(".")
    except OSError:
        host = ""
    if host:
        names.update({host, host.split(".")[0] + ".local"})
        try:
            names.add(socket.getfqdn(host).lower().rstrip("."))
        except (OSError, UnicodeError):
            pass
    names.discard("")
    return names


class HostList:
    """The names and addresses a request's ``Host`` (or ``Origin``) may name.

    Parameters
    ----------
    allow : livemappr.control.allowlist.AllowList
        The client allow-list; address literals inside it are admitted.
    bound : str
        The address the server is bound to ("0.0.0.0": every address).
    hosts : sequence of str, optional
        More names (or addresses) to answer to, e.g. a DNS name the LAN gives this machine.
    """

    def __init__(self, allow, bound="", hosts=()):
        self.allow = allow
        self.names = own_names() | {"localhost"}
        self.addresses = set()
        for h in hosts or ():
            parsed = split_host(h)
            if parsed is None:
                raise ValueError(f"{h!r} is not a host name or address")
            self._add(parsed[0])
        parsed = split_host(bound) if bound else None
        if parsed is not None:
            self._add(parsed[0])

    def _add(self, name):
        ip = _address(name)
        if ip is None:
            self.names.add(name)
        elif not ip.is_unspecified:
            self.addresses.add(ip)

    def admits(self, name, local=None):
        """Whether ``name`` (from :func:`split_host`) is this server's; ``local`` is the
        address the request arrived on."""
        ip = _address(name)
        if ip is None:
            return name in self.names or name.endswith(".localhost")
        if ip.is_loopback or ip in self.addresses:
            return True
        if local is not None and ip == _address(str(local)):
            return True
        return self.allow.admits(str(ip))


def _address(name):
    try:
        ip = ipaddress.ip_address(name.split("%")[0])
    except ValueError:
        return None
    mapped = getattr(ip, "ipv4_mapped", None)
    return mapped if mapped is not None else ip


def same_origin(origin, host):
    """Whether ``origin`` (a page's ``Origin``) is ``http(s)://`` this request's own ``host`` (split)."""
    try:
        parts = urllib.parse.urlsplit(origin)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and not parts.path and split_host(parts.netloc) == host
