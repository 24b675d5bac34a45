"""Cut the live input into snippets: at onsets, or on a fixed grid.

Runs on: analysis worker (one slicer per input stream; not thread-safe).

Both slicers take chunks of any size with their absolute start frame,
``feed(chunk, start_frame) -> list[Snippet]``, and ``flush()`` at the end; a
whole file is one ``feed`` plus ``flush``. Snippets are the same however the
input was chunked (tests feed 1..8193 frames at a time). Boundaries are
absolute frame numbers, ``end`` exclusive, so the worker reads the audio from
the capture ring by them.

Input rules: chunks must be 1-D float32/float64; NaN/inf samples count as 0
(``n_nonfinite`` counts them). A chunk starting before the end of the previous
one raises ``ValueError``; one starting after it (dropped input) ends the open
snippet where the input stopped and starts afresh at the new frame
(``n_gaps`` counts these).
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

import numpy as np

from livemappr.analysis import onsets as _k
from livemappr.analysis.grid import GridConfig, GridSlicer
from livemappr.analysis.plan import MelConfig, mel_plan
from livemappr.analysis.snippet import Snippet, check_chunk

__all__ = ["Snippet", "SlicerConfig", "OnsetSlicer", "GridConfig", "GridSlicer"]  # grid re-exported


@dataclass(frozen=True)
class SlicerConfig:
    """Onset slicer parameters (times in seconds, levels in dB full scale).

    Defaults were tuned on hydrogen drum sequences (seeds 0-2 of
    benchmarks/bench_slicer.py; the benchmark reports other seeds).

    Parameters
    ----------
    sample_rate : int
        Of the input, 1000..384000 Hz.
    window_seconds : float
        Detection window (rounded to a power of two in samples). Long enough
        to see a kick under a cymbal; the short window places the attack.
    hops_per_window : int
        Detection frames per window length, 2..32.
    short_window_seconds : float
        Window that places an attack once the detection window found it.
    n_mels : int
        Mel bands of the detection spectrogram.
    delta_db : float
        Onset threshold: mean rise of the top bands over the recent median, dB.
    flux_lag_fraction : float
        Rise measured against the frame this fraction of a window back.
    flux_top_fraction : float
        Fraction of bands (the largest rises) averaged into the onset function.
    level_rise_db : float
        Minimum broadband level rise at an onset.
    gate_db : float
        Noise gate: an onset needs its frame level at or above this.
    silence_db, silence_seconds : float
        A snippet ends once the level stays under silence_db this long.
    min_gap_seconds : float
        Minimum time between onsets.
    pre_roll_seconds : float
        A snippet starts this long before its onset (never before the previous end).
    max_seconds : float
        Longest snippet.
    median_seconds : float
        Span of the running median of the onset function.
    batch_frames : int
        Detection runs once this many frames are ready (1..64): snippets are
        reported up to batch_frames hops later, the result is the same.
    peak_seconds : float
        An onset's level is the sample peak (dBFS) of this long from its
        attack; onsets are acted on once this much input has arrived.
    quiet_gate : bool
        Whether an onset well under the recent hits (``quiet_db``) is a mouth
        noise, a breath or a tail rather than a sound: it ends the snippet
        before it but starts none (``OnsetSlicer.n_quiet`` counts them).
    quiet_db : float
        How far under the running level of recent hits an onset is quiet.
        The running level is a decaying maximum of the hits' levels; the
        first onset (and the first after ``flush``) has none and is a hit.
    level_decay_db_per_second : float
        How fast the running level falls, so that it follows a performer who
        gets softer (it follows one who gets louder at once).
    merge_seconds, merge_rise_db : float
        An onset less than ``merge_seconds`` after the onset of the open
        snippet opens no new one unless its level is more than
        ``merge_rise_db`` over that onset's: a plosive and its fricative
        ("ksh", "ts", "pf") stay one sound (``OnsetSlicer.n_merged``).
    """

    sample_rate: int = 48000
    window_seconds: float = 0.046
    hops_per_window: int = 8
    short_window_seconds: float = 0.012
    n_mels: int = 40
    delta_db: float = 3.0
    flux_lag_fraction: float = 0.5
    flux_top_fraction: float = 0.25
    level_rise_db: float = 0.5
    gate_db: float = -50.0
    silence_db: float = -60.0
    silence_seconds: float = 0.1
    min_gap_seconds: float = 0.03
    pre_roll_seconds: float = 0.005
    max_seconds: float = 2.0
    median_seconds: float = 0.1
    batch_frames: int = 8
    peak_seconds: float = 0.03
    quiet_gate: bool = True
    quiet_db: float = 10.0
    level_decay_db_per_second: float = 2.0
    merge_seconds: float = 0.08
    merge_rise_db: float = 0.0

    def __post_init__(self) -> None:
        if not isinstance(self.quiet_gate, bool):
            raise ValueError(f"SlicerConfig.quiet_gate must be True or False, got {self.quiet_gate!r}")
        if not isinstance(self.batch_frames, int) or not 1 <= self.batch_frames <= 64:
            raise ValueError("SlicerConfig.batch_frames must be an integer in 1..64, "
                             f"got {self.batch_frames!r}")
        if not isinstance(self.hops_per_window, int) or not 2 <= self.hops_per_window <= 32:
            raise ValueError("SlicerConfig.hops_per_window must be an integer in 2..32, "
                             f"got {self.hops_per_window!r}")
        for name, lo, hi in (("window_seconds", 0.002, 0.5), ("short_window_seconds", 0.001, 0.1),
                             ("delta_db", 0.0, 100.0), ("flux_lag_fraction", 0.0, 1.0),
                             ("flux_top_fraction", 0.01, 1.0), ("level_rise_db", 0.0, 60.0),
                             ("gate_db", -150.0, 0.0), ("silence_db", -150.0, 0.0),
                             ("silence_seconds", 0.0, 10.0), ("min_gap_seconds", 0.0, 10.0),
                             ("pre_roll_seconds", 0.0, 1.0), ("max_seconds", 0.01, 600.0),
                             ("median_seconds", 0.0, 10.0), ("peak_seconds", 0.001, 0.5),
                             ("quiet_db", 0.0, 100.0), ("level_decay_db_per_second", 0.0, 100.0),
                             ("merge_seconds", 0.0, 1.0), ("merge_rise_db", -60.0, 60.0)):
            v = getattr(self, name)
            if not (isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
                    and lo <= v <= hi):
                raise ValueError(f"SlicerConfig.{name} must be in {lo}..{hi}, got {v!r}")
        self.mel_config()  # validates sample_rate and n_mels
        self.short_mel_config()

    def _pow2(self, seconds: float) -> int:
        return 1 << max(4, round(math.log2(seconds * self.sample_rate)))

    def mel_config(self) -> MelConfig:
        """The detection spectrogram."""
        n = self._pow2(self.window_seconds)
        return MelConfig(sample_rate=self.sample_rate, n_fft=n,
                         hop_length=max(1, n // self.hops_per_window), n_mels=self.n_mels,
                         fmax=min(16000.0, self.sample_rate / 2))

    def short_mel_config(self) -> MelConfig:
        """The short window that places an attack once the long one found it."""
        n = self._pow2(self.short_window_seconds)
        return MelConfig(sample_rate=self.sample_rate, n_fft=n, hop_length=max(1, n // 8),
                         n_mels=16, fmax=min(16000.0, self.sample_rate / 2))

    @property
    def n_fft(self) -> int:
        return self.mel_config().n_fft

    @property
    def hop_length(self) -> int:
        return self.mel_config().hop_length

    def frames(self, seconds: float) -> int:
        """Detection frames in ``seconds`` (at least 1)."""
        return max(1, round(seconds * self.sample_rate / self.hop_length))


class OnsetSlicer:
    """Snippets that start at onsets (minus a pre-roll) and end at the next
    onset, after ``silence_seconds`` under ``silence_db``, or at ``max_seconds``.

    Not every onset starts a snippet: one soon after the open snippet's onset
    and not louder joins it (``merge_seconds``), and one well under the
    running level of recent hits is a quiet noise (``quiet_gate``): it ends
    the open snippet and starts none. ``n_merged`` and ``n_quiet`` count them.

    Parameters
    ----------
    config : SlicerConfig, optional
    """

    def __init__(self, config: SlicerConfig | None = None) -> None:
        self.config = c = config or SlicerConfig()
        mc = c.mel_config()
        self._plan = mel_plan(mc)
        self._n_fft, self._hop = mc.n_fft, mc.hop_length
        short = c.short_mel_config()
        self._short = (short.hop_length, *mel_plan(short).kernel_args)
        self._work = np.empty(max(self._plan.work_size, mel_plan(short).work_size))
        # Earliest an onset can be placed before its detection frame's window.
        self._reach = 2 * self._n_fft + 2 * short.n_fft + 8 * 16
        self._post = 2
        n_med = c.frames(c.median_seconds)
        self._params = np.array([1e-10, c.delta_db, c.gate_db, c.silence_db, 3, self._post,
                                 c.frames(c.min_gap_seconds), n_med,
                                 c.frames(c.silence_seconds), 16,
                                 max(1, round(c.flux_top_fraction * c.n_mels)),
                                 c.flux_top_fraction, c.level_rise_db],
                                dtype=np.float64)
        self._lag = max(1, round(c.flux_lag_fraction * c.hops_per_window))
        self._ring = n_med + 2 * self._post + self._lag + 8
        self._pre_roll = round(c.pre_roll_seconds * c.sample_rate)
        self._max_len = round(c.max_seconds * c.sample_rate)
        # Samples kept before the next frame: its window plus the refinement reach.
        self._keep = self._reach + (self._post + 8) * self._hop
        self._peak_len = max(1, round(c.peak_seconds * c.sample_rate))
        self._merge_len = round(c.merge_seconds * c.sample_rate)
        self._decay = c.level_decay_db_per_second / c.sample_rate  # dB per frame
        self.n_nonfinite = 0
        self.n_gaps = 0
        self.n_quiet = 0
        self.n_merged = 0
        self._pending: deque[tuple[int, int]] = deque()  # detected, not yet acted on
        self._ref: tuple[float, int] | None = None  # running level (dB) and its frame
        self._buf = np.zeros(1 << 16, dtype=np.float32)
        self._expected: int | None = None
        self._reset_detector(0)

    def _reset_detector(self, origin: int) -> None:
        self._origin = origin
        self._seg0 = origin
        self._n = 0
        self._t_next = 0
        self._fstate = np.zeros((self._lag, self.config.n_mels))
        self._istate = np.zeros(_k.N_ISTATE, dtype=np.int64)
        self._istate[_k.I_LAST_ONSET] = -(1 << 40)
        self._flux = np.zeros(self._ring)
        self._level = np.full(self._ring, -200.0)
        self._open: tuple[int, int, float] | None = None  # (start, onset, level)
        self._floor = origin  # no snippet starts before this (the last end)

    def _close(self, end: int, why: str, out: list[Snippet]) -> None:
        start, onset, _ = self._open
        end = max(end, start + 1)
        out.append(Snippet(start, end, onset, why))
        self._open = None
        self._floor = end

    def _close_if_long(self, upto: int, out: list[Snippet]) -> None:
        if self._open is not None and upto >= self._open[0] + self._max_len:
            self._close(self._open[0] + self._max_len, "max_length", out)

    def feed(self, chunk: np.ndarray, start_frame: int) -> list[Snippet]:
        """Add ``chunk`` (absolute frames ``start_frame ..``); returns the
        snippets that ended."""
        chunk = check_chunk(chunk, start_frame, self._expected)
        out: list[Snippet] = []
        if self._expected is None:
            self._reset_detector(int(start_frame))
        elif start_frame > self._expected:
            self.n_gaps += 1
            self._drain(out, final=True)
            if self._open is not None:
                self._close_if_long(self._expected, out)
                if self._open is not None:
                    self._close(self._expected, "gap", out)
            self._reset_detector(int(start_frame))
        self._expected = int(start_frame) + chunk.shape[0]
        if chunk.shape[0] == 0:
            return out
        self._store(chunk)
        # Frames whose window has fully arrived, in batches: the FFT is several
        # times cheaper per frame over a block of frames than over one.
        last = (self._expected - self._origin - self._n_fft // 2) // self._hop
        if last + 1 - self._t_next >= self.config.batch_frames:
            self._run(last, out)
        # Close by length only up to where no later event can land: onsets
        # come from undecided frames, silence from a run that may have begun
        # silence_frames ago.
        safe = self._t_next - self._post - 4 - int(self._params[8])
        upto = self._origin + safe * self._hop - self._reach
        if self._pending:  # nothing closes before an onset not yet acted on
            upto = min(upto, self._pending[0][1])
        self._close_if_long(upto, out)
        return out

    def _run(self, last: int, out: list[Snippet]) -> None:
        """Detect on frames ``t_next .. last``."""
        n_ready = last + 1 - self._t_next
        if n_ready <= 0:
            return
        events = np.empty((2 * n_ready + 2, 2), dtype=np.int64)
        n_ev = _k._detect(self._buf, self._n, self._seg0, self._origin, self._t_next,
                          n_ready, self._hop, *self._plan.kernel_args, self._params,
                          self._fstate, self._istate, self._flux, self._level, events,
                          *self._short, self._work)
        self._t_next += n_ready
        self._pending.extend((int(kind), int(pos)) for kind, pos in events[:n_ev])
        self._drain(out, final=False)

    def _peak_db(self, pos: int, final: bool) -> float | None:
        """Sample peak (dBFS) of ``[pos, pos + peak_seconds)``; None until that
        has arrived, unless ``final`` (the input ends: what there is)."""
        hi = min(pos + self._peak_len, self._seg0 + self._n)
        if hi < pos + self._peak_len and not final:
            return None
        seg = self._buf[max(0, pos - self._seg0): max(0, hi - self._seg0)]
        peak = float(np.abs(seg).max()) if seg.size else 0.0
        return 20.0 * math.log10(peak + 1e-10)

    def _drain(self, out: list[Snippet], final: bool) -> None:
        """Act on detected events, in order, once their onset's level is known."""
        while self._pending:
            kind, pos = self._pending[0]
            level = 0.0
            if kind == _k.EV_ONSET:
                level = self._peak_db(pos, final)
                if level is None:
                    return
            self._pending.popleft()
            self._event(kind, pos, level, out)

    def _event(self, kind: int, pos: int, level: float, out: list[Snippet]) -> None:
        self._close_if_long(pos, out)
        if kind == _k.EV_QUIET:
            if self._open is not None:
                self._close(pos, "silence", out)
            return
        c = self.config
        if (self._open is not None and pos - self._open[1] < self._merge_len
                and level <= self._open[2] + c.merge_rise_db):
            self.n_merged += 1  # the second part of the open snippet's sound
            return
        ref = None if self._ref is None else self._ref[0] - self._decay * (pos - self._ref[1])
        start = max(pos - self._pre_roll, self._floor)
        if self._open is not None:
            start = max(start, self._open[0] + 1)
            self._close(start, "onset", out)
        if c.quiet_gate and ref is not None and level < ref - c.quiet_db:
            self.n_quiet += 1  # a breath, a click, a tail: no sound of its own
            return
        self._ref = (level if ref is None else max(ref, level), pos)
        self._open = (start, pos, level)

    def _store(self, chunk: np.ndarray) -> None:
        need_from = self._origin + self._t_next * self._hop - self._keep
        if self._pending:  # an onset whose level is still to be read
            need_from = min(need_from, self._pending[0][1])
        drop = min(max(0, need_from - self._seg0), self._n)
        if self._n + chunk.shape[0] > self._buf.shape[0] and drop > 0:
            self._buf[: self._n - drop] = self._buf[drop: self._n]
            self._n -= drop
            self._seg0 += drop
        if self._n + chunk.shape[0] > self._buf.shape[0]:
            grown = np.zeros(max(2 * self._buf.shape[0], self._n + chunk.shape[0]), np.float32)
            grown[: self._n] = self._buf[: self._n]
            self._buf = grown
        self.n_nonfinite += int(_k._append(self._buf, self._n, chunk))
        self._n += chunk.shape[0]

    def flush(self) -> list[Snippet]:
        """End of input: the open snippet ends at the last frame fed.

        The slicer then starts afresh with the next ``feed``.
        """
        out: list[Snippet] = []
        if self._expected is None:
            return out
        # The last frames see zeros past the end, as librosa's centred frames do.
        self._run((self._expected - self._origin) // self._hop + self._post, out)
        self._drain(out, final=True)
        if self._open is not None:
            self._close_if_long(self._expected, out)
            if self._open is not None:
                self._close(self._expected, "flush", out)
        self._expected = None
        self._ref = None  # the next feed is a new performance
        return out
