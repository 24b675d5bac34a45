"""Where the audio thread is now, in engine frames, from any control thread.

Runs on: control threads (OSC server, MIDI poller, the trigger's stepper).

The audio thread stores, at the end of every callback, the frames processed
so far and the ``CLOCK_MONOTONIC`` time the callback started. The current
frame is therefore the last callback's first frame plus the time since it
started, times the sample rate. This is what lets a trigger land at a fixed
distance from the moment it arrived (steady timing: latency without the block
jitter) and an OSC bundle land at its timetag.

The two meters are separate stores, so a reading can fall between them (a
window of microseconds per callback): the estimate is then one block early and
a command aimed at it is applied at the next block start and counted late by
the engine. That is rare and harmless, so no retry loop hides it.
"""

import time

from livemappr.realtime import meters as _m


class FrameClock:
    """Engine frame now and at a wall-clock time.

    Parameters
    ----------
    engine : livemappr.engine.Engine
    blocksize : int, optional
        Frames per callback (the JACK period under JACK); default the
        engine's configured block size.
    """

    def __init__(self, engine, blocksize=None):
        self.engine = engine
        self.samplerate = engine.config.samplerate
        self.blocksize = int(blocksize or engine.config.blocksize)

    def running(self):
        """True once the audio thread has run at least one callback."""
        return int(self.engine.state.meters[_m.M_CALLBACKS]) > 0

    def now(self, now_ns=None):
        """The engine frame playing at monotonic time ``now_ns`` (default now), as a float.

        Before the first callback this is 0.
        """
        meters = self.engine.state.meters
        start_ns = int(meters[_m.M_PREV_START_NS])
        frames = int(meters[_m.M_FRAMES])
        if start_ns == 0:
            return float(frames)
        if now_ns is None:
            now_ns = time.monotonic_ns()
        elapsed = max(0, now_ns - start_ns) * 1e-9 * self.samplerate
        return frames - self.blocksize + elapsed

    def at_wall(self, wall_seconds):
        """The engine frame at ``time.time()``-style seconds (an OSC timetag)."""
        now_wall, now_ns = time.time(), time.monotonic_ns()
        return self.now(now_ns) + (wall_seconds - now_wall) * self.samplerate
