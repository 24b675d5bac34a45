"""What the first 5.8 ms of a sound say: the vector audio-driven triggering decides on.

Runs on: analysis worker (a live onset's decision), the main thread of the
benchmarks and of ``train_projection.py``.

A beatboxed "b" must play its kick before the "b" is over, so the decision
cannot wait for the snippet's end: it is made from the first
``ATTACK_SECONDS`` after the onset (256 samples at 44.1 kHz, what SP-Tools
decides on; 279 at 48 kHz). Twice that (11.6 ms) scored 0.81 / 0.96 / 0.87
on drums / GM kits / the vocal proxy against 0.77 / 0.93 / 0.87
(bench_voicetrigger's teach accuracy): the same on a voice, for half the
wait, and a sound that starts 12 ms after its onset is already late. The
descriptors are the snippet descriptors (features.py) at a scale fitted to
that window (256-point frames every 64 samples at 22.05 kHz, 40 mel bands, 20
MFCCs), and a projection learned on the development corpus's first 5.8 ms
(``livemappr/data/attack_projection.npz``, benchmarks/train_projection.py) puts
them in a space whose unit is again the spread within a kind, where the taught
pads' nearest-example rule (teach.py) works as it does on whole snippets.

What the window cannot tell: an open hi-hat from a closed one, a long "tss"
from a short "ts" (they differ in how long they last), and some kicks from
low toms. benchmarks/bench_voicetrigger.py measures it against whole snippets.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np

from livemappr.analysis.features import FeatureConfig, FeatureExtractor
from livemappr.analysis.projection import Projection

__all__ = ["ATTACK_SECONDS", "ATTACK_CONFIG", "ATTACK_PROJECTION_PATH", "attack_extractor", "attack_frames",
           "attack_like_no_pad"]

ATTACK_SECONDS = 256 / 44100
ATTACK_CONFIG = FeatureConfig(n_fft=256, hop_length=64, n_mels=40, max_seconds=0.05, n_env=4,
                              n_mfcc=20, n_attack=8)
ATTACK_PROJECTION_PATH = Path(__file__).resolve().parent.parent / "data" / "attack_projection.npz"


def attack_frames(samplerate: int) -> int:
    """Samples of the window at ``samplerate``."""
    return int(round(ATTACK_SECONDS * samplerate))


@functools.lru_cache(maxsize=2)
def _projection(path: str) -> Projection | None:
    return Projection.load(path) if Path(path).exists() else None


def attack_extractor(projection: Projection | None | str = "default") -> FeatureExtractor:
    """The extractor of the attack window: its descriptors through the shipped
    attack projection (``projection=None``: the descriptors themselves)."""
    if isinstance(projection, str):
        projection = _projection(str(ATTACK_PROJECTION_PATH))
        if projection is None:
            raise FileNotFoundError(f"{ATTACK_PROJECTION_PATH} is missing: run benchmarks/train_projection.py")
    return FeatureExtractor(ATTACK_CONFIG, projection=projection)


def attack_window(y: np.ndarray, samplerate: int) -> np.ndarray:
    """The first ``ATTACK_SECONDS`` of ``y`` (fewer where it is shorter), float32, contiguous."""
    return np.ascontiguousarray(y[:attack_frames(samplerate)], dtype=np.float32)


def attack_like_no_pad() -> float | None:
    """How far a hit may be from every attack example and still play its
    nearest pad (stored with the attack projection); None without one."""
    projection = _projection(str(ATTACK_PROJECTION_PATH))
    return None if projection is None else projection.like_no_pad
