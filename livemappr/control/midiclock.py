"""MIDI clock in (follow a drum machine or DAW) and out (a drum machine follows us).

Runs on: the MIDI poller thread (:class:`ClockFollower` gets each real-time
byte with its arrival time); :class:`ClockSender` runs a thread of its own
(``livemappr-midiclock``).

In: 24 clock ticks a quarter note, Start (the next tick is beat 0),
Continue (the next tick is where Song Position Pointer put it), Stop, and
Song Position (in sixteenths, six ticks each). Single ticks arrive with the
jitter of the sender, the cable and the scheduler, so the tempo and the phase
are a least-squares line through the last ``window`` ticks (tick index
against arrival frame): the tempo is its slope, and the beat is locked to it
in phase (beat = tick index / 24 falls on the line). Odd clocks are counted
per kind and never stop the engine: a gap of whole missing ticks is bridged,
a tempo outside 20..400 BPM (or a clock that stops ticking: tempo 0) is not
followed (the grid runs on at the last good tempo), a long pause restarts
the fit.

Out: ticks sent at the frames the tempo grid puts them, converted to the
monotonic clock through the audio thread's clock pair; Start, Stop and Song
Position follow the tempo clock's transport. Under JACK, rtmidi writes what it
is given at the next process cycle, so ticks out carry up to one period of
jitter (1.3 ms at 64 frames and 48 kHz); drum machines smooth their clock.
"""

import time
from collections import deque
from fractions import Fraction

import numpy as np

from livemappr.control.report import ErrorCounts
from livemappr.control.tempo import MAX_BPM, MIN_BPM
from livemappr.control.priority import raise_priority
from livemappr.threads import Daemon

TICK, START, CONTINUE, STOP, SPP = 0xF8, 0xFA, 0xFB, 0xFC, 0xF2
PPQN = 24
GAP_SECONDS = 0.5  # slower than 5 BPM is no clock at all: start the fit over


class ClockFollower:
    """Turn MIDI clock bytes and their arrival times into the tempo clock's grid.

    Parameters
    ----------
    tempo : TempoClock
    frame_of_ns : callable(int) -> float
        Engine frame at a ``time.monotonic_ns()`` time (:meth:`FrameClock.now`).
    errors : ErrorCounts, optional
    window : int
        Ticks in the least-squares fit (96: four beats; a jump of tempo
        restarts the fit, so only small changes wait for it).
    history : bool
        Keep ``(tick index, arrival frame, grid frame of that tick, BPM)`` per tick
        in :attr:`history` (tests and benchmarks).
    """

    def __init__(self, tempo, frame_of_ns, errors=None, window=96, history=False):
        self.tempo = tempo
        self.frame_of_ns = frame_of_ns
        self.errors = errors or ErrorCounts()
        self.window = int(window)
        self.ticks = deque(maxlen=self.window)  # (index, frame)
        self.intervals = deque(maxlen=12)  # recent arrival intervals: half a beat
        self.index = None  # index the next tick gets
        self.playing = False
        self.last_ns = None
        self.received = 0
        self.estimate = None  # (bpm, frame of beat 0 of the fit) after each tick
        self.history = [] if history else None
        self._suspect = 0  # ticks the last gap may have lost

    def realtime(self, status, t_ns):
        """One real-time byte (tick, start, continue, stop) that arrived at ``t_ns``."""
        self.received += 1
        if status == TICK:
            self._tick(t_ns)
        elif status == START:
            self.index, self.playing = 0, True
            self.ticks.clear()
            self.intervals.clear()
        elif status == CONTINUE:
            self.playing = True
            if self.index is None:
                self.index = 0
            self.ticks.clear()
        elif status == STOP:
            if self.playing:
                self.playing = False
                self.tempo.stop()

    def song_position(self, sixteenths):
        """Song Position Pointer: the next tick (after Continue) is at this many sixteenths."""
        self.index = int(sixteenths) * (PPQN // 4)
        self.ticks.clear()

    def _tick(self, t_ns):
        frame = self.frame_of_ns(t_ns)
        if self.last_ns is not None and t_ns - self.last_ns > GAP_SECONDS * 1e9:
            self.errors.count("midi_clock_gap", f"no MIDI clock for {(t_ns - self.last_ns) / 1e9:.2f} s: "
                              "following starts over")
            self.ticks.clear()
            self.intervals.clear()
        self.last_ns = t_ns
        if self.index is None:
            self.index = 0  # a clock without Start: tempo from it, phase from its first tick
        if len(self.ticks) >= 3:
            period = self._slope()
            gap = (frame - self.ticks[-1][1]) / period if period > 0 else 1.0
            if self._suspect:
                # The tick after a long gap tells a lost tick (it comes a
                # period later) from a late stamp (it follows at once).
                if gap > 0.6:
                    i, f = self.ticks.pop()
                    self.ticks.append((i + self._suspect, f))
                    self.index += self._suspect
                    self.intervals.clear()
                    self.errors.count("midi_clock_missing", f"{self._suspect} MIDI clock tick(s) missing: bridged")
                self._suspect = 0
            elif gap > 1.6:
                self._suspect = int(round(gap)) - 1
        if self.ticks and self.ticks[-1][0] == self.index - 1:
            self.intervals.append(frame - self.ticks[-1][1])
        self.ticks.append((self.index, frame))
        self.index += 1
        if len(self.intervals) >= 3:
            # The median interval sees a jump of tempo (or a mad one) within a
            # few ticks, where the two-beat fit would average across it.
            med = float(np.median(self.intervals))
            bpm = 60.0 * self.tempo.samplerate / (med * PPQN) if med > 0 else float("inf")
            if not MIN_BPM <= bpm <= MAX_BPM:
                self.errors.count("midi_clock_tempo", f"MIDI clock tempo must be in {MIN_BPM:g}..{MAX_BPM:g} "
                                  f"BPM, got {bpm:.1f}: the grid keeps its last tempo")
                self.ticks = deque(list(self.ticks)[-1:], maxlen=self.window)
                return
            if len(self.ticks) > 6:
                slope = self._slope()
                if abs(med / slope - 1) > 0.15:
                    self.ticks = deque(list(self.ticks)[-4:], maxlen=self.window)  # a new tempo: fit it alone
                elif self.intervals[-1] < 0.5 * slope:
                    return  # a tick far too early: wait for the next before moving the grid
        if len(self.ticks) >= 3:
            self._follow()
        if self.history is not None and self.tempo.source == "midi":
            i = self.index - 1
            self.history.append((i, frame, self.tempo.frame_at(Fraction(i, PPQN)), self.tempo.bpm))

    def _slope(self):
        x = np.array([t[0] for t in self.ticks], np.float64)
        y = np.array([t[1] for t in self.ticks], np.float64)
        xm = x.mean()
        d = x - xm
        return float((d * (y - y.mean())).sum() / (d * d).sum())

    def _follow(self):
        x = np.array([t[0] for t in self.ticks], np.float64)
        y = np.array([t[1] for t in self.ticks], np.float64)
        xm, ym = x.mean(), y.mean()
        d = x - xm
        slope = float((d * (y - ym)).sum() / (d * d).sum())
        if len(x) >= 8:
            # A tick is stamped late (a busy scheduler, a JACK period), never
            # early: refit through the earlier half, the ticks least delayed.
            r = y - ym - slope * d
            keep = r <= np.median(r)
            x, y = x[keep], y[keep]
            xm, ym = x.mean(), y.mean()
            d = x - xm
            if (d * d).sum() > 0:
                slope = float((d * (y - ym)).sum() / (d * d).sum())
        if slope <= 0:
            self.errors.count("midi_clock_tempo", "MIDI clock ticks arrive out of order: not followed")
            return
        bpm = 60.0 * self.tempo.samplerate / (slope * PPQN)
        if not MIN_BPM <= bpm <= MAX_BPM:
            self.errors.count("midi_clock_tempo", f"MIDI clock tempo must be in {MIN_BPM:g}..{MAX_BPM:g} BPM, "
                              f"got {bpm:.1f}: the grid keeps its last tempo")
            return
        # The line's frame at its mean tick: the steadiest point to hang the phase on.
        self.estimate = (bpm, ym - xm * slope)
        if self.playing or self.tempo.source == "midi" or not self.tempo.running:
            self.tempo.follow(ym, xm / PPQN, slope * PPQN, source="midi")


class ClockSender:
    """Send MIDI clock from the tempo clock to a virtual output port.

    Parameters
    ----------
    tempo : TempoClock
    clock : FrameClock
    send : callable(list of int)
        Sends one MIDI message (``rtmidi.MidiOut.send_message``); see :func:`open_port`.
    priority : int
        SCHED_FIFO priority of the thread; 0 for none.
    """

    def __init__(self, tempo, clock, send, priority=1):
        self.tempo = tempo
        self.clock = clock
        self.send = send
        self.priority = priority
        self.sent = 0
        self._running = False
        self._thread = Daemon("livemappr-midiclock", self._run)
        self._stop = self._thread.stopping

    def ns_at(self, frame):
        """Monotonic ns when the audio thread reaches ``frame``."""
        now_ns = time.monotonic_ns()
        return now_ns + (frame - self.clock.now(now_ns)) * 1e9 / self.clock.samplerate

    def start(self):
        self._thread.start()
        return self

    def close(self):
        self._thread.stop()

    def _run(self):
        raise_priority("MIDI clock", self.priority)
        while not self._stop.is_set():
            if not self.tempo.running or not self.clock.running():
                if self._running:
                    self.send([STOP])
                    self._running = False
                self._stop.wait(0.005)
                continue
            now = self.clock.now()
            k = -(-self.tempo.beat_at(now) * PPQN // 1)  # next tick index
            wait = (self.ns_at(self.tempo.frame_at(Fraction(k, PPQN))) - time.monotonic_ns()) / 1e9
            if wait > 0.003:
                self._stop.wait(min(wait - 0.002, 0.005))  # come back close to it, then aim
                continue
            if wait > 0:
                time.sleep(wait)
            if not self._running:
                sixteenths = max(0, int(k) // (PPQN // 4))
                if sixteenths == 0:
                    self.send([START])
                else:
                    self.send([SPP, sixteenths & 0x7F, (sixteenths >> 7) & 0x7F])
                    self.send([CONTINUE])
                self._running = True
            self.send([TICK])
            self.sent += 1
            # never the same tick twice: wait until the grid has passed it
            while self.clock.now() < self.tempo.frame_at(Fraction(k, PPQN)) and not self._stop.is_set():
                time.sleep(0.0002)


def open_port(api, name="livemappr-clock"):
    """A virtual MIDI output named ``name``; returns (send, close)."""
    import rtmidi

    port = rtmidi.MidiOut(api, name=name)
    port.open_virtual_port("clock")

    def close():
        port.close_port()
        port.delete()

    return port.send_message, close
