"""A fast onset detector for audio-driven triggering: two envelope followers.

Runs on: analysis worker (one detector per input; not thread-safe).

The slicer (slicer.py) places onsets well but late: its 43 ms spectral
window sees an attack only once it has moved towards the window's middle, and
it waits 30 ms more for the hit's level. A voice that plays a kit cannot wait
that long. This detector follows the input's absolute value with a fast
envelope (attack ``fast_attack_s``, release ``fast_release_s``) and a slow
one (``slow_s``) in dB, and reports an onset at the sample where the fast one
rises ``on_db`` over the slow one while above ``gate_db``; it re-arms once the
difference has fallen under ``off_db`` and ``min_gap_s`` has passed (the same
idea as FluCoMa's amplitude slicer, which SP-Tools triggers from). An onset
is known within a millisecond of the attack.

Chunks of any size give the same onsets (the state carries over).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import njit

__all__ = ["AmpSliceConfig", "AmpSlicer"]


@dataclass(frozen=True)
class AmpSliceConfig:
    """Parameters (seconds, dB)."""

    sample_rate: int = 48000
    fast_attack_s: float = 0.0005
    fast_release_s: float = 0.01
    slow_s: float = 0.1
    on_db: float = 12.0
    off_db: float = 4.0
    gate_db: float = -45.0
    min_gap_s: float = 0.05

    def __post_init__(self):
        if not (isinstance(self.sample_rate, int) and 1000 <= self.sample_rate <= 384000):
            raise ValueError(f"sample_rate must be an integer in 1000..384000, got {self.sample_rate!r}")
        for name in ("fast_attack_s", "fast_release_s", "slow_s", "min_gap_s"):
            v = getattr(self, name)
            if not (isinstance(v, (int, float)) and 0 < v <= 10):
                raise ValueError(f"AmpSliceConfig.{name} must be in (0, 10] seconds, got {v!r}")
        if not 0 <= self.off_db < self.on_db <= 60:
            raise ValueError(f"need 0 <= off_db < on_db <= 60, got {self.off_db!r}, {self.on_db!r}")
        if not -120 <= self.gate_db <= 0:
            raise ValueError(f"gate_db must be in -120..0 dBFS, got {self.gate_db!r}")

    def coefficient(self, seconds: float) -> float:
        """One-pole coefficient of a follower with time constant ``seconds``."""
        return math.exp(-1.0 / (seconds * self.sample_rate))


@njit(cache=True, nogil=True)
def _detect(x, start, state, params, out):
    """Onsets in ``x`` (its first sample is frame ``start``) into ``out``; returns how many.

    state: [fast, slow, armed, last_onset]; params: [a_fast_up, a_fast_down,
    a_slow, on_db, off_db, gate_db, min_gap].
    """
    fast, slow, armed, last = state[0], state[1], state[2], state[3]
    a_up, a_down, a_slow = params[0], params[1], params[2]
    on_db, off_db, gate_db, gap = params[3], params[4], params[5], params[6]
    n_out = 0
    for i in range(x.shape[0]):
        v = abs(x[i])
        if not v < 1e30:  # NaN and inf are silence
            v = 0.0
        a = a_up if v > fast else a_down
        fast = a * fast + (1.0 - a) * v
        slow = a_slow * slow + (1.0 - a_slow) * v
        f_db = 20.0 * math.log10(fast + 1e-12)
        diff = f_db - 20.0 * math.log10(slow + 1e-12)
        frame = start + i
        if armed > 0.5:
            if diff >= on_db and f_db >= gate_db and frame - last >= gap and n_out < out.shape[0]:
                out[n_out] = frame
                n_out += 1
                last = frame
                armed = 0.0
        elif diff < off_db and frame - last >= gap:
            armed = 1.0
    state[0], state[1], state[2], state[3] = fast, slow, armed, last
    return n_out


class AmpSlicer:
    """Feed chunks; get the onsets (absolute frames) each chunk held."""

    def __init__(self, config: AmpSliceConfig | None = None):
        c = self.config = config or AmpSliceConfig()
        self._params = np.array([c.coefficient(c.fast_attack_s), c.coefficient(c.fast_release_s),
                                 c.coefficient(c.slow_s), c.on_db, c.off_db, c.gate_db,
                                 float(int(c.min_gap_s * c.sample_rate))])
        self._state = np.array([0.0, 0.0, 1.0, -1e18])
        self._out = np.empty(256, np.int64)
        self._next = None

    def feed(self, chunk: np.ndarray, start_frame: int) -> np.ndarray:
        """Onsets in ``chunk`` (1-D float32/float64 starting at ``start_frame``),
        ndarray of int64 frames. A chunk that starts after the previous one
        ended (dropped input) is taken as it comes; one that overlaps raises."""
        x = np.asarray(chunk)
        if x.ndim != 1 or x.dtype not in (np.float32, np.float64):
            raise ValueError(f"chunk must be 1-D float32 or float64, got {x.dtype} {x.shape}")
        if self._next is not None and start_frame < self._next:
            raise ValueError(f"chunk starts at {start_frame}, before the previous one ended ({self._next})")
        self._next = start_frame + x.shape[0]
        found = []
        for a in range(0, x.shape[0], 65536):  # a bounded output table a call
            n = _detect(x[a:a + 65536], start_frame + a, self._state, self._params, self._out)
            found.append(self._out[:n].copy())
        return np.concatenate(found) if found else np.empty(0, np.int64)
