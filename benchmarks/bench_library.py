"""Benchmark the library index of ``livemappr map``: a cold run, a run with nothing changed, 1% new.

Plain script (never part of pytest).

    python benchmarks/bench_library.py            # human summary
    python benchmarks/bench_library.py --json     # one JSON object per line
    python benchmarks/bench_library.py --n 5000   # how many one-shots (default 3000)

The one-shots are made here, reproducibly, in a temporary folder: decaying
tones and filtered noise bursts of random pitch, length, envelope and mix
(0.05..0.4 s, 48 kHz, 16-bit WAV), never committed. The kernels are compiled
(a small map) before anything is timed. Rows, each with ``n``:

- ``cold_files_per_s``: files through ``make_map`` (features, fit, map files) on an empty index;
- ``unchanged_files_per_s``: the same folder again (every file from the index; nothing analysed);
- ``update_share_of_cold``: 1% new files taken in, over the cold time (issue 18's goal: < 0.05);
- ``unchanged_analysed``: files the unchanged run analysed (must be 0).
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from _report import Report, parser  # noqa: E402

from livemappr.commands.map import make_map  # noqa: E402

SR = 48000


def one_shot(rng):
    """A made-up one-shot: a decaying tone, a noise burst, or both."""
    n = int(rng.uniform(0.05, 0.4) * SR)
    t = np.arange(n) / SR
    env = np.exp(-t * rng.uniform(5, 60)) * np.minimum(1.0, t / rng.uniform(1e-4, 0.02))
    f0 = rng.uniform(40, 4000)
    tone = np.sin(2 * np.pi * f0 * t * (1 + rng.uniform(-0.5, 0.1) * t))
    noise = rng.normal(size=n)
    k = int(rng.integers(1, 64))
    noise = np.convolve(noise, np.ones(k) / k, mode="same")  # a crude low-pass: brighter or darker
    mix = rng.uniform(0, 1)
    y = env * (mix * tone + (1 - mix) * noise / max(noise.std(), 1e-9) * 0.3)
    return (0.9 * y / max(np.abs(y).max(), 1e-9)).astype(np.float32)


def make_folder(folder, n, first=0, seed=0):
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(first, first + n):
        soundfile.write(folder / f"shot_{i:06d}.wav", one_shot(np.random.default_rng([seed, i])), SR,
                        subtype="PCM_16")


def timed_map(folder, out):
    t = time.perf_counter()
    summary = make_map([folder], out, log=lambda message: None, progress=False)
    return time.perf_counter() - t, summary


def main():
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=3000, help="one-shots in the folder")
    args = p.parse_args()
    report = Report("library", args.json)
    with tempfile.TemporaryDirectory(prefix="bench-library-") as tmp:
        tmp = Path(tmp)
        make_folder(tmp / "warm", 40, seed=1)
        timed_map(tmp / "warm", tmp / "warm-map")  # kernels compiled (or loaded from the cache),
        make_folder(tmp / "warm", 2, first=40, seed=1)
        timed_map(tmp / "warm", tmp / "warm-map")  # those of growing a map too
        folder, out = tmp / "shots", tmp / "map"
        make_folder(folder, args.n)
        cold_s, cold = timed_map(folder, out)
        report.metric("cold_s", round(cold_s, 3), "s", n=args.n, analysed=cold["analysed"])
        report.metric("cold_files_per_s", round(args.n / cold_s, 1), "files/s", n=args.n)
        same_s, same = timed_map(folder, out)
        report.metric("unchanged_s", round(same_s, 3), "s", n=args.n)
        report.metric("unchanged_files_per_s", round(args.n / same_s, 1), "files/s", n=args.n)
        report.metric("unchanged_analysed", same["analysed"], "files", n=args.n)
        new = max(1, args.n // 100)
        make_folder(folder, new, first=args.n)
        update_s, update = timed_map(folder, out)
        report.metric("update_s", round(update_s, 3), "s", n=args.n, new=new, analysed=update["analysed"])
        report.metric("update_share_of_cold", round(update_s / cold_s, 4), "ratio", n=args.n, new=new,
                      goal="< 0.05")


if __name__ == "__main__":
    main()
