"""A benchmark library of N distinct one-shots made from the development corpus (issue 18, item 6).

Benchmark helper (never imported by livemappr, never part of pytest).

    python benchmarks/library_corpus.py --n 100000   # makes (or finds) the folder, prints it and labels.csv

Every one-shot is a variation of a sound of ``tests/corpus.py``'s groups (the
Hydrogen kits of Debian hydrogen-drumkits and hydrogen-data, the GM kits
rendered from timgm6mb / csound / opl3 soundfonts, and the espeak-ng vocal
PROXY), so the library sounds like drums and voices, not like test tones:

- pitch: played faster or slower (0.7x..1.5x, linear interpolation), which
  shifts pitch and length together as a sampler does;
- envelope: a decay of 0..40 per second laid over it, and a fade-in of
  0..8 ms (softer attacks);
- filter: a one-pole low-pass (600 Hz..16 kHz) or high-pass (40 Hz..4 kHz),
  or none;
- mix: one sound in four gets a second corpus sound under it at -24..-6 dB;
- level: peak at -1..-18 dBFS.

One-shot ``i`` depends only on ``(seed, i)``: the same N and seed make the
same files on any machine with the same Debian packages (the corpus cache is
keyed by their versions). Files are 16-bit mono WAV at 44.1 kHz (the rate most
sample libraries ship at; ``livemappr map`` resamples to its 48 kHz as for a
user's library), at most 1 s long, in folders of 1,000, made on demand under
``$XDG_CACHE_HOME/livemappr/library-v1/`` and kept for the next run, never
committed. ``labels.csv`` holds ``path,label`` rows (the base sound's label) for
``livemappr map --labels``.
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import soundfile
from scipy.signal import lfilter  # scipy comes with the bench extra (librosa, scikit-learn)

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests import corpus  # noqa: E402

VERSION = 1
SR = 44100
PER_FOLDER = 1000


@functools.lru_cache(maxsize=1)
def bases():
    """Every corpus one-shot, its label and group: ``(audio list, labels)`` at ``corpus.SR``."""
    groups = corpus.load_all()
    audio, labels = [], []
    for name, c in groups.items():
        audio += c.audio
        labels += [f"{name}:{lab}" for lab in c.labels.tolist()]
    return audio, labels


def _resample(x, factor):
    """``x`` played ``factor`` times faster, linear interpolation (a sampler's pitch)."""
    n = max(16, int(len(x) / factor))
    return np.interp(np.arange(n) * factor, np.arange(len(x)), x).astype(np.float64)


def _one_pole(x, cutoff, rate, high):
    """A one-pole low-pass at ``cutoff`` Hz, or what it takes away (a high-pass)."""
    a = np.exp(-2 * np.pi * cutoff / rate)
    y = lfilter([1 - a], [1, -a], x)
    return x - y if high else y


def variation(audio, i, seed):
    """One-shot ``i``: a variation of one base sound (see the module's list), float32 at ``SR``."""
    rng = np.random.default_rng([seed, i])
    k = int(rng.integers(len(audio)))
    ratio = SR / corpus.SR
    x = _resample(audio[k], rng.uniform(0.7, 1.5) / ratio)
    if rng.uniform() < 0.25:
        other = _resample(audio[int(rng.integers(len(audio)))], rng.uniform(0.7, 1.5) / ratio)
        m = min(len(x), len(other))
        x[:m] += other[:m] * 10 ** (rng.uniform(-24, -6) / 20) * np.abs(x).max() / max(np.abs(other).max(), 1e-9)
    x = x[:SR]
    t = np.arange(len(x)) / SR
    x *= np.exp(-t * rng.uniform(0, 40))
    fade = int(rng.uniform(0, 0.008) * SR)
    if fade > 1:
        x[:fade] *= np.linspace(0, 1, fade)
    kind = rng.integers(3)
    if kind == 1:
        x = _one_pole(x, np.exp(rng.uniform(np.log(600), np.log(16000))), SR, high=False)
    elif kind == 2:
        x = _one_pole(x, np.exp(rng.uniform(np.log(40), np.log(4000))), SR, high=True)
    peak = np.abs(x).max()
    gain = 10 ** (-rng.uniform(1, 18) / 20) / peak if peak > 0 else 0.0
    return (x * gain).astype(np.float32), k


def folder_for(n, seed):
    home = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return home / "livemappr" / f"library-v{VERSION}" / f"n{n}-seed{seed}"


def make(n, seed=0, jobs=None, log=print):
    """The folder of ``n`` one-shots for ``seed`` (made now where not all there) and their labels."""
    out = folder_for(n, seed)
    done = out / "complete"
    names = [out / f"{i // PER_FOLDER:03d}" / f"shot_{i:06d}.wav" for i in range(n)]
    if not done.is_file():
        t0 = time.perf_counter()
        audio, labels = bases()
        for d in {p.parent for p in names}:
            d.mkdir(parents=True, exist_ok=True)

        def write(i):
            y, k = variation(audio, i, seed)
            soundfile.write(names[i], y, SR, subtype="PCM_16")
            return labels[k]

        with ThreadPoolExecutor(jobs or os.cpu_count() or 1) as pool:
            rows = list(pool.map(write, range(n), chunksize=64))
        (out / "labels.csv").write_text("".join(f"{p},{lab}\n" for p, lab in zip(names, rows)))
        done.write_text(f"{n} one-shots from {len(audio)} corpus sounds\n")
        log(f"made {n} one-shots in {time.perf_counter() - t0:.0f} s: {out}")
    return out, out / "labels.csv"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=10000)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    folder, labels = make(args.n, args.seed)
    print(folder)
    print(labels)


if __name__ == "__main__":
    main()
