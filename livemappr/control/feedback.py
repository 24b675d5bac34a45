"""OSC feedback to subscribed clients: map points, cluster sizes, pad labels
and colours, meters, record state, loop position and first errors.

Runs on: the feedback thread (sends); the OSC server thread adds subscribers
and marks changes.

Feedback leaves from the server's own socket, so a client sees replies from
the port it sends to (TouchOSC matches on that). Sends are non-blocking UDP:
a slow or vanished client cannot hold up the engine or the server. Clients
are limited to :data:`MAX_SUBSCRIBERS` so that spoofed subscriptions cannot
turn the engine into a traffic amplifier.
"""

import colorsys
import threading

from pythonosc.osc_message_builder import OscMessageBuilder

from livemappr.control import addresses as _a
from livemappr.threads import Daemon

MAX_SUBSCRIBERS = 16
POINTS_PER_MESSAGE = 64  # 64 * 3 floats: well under any UDP size limit
_GOLDEN = 0.618033988749895


def message(path, *args):
    """An OSC datagram; ints as int32, floats as float32, str as string."""
    b = OscMessageBuilder(path)
    for a in args:
        if isinstance(a, bool):
            a = int(a)
        if isinstance(a, int):
            b.add_arg(a, "i")
        elif isinstance(a, float):
            b.add_arg(a, "f")
        else:
            b.add_arg(str(a), "s")
    return b.build().dgram


def cluster_colour(cluster, size):
    """RGBA of a cluster's pad: hues spread by the golden ratio, dim when empty."""
    r, g, b = colorsys.hsv_to_rgb((cluster * _GOLDEN) % 1.0, 0.7, 1.0 if size else 0.25)
    return r, g, b, 1.0


def map_messages(snap):
    """Datagrams announcing ``snap``: version, points in chunks, sizes, labels, colours."""
    out = [message("/livemappr/map/version", snap.version, len(snap))]
    for first in range(0, len(snap), POINTS_PER_MESSAGE):
        args = [first]
        for i in range(first, min(first + POINTS_PER_MESSAGE, len(snap))):
            args += [float(snap.unit[i, 0]), float(snap.unit[i, 1]), int(snap.cluster_ids[i])]
        out.append(message("/livemappr/map/points", *args))
    sizes = snap.cluster_sizes()
    out.append(message("/livemappr/cluster/sizes", *[int(s) for s in sizes]))
    for pad in range(_a.PADS):
        size = int(sizes[pad]) if pad < sizes.size else 0
        out.append(message(f"/livemappr/pad/{pad}/label", f"{pad}: {size}" if size else f"{pad}: -"))
        out.append(message(f"/livemappr/pad/{pad}/color", *cluster_colour(pad, size)))
    return out


class Feedback:
    """Sends feedback to subscribers from a thread of its own.

    Parameters
    ----------
    sock : socket.socket
        The server's socket.
    trigger : livemappr.control.trigger.Trigger
        Its snapshots and engine are what gets reported.
    errors : livemappr.control.report.ErrorCounts
        The first error of each kind is forwarded.
    interval : float
        Seconds between looks at what changed.
    record : callable, optional
        Returns the current record state.
    loop_position : callable, optional
        Returns the loop phase 0..1 or None (wired by the Time and loops issue).
    """

    def __init__(self, sock, trigger, errors, interval=0.05, record=None, loop_position=None):
        self.sock = sock
        self.trigger = trigger
        self.interval = interval
        self.record = record or (lambda: False)
        self.loop_position = loop_position
        self.extras = []  # callables returning datagrams for every subscriber (Time and loops)
        self.subscribers = []
        self.sent = 0
        self._fresh = []  # subscribers that need the full state
        self._pending = []  # one-off datagrams (errors, record state)
        self._lock = threading.Lock()
        self._version = None
        self._meters = None
        self._thread = Daemon("livemappr-feedback", self._run,
                              on_error=lambda message: errors.count("feedback_thread", message))
        self._stop = self._thread.stopping
        errors.listeners.append(self._error)

    def subscribe(self, address):
        """Add ``(host, port)``; False when the list is full."""
        with self._lock:
            if address in self.subscribers:
                self._fresh.append(address)
                return True
            if len(self.subscribers) >= MAX_SUBSCRIBERS:
                return False
            self.subscribers.append(address)
            self._fresh.append(address)
            return True

    def unsubscribe(self, address):
        with self._lock:
            if address in self.subscribers:
                self.subscribers.remove(address)

    def record_changed(self):
        with self._lock:
            self._pending.append(message("/livemappr/record/state", int(bool(self.record()))))

    def _error(self, kind, text):
        with self._lock:
            self._pending.append(message("/livemappr/error", kind, text[:200]))

    def start(self):
        self._thread.start()
        return self

    def close(self):
        self._thread.stop()

    def _run(self):
        while not self._stop.wait(self.interval):
            try:
                self.tick()
            except OSError:
                pass  # the socket closed under us at shutdown

    def tick(self):
        """Send whatever changed since the last tick (the thread calls this)."""
        with self._lock:
            subs, fresh, pending = list(self.subscribers), self._fresh, self._pending
            self._fresh, self._pending = [], []
        if not subs:
            return
        snap = self.trigger.snapshots.get()
        if fresh:
            state = map_messages(snap) + [message("/livemappr/record/state", int(bool(self.record())))]
            self._send(state, fresh)
        if snap.version != self._version:
            self._version = snap.version
            self._send(map_messages(snap), [s for s in subs if s not in fresh])
        m = self.trigger.engine.meters()
        meters = (m["voices"], m["xruns"], m["late_commands"])
        if meters != self._meters:
            self._meters = meters
            self._send([message("/livemappr/meters", *meters)], subs)
        if self.loop_position is not None:
            phase = self.loop_position()
            if phase is not None:
                self._send([message("/livemappr/loop/position", float(phase))], subs)
        for extra in self.extras:
            self._send(extra(), subs)
        self._send(pending, subs)

    def _send(self, datagrams, targets):
        for address in targets:
            for d in datagrams:
                try:
                    self.sock.sendto(d, address)
                    self.sent += 1
                except OSError:
                    break  # unreachable client: try again next change
