"""Ableton Link: tempo, bar phase and start/stop shared with Live, phones and other laptops.

Runs on: its own thread, ``livemappr-link``, which reads the Link session
every few milliseconds and moves the tempo clock's grid onto it; our own
changes (a tempo set by OSC, tap or a controller; the clock started or
stopped) go to Link from the thread that made them, through the tempo
clock's listeners and :meth:`LinkSync.play`.

Link (``LinkPython-extern``, module ``link``: an optional extra,
``pip install 'livemappr[link]'``, GPL-2.0-or-later) answers "which beat at
Link time t" for any t, so the grid is sample-accurate: no ticks to average
as with MIDI clock. Link's time is ``CLOCK_MONOTONIC_RAW`` in microseconds;
the engine stamps its callbacks with ``CLOCK_MONOTONIC`` (a quarter of a
second apart on the machine this was written on, and slewed apart by NTP
over time), so :class:`ClockMap` pairs readings of the two and keeps the
tightest bracket, read again at every poll. The frame at a monotonic time
comes from the audio thread's clock pairs (:class:`DeviceLine`: a line
through the last seconds of them, so the device's rate is known to a few
parts in 100,000 and a grid set 5 ms ago has not drifted).

The quantum is the tempo clock's beats per bar: our bar lines fall where
Live's do. Start/stop sync is on both ways: a peer's start or stop runs or
stops our grid (the beat line is followed either way), and ours starts or
stops the session, on the next bar line when peers play.
"""

import threading
import time
from collections import deque

import numpy as np

from livemappr.control.report import ErrorCounts
from livemappr.control.tempo import MAX_BPM, MIN_BPM
from livemappr.errors import UsageError
from livemappr.realtime.meters import read_clock
from livemappr.threads import Daemon

INSTALL = "pip install 'livemappr[link]'"


def load_link():
    """The ``link`` module, or a one-line :class:`UsageError` saying how to install it."""
    try:
        import link
    except ImportError:
        raise UsageError(f"Ableton Link needs the link extra (LinkPython-extern, GPL-2.0+): {INSTALL}") from None
    return link


class ClockMap:
    """Link's clock (``CLOCK_MONOTONIC_RAW``, µs) against ``time.monotonic_ns``.

    Parameters
    ----------
    micros : callable() -> int
        Link's clock now (``link.Link.clock().micros``).
    readings : int
        Paired readings a :meth:`measure`; the one with the shortest
        bracket (monotonic before and after the Link reading) wins, since a
        reading the scheduler interrupted has a wide one.
    """

    def __init__(self, micros, readings=9):
        self.micros = micros
        self.readings = int(readings)
        self.offset_ns = None  # Link ns minus monotonic ns
        self.bracket_ns = None
        self.measure()

    def measure(self):
        """Pair the two clocks again. Returns the offset (Link minus monotonic) in ns."""
        best = None
        for _ in range(self.readings):
            before = time.monotonic_ns()
            link_us = self.micros()
            after = time.monotonic_ns()
            if best is None or after - before < best[0]:
                best = (after - before, link_us * 1000 - (before + after) // 2)
        self.bracket_ns, self.offset_ns = best
        return self.offset_ns

    def to_monotonic(self, link_us):
        """Monotonic ns at Link time ``link_us``."""
        return link_us * 1000 - self.offset_ns

    def to_link(self, monotonic_ns):
        """Link µs (a float) at monotonic ``monotonic_ns``."""
        return (monotonic_ns + self.offset_ns) / 1000.0


class DeviceLine:
    """Engine frames against ``CLOCK_MONOTONIC``: the audio device's rate and phase.

    Each callback publishes its first frame and its start time; a start time
    is late by however long the kernel took to wake the audio thread (up to
    milliseconds on a busy machine), never early. The rate is the median of
    the slopes between pairs a second apart over the last ``seconds`` (the
    device's clock is steady: jitter averages out over a second, where the
    96 pairs of :meth:`FrameClock.frame_of_ns` leave ~0.1 % of slope noise,
    and an xrun, a step of frames against time, moves a median of many
    slopes little), and the line is laid on the earliest pair of the last
    ``floor_seconds`` (the callbacks woken soonest), so it follows a step
    within that.

    Parameters
    ----------
    meters : ndarray
        The engine's meters (``engine.state.meters``).
    samplerate : int
    """

    def __init__(self, meters, samplerate, seconds=4.0, floor_seconds=0.2):
        self.meters = meters
        self.samplerate = samplerate
        self.seconds = seconds
        self.floor_seconds = floor_seconds
        self.pairs = deque()  # (frame, start ns), oldest first
        self._line = None  # (frame0, ns0, ns per frame)

    def update(self):
        """Take the newest callback's pair. Returns False before the first callback."""
        frame, ns = read_clock(self.meters)
        if ns == 0:
            return False
        if self.pairs and frame == self.pairs[-1][0]:
            return True
        if self.pairs and (frame < self.pairs[-1][0] or ns <= self.pairs[-1][1]):
            self.pairs.clear()  # a restarted stream
        self.pairs.append((frame, ns))
        while ns - self.pairs[0][1] > self.seconds * 1e9:
            self.pairs.popleft()
        p = np.array(self.pairs, np.float64)
        f, t = p[:, 0] - p[-1, 0], p[:, 1] - p[-1, 1]
        slope = 1e9 / self.samplerate
        later = np.searchsorted(t, t + 1e9)
        ok = later < len(t)
        if ok.any():  # the median slope between pairs a second apart: a few xruns (steps) do not move it
            fit = float(np.median((t[later[ok]] - t[ok]) / (f[later[ok]] - f[ok])))
        elif len(p) >= 16:
            fit = float(np.polyfit(f, t, 1)[0])
        else:
            fit = slope
        if 0.9 * slope < fit < 1.1 * slope:  # else a stall in the window: the nominal rate meanwhile
            slope = fit
        recent = t >= t[-1] - self.floor_seconds * 1e9
        self._line = (p[-1, 0], p[-1, 1] + float((t[recent] - slope * f[recent]).min()), slope)
        return True

    def frame_of_ns(self, t_ns):
        """The engine frame (a float) playing at monotonic ``t_ns``."""
        f0, ns0, slope = self._line
        return f0 + (t_ns - ns0) / slope


class LinkSync:
    """Join a Link session and keep the tempo clock's grid on it.

    Parameters
    ----------
    tempo : TempoClock
    clock : FrameClock
        The engine's frame clock (its engine's callback pairs are read).
    errors : ErrorCounts, optional
    poll_s : float
        How often the Link session is read (5 ms: a tempo or start change
        shows within that; the phase needs no polling, it is exact).
    tolerance_s : float
        The grid is moved when it strays from Link's beat line by more than
        this at the frame read (0.1 ms), or the tempo or transport changed.
    """

    def __init__(self, tempo, clock, errors=None, *, poll_s=0.005, tolerance_s=0.0001):
        link = load_link()
        self.tempo = tempo
        self.frames = DeviceLine(clock.engine.state.meters, tempo.samplerate)
        self.errors = errors or ErrorCounts()
        self.poll_s = float(poll_s)
        self.tolerance_frames = float(tolerance_s) * tempo.samplerate
        self.quantum = float(tempo.beats_per_bar)
        self.link = link.Link(float(tempo.bpm))
        self.link.startStopSyncEnabled = True
        self.clock_map = ClockMap(self.link.clock().micros)
        self.followed = 0  # times the grid was moved onto Link's line
        self._thread = Daemon("livemappr-link", self._run)
        self._ident = None
        tempo.listeners.append(self._local_change)

    @property
    def session_tempo(self):
        """The Link session's tempo in BPM (the grid's :attr:`TempoClock.bpm` is
        in the audio device's frames, which may run off their nominal rate)."""
        return self.link.captureAppSessionState().tempo()

    @property
    def peers(self):
        """Other Link apps in the session now."""
        return self.link.numPeers()

    def start(self):
        self.link.enabled = True
        self._thread.start()
        return self

    def close(self):
        if self._local_change in self.tempo.listeners:
            self.tempo.listeners.remove(self._local_change)
        self._thread.stop()
        self.link.enabled = False

    # -- Link to the grid --------------------------------------------------------------
    def _run(self):
        self._ident = threading.get_ident()
        stop = self._thread.stopping
        while not stop.wait(self.poll_s):
            if self.frames.update():
                self.sync()

    def sync(self):
        """Read the session once and move the grid onto it if it strayed. Returns True if moved.

        Called by the Link thread only (the grid it sets is not pushed back to Link).
        """
        state = self.link.captureAppSessionState()
        now_us = self.link.clock().micros()
        bpm, playing = state.tempo(), state.isPlaying()
        if not MIN_BPM <= bpm <= MAX_BPM:
            self.errors.count("link_tempo", f"Link tempo must be in {MIN_BPM:g}..{MAX_BPM:g} BPM to be "
                              f"followed, got {bpm:.1f}: the grid keeps its last tempo")
            return False
        beat = state.beatAtTime(now_us, self.quantum)
        self.clock_map.measure()
        ns = self.clock_map.to_monotonic(now_us)
        frame = self.frames.frame_of_ns(ns)
        # Frames per beat on the audio device's own clock (the line's slope), not the nominal rate.
        fpb = self.frames.frame_of_ns(ns + round(60e9 / bpm)) - frame
        g = self.tempo.grid
        if (g.source == "link" and g.running == playing
                and abs(float(self.tempo.beat_at(frame, g)) - beat) * fpb <= self.tolerance_frames
                and abs(float(g.frames_per_beat) - fpb) * self.quantum <= self.tolerance_frames):
            return False
        self.tempo.follow(frame, beat, fpb, source="link", running=playing)
        self.followed += 1
        return True

    # -- ours to Link ------------------------------------------------------------------
    def play(self, on):
        """Start (on the next bar line when peers play, else at once, from bar 0) or stop the session."""
        state = self.link.captureAppSessionState()
        self._set_playing(state, on, self.link.clock().micros())
        self.link.commitAppSessionState(state)

    def _set_playing(self, state, on, now_us):
        if on:
            state.setIsPlayingAndRequestBeatAtTime(True, now_us, 0.0, self.quantum)
        else:
            state.setIsPlaying(False, now_us)

    def _local_change(self, grid):
        """A tempo clock listener: a change made here, not by the Link thread, goes to the session."""
        if threading.get_ident() == self._ident:
            return  # the Link thread's own following
        state = self.link.captureAppSessionState()
        now_us = self.link.clock().micros()
        changed = False
        if grid.source != "link":  # a tempo set here (OSC, tap, a controller, a closed loop, MIDI clock in)
            state.setTempo(float(60 * self.tempo.samplerate / grid.frames_per_beat), now_us)
            changed = True
        if grid.running != state.isPlaying():
            self._set_playing(state, grid.running, now_us)
            changed = True
        if changed:
            self.link.commitAppSessionState(state)
