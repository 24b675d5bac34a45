"""One fixed-length vector per snippet, whatever its length.

Runs on: analysis worker (one ``FeatureExtractor`` per worker is fine; it
holds no mutable state beyond per-thread scratch, so sharing one is fine too).

Two stages. The *descriptors* (``FeatureConfig`` defaults: 64 mel bands, 16
envelope frames, 20 MFCCs, 16 pooled bands: 283 values, float32) are

- ``[0, n_mels)``: mean over frames of each band's dB, minus the snippet's
  loudest dB value (so a soft and a hard hit of one drum land together);
- ``[n_mels, 2 n_mels)``: ``std_weight`` x the standard deviation over frames
  of each band's dB (how much the band moves: decays, rattles);
- ``[2 n_mels, 2 n_mels + n_env)``: the frame energy envelope in dB under its
  maximum for the first ``n_env`` frames (~190 ms), -80 past the snippet end;
- then the timbre block of timbre.py: MFCC means, stds and delta stds, the
  spectral shape (centroid, bandwidth, flatness, roll-off) and the attack
  (pooled bands over four windows to 600 ms) and the decay to 1 s.

Then the *projection* (projection.py), learned offline from a labelled corpus
and shipped as numpy weights, standardises them and keeps the directions that
tell kinds of sound apart: the vector the map and the clusters work on
(``n_features`` values). ``FeatureExtractor(projection=None)`` gives the
descriptors themselves. Chosen by leave-sources-out scores on the development
corpus (benchmarks/bench_quality.py; docs/quality.md has the figures).

Only the first ``max_seconds`` are analysed and the mean (DC) of that part is
removed first.

Bad input never raises from ``analyze``/``vector`` once the array itself is
well formed (1-D float32/float64, >= 1 sample): NaN and inf samples are read as
0 and counted in ``SnippetFeatures.n_nonfinite``; clipped samples are counted;
silence gives a defined vector (all bands equal) with ``peak_db`` at -inf.
Malformed arrays and bad sample rates raise ``ValueError`` naming the value.
"""

from __future__ import annotations

import functools
import math
import threading
from dataclasses import dataclass, field

import numpy as np
from numba import njit

from livemappr.analysis.fft import DEFAULT_FFT, _work_size
from livemappr.analysis.melbank import _log10_inplace, _mel_power_into, kernel_array, workspace
from livemappr.analysis.plan import MelConfig, MelPlan, band_centres, mel_plan
from livemappr.analysis.projection import Projection, default_projection
from livemappr.analysis.timbre import (ATTACK_S, DECAY_S, N_DECAY, N_SHAPE, N_WINDOWS, dct_matrix,
                                       n_timbre, timbre_block)

__all__ = ["FeatureConfig", "SnippetFeatures", "FeatureExtractor"]

_AMIN = 1e-10
_TOP_DB = 80.0


@dataclass(frozen=True)
class FeatureConfig:
    """Snippet feature parameters.

    Parameters
    ----------
    sample_rate : int
        Rate the mel parameters are given for, 1000..384000 Hz. Snippets at
        another rate are analysed with n_fft and hop scaled to keep durations.
    n_fft, hop_length, n_mels : int
        As in ``MelConfig``.
    fmax : float
        Top of the mel range in Hz, the same at every sample rate (bands above
        a snippet's Nyquist stay empty).
    max_seconds : float
        Only the first max_seconds of a snippet are analysed, 0.05..10.
    n_env : int
        Envelope frames in the vector, 0..256.
    std_weight : float
        Weight of the std block, >= 0.
    clip_level : float
        Samples with magnitude >= clip_level count as clipped, in (0, 1].
    """

    sample_rate: int = 22050
    n_fft: int = 1024
    hop_length: int = 256
    n_mels: int = 64
    fmax: float = 11025.0
    max_seconds: float = 1.0
    n_env: int = 16
    std_weight: float = 2.0
    clip_level: float = 0.999
    n_mfcc: int = 20
    n_attack: int = 16

    def __post_init__(self) -> None:
        # MelConfig validates sample_rate, n_fft, hop_length, n_mels, fmax.
        self.mel_config(self.sample_rate)
        if not (isinstance(self.max_seconds, (int, float)) and 0.05 <= self.max_seconds <= 10):
            raise ValueError(f"FeatureConfig.max_seconds must be in 0.05..10, got {self.max_seconds!r}")
        if not (isinstance(self.n_env, int) and 0 <= self.n_env <= 256):
            raise ValueError(f"FeatureConfig.n_env must be an integer in 0..256, got {self.n_env!r}")
        if not (isinstance(self.std_weight, (int, float)) and math.isfinite(self.std_weight)
                and self.std_weight >= 0):
            raise ValueError(f"FeatureConfig.std_weight must be >= 0, got {self.std_weight!r}")
        if not (isinstance(self.clip_level, (int, float)) and 0 < self.clip_level <= 1):
            raise ValueError(f"FeatureConfig.clip_level must be in (0, 1], got {self.clip_level!r}")
        if not (isinstance(self.n_mfcc, int) and 0 <= self.n_mfcc <= self.n_mels):
            raise ValueError(f"FeatureConfig.n_mfcc must be an integer in 0..n_mels ({self.n_mels}), "
                             f"got {self.n_mfcc!r}")
        if not (isinstance(self.n_attack, int) and 1 <= self.n_attack <= self.n_mels
                and self.n_mels % self.n_attack == 0):
            raise ValueError(f"FeatureConfig.n_attack must divide n_mels ({self.n_mels}), "
                             f"got {self.n_attack!r}")

    @property
    def n_features(self) -> int:
        """Length of the vector."""
        return 2 * self.n_mels + self.n_env + (n_timbre(self.n_mfcc, self.n_attack) if self.n_mfcc else 0)

    @property
    def layout(self) -> str:
        """Everything that decides the descriptor values, as one string: a learned
        projection is applied only to the layout it was learned on."""
        return (f"livemappr-descriptors-2 sr={self.sample_rate} n_fft={self.n_fft} "
                f"hop={self.hop_length} n_mels={self.n_mels} fmax={self.fmax:g} "
                f"max_seconds={self.max_seconds:g} n_env={self.n_env} std_weight={self.std_weight:g} "
                f"n_mfcc={self.n_mfcc} n_attack={self.n_attack} windows={ATTACK_S} decay={DECAY_S}")

    def mel_config(self, sample_rate: int) -> MelConfig:
        """Mel parameters for snippets at ``sample_rate`` (durations kept)."""
        ratio = sample_rate / self.sample_rate
        n_fft = self.n_fft if ratio == 1 else 1 << max(4, round(math.log2(self.n_fft * ratio)))
        hop = self.hop_length if ratio == 1 else max(1, round(self.hop_length * ratio))
        return MelConfig(sample_rate=sample_rate, n_fft=n_fft, hop_length=hop,
                         n_mels=self.n_mels, fmin=0.0, fmax=self.fmax)


@dataclass(frozen=True)
class SnippetFeatures:
    """The vector of one snippet and what was wrong with its samples.

    Attributes
    ----------
    vector : ndarray of shape (n_features,), float32
    n_samples : int
        Samples in the snippet (all of them, not only the analysed part).
    n_nonfinite : int
        NaN/inf samples in the analysed part, read as 0.
    n_clipped : int
        Samples in the analysed part at or above ``clip_level`` in magnitude.
    peak_db, rms_db : float
        Of the analysed part after DC removal, dB full scale (-inf for silence).
    """

    vector: np.ndarray = field(repr=False)
    n_samples: int
    n_nonfinite: int
    n_clipped: int
    peak_db: float
    rms_db: float


@njit(nogil=True, cache=True)
def _features(y, n_use, clip_level, hop, window, tw_re, tw_im, post_re, post_im,
              band_start, band_len, band_off, weights, n_env, std_weight, freqs, dct,
              attack_frames, decay_frames, n_attack, out, stats, work, fft):
    """Vector of ``y[:n_use]`` into ``out``; stats gets
    (n_nonfinite, n_clipped, peak, mean square) after DC removal. ``work``:
    float64 scratch of ``_kernel_work(...)`` values. With ``dct`` of 0 rows
    the timbre block is left out."""
    n_fft = window.shape[0]
    n_mels = band_start.shape[0]
    n_frames = 1 + n_use // hop
    fft_work = _work_size(n_fft, hop)
    x = work[fft_work:fft_work + n_use]
    at = fft_work + n_use
    mel = work[at:at + n_mels * n_frames].reshape((n_mels, n_frames))
    at += n_mels * n_frames
    env = work[at:at + n_frames]
    at += n_frames
    n_mfcc = dct.shape[0]
    timbre = n_mfcc > 0
    power = work[at:at + n_mels * n_frames].reshape((n_mels, n_frames))
    at += n_mels * n_frames
    scratch = work[at:at + (n_mfcc + 5) * n_frames]
    at += (n_mfcc + 5) * n_frames
    block = work[at:at + 3 * n_mfcc + N_SHAPE + N_WINDOWS * n_attack + N_DECAY]
    n_bad = 0
    n_clip = 0
    total = 0.0
    for i in range(n_use):
        v = np.float64(y[i])
        if not (v - v == 0.0):
            n_bad += 1
            v = 0.0
        if abs(v) >= clip_level:
            n_clip += 1
        x[i] = v
        total += v
    dc = total / n_use
    peak = 0.0
    sq = 0.0
    for i in range(n_use):
        v = x[i] - dc
        x[i] = v
        peak = max(peak, abs(v))
        sq += v * v
    _mel_power_into(x, -(n_fft // 2), 0, n_frames, hop, window, tw_re, tw_im, post_re,
                    post_im, band_start, band_len, band_off, weights, 2.0, mel, 0, work, fft)
    # Frame energies before mel turns into dB.
    for t in range(n_frames):
        env[t] = 0.0
    for b in range(n_mels):
        for t in range(n_frames):
            env[t] += mel[b, t]
    for t in range(n_frames):
        env[t] = max(_AMIN, env[t])
    _log10_inplace(env)
    for t in range(n_frames):
        env[t] *= 10.0
    if timbre:
        for b in range(n_mels):
            for t in range(n_frames):
                power[b, t] = mel[b, t]
    # power_to_db(ref=1, amin=1e-10, top_db=80) of the snippet.
    flat = mel.reshape(n_mels * n_frames)
    for i in range(flat.shape[0]):
        flat[i] = max(_AMIN, flat[i])
    _log10_inplace(flat)
    top = -np.inf
    for i in range(flat.shape[0]):
        flat[i] *= 10.0
        top = max(top, flat[i])
    floor = top - _TOP_DB
    for b in range(n_mels):
        s = 0.0
        for t in range(n_frames):
            d = max(mel[b, t], floor)
            mel[b, t] = d
            s += d
        mean = s / n_frames
        ss = 0.0
        for t in range(n_frames):
            d = mel[b, t] - mean
            ss += d * d
        out[b] = np.float32(mean - top)
        out[n_mels + b] = np.float32(std_weight * math.sqrt(ss / n_frames))
    etop = -np.inf
    for t in range(n_frames):
        etop = max(etop, env[t])
    for t in range(n_env):
        v = -_TOP_DB
        if t < n_frames:
            v = max(env[t] - etop, -_TOP_DB)
        out[2 * n_mels + t] = np.float32(v)
    if timbre:
        timbre_block(power, mel, top, freqs, dct, attack_frames, decay_frames, n_attack, scratch, block)
        o = 2 * n_mels + n_env
        for i in range(block.shape[0]):
            out[o + i] = np.float32(block[i])
    stats[0] = n_bad
    stats[1] = n_clip
    stats[2] = peak
    stats[3] = sq / n_use


@functools.lru_cache(maxsize=64)
def _timbre_tables(config: FeatureConfig, mel: MelConfig):
    """Band centres, DCT rows and the window frame bounds for one rate."""
    freqs = band_centres(mel)
    dct = dct_matrix(config.n_mfcc, config.n_mels)

    def frames(seconds):
        # frame t is centred at t * hop: window [a, b) holds frames with a <= t*hop/sr < b
        bounds = [math.ceil(s * mel.sample_rate / mel.hop_length - 1e-9) for s in seconds]
        for i in range(1, len(bounds)):
            bounds[i] = max(bounds[i], bounds[i - 1] + 1)
        return np.array(bounds, dtype=np.int64)

    attack, decay = frames(ATTACK_S), frames(DECAY_S)
    for a in (freqs, attack, decay):
        a.setflags(write=False)
    return freqs, dct, attack, decay


class FeatureExtractor:
    """Snippet -> feature vector.

    Parameters
    ----------
    config : FeatureConfig, optional
    """

    def __init__(self, config: FeatureConfig | None = None,
                 projection: Projection | str | None = "default") -> None:
        self.config = config or FeatureConfig()
        if isinstance(projection, str):
            if projection != "default":
                raise ValueError(f"projection must be a Projection, 'default' or None, got {projection!r}")
            projection = default_projection()
            if projection is not None and projection.layout != self.config.layout:
                projection = None  # learned on other descriptors: this config maps them raw
        elif projection is not None:
            if projection.layout != self.config.layout or projection.n_in != self.config.n_features:
                raise ValueError(f"the projection was learned on descriptors '{projection.layout}', "
                                 f"these are '{self.config.layout}'")
        self.projection = projection
        self._raw = threading.local()
        self._plans = {}  # sample rate -> _kernel_plan (read-only once made: shared by threads)

    @property
    def n_features(self) -> int:
        """Length of the vector: the projection's output, or the descriptors."""
        return self.projection.n_out if self.projection is not None else self.config.n_features

    def _plan(self, sample_rate: int | None) -> MelPlan:
        sr = self.config.sample_rate if sample_rate is None else sample_rate
        if sr == self.config.sample_rate:
            return mel_plan(self.config.mel_config(sr))
        if not (isinstance(sr, (int, np.integer)) and not isinstance(sr, bool)
                and 1000 <= sr <= 384000):
            raise ValueError(f"sample_rate must be an integer in 1000..384000, got {sr!r}")
        return mel_plan(self.config.mel_config(int(sr)))

    def analyze(self, y: np.ndarray, sample_rate: int | None = None,
                out: np.ndarray | None = None) -> SnippetFeatures:
        """Feature vector and sample report of one snippet.

        Parameters
        ----------
        y : ndarray of shape (n_samples,), float32 or float64, n_samples >= 1
        sample_rate : int, optional
            Rate of ``y``; default ``config.sample_rate``.
        out : ndarray of shape (n_features,), float32, optional
            Written and returned as ``vector`` (e.g. a row of the sample bank).

        Returns
        -------
        SnippetFeatures

        Raises
        ------
        ValueError
            If ``y`` is not a 1-D float32/float64 array with >= 1 sample, if
            ``sample_rate`` is outside 1000..384000, or ``out`` is malformed.
        """
        if not isinstance(y, np.ndarray) or y.ndim != 1:
            raise ValueError(f"y must be a 1-D numpy array, got {getattr(y, 'shape', type(y))}")
        if y.dtype != np.float32 and y.dtype != np.float64:
            raise ValueError(f"y must have dtype float32 or float64, got {y.dtype}")
        if y.shape[0] < 1:
            raise ValueError("y must have at least 1 sample, got 0")
        plan, args, tables = self._kernel_plan(sample_rate)
        c = plan.config
        if out is None:
            out = np.empty(self.n_features, dtype=np.float32)
        elif (out.shape != (self.n_features,) or out.dtype != np.float32
              or not out.flags.c_contiguous):
            raise ValueError(f"out must be C-contiguous float32 of shape ({self.n_features},), "
                             f"got {out.dtype} {out.shape}")
        raw = out if self.projection is None else self._raw_buffer()
        n_use = min(y.shape[0], max(1, int(self.config.max_seconds * c.sample_rate)))
        stats = np.empty(4, dtype=np.float64)
        n_frames = 1 + n_use // c.hop_length
        work = workspace(plan.work_size + n_use + (2 * c.n_mels + self.config.n_mfcc + 6) * n_frames
                         + n_timbre(self.config.n_mfcc, self.config.n_attack))
        _features(kernel_array(y), n_use, *args, *tables, raw, stats, work, DEFAULT_FFT)
        if self.projection is not None:
            self.projection.apply(raw, out)
        peak_db = 20 * math.log10(stats[2]) if stats[2] > 0 else -math.inf
        rms_db = 10 * math.log10(stats[3]) if stats[3] > 0 else -math.inf
        return SnippetFeatures(out, int(y.shape[0]), int(stats[0]), int(stats[1]), peak_db, rms_db)

    def _kernel_plan(self, sample_rate):
        """(plan, the kernel's arguments before the tables, the tables) for a
        rate, built once per rate: a snippet costs the kernel, not its set-up."""
        hit = self._plans.get(sample_rate)
        if hit is None:
            plan = self._plan(sample_rate)
            c = plan.config
            cfg = self.config
            args = (float(cfg.clip_level), c.hop_length, *plan.kernel_args, cfg.n_env, float(cfg.std_weight))
            freqs, dct, attack, decay = _timbre_tables(cfg, c)
            hit = self._plans[sample_rate] = (plan, args, (freqs, dct, attack, decay, cfg.n_attack))
        return hit

    def _raw_buffer(self) -> np.ndarray:
        buf = getattr(self._raw, "buf", None)
        if buf is None:
            buf = self._raw.buf = np.empty(self.config.n_features, dtype=np.float32)
        return buf

    def vector(self, y: np.ndarray, sample_rate: int | None = None) -> np.ndarray:
        """Only the vector of ``analyze``: ndarray of shape (n_features,), float32."""
        return self.analyze(y, sample_rate).vector
