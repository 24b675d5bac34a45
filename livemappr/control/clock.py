"""Where the audio thread is now, in engine frames, from any control thread.

Runs on: control threads (OSC server, MIDI poller, the trigger's stepper).

At the start of every callback the audio thread publishes the callback's
first frame and its ``CLOCK_MONOTONIC`` start time as one pair under a
sequence lock (:func:`livemappr.realtime.meters.read_clock`), so a reader
never sees a frame from one callback with the time of another. The current
frame is that first frame plus the time since, times the sample rate. This is
what lets a trigger land at a fixed distance from the moment it arrived
(steady timing: latency without the block jitter) and an OSC bundle land at
its timetag.
"""

import time
from collections import deque

import numpy as np

from livemappr.realtime import meters as _m


class FrameClock:
    """Engine frame now and at a wall-clock time.

    Parameters
    ----------
    engine : livemappr.audio.engine.Engine
    blocksize : int, optional
        Frames per callback (the JACK period under JACK); default the
        engine's configured block size.
    """

    def __init__(self, engine, blocksize=None):
        self.engine = engine
        self.samplerate = engine.config.samplerate
        self.blocksize = int(blocksize or engine.config.blocksize)
        self._pairs = deque(maxlen=96)  # (frame, start ns) seen by frame_of_ns: ~2 s of MIDI clock
        self._line = None

    def running(self):
        """True once the audio thread has run at least one callback."""
        return int(self.engine.state.meters[_m.M_CALLBACKS]) > 0

    def now(self, now_ns=None):
        """The engine frame playing at monotonic time ``now_ns`` (default now), as a float.

        Before the first callback this is 0.
        """
        frame, start_ns = _m.read_clock(self.engine.state.meters)
        if start_ns == 0:
            return float(frame)
        if now_ns is None:
            now_ns = time.monotonic_ns()
        return frame + max(0, now_ns - start_ns) * 1e-9 * self.samplerate

    def frame_of_ns(self, t_ns):
        """The engine frame at monotonic ``t_ns``, past or future (a MIDI
        message's arrival), from a line through the recent clock pairs.

        A callback's start time is late by however long the kernel took to
        wake it (up to milliseconds on a busy machine) and never early, so
        the line's slope is a least-squares fit (the device's rate against
        the monotonic clock) and its offset the earliest pair: the
        callback's own wake-up jitter does not become clock jitter. One
        thread calls this (the MIDI poller).
        """
        frame, start_ns = _m.read_clock(self.engine.state.meters)
        if start_ns == 0:
            return float(frame)
        if not self._pairs or self._pairs[-1][0] != frame:
            self._pairs.append((frame, start_ns))
            self._line = None
        if len(self._pairs) < 16:
            return frame + (t_ns - start_ns) * 1e-9 * self.samplerate
        if self._line is None:
            p = np.array(self._pairs, np.float64)
            f, ns = p[:, 0] - p[0, 0], p[:, 1] - p[0, 1]
            fm = f.mean()
            slope = ((f - fm) * (ns - ns.mean())).sum() / ((f - fm) ** 2).sum()  # ns per frame
            if not 0.9e9 / self.samplerate < slope < 1.1e9 / self.samplerate:
                slope = 1e9 / self.samplerate  # a stall or a restart in the window: nominal rate
            self._line = (p[0, 0], p[0, 1] + (ns - slope * f).min(), slope)
        f0, ns0, slope = self._line
        return f0 + (t_ns - ns0) / slope

    def at_wall(self, wall_seconds):
        """The engine frame at ``time.time()``-style seconds (an OSC timetag)."""
        now_wall, now_ns = time.time(), time.monotonic_ns()
        return self.now(now_ns) + (wall_seconds - now_wall) * self.samplerate
