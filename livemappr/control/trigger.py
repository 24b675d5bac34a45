"""The one path from every surface (OSC, MIDI, later the web view) to the engine.

Runs on: control threads (OSC server, MIDI poller, web), plus the trigger's
own stepper thread in hold mode. Surfaces call it concurrently; one lock
guards the per-cluster choice state (round-robin cursors, random bags, held
keys). The engine's command queue is lock-free towards the audio thread.

What a hit does:

1. **Which snippet** of the cluster (``choice``): ``round_robin`` (next in
   turn), ``random`` (random without repeats: a shuffled bag per cluster,
   never the same snippet twice in a row), ``centre`` (the member nearest
   the cluster's centre), ``velocity`` (the cluster's loudness range spread
   over velocity 0..1), ``select`` (the same, by a position set from a CC or
   ``/livemappr/select``).
2. **When** (``timing``): ``asap`` starts at the next block the audio
   thread runs (latency 0..1 block); ``steady`` starts a fixed
   ``steady_ms`` after the hit arrived (one block plus a margin), so the
   latency does not jitter with the block phase. An explicit frame (``at``)
   or wall time (``wall``, an OSC bundle's timetag) wins over both. With a
   :class:`~livemappr.control.quantize.Quantizer` attached (``quantizer``)
   and a tempo running, a hit without an explicit frame then moves to the
   first grid frame at or after the earliest frame it could start.
3. **Retrigger and choke**: ``overlap`` lets a cluster's sounds ring over
   each other; ``restart`` puts each cluster in its own choke group so a new
   hit fades the last; ``choke_groups`` joins clusters (open/closed hi-hat).
4. **Gate** releases a key's sound on note-off; **hold** keeps stepping
   through the cluster while the key is held, each snippet starting where
   the previous one ends (MusicMappr's held key).

Velocity sets the gain linearly (velocity 1 is unity gain).

**How far ahead** (the look-ahead bound): a hit, release or volume change may
be timed at most :data:`MAX_AHEAD_SECONDS` after the engine's now, whether by
an OSC bundle's timetag (``wall``) or an explicit frame (``at``). Further
ahead raises :class:`TooFarAhead` (a ``ValueError``; the OSC server counts it
as ``too_far_ahead`` and feeds the first back as ``/livemappr/error``) and
nothing is sent: a bundle a day ahead, or from a phone whose clock runs ahead
of this machine's, cannot park commands in the audio thread's pending table
and cannot come back later as a burst. The quantizer's snap moves a hit by at
most one grid step and is not bounded here.
"""

import random
import threading
from dataclasses import dataclass

from livemappr.control.addresses import CHOICES, MAX_CLUSTERS, RETRIGGER
from livemappr.control.clock import FrameClock
from livemappr.control.playable import SnapshotRef
from livemappr.control.priority import raise_priority
from livemappr.audio.engine import ASAP
from livemappr.threads import Daemon
from livemappr.validate import number, whole

TIMINGS = ("asap", "steady")
MAX_AHEAD_SECONDS = 4.0  # the look-ahead horizon: timed commands further ahead are refused


class TooFarAhead(ValueError):
    """A timed command further ahead than :data:`MAX_AHEAD_SECONDS`."""

    kind = "too_far_ahead"
_TAG_BASE = 1 << 20  # tags below are left to other users of the engine
_CHOKE_EXPLICIT = MAX_CLUSTERS + 1  # explicit groups sit above the per-cluster ones


@dataclass
class _Held:
    cluster: int
    tag: int
    next_frame: float
    step: int


class Trigger:
    """Choose a snippet, a frame and a voice; send one play command.

    Parameters
    ----------
    engine : livemappr.audio.engine.Engine
    snapshots : SnapshotRef
    choice : str, default "round_robin"
    retrigger : str, default "overlap"
    timing : str, default "asap"
    steady_ms : float, optional
        Hit-to-sound latency in steady timing; default one block plus 0.5 ms.
    blocksize : int, optional
        Frames per callback, if it differs from the engine's configuration.
    seed : int, optional
        For the random choice.
    max_ahead_seconds : float or None, default MAX_AHEAD_SECONDS
        The look-ahead horizon. The performer's surfaces (OSC, MIDI, the web)
        keep it; a script of this process that schedules its own performance
        bars ahead (``livemappr demo``) may lift it with None.
    """

    def __init__(self, engine, snapshots=None, *, choice="round_robin", retrigger="overlap", timing="asap",
                 steady_ms=None, blocksize=None, seed=None, max_ahead_seconds=MAX_AHEAD_SECONDS):
        self.engine = engine
        self.max_ahead_seconds = (None if max_ahead_seconds is None
                                  else number("max_ahead_seconds", max_ahead_seconds, 0.0, 3600.0))
        self.snapshots = snapshots if snapshots is not None else SnapshotRef()
        self.clock = FrameClock(engine, blocksize)
        sr = engine.config.samplerate
        self.steady_frames = (self.clock.blocksize + 0.0005 * sr if steady_ms is None
                              else number("steady_ms", steady_ms, 0.0, 1000.0) * sr / 1000.0)
        self.choice = self._pick("choice", choice, CHOICES)
        self.retrigger = self._pick("retrigger", retrigger, RETRIGGER)
        self.timing = self._pick("timing", timing, TIMINGS)
        self.choke_groups = {}
        self.rate = 1.0
        self.selector = 0.0
        self.gate = False
        self.hold = False
        self._lock = threading.Lock()
        self._rng = random.Random(seed)
        self._cursor = {}
        self._bags = {}
        self._last = {}
        self._keys = {}  # key -> tag (gate mode)
        self._held = {}  # key -> _Held (hold mode)
        self._next_tag = _TAG_BASE
        self._stepper = Daemon("livemappr-stepper", self._step_loop)
        self._stop = self._stepper.stopping
        self._wake = threading.Event()  # set when a key is held: the stepper idles until then
        self.quantizer = None  # a Quantizer (the Time and loops transport sets it)
        # callables(frame, cluster, snippet, velocity, origin) told of every hit
        # (the pattern looper records from here); frame is approximate for ASAP.
        self.listeners = []

    # -- settings ------------------------------------------------------------------
    @staticmethod
    def _pick(field, value, allowed):
        """A choice by name, or by index (a float from TouchOSC/Pd is fine)."""
        if isinstance(value, str):
            if value in allowed:
                return value
            raise ValueError(f"{field} must be one of {', '.join(allowed)}, got {value!r}")
        return allowed[whole(field, value, 0, len(allowed) - 1)]

    def set_choice(self, value):
        self.choice = self._pick("choice", value, CHOICES)

    def set_retrigger(self, value):
        self.retrigger = self._pick("retrigger", value, RETRIGGER)

    def set_rate(self, rate):
        self.rate = number("rate", rate, 0.25, 4.0)

    def set_selector(self, position):
        self.selector = number("position", position, 0.0, 1.0)

    def set_volume(self, gain, at=ASAP):
        gain = number("gain", gain, 0.0, 2.0)
        self.engine.set_param("master_gain", gain, at=self._bounded(whole("at", at, ASAP), "at"))

    # -- playing ------------------------------------------------------------------
    def play_cluster(self, cluster, velocity=1.0, *, key=None, at=None, wall=None, origin="surface",
                     from_onset=False):
        """Play a snippet of ``cluster``. Returns the snippet index, or -1 if the cluster is empty.

        Parameters
        ----------
        cluster : int
        velocity : float
            0..1; the gain, and the loudness for the ``velocity`` choice.
        key : hashable, optional
            What is held (("midi", channel, note), ("osc", pad)); its release
            ends the sound in gate mode and the stepping in hold mode.
        at : int, optional
            Engine frame to start at.
        wall : float, optional
            ``time.time()`` seconds to start at (an OSC timetag).
        origin : str
            Who plays ("surface", "pattern"): passed to :attr:`listeners`.
        from_onset : bool
            Start a millisecond before the snippet's onset, not at its pre-roll:
            a hit played by voice is late by its decision already.
        """
        cluster = whole("cluster", cluster, 0, MAX_CLUSTERS - 1)
        velocity = number("velocity", velocity, 0.0, 1.0)
        snap = self.snapshots.get()
        with self._lock:
            frame = self._frame(at, wall, steady=self.hold and key is not None)  # first: a refusal takes no turn
            snippet = self._choose(snap, cluster, velocity)
            if snippet < 0:
                return -1
            offset = 0
            if from_onset and snap.attacks is not None:
                offset = max(0, int(snap.attacks[snippet]) - int(0.001 * self.clock.samplerate))
            tag = self._play(snap, snippet, velocity, frame, self._choke(cluster), offset)
            if key is not None:
                if self.gate:
                    self._keys[key] = tag
                if self.hold:
                    start = frame if frame != ASAP else self.clock.now() + self.clock.blocksize
                    self._held[key] = _Held(cluster, tag, start + self._length(snap, snippet), 1)
                    self._wake.set()
        self._tell(frame, cluster, snippet, velocity, origin)
        return snippet

    def play_snippet(self, snippet, velocity=1.0, *, key=None, at=None, wall=None, origin="surface"):
        """Play snippet ``snippet`` (map index). Returns it, or -1 if it has no bank slot."""
        snap = self.snapshots.get()
        snippet = whole("snippet", snippet, 0, max(len(snap) - 1, 0))
        velocity = number("velocity", velocity, 0.0, 1.0)
        if snippet >= len(snap) or snap.slots[snippet] < 0:
            return -1
        with self._lock:
            cluster = int(snap.cluster_ids[snippet])
            frame = self._frame(at, wall)
            tag = self._play(snap, snippet, velocity, frame, self._choke(cluster) if cluster >= 0 else 0)
            if key is not None and self.gate:
                self._keys[key] = tag
        self._tell(frame, cluster, snippet, velocity, origin)
        return snippet

    def play_xy(self, x, y, velocity=1.0, *, key=None, at=None, wall=None):
        """Play the snippet nearest the normalised map point. Returns it, or -1 on an empty map."""
        x = number("x", x, 0.0, 1.0)
        y = number("y", y, 0.0, 1.0)
        snippet = self.snapshots.get().nearest(x, y)
        if snippet < 0:
            return -1
        return self.play_snippet(snippet, velocity, key=key, at=at, wall=wall)

    def release(self, key, *, at=None, wall=None):
        """The key ``key`` was let go: end its sound (gate) and its stepping (hold)."""
        with self._lock:
            held = self._held.pop(key, None)
            tag = self._keys.pop(key, None)
            if tag is not None or (held is not None and self.gate):
                frame = self._frame(at, wall)
                for t in {tag, held.tag if held else None} - {None}:
                    self.engine.stop(t, at=frame)

    def stop_all(self):
        with self._lock:
            self._held.clear()
            self._keys.clear()
        self.engine.stop_all()

    # -- hold mode's stepper --------------------------------------------------------
    def start(self):
        """Start the stepper thread (hold mode). Returns self."""
        self._stepper.start()
        return self

    def close(self):
        self._stop.set()
        self._wake.set()
        self._stepper.stop()

    def step(self, lookahead_frames=None):
        """Send the next snippet of every held key due within ``lookahead_frames``.

        The stepper thread calls this every few milliseconds; each command
        carries its exact frame, so the steps are sample-accurate however late
        the thread wakes (within the lookahead).
        """
        look = 0.03 * self.clock.samplerate if lookahead_frames is None else lookahead_frames
        snap = self.snapshots.get()
        now = self.clock.now()
        with self._lock:
            for held in self._held.values():
                while held.next_frame - now < look:
                    snippet = self._choose(snap, held.cluster, 1.0)
                    if snippet < 0:
                        break
                    frame = int(round(held.next_frame))
                    held.tag = self._play(snap, snippet, 1.0, frame, self._choke(held.cluster))
                    held.next_frame += self._length(snap, snippet)
                    held.step += 1

    def _step_loop(self):
        raise_priority("stepper")
        while not self._stop.is_set():
            if self._held:
                self.step()
                self._stop.wait(0.005)
            else:  # idle: no 200 wake-ups a second while no key is held
                self._wake.wait(0.1)
                self._wake.clear()

    # -- guts (called with the lock held) -------------------------------------------
    def _choose(self, snap, cluster, velocity):
        if cluster >= snap.n_clusters or snap.members[cluster].size == 0:
            return -1
        members = snap.members[cluster]
        choice = self.choice
        if choice in ("velocity", "select") and snap.loudness is None:
            choice = "round_robin"  # no loudness attached: stay playable
        if choice == "round_robin":
            i = self._cursor.get(cluster, 0)
            self._cursor[cluster] = i + 1
            return int(members[i % members.size])
        if choice == "random":
            key = (cluster, snap.version)
            bag = self._bags.get(key)
            if not bag:
                self._bags = {k: v for k, v in self._bags.items() if k[1] == snap.version}
                bag = list(members)
                self._rng.shuffle(bag)
                if len(bag) > 1 and bag[-1] == self._last.get(cluster):
                    bag[0], bag[-1] = bag[-1], bag[0]  # never the same twice in a row
                self._bags[key] = bag
            s = int(bag.pop())
            self._last[cluster] = s
            return s
        if choice == "centre":
            return int(snap.centre_member[cluster])
        order = snap.by_loudness[cluster]
        pos = velocity if choice == "velocity" else self.selector
        return int(order[int(round(pos * (order.size - 1)))])

    def _tell(self, frame, cluster, snippet, velocity, origin):
        if self.listeners:
            if frame == ASAP:
                frame = int(round(self.clock.now())) + self.clock.blocksize
            for listener in list(self.listeners):
                listener(frame, cluster, snippet, velocity, origin)

    def _bounded(self, frame, what):
        """``frame`` if it is within the look-ahead horizon (or ASAP), else raise :class:`TooFarAhead`."""
        clock = self.clock
        if frame == ASAP:
            return frame
        if self.max_ahead_seconds is None:
            return frame
        ahead = (frame - clock.now()) / clock.samplerate
        if ahead > self.max_ahead_seconds:
            raise TooFarAhead(f"{what} is {ahead:.3g} s ahead, more than the {self.max_ahead_seconds:g} s look-ahead "
                              "(is the sender's clock ahead of this machine's?); not played")
        return frame

    def _frame(self, at, wall, steady=False):
        if at is not None:
            return self._bounded(whole("at", at, ASAP), "at")
        q = self.quantizer
        if q is not None and q.active:
            frame = self._unquantized(wall, True)
            return q.snap(frame if frame != ASAP else self.clock.now() + self.steady_frames)
        return self._unquantized(wall, steady)

    def _unquantized(self, wall, steady):
        clock = self.clock
        if not clock.running():
            return ASAP
        if wall is not None:
            target = clock.at_wall(float(wall))
            if target > clock.now() + clock.blocksize:
                return self._bounded(int(round(target)), "the timetag")
        if self.timing == "steady" or steady:
            return int(round(clock.now() + self.steady_frames))
        return ASAP

    def _choke(self, cluster):
        group = self.choke_groups.get(cluster)
        if group is not None:
            return _CHOKE_EXPLICIT + int(group)
        return cluster + 1 if self.retrigger == "restart" else 0

    def _play(self, snap, snippet, velocity, frame, choke, offset=0):
        tag = self._next_tag
        self._next_tag = tag + 1 if tag < (1 << 62) else _TAG_BASE
        self.engine.play(int(snap.slots[snippet]), gain=velocity, rate=self.rate, at=frame, tag=tag, choke=choke,
                         offset=offset)
        return tag

    def _length(self, snap, snippet):
        """Frames snippet plays for at the current rate."""
        return max(1.0, float(self.engine.state.slot_len[snap.slots[snippet]]) / self.rate)

