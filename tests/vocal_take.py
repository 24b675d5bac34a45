"""A vocal-percussion PROXY take for the slicer tests and benchmark.

Test and benchmark helper (never imported by livemappr). This is a proxy, not
a recording: the real beatbox tracks behind issue #15 are held out, so the
take is built from what the issue says about them. Hits are ``espeak-ng``
phonemes (``espeak-ng -v en --stdout "[[k]]"``: synthetic speech, not a
beatboxer's mouth); between them sit quiet mouth noises 12-20 dB under the
hit before them, made here from filtered noise (breaths), damped sine blips
(lip and tongue clicks) and decaying low noise (tails). A quarter of the hits
are two-part sounds ("ksh", "ts", "pf"): an espeak plosive with an espeak
fricative starting 30-70 ms after it, scaled to 1-4 dB under the plosive's
peak (the plosive is the loud transient; espeak's own "[[kS]]" makes the
fricative louder than its plosive, which a beatboxer's "ksh" is not). The
performance level drifts by up to 8 dB over the take and each hit gets a
0..-3 dB jitter. Nothing is written to disk.
"""

from __future__ import annotations

import functools
import shutil
import subprocess
from dataclasses import dataclass

import numpy as np

ESPEAK = "espeak-ng"
ESPEAK_SR = 22050
SINGLE = ("k", "t", "p", "b@")        # one-part hits
PLOSIVES = ("k", "t", "p")
FRICATIVES = ("S", "s", "f")          # "ksh" / "ts" / "pf" by pairing
NOISE_KINDS = ("breath", "click", "tail")


def have_espeak() -> bool:
    return shutil.which(ESPEAK) is not None


@functools.cache
def phoneme(ph: str, sr: int) -> np.ndarray:
    """``espeak-ng -v en "[[ph]]"`` at ``sr``: leading and trailing silence
    (under -40 dB re its peak) cut, peak normalised to 1, read-only."""
    raw = subprocess.run([ESPEAK, "-v", "en", "--stdout", f"[[{ph}]]"], check=True,
                         capture_output=True).stdout
    # A RIFF/WAVE header of 44 bytes, then 16-bit mono at 22050 Hz.
    x = np.frombuffer(raw[44:], dtype="<i2").astype(np.float32) / 32768.0
    a = np.abs(x)
    if a.size == 0 or a.max() <= 0:
        raise ValueError(f"espeak-ng gave no sound for [[{ph}]]")
    on = np.nonzero(a >= a.max() * 0.01)[0]
    x = x[on[0]: on[-1] + 1]
    if sr != ESPEAK_SR:
        import librosa

        x = librosa.resample(x, orig_sr=ESPEAK_SR, target_sr=sr).astype(np.float32)
    if ph == "b@":  # a short "b" kick: the vowel cut to 70 ms
        x = x[: int(0.07 * sr)].copy()
    fade = min(x.size // 4, int(0.01 * sr))
    x[-fade:] *= np.linspace(1.0, 0.0, fade, dtype=np.float32)
    x /= np.abs(x).max()
    x.setflags(write=False)
    return x


def attack_index(x: np.ndarray, rel_db: float = -30.0) -> int:
    """First sample within ``rel_db`` of the peak (as tests/drumkits.py)."""
    a = np.abs(x)
    return int(np.argmax(a >= a.max() * 10 ** (rel_db / 20)))


def _bandpass(noise: np.ndarray, sr: int, lo: float, hi: float) -> np.ndarray:
    spec = np.fft.rfft(noise)
    f = np.fft.rfftfreq(noise.size, 1 / sr)
    spec[(f < lo) | (f > hi)] = 0
    return np.fft.irfft(spec, noise.size)


def mouth_noise(kind: str, sr: int, rng: np.random.Generator) -> np.ndarray:
    """One quiet mouth sound, peak 1: "breath" (band-passed noise, 15-40 ms
    rise, 80-250 ms long), "click" (a 2-5 ms damped 1.5-4 kHz sine: a lip or
    tongue click) or "tail" (low-passed noise, 3 ms rise, 30-80 ms decay)."""
    if kind == "breath":
        n = int(rng.uniform(0.08, 0.25) * sr)
        x = _bandpass(rng.standard_normal(n), sr, rng.uniform(300, 1000), rng.uniform(2500, 6000))
        rise = int(rng.uniform(0.015, 0.04) * sr)
        env = np.ones(n)
        env[:rise] = 0.5 - 0.5 * np.cos(np.linspace(0, np.pi, rise))
        env[rise:] = np.linspace(1.0, 0.0, n - rise) ** 1.5
        x = x * env
    elif kind == "click":
        n = int(rng.uniform(0.002, 0.005) * sr)
        t = np.arange(n) / sr
        x = np.sin(2 * np.pi * rng.uniform(1500, 4000) * t) * np.exp(-t / (n / sr / 4))
    elif kind == "tail":
        n = int(0.25 * sr)
        x = _bandpass(rng.standard_normal(n), sr, 60, rng.uniform(600, 1500))
        t = np.arange(n) / sr
        env = np.exp(-t / rng.uniform(0.03, 0.08))
        env[: int(0.003 * sr)] *= np.linspace(0, 1, int(0.003 * sr))
        x = x * env
    else:
        raise ValueError(f"kind must be one of {NOISE_KINDS}, got {kind!r}")
    return (x / np.abs(x).max()).astype(np.float32)


@dataclass(frozen=True)
class VocalTake:
    """A proxy take with its answer key (absolute samples)."""

    audio: np.ndarray
    sr: int
    hits: np.ndarray          # attack of every hit (a two-part sound: its plosive)
    names: tuple[str, ...]    # "k", "ksh" (written "k+S"), ...
    two_part: np.ndarray      # bool per hit
    second: np.ndarray        # attack of a two-part sound's fricative (-1 otherwise)
    hit_ends: np.ndarray      # one past the last sample of each hit
    noises: np.ndarray        # start of every mouth noise
    noise_kinds: tuple[str, ...]
    noise_db: np.ndarray      # each noise's peak re the hit before it (dB, < 0)


def take(sr: int = 48000, n_hits: int = 60, seed: int = 0, noise_per_gap: float = 1.0,
         two_part_fraction: float = 0.25, noise_db: tuple[float, float] = (-20.0, -12.0),
         gap_s: tuple[float, float] = (0.3, 0.6), drift_db: float = 8.0,
         floor_db: float | None = -70.0) -> VocalTake:
    """A take of ``n_hits`` hits ``gap_s`` apart (onset to onset) with on
    average ``noise_per_gap`` mouth noises in each gap (0, 1 or 2), each at
    ``noise_db`` under the peak of the hit before it, at least 40 ms after
    that hit's end and 60 ms before the next hit."""
    rng = np.random.default_rng(seed)
    hits_audio, names, two, second_off = [], [], [], []
    for _ in range(n_hits):
        if rng.uniform() < two_part_fraction:
            p, f = PLOSIVES[rng.integers(3)], FRICATIVES[rng.integers(3)]
            a, b = phoneme(p, sr), phoneme(f, sr)
            off = int(rng.uniform(0.03, 0.07) * sr)
            x = np.zeros(off + b.size, np.float32)
            x[: a.size] += a
            x[off:] += b * 10 ** (rng.uniform(-4.0, -1.0) / 20)
            hits_audio.append(x / np.abs(x[:off]).max())
            names.append(f"{p}+{f}")
            two.append(True)
            second_off.append(off + attack_index(b))
        else:
            s = SINGLE[rng.integers(len(SINGLE))]
            hits_audio.append(phoneme(s, sr))
            names.append(s)
            two.append(False)
            second_off.append(-1)
    gaps = rng.uniform(*gap_s, n_hits)
    starts = (0.3 * sr + np.concatenate([[0.0], np.cumsum(gaps[:-1])]) * sr).astype(np.int64)
    total = int(starts[-1] + max(x.size for x in hits_audio) + 0.4 * sr)
    y = np.zeros(total)
    phase = rng.uniform(0, 2 * np.pi)
    onsets, ends, seconds, peaks = [], [], [], []
    for i, (st, x) in enumerate(zip(starts, hits_audio)):
        level = -drift_db / 2 * (1 - np.cos(2 * np.pi * i / n_hits * 1.5 + phase)) + rng.uniform(-3, 0)
        g = 0.6 * 10 ** (level / 20)
        y[st: st + x.size] += g * x
        onsets.append(st + attack_index(x))
        ends.append(st + x.size)
        seconds.append(st + second_off[i] if second_off[i] >= 0 else -1)
        peaks.append(g)
    noises, kinds, ndb = [], [], []
    for i in range(n_hits - 1):
        lo, hi = ends[i] + int(0.04 * sr), starts[i + 1] - int(0.06 * sr)
        k = rng.poisson(noise_per_gap)
        for _ in range(min(k, 2)):
            kind = NOISE_KINDS[rng.integers(3)]
            x = mouth_noise(kind, sr, rng)
            room = hi - lo - (x.size if kind != "tail" else int(0.1 * sr))
            if room <= 0 or (noises and noises[-1] > lo - int(0.03 * sr)):
                continue
            at = lo + int(rng.integers(room))
            db = rng.uniform(*noise_db)
            seg = y[at: at + x.size]
            seg += peaks[i] * 10 ** (db / 20) * x[: seg.size]
            lo = at + min(x.size, int(0.12 * sr)) + int(0.03 * sr)
            noises.append(at + attack_index(x))
            kinds.append(kind)
            ndb.append(db)
    if floor_db is not None:
        y += rng.standard_normal(total) * 10 ** (floor_db / 20)
    y = np.clip(y, -1, 1).astype(np.float32)
    return VocalTake(y, sr, np.array(onsets), tuple(names), np.array(two), np.array(seconds),
                     np.array(ends), np.array(noises, dtype=np.int64), tuple(kinds), np.array(ndb))
