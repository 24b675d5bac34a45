"""Play the pads with the voice: each onset in the input plays the taught pad it sounds like.

Runs on: analysis worker (``feed`` with every chunk the worker reads, before
the slicer: the decision cannot wait for a snippet to end).

An onset (ampslice.py, known within a millisecond) waits for the first
``ATTACK_SECONDS`` (5.8 ms) of its sound; their vector (attack.py) goes to the
taught pads' attack examples (the same nearest-example rule as the map's
pads, teach.py, in the attack window's space), and the pad it is nearest
is played at once through ``play(pad, velocity, onset_frame)``: the session
hands it to the one trigger path, which starts it at the next block. An
onset far quieter than the recent hits (``quiet_db``, as the slicer's gate)
is a breath or a lip noise and plays nothing; one like no taught pad plays
nothing either (counted in ``stats``).

The decision's cost is the window plus microseconds; the rest is how soon
the worker reads the ring (``poll_seconds`` of the worker: 1 ms while voice
triggering is on) and the block the sound starts in
(benchmarks/bench_voicetrigger.py measures onset to sound at the output).
"""

from __future__ import annotations

import math
from collections import deque

import numpy as np

from livemappr.analysis.ampslice import AmpSliceConfig, AmpSlicer
from livemappr.analysis.attack import attack_extractor, attack_frames

__all__ = ["VoiceTrigger"]


class VoiceTrigger:
    """Onsets of the live input to pad hits.

    Parameters
    ----------
    samplerate : int
    play : callable(pad, velocity, onset_frame)
        Called on the analysis worker for every decided hit.
    quiet_db : float
        An onset whose window peaks this far under the running level of
        recent hits (decaying 2 dB/s) plays nothing; 0: every onset plays.
    """

    #: dB a second the running level of recent hits falls (the slicer's)
    DECAY_DB_PER_S = 2.0

    def __init__(self, samplerate, play, quiet_db=10.0, onsets=None):
        self.samplerate = int(samplerate)
        self.play = play
        self.quiet_db = float(quiet_db)
        self.onsets = AmpSlicer(onsets or AmpSliceConfig(sample_rate=self.samplerate))
        self.extractor = attack_extractor()
        self.window = attack_frames(self.samplerate)
        #: the taught pads' attack examples (teach.PadExamples, or a callable
        #: giving the current ones: the map worker swaps in a copy when they
        #: change); None or empty: nothing is taught, nothing plays
        self.pads = None
        #: callable(attack vector, velocity, onset) for a hit like no taught pad
        #: (or with none taught): a loaded corpus plays its nearest sound; None: nothing
        self.nearest = None
        self.enabled = False
        self._pending = deque()
        self._buf = np.zeros(0, np.float32)
        self._buf0 = 0
        self._ref = None  # (peak dB, frame) of the loudest recent hit, decaying
        self.stats = {"onsets": 0, "quiet": 0, "played": 0, "nearest": 0, "unmatched": 0, "untaught": 0}
        #: the last decisions: (onset frame, pad or -1, distance)
        self.decisions = deque(maxlen=4096)

    def feed(self, mono, start):
        """Look at a chunk of input (1-D float32, first frame ``start``)."""
        if not self.enabled:
            self._pending.clear()
            self._buf, self._buf0 = self._buf[:0], start + mono.shape[0]
            self.onsets.feed(mono, start)  # its envelopes keep following the input
            return
        found = self.onsets.feed(mono, start)
        self.stats["onsets"] += int(found.shape[0])
        self._pending.extend(int(f) for f in found)
        if self._buf0 + self._buf.shape[0] != start:  # dropped input: start afresh
            self._buf, self._buf0 = self._buf[:0], start
        self._buf = np.concatenate([self._buf, mono.astype(np.float32, copy=False)])
        end = self._buf0 + self._buf.shape[0]
        while self._pending and self._pending[0] + self.window <= end:
            onset = self._pending.popleft()
            if onset >= self._buf0:
                a = onset - self._buf0
                self._decide(onset, self._buf[a:a + self.window])
        keep = max(self.window, end - (self._pending[0] if self._pending else end))
        if self._buf.shape[0] > 4 * keep:
            cut = self._buf.shape[0] - keep
            self._buf, self._buf0 = self._buf[cut:].copy(), self._buf0 + cut

    def _decide(self, onset, window):
        peak = float(np.abs(window).max()) if window.size else 0.0
        level = 20.0 * math.log10(peak + 1e-10)
        ref = None
        if self._ref is not None:
            ref = self._ref[0] - self.DECAY_DB_PER_S * (onset - self._ref[1]) / self.samplerate
        if self.quiet_db > 0 and ref is not None and level < ref - self.quiet_db:
            self.stats["quiet"] += 1
            return
        self._ref = (level if ref is None else max(ref, level), onset)
        velocity = min(1.0, max(0.2, 10 ** ((level - self._ref[0]) / 40.0)))
        pads = self.pads() if callable(self.pads) else self.pads
        if (pads is None or not len(pads)) and self.nearest is None:
            self.stats["untaught"] += 1
            return
        x = self.extractor.vector(np.ascontiguousarray(window), self.samplerate)
        pad, distance = -1, float("inf")
        if pads is not None and len(pads):
            found, far = pads.classify(x)
            pad, distance = int(found[0]), float(far[0])
        self.decisions.append((onset, pad, distance))
        if pad >= 0:
            self.play(pad, velocity, onset)
            self.stats["played"] += 1
        elif self.nearest is not None:
            self.nearest(x, velocity, onset)
            self.stats["nearest"] += 1
        else:
            self.stats["unmatched"] += 1
