"""Compile (or load from numba's on-disk cache) every analysis kernel.

Runs on: main thread, before the audio stream starts. A kernel compiled on
first use would stall its worker for about a second per kernel; loading the
cache takes a fraction of that (benchmarks/bench_features.py measures both).
"""

from __future__ import annotations

import time

import numpy as np

from livemappr.analysis.features import FeatureConfig, FeatureExtractor
from livemappr.analysis.melbank import (DbConfig, MelConfig, melspectrogram, melspectrogram_db,
                                        power_to_db)
from livemappr.analysis.slicer import GridSlicer, OnsetSlicer, SlicerConfig

__all__ = ["compile_kernels"]


def compile_kernels(sample_rate: int = 48000, features: FeatureConfig | None = None,
                    slicer: SlicerConfig | None = None) -> float:
    """Run every kernel once on tiny inputs of every dtype the wrappers pass on.

    Parameters
    ----------
    sample_rate : int
        Rate of the live input (plans for it are built and cached too).
    features, slicer : optional
        The configurations the workers will use.

    Returns
    -------
    float
        Seconds it took.
    """
    t0 = time.perf_counter()
    slicer = slicer or SlicerConfig(sample_rate=sample_rate)
    fx = FeatureExtractor(features)
    rng = np.random.default_rng(0)
    for dtype in (np.float32, np.float64):
        y = (0.1 * rng.standard_normal(3000)).astype(dtype)
        power_to_db(melspectrogram(y, MelConfig()), DbConfig())
        melspectrogram_db(y)
        fx.analyze(y)
        fx.analyze(y, sample_rate)
        for s in (OnsetSlicer(slicer), GridSlicer()):
            s.feed(y, 0)
            s.flush()
    return time.perf_counter() - t0
