"""OSC feedback to subscribed clients: map points, cluster sizes, pad labels
and colours, meters, record state, loop position and first errors.

Runs on: the feedback thread (sends); the OSC server thread adds subscribers
and marks changes.

Feedback leaves from the server's own socket, so a client sees replies from
the port it sends to (TouchOSC matches on that). Sends are non-blocking UDP:
a slow or vanished client cannot hold up the engine or the server.

Not an amplifier: a 32-byte ``/livemappr/subscribe`` (whose sender address
anyone can forge) must not buy kilobytes. So what a subscribe answers is
bounded, not what it asks for:

- at most :data:`MAX_SUBSCRIBERS` subscribers;
- a subscriber's whole state (the map, labels, colours, record and Time
  state) at most once per :data:`FULL_STATE_INTERVAL` seconds, however often
  it subscribes (repeats in between are folded into one, sent when the
  interval is up);
- whole states to all subscribers together at most
  :data:`FULL_STATES_PER_SECOND` a second (a burst of
  :data:`FULL_STATE_BURST`);
- a new map version is sent to the subscribers at most once per
  :data:`MAP_INTERVAL` (the newest one; the engine's own changes, not a
  client's request).

Bytes out per period are therefore bounded whatever comes in; at 260
snippets (a 6.6 KB map) a flood of subscribes from one address gets at most
one map per 2 s (``tests/test_control_hostile_osc.py`` measures the ratio).

The feedback thread also watches the audio thread's pending table: commands
it had to drop because it was full are counted as ``commands_dropped``
(reported once, like every error kind).
"""

import colorsys
import threading
import time

from pythonosc.osc_message_builder import OscMessageBuilder

from livemappr.control import addresses as _a
from livemappr.threads import Daemon

MAX_SUBSCRIBERS = 16
FULL_STATE_INTERVAL = 2.0  # seconds between whole states to one subscriber
FULL_STATES_PER_SECOND = 1.0  # whole states to all subscribers together
FULL_STATE_BURST = 4
MAP_INTERVAL = 0.5  # seconds between map versions sent
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
        self.extras_full = []  # callables returning the whole state of an extra, for a new subscriber
        self.subscribers = []
        self.sent = 0
        self.sent_bytes = 0
        self.errors = errors
        self._fresh = {}  # subscribers that asked for the whole state (an ordered set)
        self._last_full = {}  # subscriber -> monotonic time its last whole state went out
        self._tokens = float(FULL_STATE_BURST)
        self._tokens_at = time.monotonic()
        self._pending = []  # one-off datagrams (errors, record state)
        self._lock = threading.Lock()
        self._version = None
        self._version_at = 0.0
        self._meters = None
        self._dropped = 0  # the pending table's drop count already reported
        self._thread = Daemon("livemappr-feedback", self._run,
                              on_error=lambda message: errors.count("feedback_thread", message))
        self._stop = self._thread.stopping
        errors.listeners.append(self._error)

    def subscribe(self, address):
        """Add ``(host, port)`` and ask for its whole state (sent within the
        limits above); False when the list is full."""
        with self._lock:
            if address not in self.subscribers:
                if len(self.subscribers) >= MAX_SUBSCRIBERS:
                    return False
                self.subscribers.append(address)
            self._fresh[address] = None
            return True

    def unsubscribe(self, address):
        with self._lock:
            if address in self.subscribers:
                self.subscribers.remove(address)
            self._fresh.pop(address, None)

    def record_changed(self):
        with self._lock:
            self._pending.append(message("/livemappr/record/state", int(bool(self.record()))))

    def tell(self, datagrams):
        """Send ``datagrams`` to every subscriber now, from the caller's thread (an
        answer to a query, ``/livemappr/similar``, from the search's worker: it
        does not wait for the next tick, up to ``interval`` later)."""
        with self._lock:
            subs = list(self.subscribers)
        self._send(list(datagrams), subs)

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

    def _due_fresh(self, now):
        """The subscribers whose whole state goes out now (called with the lock held)."""
        self._tokens = min(float(FULL_STATE_BURST),
                           self._tokens + (now - self._tokens_at) * FULL_STATES_PER_SECOND)
        self._tokens_at = now
        out = []
        for address in list(self._fresh):
            if self._tokens < 1.0:
                break
            if now - self._last_full.get(address, -1e9) < FULL_STATE_INTERVAL:
                continue  # folded into the one sent when its interval is up
            del self._fresh[address]
            self._last_full[address] = now
            self._tokens -= 1.0
            out.append(address)
        if len(self._last_full) > 4 * MAX_SUBSCRIBERS:  # forged addresses must not grow it
            self._last_full = {a: t for a, t in self._last_full.items()
                               if now - t < FULL_STATE_INTERVAL or a in self.subscribers}
        return out

    def _check_dropped(self):
        """Count the commands the audio thread's full pending table dropped since the last look."""
        from livemappr.realtime.callback import PEND_DROPPED

        dropped = int(self.trigger.engine.state.pend_state[PEND_DROPPED])
        if dropped > self._dropped and self.errors is not None:
            self.errors.count("commands_dropped", f"{dropped - self._dropped} timed command(s) dropped: the "
                              "engine's pending table was full (the latest ones give way)", dropped - self._dropped)
        self._dropped = dropped

    def tick(self):
        """Send whatever changed since the last tick (the thread calls this)."""
        self._check_dropped()
        now = time.monotonic()
        with self._lock:
            subs, pending = list(self.subscribers), self._pending
            self._pending = []
            fresh = self._due_fresh(now) if subs else []
        if not subs:
            return
        snap = self.trigger.snapshots.get()
        if fresh:
            state = map_messages(snap) + [message("/livemappr/record/state", int(bool(self.record())))]
            for full in self.extras_full:
                state += full()
            self._send(state, fresh)
        if self._version is None:
            self._version = snap.version  # the first look: whole states carry it
        elif snap.version != self._version and now - self._version_at >= MAP_INTERVAL:
            self._version, self._version_at = snap.version, now
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
        """Send to each target (UDP sends are safe from two threads: the feedback
        thread's and :meth:`tell`'s; the counts are added under the lock)."""
        sent = nbytes = 0
        for address in targets:
            for d in datagrams:
                try:
                    self.sock.sendto(d, address)
                    sent += 1
                    nbytes += len(d)
                except OSError:
                    break  # unreachable client: try again next change
        with self._lock:
            self.sent += sent
            self.sent_bytes += nbytes
