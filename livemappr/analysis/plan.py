"""Mel analysis parameters and everything built once per parameter set.

Runs on: whichever thread first asks for a plan (normally ``compile_kernels`` on
the main thread); plans are immutable and cached, so workers share them.

The filterbank follows librosa.filters.mel (Slaney or HTK mel scale, Slaney
area normalisation or none) and the windows follow scipy's periodic windows
(``fftbins=True``), centred in ``n_fft`` when ``win_length < n_fft``.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

from livemappr.analysis.fft import fft_tables, work_size

__all__ = ["MelConfig", "MelPlan", "mel_plan", "band_centres", "hz_to_mel", "mel_to_hz", "WINDOWS"]

#: Window name -> cosine-sum coefficients (scipy's periodic definitions).
WINDOWS = {
    "hann": (0.5, 0.5),
    "hamming": (0.54, 0.46),
    "blackman": (0.42, 0.5, 0.08),
    "rectangular": (1.0,),
    "boxcar": (1.0,),
}


@dataclass(frozen=True)
class MelConfig:
    """Mel spectrogram parameters, named and defaulted as in librosa except
    ``sample_rate`` (22050), ``n_fft`` (1024), ``hop_length`` (256) and
    ``n_mels`` (64), the values livemappr uses for snippet features.

    Parameters
    ----------
    sample_rate : int
        Hz, 1000..384000.
    n_fft : int
        FFT size, a power of two in 16..65536.
    hop_length : int
        Samples between frames, >= 1.
    win_length : int or None
        Window length <= n_fft (None: n_fft).
    window : str
        One of ``WINDOWS``.
    center : bool
        Pad ``n_fft // 2`` zeros on both sides (librosa's default pad_mode).
    n_mels : int
        1..1024.
    fmin, fmax : float
        Band range in Hz, ``0 <= fmin < fmax``; fmax None means sample_rate / 2.
        Bands above Nyquist are empty (all zero), as in librosa.
    htk : bool
        HTK mel scale instead of Slaney's.
    norm : "slaney" or None
        Slaney area normalisation of the filters.
    power : float
        Exponent of the magnitude, > 0 (2: power, 1: magnitude).
    """

    sample_rate: int = 22050
    n_fft: int = 1024
    hop_length: int = 256
    win_length: int | None = None
    window: str = "hann"
    center: bool = True
    n_mels: int = 64
    fmin: float = 0.0
    fmax: float | None = None
    htk: bool = False
    norm: str | None = "slaney"
    power: float = 2.0

    def __post_init__(self) -> None:
        def bad(field: str, allowed: str) -> ValueError:
            return ValueError(f"MelConfig.{field} must be {allowed}, got {getattr(self, field)!r}")

        if not _is_int(self.sample_rate) or not 1000 <= self.sample_rate <= 384000:
            raise bad("sample_rate", "an integer in 1000..384000")
        n = self.n_fft
        if not _is_int(n) or not 16 <= n <= 65536 or n & (n - 1):
            raise bad("n_fft", "a power of two in 16..65536")
        if not _is_int(self.hop_length) or self.hop_length < 1:
            raise bad("hop_length", "an integer >= 1")
        if self.win_length is not None and (not _is_int(self.win_length)
                                            or not 1 <= self.win_length <= n):
            raise bad("win_length", f"None or an integer in 1..n_fft={n}")
        if self.window not in WINDOWS:
            raise bad("window", f"one of {sorted(WINDOWS)}")
        if not isinstance(self.center, bool):
            raise bad("center", "True or False")
        if not _is_int(self.n_mels) or not 1 <= self.n_mels <= 1024:
            raise bad("n_mels", "an integer in 1..1024")
        if not (isinstance(self.fmin, (int, float)) and math.isfinite(self.fmin) and self.fmin >= 0):
            raise bad("fmin", "a finite number >= 0")
        if self.fmax is not None and not (isinstance(self.fmax, (int, float))
                                          and math.isfinite(self.fmax) and self.fmax > self.fmin):
            raise bad("fmax", f"None or a finite number > fmin={self.fmin}")
        if self.fmax is None and self.fmin >= self.sample_rate / 2:
            raise bad("fmin", f"below sample_rate / 2 = {self.sample_rate / 2} when fmax is None")
        if not isinstance(self.htk, bool):
            raise bad("htk", "True or False")
        if self.norm not in ("slaney", None):
            raise bad("norm", "'slaney' or None")
        if not (isinstance(self.power, (int, float)) and math.isfinite(self.power) and self.power > 0):
            raise bad("power", "a finite number > 0")

    @property
    def fmax_hz(self) -> float:
        """fmax with None resolved to Nyquist."""
        return float(self.sample_rate) / 2 if self.fmax is None else float(self.fmax)


def _is_int(v: object) -> bool:
    return isinstance(v, (int, np.integer)) and not isinstance(v, bool)


def hz_to_mel(f: np.ndarray | float, htk: bool = False) -> np.ndarray:
    """Hz to mel (Slaney: linear below 1 kHz, logarithmic above; or HTK)."""
    f = np.asarray(f, dtype=np.float64)
    if htk:
        return 2595.0 * np.log10(1.0 + f / 700.0)
    f_sp = 200.0 / 3
    min_log_hz = 1000.0
    min_log_mel = min_log_hz / f_sp
    logstep = math.log(6.4) / 27.0
    lin = f / f_sp
    with np.errstate(divide="ignore"):
        log = min_log_mel + np.log(np.maximum(f, 1e-300) / min_log_hz) / logstep
    return np.where(f >= min_log_hz, log, lin)


def mel_to_hz(m: np.ndarray | float, htk: bool = False) -> np.ndarray:
    """Inverse of ``hz_to_mel``."""
    m = np.asarray(m, dtype=np.float64)
    if htk:
        return 700.0 * (10.0 ** (m / 2595.0) - 1.0)
    f_sp = 200.0 / 3
    min_log_hz = 1000.0
    min_log_mel = min_log_hz / f_sp
    logstep = math.log(6.4) / 27.0
    return np.where(m >= min_log_mel, min_log_hz * np.exp(logstep * (m - min_log_mel)), f_sp * m)


def _window(config: MelConfig) -> np.ndarray:
    wl = config.win_length or config.n_fft
    phase = 2.0 * np.pi * np.arange(wl) / wl
    w = np.zeros(wl)
    for k, a in enumerate(WINDOWS[config.window]):
        w += (-1.0) ** k * a * np.cos(k * phase)
    full = np.zeros(config.n_fft)
    lpad = (config.n_fft - wl) // 2
    full[lpad:lpad + wl] = w
    return full


def band_centres(config: MelConfig) -> np.ndarray:
    """Centre frequency of each mel band in Hz, ndarray of shape (n_mels,)
    (``librosa.mel_frequencies(n_mels + 2, ...)[1:-1]``)."""
    edges = mel_to_hz(np.linspace(hz_to_mel(config.fmin, config.htk),
                                  hz_to_mel(config.fmax_hz, config.htk),
                                  config.n_mels + 2), config.htk)
    return np.ascontiguousarray(edges[1:-1], dtype=np.float64)


def _filterbank(config: MelConfig) -> np.ndarray:
    n_bins = 1 + config.n_fft // 2
    fft_hz = np.arange(n_bins) * (config.sample_rate / config.n_fft)
    edges = mel_to_hz(np.linspace(hz_to_mel(config.fmin, config.htk),
                                  hz_to_mel(config.fmax_hz, config.htk),
                                  config.n_mels + 2), config.htk)
    width = np.diff(edges)
    ramps = edges[:, None] - fft_hz[None, :]
    fb = np.zeros((config.n_mels, n_bins))
    for i in range(config.n_mels):
        rising = -ramps[i] / width[i]
        falling = ramps[i + 2] / width[i + 1]
        fb[i] = np.maximum(0.0, np.minimum(rising, falling))
    if config.norm == "slaney":
        fb *= (2.0 / (edges[2:] - edges[:-2]))[:, None]
    return fb


@dataclass(frozen=True, eq=False)
class MelPlan:
    """Arrays built once per MelConfig; treat as read-only.

    Attributes
    ----------
    window : ndarray of shape (n_fft,)
    band_start, band_len, band_off : ndarray of shape (n_mels,), int64
        Band b weighs bins ``band_start[b] .. band_start[b] + band_len[b] - 1``
        with ``weights[band_off[b] : band_off[b] + band_len[b]]``.
    weights : ndarray of shape (n_nonzero,)
    """

    config: MelConfig
    window: np.ndarray
    tw_re: np.ndarray
    tw_im: np.ndarray
    post_re: np.ndarray
    post_im: np.ndarray
    band_start: np.ndarray
    band_len: np.ndarray
    band_off: np.ndarray
    weights: np.ndarray

    @property
    def work_size(self) -> int:
        """float64 scratch values the mel kernel needs for this plan."""
        return work_size(self.config.n_fft, self.config.hop_length)

    @property
    def kernel_args(self) -> tuple:
        """The arrays in the order ``melbank._mel_power_into`` takes them."""
        return (self.window, self.tw_re, self.tw_im, self.post_re, self.post_im,
                self.band_start, self.band_len, self.band_off, self.weights)


@functools.lru_cache(maxsize=64)
def mel_plan(config: MelConfig) -> MelPlan:
    """The cached plan (window, FFT tables, sparse filterbank) for ``config``."""
    fb = _filterbank(config)
    starts, lens, offs, ws = [], [], [], []
    off = 0
    for row in fb:
        nz = np.flatnonzero(row)
        k0 = int(nz[0]) if nz.size else 0
        n = int(nz[-1]) - k0 + 1 if nz.size else 0
        starts.append(k0)
        lens.append(n)
        offs.append(off)
        ws.append(row[k0:k0 + n])
        off += n
    tables = fft_tables(config.n_fft)
    arrays = [_window(config), *tables, np.array(starts, dtype=np.int64),
              np.array(lens, dtype=np.int64), np.array(offs, dtype=np.int64),
              np.concatenate(ws) if off else np.zeros(1)]
    for a in arrays:
        a.setflags(write=False)
    return MelPlan(config, *arrays)
