"""Who may reach a network surface: the allow-list of client addresses.

Runs on: the thread of the surface that asks (the OSC server thread, the web
view's thread).

One list serves the OSC server and the web view alike, so "who can play" has
one answer. The default admits loopback and private networks (10/8,
172.16/12, 192.168/16, 169.254/16, fc00::/7, fe80::/10) and so never a public
address.

A user gives the list as text (``--allow`` on the command line, ``allow`` in
``[session]``): :func:`entries` checks it, each bad entry one line naming it.
The word ``default`` stands for the default list, so ``--allow default --allow
100.64.0.0/10`` adds a VPN's addresses to it; a list without ``default``
admits only what it names (loopback too only if named).
"""

import ipaddress

DEFAULT_ALLOW = ("127.0.0.0/8", "::1/128", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16",
                 "169.254.0.0/16", "fc00::/7", "fe80::/10")
_MAX_VERDICTS = 1024  # spoofed sources must not grow the cache without bound
#: The most entries a list may have (every check walks them all).
MAX_ENTRIES = 256


class AllowListError(ValueError):
    """A user's allow-list that cannot be used; ``value`` is the bad entry (or the whole list)."""

    def __init__(self, message, value):
        super().__init__(message)
        self.value = value


def entries(values, name="--allow"):
    """Check a user's allow-list: a tuple of entries ready for :class:`AllowList`.

    ``default`` expands to :data:`DEFAULT_ALLOW`. Raises :class:`AllowListError`
    with one line naming the first bad entry and what is allowed.
    """
    if isinstance(values, (str, bytes)) or not isinstance(values, (list, tuple)):
        raise AllowListError(f"{name} must be a list of addresses or networks, got {_shown(values)}", values)
    if not values:
        raise AllowListError(f"{name} must name at least one address or network (default: private networks)",
                             values)
    if len(values) > MAX_ENTRIES:
        raise AllowListError(f"{name} may have at most {MAX_ENTRIES} entries, got {len(values)}", values)
    out = []
    for v in values:
        if v == "default":
            out += DEFAULT_ALLOW
            continue
        try:
            if not isinstance(v, str) or not v.strip() or len(v) > 100:
                raise ValueError
            ipaddress.ip_network(v.strip(), strict=False)
        except ValueError:
            raise AllowListError(f"{name} {_shown(v)} is not an address or network (such as 192.168.1.23, "
                                 "10.0.0.0/8, fd00::/8, or default for private networks)", v) from None
        out.append(v.strip())
    return tuple(dict.fromkeys(out))


def _shown(value):
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


class AllowList:
    """Client addresses or networks admitted, with each host's verdict remembered.

    Parameters
    ----------
    allow : sequence of str, optional
        Addresses or networks (``"192.168.1.23"``, ``"10.0.0.0/8"``); default
        :data:`DEFAULT_ALLOW`. An entry that is neither raises ``ValueError``.
    """

    def __init__(self, allow=None):
        self.networks = [ipaddress.ip_network(a, strict=False) for a in (DEFAULT_ALLOW if allow is None else allow)]
        self._verdicts = {}

    def admits(self, host):
        """Whether ``host`` (an address string, IPv6 scope allowed) is in the list."""
        verdict = self._verdicts.get(host)
        if verdict is None:
            try:
                ip = ipaddress.ip_address(host.split("%")[0])
                verdict = any(ip in net for net in self.networks if net.version == ip.version)
            except ValueError:
                verdict = False
            if len(self._verdicts) < _MAX_VERDICTS:
                self._verdicts[host] = verdict
        return verdict
