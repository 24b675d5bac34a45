"""The snippet record both slicers return, and their shared input check.

Runs on: analysis worker.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from livemappr.analysis.melbank import kernel_array

__all__ = ["Snippet", "check_chunk"]


@dataclass(frozen=True, slots=True)
class Snippet:
    """One cut sound: absolute frames ``[start, end)``.

    Attributes
    ----------
    start : int
        First frame (the onset minus the pre-roll for onset snippets).
    end : int
        One past the last frame.
    onset : int
        The detected attack (== start for grid snippets).
    ended_by : str
        "onset" (the next one), "silence", "max_length", "gap", "flush" or "grid".
    """

    start: int
    end: int
    onset: int
    ended_by: str



def check_chunk(chunk: np.ndarray, start_frame: int, expected: int | None) -> np.ndarray:
    """``chunk`` ready for the kernels; ``ValueError`` naming what is wrong with
    it or with ``start_frame`` (which must not go back before ``expected``)."""
    if not isinstance(chunk, np.ndarray) or chunk.ndim != 1:
        raise ValueError(f"chunk must be a 1-D numpy array, got {getattr(chunk, 'shape', type(chunk))}")
    if chunk.dtype != np.float32 and chunk.dtype != np.float64:
        raise ValueError(f"chunk must have dtype float32 or float64, got {chunk.dtype}")
    if not isinstance(start_frame, (int, np.integer)) or start_frame < 0:
        raise ValueError(f"start_frame must be an integer >= 0, got {start_frame!r}")
    if expected is not None and start_frame < expected:
        raise ValueError(f"start_frame must be >= {expected} (end of the previous chunk), "
                         f"got {start_frame}")
    return kernel_array(chunk)
