"""Mel spectrograms and dB conversion in numba, matching librosa's maths.

Runs on: analysis worker (slicer and features); ``compile_kernels`` on the main
thread before the audio stream starts.

``melspectrogram`` equals ``librosa.feature.melspectrogram`` and ``power_to_db``
equals ``librosa.power_to_db`` for the parameters in ``MelConfig`` (tests check
1e-4 relative error, see tests/test_melbank.py for the exact definition), but
runs as one nogil kernel call without librosa on the runtime path. Filterbanks,
windows and FFT twiddles are built once per ``MelConfig`` and cached; the FFT is
pocketfft through rocket-fft when installed, else our own (see fft.py).

Bad samples: NaN and +-inf are read as 0 (``mel_power_into`` returns how many
there were; ``features.FeatureExtractor.analyze`` reports the count). Nothing
here raises on sample values; only malformed arrays or parameters raise
``ValueError``.
"""

from __future__ import annotations

import functools
import math
import threading
from dataclasses import dataclass

import numpy as np
from numba import njit

from livemappr.analysis.fft import DEFAULT_FFT, FFT_BLOCK, _block_frames, _block_power
from livemappr.analysis.plan import MelConfig, MelPlan, mel_plan

__all__ = ["MelConfig", "MelPlan", "DbConfig", "mel_plan", "mel_filterbank", "workspace",
           "melspectrogram", "power_to_db", "melspectrogram_db", "n_frames_for"]


@dataclass(frozen=True)
class DbConfig:
    """Parameters of ``power_to_db``, as in librosa.

    Parameters
    ----------
    ref : float or "max"
        Reference power (0 dB), or "max" for the largest value of the input.
    amin : float
        Floor applied to input and reference before the logarithm, > 0.
    top_db : float or None
        Output is clipped to ``max - top_db``; None disables clipping.
    """

    ref: float | str = 1.0
    amin: float = 1e-10
    top_db: float | None = 80.0

    def __post_init__(self) -> None:
        if isinstance(self.ref, str):
            if self.ref != "max":
                raise ValueError(f"DbConfig.ref must be a positive number or 'max', got {self.ref!r}")
        elif not (math.isfinite(self.ref) and self.ref > 0):
            raise ValueError(f"DbConfig.ref must be a positive number or 'max', got {self.ref!r}")
        if not (math.isfinite(self.amin) and self.amin > 0):
            raise ValueError(f"DbConfig.amin must be > 0, got {self.amin!r}")
        if self.top_db is not None and not (math.isfinite(self.top_db) and self.top_db >= 0):
            raise ValueError(f"DbConfig.top_db must be >= 0 or None, got {self.top_db!r}")

    @property
    def ref_value(self) -> float:
        """Reference as a number; -1.0 stands for "max" inside kernels."""
        return -1.0 if self.ref == "max" else float(self.ref)

    @property
    def top_db_value(self) -> float:
        """top_db as a number; -1.0 stands for None inside kernels."""
        return -1.0 if self.top_db is None else float(self.top_db)


_local = threading.local()


def workspace(n: int) -> np.ndarray:
    """This thread's float64 scratch array of at least ``n`` values (kernels
    run nogil on several workers at once, so scratch is never shared)."""
    w = getattr(_local, "work", None)
    if w is None or w.shape[0] < n:
        w = np.empty(max(n, 1 << 16))
        _local.work = w
    return w


def n_frames_for(n_samples: int, config: MelConfig) -> int:
    """Number of frames librosa makes of ``n_samples`` samples."""
    if config.center:
        return 1 + n_samples // config.hop_length
    return 1 + (n_samples - config.n_fft) // config.hop_length


@njit(nogil=True, cache=True)
def _apply_bands(pw, nb, band_start, band_len, band_off, weights, out, col):
    """``out[b, col + f] = sum_k weights_b[k] * pw[k * nb + f]`` for every band."""
    U = np.uint64
    nbu = U(nb)
    n_mels = band_start.shape[0]
    for b in range(n_mels):
        row = out[b, col:col + nb]
        for f in range(nbu):
            row[f] = 0.0
        k0 = U(band_start[b])
        o = U(band_off[b])
        for j in range(U(band_len[b])):
            w = weights[o + j]
            base = (k0 + j) * nbu
            for f in range(nbu):
                row[f] += w * pw[base + f]


@njit(nogil=True, cache=True)
def _fill_finite(y, a, b, seg, at):
    """``seg[at + i] = y[a + i]`` for ``i < b - a``, as float64, NaN/inf -> 0."""
    U = np.uint64
    au = U(a)
    atu = U(at)
    for i in range(U(b - a)):
        v = np.float64(y[au + i])
        seg[atu + i] = v if v - v == 0.0 else 0.0


@njit(nogil=True, cache=True)
def _mel_power_into(y, origin, frame0, n_frames, hop, window, tw_re, tw_im,
                    post_re, post_im, band_start, band_len, band_off, weights,
                    power, out, col0, work, fft):
    """Mel power of frames ``frame0 .. frame0 + n_frames - 1`` into ``out``.

    Frame ``t`` covers ``y[origin + t * hop : origin + t * hop + n_fft]``; samples
    outside ``y`` are 0 and non-finite samples count as 0. Band ``b`` of frame
    ``frame0 + i`` goes to ``out[b, col0 + i]``. Returns the number of
    non-finite samples among those read (each sample counted once).
    """
    n_fft = window.shape[0]
    m = n_fft // 2
    n_bins = m + 1
    nb_max = _block_frames(fft)
    seg_len = (nb_max - 1) * hop + n_fft
    blk = m * FFT_BLOCK
    seg = work[:seg_len]
    scratch = work[seg_len:seg_len + 4 * blk]
    pw = work[seg_len + 4 * blk:seg_len + 4 * blk + n_bins * nb_max]
    n_y = y.shape[0]
    # Count non-finite samples once, over everything the frames read.
    lo_all = max(0, origin + frame0 * hop)
    hi_all = min(n_y, origin + (frame0 + n_frames - 1) * hop + n_fft)
    n_bad = 0
    for i in range(lo_all, hi_all):
        v = y[i]
        n_bad += not (v - v == 0.0)
    done = 0
    while done < n_frames:
        nb = min(nb_max, n_frames - done)
        lo = origin + (frame0 + done) * hop
        hi = lo + (nb - 1) * hop + n_fft
        # The block's samples as float64, 0 outside y and for NaN/inf
        # (v - v is 0 only for finite v); branch-free so it vectorizes.
        a = min(max(lo, 0), hi)
        b = max(min(hi, n_y), a)
        seg[: a - lo] = 0.0
        seg[b - lo: hi - lo] = 0.0
        _fill_finite(y, a, b, seg, a - lo)
        _block_power(fft, seg, 0, nb, hop, window, tw_re, tw_im, post_re, post_im,
                     scratch, pw)
        if power == 1.0:
            for j in range(n_bins * nb):
                pw[j] = math.sqrt(pw[j])
        elif power != 2.0:
            for j in range(n_bins * nb):
                pw[j] = pw[j] ** (0.5 * power)
        _apply_bands(pw, nb, band_start, band_len, band_off, weights, out, col0 + done)
        done += nb
    return n_bad


@njit(nogil=True, cache=True, fastmath={"contract"})
def _log10_inplace(a):
    """``a[i] = log10(a[i])`` for positive normal float64 values, 1-D.

    Exponent from the bits, then an atanh series for the mantissa folded into
    [0.71, 1.41): about 1e-12 relative (1e-11 dB) and, unlike libm's scalar
    log10, vectorized: dB conversion was a tenth of a snippet's time.
    """
    n = a.shape[0]
    bits = a.view(np.int64)
    ex = np.empty(n)
    for i in range(n):
        b = bits[i]
        ex[i] = np.float64((b >> 52) - 1023)
        bits[i] = (b & 0xFFFFFFFFFFFFF) | 0x3FF0000000000000
    for i in range(n):
        m = a[i]
        big = m > 1.4142135623730951
        m = m * 0.5 if big else m
        e = ex[i] + 1.0 if big else ex[i]
        t = (m - 1.0) / (m + 1.0)
        t2 = t * t
        p = 1.0 + t2 * (1.0 / 3 + t2 * (1.0 / 5 + t2 * (1.0 / 7 + t2 * (
            1.0 / 9 + t2 * (1.0 / 11 + t2 * (1.0 / 13))))))
        a[i] = (e * 0.6931471805599453 + 2.0 * t * p) * 0.4342944819032518


@njit(nogil=True, cache=True)
def _power_to_db_inplace(s, ref, amin, top_db):
    """librosa.power_to_db on a C-contiguous 2-D float64 array, in place.

    ``ref < 0`` means "max of s"; ``top_db < 0`` means no clipping.
    """
    flat = s.reshape(s.size)
    if ref < 0.0:
        ref = 0.0
        for i in range(flat.shape[0]):
            ref = max(ref, flat[i])
    ref_db = 10.0 * math.log10(max(amin, ref))
    for i in range(flat.shape[0]):
        flat[i] = max(amin, flat[i])
    _log10_inplace(flat)
    top = -np.inf
    for i in range(flat.shape[0]):
        v = 10.0 * flat[i] - ref_db
        flat[i] = v
        top = max(top, v)
    if top_db >= 0.0:
        lo = top - top_db
        for i in range(flat.shape[0]):
            flat[i] = max(flat[i], lo)


def _check_signal(y: np.ndarray, name: str = "y") -> np.ndarray:
    if not isinstance(y, np.ndarray):
        raise ValueError(f"{name} must be a numpy array, got {type(y).__name__}")
    if y.ndim != 1:
        raise ValueError(f"{name} must be 1-D mono audio, got shape {y.shape}")
    if y.dtype != np.float32 and y.dtype != np.float64:
        raise ValueError(f"{name} must have dtype float32 or float64, got {y.dtype}")
    if y.shape[0] < 1:
        raise ValueError(f"{name} must have at least 1 sample, got 0")
    return kernel_array(y)


def kernel_array(y: np.ndarray) -> np.ndarray:
    """``y`` as the kernels are compiled for it: C-contiguous and writeable
    (numba compiles read-only or strided arrays anew, stalling a worker)."""
    if not y.flags.c_contiguous or not y.flags.writeable:
        return np.array(y, order="C", copy=True)
    return y


_DEFAULT_MEL = MelConfig()
_DEFAULT_DB = DbConfig()


def _prepare(y: np.ndarray, plan: MelPlan) -> tuple[np.ndarray, int, int]:
    """Checked ``y``, its frame count and the first frame's start offset."""
    y = _check_signal(y)
    c = plan.config
    n_frames = n_frames_for(y.shape[0], c)
    if n_frames < 1:
        raise ValueError(f"y must have at least n_fft={c.n_fft} samples when center=False, "
                         f"got {y.shape[0]}")
    return y, n_frames, (-(c.n_fft // 2) if c.center else 0)


@njit(nogil=True, cache=True)
def _mel_db_into(y, origin, n_frames, hop, window, tw_re, tw_im, post_re, post_im,
                 band_start, band_len, band_off, weights, power, out, work, fft, ref, amin,
                 top_db):
    """``_mel_power_into`` then ``_power_to_db_inplace``: one dispatch per snippet."""
    n_bad = _mel_power_into(y, origin, 0, n_frames, hop, window, tw_re, tw_im, post_re,
                            post_im, band_start, band_len, band_off, weights, power, out, 0,
                            work, fft)
    _power_to_db_inplace(out, ref, amin, top_db)
    return n_bad


def mel_power_into(y: np.ndarray, plan: MelPlan, out: np.ndarray) -> int:
    """Mel power spectrogram of ``y`` into a preallocated array.

    Parameters
    ----------
    y : ndarray of shape (n_samples,), float32 or float64
    plan : MelPlan
    out : ndarray of shape (n_mels, n_frames), float64, C-contiguous

    Returns
    -------
    int
        Number of non-finite samples in ``y`` (read as 0).
    """
    y, n_frames, origin = _prepare(y, plan)
    c = plan.config
    if out.shape != (c.n_mels, n_frames) or out.dtype != np.float64 or not out.flags.c_contiguous:
        raise ValueError(f"out must be C-contiguous float64 of shape {(c.n_mels, n_frames)}, "
                         f"got {out.dtype} {out.shape}")
    return int(_mel_power_into(y, origin, 0, n_frames, c.hop_length, *plan.kernel_args,
                               float(c.power), out, 0, workspace(plan.work_size), DEFAULT_FFT))


def melspectrogram(y: np.ndarray, config: MelConfig | None = None) -> np.ndarray:
    """librosa.feature.melspectrogram in numba.

    Parameters
    ----------
    y : ndarray of shape (n_samples,), float32 or float64
        Mono audio; NaN/inf samples are read as 0.
    config : MelConfig, optional

    Returns
    -------
    ndarray of shape (n_mels, n_frames), float64
        Same layout as librosa.
    """
    plan = mel_plan(config or _DEFAULT_MEL)
    y, n_frames, origin = _prepare(y, plan)
    out = np.empty((plan.config.n_mels, n_frames))
    _mel_power_into(y, origin, 0, n_frames, plan.config.hop_length, *plan.kernel_args,
                    float(plan.config.power), out, 0, workspace(plan.work_size), DEFAULT_FFT)
    return out


def power_to_db(s: np.ndarray, db: DbConfig | None = None) -> np.ndarray:
    """librosa.power_to_db in numba; returns a new float64 array of the same shape.

    Parameters
    ----------
    s : ndarray of shape (n_mels, n_frames) or (n,), non-negative power
    db : DbConfig, optional
    """
    db = db or _DEFAULT_DB
    s = np.asarray(s)
    if s.ndim not in (1, 2) or s.size == 0:
        raise ValueError(f"s must be a non-empty 1-D or 2-D array, got shape {s.shape}")
    if not np.issubdtype(s.dtype, np.floating):
        raise ValueError(f"s must be a float array, got dtype {s.dtype}")
    out = np.array(s, dtype=np.float64, order="C", copy=True)
    _power_to_db_inplace(out.reshape(out.shape[0], -1) if out.ndim == 2 else out.reshape(1, -1),
                         db.ref_value, db.amin, db.top_db_value)
    return out


def melspectrogram_db(y: np.ndarray, config: MelConfig | None = None,
                      db: DbConfig | None = None) -> np.ndarray:
    """``power_to_db(melspectrogram(y, config), db)`` in one kernel call.

    Returns
    -------
    ndarray of shape (n_mels, n_frames), float64
    """
    db = db or _DEFAULT_DB
    plan = mel_plan(config or _DEFAULT_MEL)
    y, n_frames, origin = _prepare(y, plan)
    out = np.empty((plan.config.n_mels, n_frames))
    _mel_db_into(y, origin, n_frames, plan.config.hop_length, *plan.kernel_args,
                 float(plan.config.power), out, workspace(plan.work_size), DEFAULT_FFT,
                 db.ref_value, db.amin, db.top_db_value)
    return out


@functools.cache
def _dense(config: MelConfig) -> np.ndarray:
    plan = mel_plan(config)
    fb = np.zeros((config.n_mels, 1 + config.n_fft // 2))
    for b in range(config.n_mels):
        k0, n, o = plan.band_start[b], plan.band_len[b], plan.band_off[b]
        fb[b, k0:k0 + n] = plan.weights[o:o + n]
    fb.setflags(write=False)
    return fb


def mel_filterbank(config: MelConfig | None = None) -> np.ndarray:
    """Dense filterbank, as librosa.filters.mel builds it (float64, read-only).

    Returns
    -------
    ndarray of shape (n_mels, 1 + n_fft // 2)
    """
    return _dense(config or MelConfig())
