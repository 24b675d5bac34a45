"""One vector for a whole track (a song, a loop, a set), summarised over all of it.

Runs on: ``livemappr map --tracks``' pool of threads (one :class:`TrackAnalysis`
a file; the :class:`TrackExtractor` is shared, it holds no mutable state).

A one-shot is described by its first second (features.py). A song is not its
first second: a genre map and a "more like this" list need what the whole
track does, so :class:`TrackAnalysis` is fed the track in blocks of any size
and keeps running sums of its frames, never the frames themselves. Per frame
(``TrackConfig``: 22050 Hz, 2048-sample windows, 512 hop, 64 mel bands)::

    mel power -> dB -> 20 MFCCs, spectral shape (centroid, bandwidth,
                       flatness, roll-off), 16 pooled band levels,
                       the log-mel spectral flux (how much energy arrives)

The vector (``n_features`` values, float32), in blocks each scaled by a fixed
weight (``WEIGHTS``) so that no block's units swamp another's:

- ``timbre``: MFCC 1..19 means and MFCC 0..19 spreads over the track (dB);
- ``shape``: the spectral shape's means and spreads (octaves, dB of flatness);
- ``bands``: how much each of 16 pooled bands moves (the spread of its dB):
  a steady pad, a pumping kick and busy hats move different bands;
- ``rhythm``: the autocorrelation of the onset flux (mean over bands of the
  rise of each band's dB) at 16 lags spaced evenly in log time from 0.1 s to
  2.5 s, each the strongest value within its lag's bin: which periods the
  onsets repeat at (tempo and metre, without deciding on one tempo), for the
  whole spectrum and for its lows (kicks), mids (snares) and highs (hats)
  apart;
- ``tempo``: the strongest beat period between 60 and 200 bpm (log2 of its
  tempo re 120 bpm; an octave off is common, so the lags above carry the
  weight) and the onset rate (log2 of flux peaks a second).

The onset flux is four values a frame, kept whole for the autocorrelation:
43 frames a second (a 10-minute track: 830 kB). Silence in the file (frames
of digital silence) counts for the rhythm and not for the timbre. No learned
projection: the vectors are compared as they are, and the same file gives
the same vector in any library (the index keeps them; ``similar`` measures
distances between them). Which blocks and weights: measured on a corpus of
drum and band tracks in 7 styles (tests/trackcorpus.py, docs/quality.md).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from livemappr.analysis.melbank import melspectrogram
from livemappr.analysis.plan import MelConfig, band_centres
from livemappr.analysis.timbre import _shape_frames, dct_matrix

__all__ = ["TrackConfig", "TrackAnalysis", "TrackExtractor", "WEIGHTS"]

#: Each block's weight in the vector: a multiple of one over its spread
#: across the development drum tracks (the root mean square distance of a
#: track's values to their mean: 67.6 timbre, 9.0 shape, 27.7 bands, 1.71
#: rhythm, 0.54 tempo), the multiples 1, 1/4, 2, 2, 1/4 chosen on two sets
#: at once (docs/quality.md#whole-tracks): drum tracks whose styles differ
#: only in rhythm, and band tracks (bass and chords too) whose styles differ
#: in instruments as well. The tempo estimate is often an octave off, and the
#: spectral shape says again what the MFCCs say: both count little.
WEIGHTS = {"timbre": 0.015, "shape": 0.028, "bands": 0.072, "rhythm": 1.17, "tempo": 0.47}
#: The spectrum's parts whose onsets are followed apart (Hz): kicks, snares
#: and toms, hats and cymbals.
PARTS_HZ = ((0.0, 180.0), (180.0, 4000.0), (4000.0, 1e9))
_SILENT = 1e-10  # a frame whose mel power sums under this is digital silence
_FLOOR_DB = -100.0


@dataclass(frozen=True)
class TrackConfig:
    """Track feature parameters (all of them decide the vector: ``layout``)."""

    sample_rate: int = 22050
    n_fft: int = 2048
    hop_length: int = 512
    n_mels: int = 64
    fmax: float = 11025.0
    n_mfcc: int = 20
    n_bands: int = 16
    n_lags: int = 16
    min_lag_s: float = 0.1
    max_lag_s: float = 2.5

    def __post_init__(self):
        self.mel_config()  # validates the mel parameters
        if not (1 <= self.n_mfcc <= self.n_mels and self.n_bands >= 1 and self.n_mels % self.n_bands == 0):
            raise ValueError(f"TrackConfig: n_mfcc must be in 1..n_mels and n_bands divide n_mels "
                             f"({self.n_mels}), got {self.n_mfcc}, {self.n_bands}")
        if not (self.n_lags >= 2 and 0 < self.min_lag_s < self.max_lag_s <= 10):
            raise ValueError(f"TrackConfig: lags must satisfy n_lags >= 2, 0 < min_lag_s < max_lag_s <= 10 s, "
                             f"got {self.n_lags}, {self.min_lag_s}, {self.max_lag_s}")

    def mel_config(self):
        return MelConfig(sample_rate=self.sample_rate, n_fft=self.n_fft, hop_length=self.hop_length,
                         center=False, n_mels=self.n_mels, fmin=0.0, fmax=self.fmax)

    @property
    def frame_rate(self):
        return self.sample_rate / self.hop_length

    @property
    def sizes(self):
        """Values of each block, in vector order."""
        return {"timbre": 2 * self.n_mfcc - 1, "shape": 8, "bands": self.n_bands,
                "rhythm": (1 + len(PARTS_HZ)) * self.n_lags, "tempo": 2}

    @property
    def n_features(self):
        return sum(self.sizes.values())

    @property
    def layout(self):
        """Everything that decides the values, as one string (the library index's key)."""
        w = ",".join(f"{k}={v:g}" for k, v in WEIGHTS.items())
        return (f"livemappr-track-1 sr={self.sample_rate} n_fft={self.n_fft} hop={self.hop_length} "
                f"n_mels={self.n_mels} fmax={self.fmax:g} n_mfcc={self.n_mfcc} n_bands={self.n_bands} "
                f"lags={self.n_lags}:{self.min_lag_s:g}-{self.max_lag_s:g} "
                f"parts={','.join(f'{a:g}-{b:g}' for a, b in PARTS_HZ)} weights={w}")


class TrackAnalysis:
    """Running summaries of one track: :meth:`feed` it blocks, then :meth:`vector`.

    The vector does not depend on how the track was cut into blocks (frames
    are made from a carried buffer, exactly as from the whole signal).
    """

    def __init__(self, extractor):
        self.x = extractor
        c = extractor.config
        self.c = c
        self._buf = np.zeros(0, np.float32)
        self._prev = None  # the last frame's dB, for the flux across blocks
        self._flux = []
        self.n_samples = 0
        self.n_frames = 0
        self._n_sound = 0
        self._sums = {k: np.zeros(n) for k, n in (("mfcc", c.n_mfcc), ("shape", 4), ("bands", c.n_bands))}
        self._squares = {k: np.zeros_like(v) for k, v in self._sums.items()}

    def feed(self, y):
        """Take the next ``y`` (1-D, float32 or float64, at ``config.sample_rate``)."""
        y = np.asarray(y, np.float32)
        if y.ndim != 1:
            raise ValueError(f"y must be 1-D mono audio, got shape {y.shape}")
        self.n_samples += y.shape[0]
        self._buf = np.concatenate([self._buf, y]) if self._buf.size else y.copy()
        c = self.c
        n = (self._buf.shape[0] - c.n_fft) // c.hop_length + 1
        if n < 1:
            return
        used = (n - 1) * c.hop_length + c.n_fft
        self._frames(melspectrogram(self._buf[:used], self.x.mel))
        self._buf = self._buf[n * c.hop_length:].copy()

    def _frames(self, power):
        c = self.c
        db = 10.0 * np.log10(np.maximum(power, 1e-10))
        np.maximum(db, _FLOOR_DB, out=db)
        prev = db[:, :1] if self._prev is None else self._prev
        rise = np.maximum(np.diff(np.concatenate([prev, db], axis=1), axis=1), 0.0)
        self._flux.append(np.stack([rise.mean(axis=0)] + [rise[a:b].mean(axis=0) for a, b in self.x.parts]))
        self._prev = db[:, -1:].copy()
        self.n_frames += db.shape[1]
        sound = power.sum(axis=0) > _SILENT
        if not sound.any():
            return
        power, db = np.ascontiguousarray(power[:, sound]), np.ascontiguousarray(db[:, sound])
        self._n_sound += db.shape[1]
        shape = np.empty((4, db.shape[1]))
        _shape_frames(power, db, self.x.freqs, shape)
        shape[[0, 1, 3]] = np.log2(np.maximum(shape[[0, 1, 3]], 20.0) / 1000.0)
        shape[2] = 10.0 * np.log10(np.maximum(shape[2], 1e-10))
        parts = {"mfcc": self.x.dct @ db, "shape": shape,
                 "bands": db.reshape(c.n_bands, c.n_mels // c.n_bands, -1).mean(axis=1)}
        for k, v in parts.items():
            self._sums[k] += v.sum(axis=1)
            self._squares[k] += (v * v).sum(axis=1)

    def _mean_std(self, k):
        n = max(self._n_sound, 1)
        m = self._sums[k] / n
        return m, np.sqrt(np.maximum(self._squares[k] / n - m * m, 0.0))

    def vector(self):
        """ndarray of shape (n_features,), float32. Raises ValueError when the
        track is shorter than one analysis window."""
        c = self.c
        if self.n_frames == 0:
            raise ValueError(f"{self.n_samples} samples at {c.sample_rate} Hz; a track needs at least "
                             f"{c.n_fft} ({c.n_fft / c.sample_rate:.3f} s)")
        mfcc_m, mfcc_s = self._mean_std("mfcc")
        shape_m, shape_s = self._mean_std("shape")
        _, bands_s = self._mean_std("bands")
        rhythm, tempo = _rhythm(np.concatenate(self._flux, axis=1), c)
        blocks = {"timbre": np.concatenate([mfcc_m[1:], mfcc_s]),
                  "shape": np.stack([shape_m, shape_s], axis=1).ravel(),
                  "bands": bands_s, "rhythm": rhythm, "tempo": tempo}
        return np.concatenate([WEIGHTS[k] * v for k, v in blocks.items()]).astype(np.float32)


def _acf(o):
    """Unbiased autocorrelation of ``o`` (mean removed), 1 at lag 0 (0 for a constant)."""
    n = o.shape[0]
    o = o - o.mean()
    n_fft = 1 << max(1, math.ceil(math.log2(2 * n)))
    spec = np.fft.rfft(o, n_fft)
    acf = np.fft.irfft(spec * np.conj(spec), n_fft)[:n]
    acf /= np.arange(n, 0, -1)  # a long lag is not penalised for having fewer pairs
    return acf / acf[0] if acf[0] > 1e-12 else np.zeros(n)


def _rhythm(flux, c):
    """(the rhythm block, [log2 tempo re 120 bpm, log2 onsets a second]) of the
    flux (1 + len(PARTS_HZ), n_frames): the whole spectrum's, then each part's."""
    fr = c.frame_rate
    n = flux.shape[1]
    acfs = [_acf(f) for f in flux]

    def at(acf, lags_s, width):
        # the strongest correlation within ``width`` (a ratio) of each lag: a
        # peak a frame wide is found wherever the tempo puts it
        out = np.zeros(len(lags_s))
        for i, lag in enumerate(np.asarray(lags_s) * fr):
            a, b = int(math.floor(lag / width)), int(math.ceil(lag * width)) + 1
            if a < n:
                out[i] = acf[max(a, 1):min(b, n)].max(initial=0.0)
        return out

    grid = np.geomspace(c.min_lag_s, c.max_lag_s, c.n_lags)
    step = (c.max_lag_s / c.min_lag_s) ** (0.5 / (c.n_lags - 1))
    profiles = [at(acf, grid, step) for acf in acfs]
    # The beat: the strongest period between 60/200 and 60/60 s, weighted toward
    # 120 bpm an octave either side (a tempo's double and half repeat too),
    # refined between frames by a parabola through its neighbours.
    lags = np.arange(max(1, int(fr * 0.3)), min(n - 1, int(fr * 1.0) + 2))
    beat = 0.5
    if lags.size:
        score = acfs[0][lags] * np.exp(-0.5 * np.log2(60.0 * fr / lags / 120.0) ** 2)
        i = int(lags[int(np.argmax(score))])
        a, b, d = acfs[0][i - 1], acfs[0][i], acfs[0][i + 1]
        shift = 0.5 * (a - d) / (a - 2 * b + d) if a - 2 * b + d < 0 else 0.0
        beat = (i + float(np.clip(shift, -0.5, 0.5))) / fr
    f = flux[0]
    peaks = (f[1:-1] > f[:-2]) & (f[1:-1] >= f[2:]) & (f[1:-1] > f.mean() + f.std())
    rate = (peaks.sum() + 1) / max(n / fr, 1e-3)
    return np.concatenate(profiles), np.array([math.log2(60.0 / beat / 120.0), math.log2(rate)])


class TrackExtractor:
    """What ``livemappr map --tracks`` describes tracks with.

    ``config`` (TrackConfig), ``n_features`` and ``projection`` (always None:
    the vectors are used as they are) as a FeatureExtractor has them, so the
    library index keys and the map take it alike.
    """

    projection = None

    def __init__(self, config=None):
        self.config = config or TrackConfig()
        self.mel = self.config.mel_config()
        self.freqs = band_centres(self.mel)
        self.dct = dct_matrix(self.config.n_mfcc, self.config.n_mels)
        bounds = [int(np.searchsorted(self.freqs, hz)) for hz, _ in PARTS_HZ] + [self.config.n_mels]
        self.parts = [(a, max(b, a + 1)) for a, b in zip(bounds[:-1], bounds[1:])]

    @property
    def n_features(self):
        return self.config.n_features

    @property
    def sample_rate(self):
        return self.config.sample_rate

    def analysis(self):
        """A fresh :class:`TrackAnalysis` to feed."""
        return TrackAnalysis(self)

    def vector(self, y, sample_rate=None):
        """The vector of a whole track given at once (at ``config.sample_rate``)."""
        if sample_rate is not None and sample_rate != self.config.sample_rate:
            raise ValueError(f"sample_rate must be {self.config.sample_rate}, got {sample_rate}")
        a = self.analysis()
        a.feed(y)
        return a.vector()
