"""Mel spectrogram + dB in numba against librosa, measured in the same run.

Usage: python benchmarks/bench_features.py [--json] [--quick]

Metrics: snippet_ms / snippet_speedup_vs_librosa (0.25 s at 22.05 kHz, n_fft
1024, hop 256, 64 mels, melspectrogram + power_to_db), minute_speedup_vs_librosa
(60 s of audio), features_snippet_ms (the whole 144-value vector of that
snippet), max_rel_err_vs_librosa (see tests/test_melbank.py for the definition;
librosa fed float64), max_db_err_vs_librosa, first_call_cold_s / first_call_warm_s
(first melspectrogram_db call in a fresh process with an empty / a warmed numba
cache), compile_kernels_cold_s / compile_kernels_warm_s, and snippet_ms_numba_fft /
snippet_ms_pocketfft (the same kernel on our FFT and on rocket-fft's pocketfft). Timings are the
minimum over interleaved rounds (medians in the context fields); librosa is
timed on float32 input (its usual input) and float64, single-threaded like
ours (BLAS threads set to 1), and the faster of the two is the peer.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# Both sides single-threaded: librosa's mel projection goes through BLAS, whose
# threads on a shared 2-core machine made its timings swing 10x between runs.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
from _report import print_rows  # noqa: E402

SR, N_FFT, HOP, N_MELS = 22050, 1024, 256, 64


def audio(seconds: float, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    n = int(seconds * SR)
    t = np.arange(n) / SR
    y = 0.1 * rng.standard_normal(n) * np.exp(-3 * (t % 0.5))
    y += 0.3 * np.sin(2 * np.pi * 220 * t) * np.exp(-4 * (t % 0.25))
    return y.astype(np.float32)


def interleaved(fns: dict, calls: int, rounds: int) -> tuple[dict, dict]:
    """(minimum, median) seconds per call of each function over rounds run
    interleaved, so load from other processes hits all of them alike. The
    minimum is the headline (timeit's advice: the rest is other processes)."""
    times = {k: [] for k in fns}
    for _ in range(rounds):
        for k, f in fns.items():
            t0 = time.perf_counter()
            for _ in range(calls):
                f()
            times[k].append((time.perf_counter() - t0) / calls)
    return ({k: float(np.min(v)) for k, v in times.items()},
            {k: float(np.median(v)) for k, v in times.items()})


def first_call(cache_dir: str, what: str) -> float:
    code = (
        "import time, numpy as np\n"
        "t0 = time.perf_counter()\n"
        "import livemappr.analysis as a\n"
        "t1 = time.perf_counter()\n"
        + ("a.melspectrogram_db(np.zeros(5512, np.float32), a.MelConfig())\n" if what == "call"
           else "a.compile_kernels()\n")
        + "print(time.perf_counter() - t1)\n")
    env = dict(os.environ, NUMBA_CACHE_DIR=cache_dir, PYTHONPATH=str(ROOT))
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=True, timeout=600)
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", action="store_true", help="one JSON object per line")
    ap.add_argument("--quick", action="store_true", help="fewer rounds")
    args = ap.parse_args()

    import librosa

    from livemappr.analysis import (
        FeatureExtractor,
        MelConfig,
        compile_kernels,
        fft,
        melspectrogram,
        melspectrogram_db,
    )
    from livemappr.analysis.melbank import _mel_db_into, mel_plan, workspace

    compile_kernels(SR)
    cfg = MelConfig(sample_rate=SR, n_fft=N_FFT, hop_length=HOP, n_mels=N_MELS)
    fx = FeatureExtractor()
    rounds = 5 if args.quick else 15

    def lib(y):
        return librosa.power_to_db(librosa.feature.melspectrogram(
            y=y, sr=SR, n_fft=N_FFT, hop_length=HOP, n_mels=N_MELS))

    snip = audio(0.25)
    snip64 = snip.astype(np.float64)
    t, t_med = interleaved({"ours": lambda: melspectrogram_db(snip, cfg),
                            "lib32": lambda: lib(snip), "lib64": lambda: lib(snip64),
                            "features": lambda: fx.vector(snip)}, calls=200, rounds=rounds)
    peer = min(t["lib32"], t["lib64"])
    # Our own FFT against pocketfft (rocket-fft) inside the same kernel.
    plan = mel_plan(cfg)
    work = workspace(plan.work_size)

    def with_fft(marker):
        out = np.empty((N_MELS, 1 + len(snip) // HOP))
        return lambda: _mel_db_into(snip, -N_FFT // 2, out.shape[1], HOP, *plan.kernel_args,
                                    2.0, out, work, marker, 1.0, 1e-10, 80.0)

    backends = {"numba_fft": fft.NUMBA_FFT}
    if fft.DEFAULT_FFT is fft.POCKETFFT:
        backends["pocketfft"] = fft.POCKETFFT
    for f in backends.values():
        with_fft(f)()
    tb, _ = interleaved({k: with_fft(v) for k, v in backends.items()}, calls=200, rounds=rounds)
    minute = audio(60.0, seed=1)
    minute64 = minute.astype(np.float64)
    tm, tm_med = interleaved({"ours": lambda: melspectrogram_db(minute, cfg),
                              "lib32": lambda: lib(minute), "lib64": lambda: lib(minute64)},
                             calls=1, rounds=rounds)
    peer_m = min(tm["lib32"], tm["lib64"])

    errs, db_errs = [], []
    for y in (snip, minute[: SR * 10]):
        ref = librosa.feature.melspectrogram(y=y.astype(np.float64), sr=SR, n_fft=N_FFT,
                                             hop_length=HOP, n_mels=N_MELS, dtype=np.float64)
        ours = melspectrogram(y, cfg)
        errs.append(np.max(np.abs(ours - ref) / (ref + 1e-10 * ref.max())))
        db_errs.append(np.max(np.abs(melspectrogram_db(y, cfg) - librosa.power_to_db(ref))))

    with tempfile.TemporaryDirectory() as cold:
        first_cold = first_call(cold, "call")
        first_warm = first_call(cold, "call")
    with tempfile.TemporaryDirectory() as cold:
        ck_cold = first_call(cold, "compile")
        ck_warm = first_call(cold, "compile")

    ctx = {"sample_rate": SR, "n_fft": N_FFT, "hop": HOP, "n_mels": N_MELS,
           "load_avg_1min": round(os.getloadavg()[0], 2), "cpus": os.cpu_count()}
    rows = [
        ("snippet_ms", t["ours"] * 1e3, "ms", {**ctx, "seconds": 0.25}),
        ("snippet_librosa_ms", peer * 1e3, "ms",
         {**ctx, "seconds": 0.25, "librosa_float32_ms": t["lib32"] * 1e3,
          "librosa_float64_ms": t["lib64"] * 1e3}),
        ("snippet_speedup_vs_librosa", peer / t["ours"], "x",
         {**ctx, "seconds": 0.25, "estimator": "min of rounds",
          "fft": "pocketfft" if fft.DEFAULT_FFT is fft.POCKETFFT else "numba_fft",
          "median_speedup": min(t_med["lib32"], t_med["lib64"]) / t_med["ours"]}),
        *[(f"snippet_ms_{k}", v * 1e3, "ms", {**ctx, "seconds": 0.25, "what": "kernel only"})
          for k, v in tb.items()],
        ("features_snippet_ms", t["features"] * 1e3, "ms", {**ctx, "seconds": 0.25,
                                                           "n_features": fx.n_features}),
        ("minute_ms", tm["ours"] * 1e3, "ms", {**ctx, "seconds": 60}),
        ("minute_librosa_ms", peer_m * 1e3, "ms",
         {**ctx, "seconds": 60, "librosa_float32_ms": tm["lib32"] * 1e3,
          "librosa_float64_ms": tm["lib64"] * 1e3}),
        ("minute_speedup_vs_librosa", peer_m / tm["ours"], "x",
         {**ctx, "seconds": 60, "estimator": "min of rounds",
          "median_speedup": min(tm_med["lib32"], tm_med["lib64"]) / tm_med["ours"]}),
        ("max_rel_err_vs_librosa", float(max(errs)), "ratio",
         {**ctx, "definition": "max |S-R|/(R+1e-10*max R), librosa on float64"}),
        ("max_db_err_vs_librosa", float(max(db_errs)), "dB", ctx),
        ("first_call_cold_s", first_cold, "s", {"what": "first melspectrogram_db, empty cache"}),
        ("first_call_warm_s", first_warm, "s", {"what": "first melspectrogram_db, warm cache"}),
        ("compile_kernels_cold_s", ck_cold, "s", {"what": "compile_kernels(), empty cache"}),
        ("compile_kernels_warm_s", ck_warm, "s", {"what": "compile_kernels(), warm cache"}),
    ]
    print_rows("features", rows, args.json, "{name:30s} {value:12.6g} {unit}")


if __name__ == "__main__":
    main()
