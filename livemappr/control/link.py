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
comes from the audio thread's clock pairs (:meth:`FrameClock.frame_of_ns`,
a line through them, on a :class:`FrameClock` of this thread's own).

The quantum is the tempo clock's beats per bar: our bar lines fall where
Live's do. Start/stop sync is on both ways: a peer's start or stop runs or
stops our grid (the beat line is followed either way), and ours starts or
stops the session, on the next bar line when peers play.
"""

import threading
import time

from livemappr.control.clock import FrameClock
from livemappr.control.report import ErrorCounts
from livemappr.control.tempo import MAX_BPM, MIN_BPM
from livemappr.errors import UsageError
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


class LinkSync:
    """Join a Link session and keep the tempo clock's grid on it.

    Parameters
    ----------
    tempo : TempoClock
    clock : FrameClock
        The engine's frame clock (this object builds its own on the same engine).
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
        self.frames = FrameClock(clock.engine, clock.blocksize)  # frame_of_ns keeps a line per caller
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
            if self.frames.running():
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
        now_us = self.link.clock().micros()
        if on:
            state.setIsPlayingAndRequestBeatAtTime(True, now_us, 0.0, self.quantum)
        else:
            state.setIsPlaying(False, now_us)
        self.link.commitAppSessionState(state)

    def set_tempo(self, bpm):
        """Set the session's tempo (every peer follows)."""
        state = self.link.captureAppSessionState()
        state.setTempo(float(bpm), self.link.clock().micros())
        self.link.commitAppSessionState(state)

    def _local_change(self, grid):
        if threading.get_ident() == self._ident:
            return  # the Link thread's own following
        state = self.link.captureAppSessionState()
        now_us = self.link.clock().micros()
        changed = False
        if grid.source != "link":  # a tempo set here (OSC, tap, a controller, a closed loop)
            state.setTempo(float(60 * self.tempo.samplerate / grid.frames_per_beat), now_us)
            changed = True
        if grid.running != state.isPlaying():
            if grid.running:
                state.setIsPlayingAndRequestBeatAtTime(True, now_us, 0.0, self.quantum)
            else:
                state.setIsPlaying(False, now_us)
            changed = True
        if changed:
            self.link.commitAppSessionState(state)
