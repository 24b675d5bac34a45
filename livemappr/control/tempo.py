"""The tempo clock: beats and bars on the engine's frame clock, sample-accurately.

Runs on: any control thread (OSC server, MIDI poller, the pattern and clock
threads read it; writers take a lock, readers never do).

The grid is a straight line from engine frames to beats, held as exact
fractions: ``beat(frame) = origin_beat + (frame - origin_frame) / frames_per_beat``.
A grid frame is that line's inverse rounded to the nearest frame, computed
from the origin every time, never by adding periods one after another: bar
1000 lands exactly where bar 1 predicts, so the grid cannot drift against a
loop whose length it set (:meth:`TempoClock.lock_to_loop`).

Where the line comes from (``source``): ``internal`` (a tempo set by OSC, a
MIDI controller or tap tempo, :class:`TapTempo`), ``midi`` (following MIDI
clock in, :mod:`livemappr.control.midiclock`), ``link`` (following an
Ableton Link session, :mod:`livemappr.control.link`), or ``loop`` (the first
audio loop's length, in whole bars). Changing the tempo keeps the beat continuous
at the frame of the change, so nothing jumps.
"""

import threading
import time
from fractions import Fraction
from typing import NamedTuple

from livemappr.validate import number, whole

MIN_BPM = 20.0
MAX_BPM = 400.0
SOURCES = ("internal", "midi", "link", "loop")


class Grid(NamedTuple):
    """One immutable state of the clock (swapped whole, so readers need no lock)."""

    origin_frame: Fraction
    origin_beat: Fraction
    frames_per_beat: Fraction
    running: bool
    source: str


def frames_per_beat(bpm, samplerate):
    """Exact frames per beat for ``bpm`` (kept to 1/10000 BPM so fractions stay small)."""
    bpm = number("bpm", bpm, MIN_BPM, MAX_BPM)
    return Fraction(60 * int(samplerate)) / Fraction(bpm).limit_denominator(10000)


class TempoClock:
    """Tempo and beat position in engine frames.

    Parameters
    ----------
    samplerate : int
    bpm : float, default 120
        20..400.
    beats_per_bar : int, default 4
    """

    def __init__(self, samplerate, bpm=120.0, beats_per_bar=4):
        self.samplerate = whole("samplerate", samplerate, 1)
        self.beats_per_bar = whole("beats_per_bar", beats_per_bar, 1, 16)
        self._lock = threading.Lock()
        self.grid = Grid(Fraction(0), Fraction(0), frames_per_beat(bpm, self.samplerate), False, "internal")
        self.listeners = []  # callables(grid) told after every change (clock out, feedback)

    # -- reading ---------------------------------------------------------------------
    @property
    def bpm(self):
        return float(60 * self.samplerate / self.grid.frames_per_beat)

    @property
    def running(self):
        return self.grid.running

    @property
    def source(self):
        return self.grid.source

    @property
    def bar_frames(self):
        """Exact frames per bar (a Fraction)."""
        return self.grid.frames_per_beat * self.beats_per_bar

    def beat_at(self, frame, grid=None):
        """The beat (a Fraction; bar lines at multiples of ``beats_per_bar``) at engine ``frame``."""
        g = grid or self.grid
        return g.origin_beat + (Fraction(frame) - g.origin_frame) / g.frames_per_beat

    def frame_at(self, beat, grid=None):
        """The engine frame (int, rounded) where ``beat`` falls."""
        g = grid or self.grid
        return round(g.origin_frame + (Fraction(beat) - g.origin_beat) * g.frames_per_beat)

    def next_frame(self, frame, step_beats, offsets=(Fraction(0),)):
        """The first grid frame at or after ``frame``.

        The grid is ``k * step_beats + offset`` beats for whole k and each of
        ``offsets`` (fractions of a beat within a step, used for swing).
        """
        g = self.grid
        step = Fraction(step_beats)
        k = (self.beat_at(frame, g) // step) - 1
        best = None
        while best is None:
            for off in offsets:
                f = self.frame_at(k * step + off, g)
                if f >= frame and (best is None or f < best):
                    best = f
            k += 1
        return best

    def next_bar(self, frame, bars=1):
        """The first bar line at or after ``frame`` (bars > 1: a line of that many bars)."""
        return self.next_frame(frame, self.beats_per_bar * bars)

    def position(self, frame):
        """``(bar, beat, phase)`` at ``frame``: whole bar and beat (from 0) and the phase 0..1 in the bar."""
        b = self.beat_at(frame)
        bar, in_bar = divmod(b, self.beats_per_bar)
        return int(bar), int(in_bar), float(in_bar / self.beats_per_bar)

    # -- writing ---------------------------------------------------------------------
    def _set(self, **changes):
        with self._lock:
            self.grid = self.grid._replace(**changes)
            grid = self.grid
        for listener in list(self.listeners):
            listener(grid)
        return grid

    def set_tempo(self, bpm, at, source="internal"):
        """Change the tempo at engine frame ``at``, keeping the beat there."""
        fpb = frames_per_beat(bpm, self.samplerate)
        with self._lock:
            g = self.grid
            beat = self.beat_at(at, g)
            self.grid = Grid(Fraction(at), beat, fpb, g.running, source)
            grid = self.grid
        for listener in list(self.listeners):
            listener(grid)

    def start(self, at, beat=0):
        """Run from ``beat`` (default the first downbeat) at engine frame ``at``."""
        return self._set(origin_frame=Fraction(at), origin_beat=Fraction(beat), running=True)

    def stop(self):
        return self._set(running=False)

    def follow(self, frame, beat, frames_per_beat_, source="midi", running=True):
        """Follow an outside clock: ``beat`` falls at ``frame`` (floats fine), this many frames per beat.

        ``running`` False keeps the beat line but stops the transport (a
        stopped Link session still has a tempo and a phase).
        """
        fpb = Fraction(frames_per_beat_)
        bpm = 60 * self.samplerate / fpb
        if not MIN_BPM <= bpm <= MAX_BPM:
            raise ValueError(f"followed tempo must be in {MIN_BPM:g}..{MAX_BPM:g} BPM, got {float(bpm):.1f}")
        return self._set(origin_frame=Fraction(frame), origin_beat=Fraction(beat),
                         frames_per_beat=fpb, running=bool(running), source=source)

    def lock_to_loop(self, start_frame, length_frames, bars):
        """Make ``bars`` bars exactly ``length_frames`` long, a bar line at ``start_frame``.

        Called when the first audio loop closes on a bar line: from then on
        every bar line of the grid is a loop boundary of the looper (the
        tempo moves by less than a frame per bar).
        """
        length = whole("length_frames", length_frames, 1)
        bars = whole("bars", bars, 1)
        with self._lock:
            g = self.grid
            beat = self.beat_at(start_frame, g)
            bar_beat = round(beat / self.beats_per_bar) * self.beats_per_bar
            self.grid = Grid(Fraction(start_frame), Fraction(bar_beat),
                             Fraction(length, bars * self.beats_per_bar), True, "loop")
            grid = self.grid
        for listener in list(self.listeners):
            listener(grid)


class TapTempo:
    """Tap tempo: the mean interval of the last taps; a pause starts over.

    Parameters
    ----------
    clock : TempoClock
    now_frame : callable() -> float
        The engine frame now (:meth:`FrameClock.now`).
    taps : int
        How many intervals are averaged.
    """

    def __init__(self, clock, now_frame, taps=4):
        self.clock = clock
        self.now_frame = now_frame
        self.taps = taps
        self._times = []

    def tap(self, t=None):
        """One tap at monotonic seconds ``t`` (default now). Returns the new BPM, or None (first tap)."""
        t = time.monotonic() if t is None else t
        frame = self.now_frame()
        if self._times and not 60.0 / MAX_BPM * 0.9 <= t - self._times[-1] <= 60.0 / MIN_BPM:
            self._times = []  # too long a pause (or a double hit): a new count
        self._times = (self._times + [t])[-(self.taps + 1):]
        if len(self._times) < 2:
            return None
        interval = (self._times[-1] - self._times[0]) / (len(self._times) - 1)
        bpm = min(MAX_BPM, max(MIN_BPM, 60.0 / interval))
        self.clock.set_tempo(bpm, frame)
        # The tap is a beat: put the nearest beat of the grid on it.
        beat = round(self.clock.beat_at(frame))
        self.clock._set(origin_frame=Fraction(frame), origin_beat=Fraction(beat), running=True)
        return bpm
