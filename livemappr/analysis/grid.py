"""Fixed-grid slicing (MusicMappr's 16384-frame chunks by default).

Runs on: analysis worker (one slicer per input stream; not thread-safe).
Same ``feed``/``flush`` contract as ``slicer.OnsetSlicer``: cells are absolute
frame ranges, the same however the input is chunked.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from livemappr.analysis.snippet import Snippet, check_chunk

__all__ = ["GridConfig", "GridSlicer"]


@dataclass(frozen=True)
class GridConfig:
    """Fixed-grid slicer: cells ``[k * length + offset, (k + 1) * length + offset)``.

    Parameters
    ----------
    length : int
        Cell length in frames (MusicMappr used 16384), >= 1.
    offset : int
        Grid phase in frames, 0 <= offset < length.
    gate_db : float or None
        Cells whose peak stays under this (dB full scale) are dropped.
    """

    length: int = 16384
    offset: int = 0
    gate_db: float | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.length, int) or self.length < 1:
            raise ValueError(f"GridConfig.length must be an integer >= 1, got {self.length!r}")
        if not isinstance(self.offset, int) or not 0 <= self.offset < self.length:
            raise ValueError(f"GridConfig.offset must be in 0..{self.length - 1}, got {self.offset!r}")
        if self.gate_db is not None and not (math.isfinite(self.gate_db) and self.gate_db <= 0):
            raise ValueError(f"GridConfig.gate_db must be None or a number <= 0, got {self.gate_db!r}")


class GridSlicer:
    """Snippets on a fixed grid of absolute frames (cut short by gaps and the end).

    Parameters
    ----------
    config : GridConfig, optional
    """

    def __init__(self, config: GridConfig | None = None) -> None:
        self.config = config or GridConfig()
        self._gate = (0.0 if self.config.gate_db is None
                      else 10 ** (self.config.gate_db / 20))
        self._expected: int | None = None
        self._cell_start = 0
        self._peak = 0.0
        self.n_nonfinite = 0
        self.n_gaps = 0

    def _emit(self, end: int, why: str, out: list[Snippet]) -> None:
        if end > self._cell_start and (self.config.gate_db is None or self._peak >= self._gate):
            out.append(Snippet(self._cell_start, end, self._cell_start, why))
        self._cell_start = end
        self._peak = 0.0

    def feed(self, chunk: np.ndarray, start_frame: int) -> list[Snippet]:
        """Add ``chunk``; returns the cells that were completed."""
        chunk = check_chunk(chunk, start_frame, self._expected)
        out: list[Snippet] = []
        if self._expected is not None and start_frame > self._expected:
            self.n_gaps += 1
            self._emit(self._expected, "gap", out)
        if self._expected is None or start_frame > self._expected:
            self._cell_start = int(start_frame)
            self._peak = 0.0
        L, off = self.config.length, self.config.offset
        pos = int(start_frame)
        end = pos + chunk.shape[0]
        a = np.abs(chunk)
        bad = ~np.isfinite(a)
        if bad.any():
            self.n_nonfinite += int(bad.sum())
            a[bad] = 0.0
        while pos < end:
            boundary = ((pos - off) // L + 1) * L + off
            stop = min(boundary, end)
            if stop > pos:
                self._peak = max(self._peak, float(a[pos - start_frame: stop - start_frame].max()))
            if stop == boundary:
                self._emit(boundary, "grid", out)
            pos = stop
        self._expected = end
        return out

    def flush(self) -> list[Snippet]:
        """End of input: the partial last cell, if any."""
        out: list[Snippet] = []
        if self._expected is not None:
            self._emit(self._expected, "flush", out)
        return out
