"""Shared pieces of the control tests: an engine with recognisable sounds and
synthetic map snapshots."""

import numpy as np

from livemappr.audio.config import EngineConfig
from livemappr.control.playable import PlayableMap
from livemappr.audio.engine import Engine


def level_of(snippet):
    """The constant level snippet ``snippet``'s sound holds: tells them apart in the output."""
    return round(0.01 * (snippet + 1), 4)


def engine_with_snippets(n, frames=2000, **config):
    """An engine whose bank slot for snippet i holds a constant level_of(i)."""
    cfg = dict(ring_seconds=2, bank_seconds=max(1.0, n * frames / 48000 + 0.1), bank_slots=max(n, 1) + 4,
               fade_ms=0.0)
    cfg.update(config)
    e = Engine(EngineConfig(**cfg))
    slots = [e.bank.add(np.full(frames, level_of(i), np.float32)) for i in range(n)]
    return e, np.array(slots)


def grid_snapshot(slots, n_clusters=4, version=1, loudness=None):
    """Snippets on a line; snippet i in cluster i % n_clusters."""
    n = len(slots)
    pos = np.stack([np.arange(n, dtype=float), np.zeros(n)], axis=1)
    return PlayableMap(pos, np.arange(n) % n_clusters, slots, version, loudness)


def which_snippet(out, frame):
    """Snippet whose level sounds at ``frame`` of a rendered output (-1 for silence)."""
    v = float(out[frame, 0])
    if v == 0.0:
        return -1
    return int(round(v / 0.01)) - 1


def onsets(x, threshold=1e-6):
    """Frames where ``x`` goes from silence to sound."""
    on = np.abs(x) > threshold
    return np.flatnonzero(on & ~np.concatenate([[False], on[:-1]]))
