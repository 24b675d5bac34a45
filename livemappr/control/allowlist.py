"""Who may reach a network surface: the allow-list of client addresses.

Runs on: the thread of the surface that asks (the OSC server thread, the web
view's thread).

One list serves the OSC server and the web view alike, so "who can play" has
one answer. The default admits loopback and private networks (10/8,
172.16/12, 192.168/16, 169.254/16, fc00::/7, fe80::/10) and so never a public
address.
"""

import ipaddress

DEFAULT_ALLOW = ("127.0.0.0/8", "::1/128", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16",
                 "169.254.0.0/16", "fc00::/7", "fe80::/10")
_MAX_VERDICTS = 1024  # spoofed sources must not grow the cache without bound


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
