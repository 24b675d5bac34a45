"""Do pads mean what the performer means? livemappr against MusicMappr's recipe.

Usage: python benchmarks/bench_quality.py [--json] [--groups drums,gm_kits,vocal_proxy]

On the development corpus (tests/corpus.py: hydrogen kits; GM drum kits
rendered with fluidsynth from the TimGM6mb, csound and OPL-3 soundfonts; a
speech-synthesised vocal-percussion PROXY made with espeak-ng, not recordings),
scored leave-sources-out by tests/pads_quality.py: every sound is scored by a
projection learned without its source, and its neighbours are counted only
among other sources. One row per metric and group:

- map_knn10_agreement: share of a sound's 10 nearest other-source neighbours on
  the 2-D map that share its label;
- feature_knn10_agreement: the same in the space the map is made from;
- cluster_ari, cluster_purity: 16 k-means clusters (ours in feature space,
  the recipe's on its 2-D map) against the labels, on held-out sources;
- cluster_count, cluster_ari_own_count, cluster_purity_own_count: the clusters
  livemappr's own rule makes (StableKMeans splits kept only between clusters
  ``MIN_SEPARATION`` apart), the count the map view would show;
- each also as <metric>_vs_recipe: ours over the recipe's, same run; and
  <metric>_source_spread: the standard deviation of ours over held-out sources.

snippet_speedup_vs_librosa: librosa's 64-band mel spectrogram in dB of a
0.25 s snippet (single-threaded, as bench_features.py) over our whole vector
(descriptors and projection) of the same snippet.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

# Both sides single-threaded, as in bench_features.py (BLAS threads made librosa swing 10x).
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
from _report import Report, parser  # noqa: E402

from tests import pads_quality as pq  # noqa: E402


def speedup(report):
    """Our whole vector (descriptors and projection) of a 0.25 s snippet against
    librosa's 64-band mel spectrogram in dB of it (bench_features.py's peer:
    n_fft 1024, hop 256, single-threaded, the faster of float32 and float64)."""
    import librosa

    from livemappr.analysis.features import FeatureExtractor

    rng = np.random.default_rng(0)
    t = np.arange(pq.SR // 4) / pq.SR
    y = (np.sin(2 * np.pi * 120 * t) * np.exp(-6 * t) + 0.2 * rng.normal(size=t.size) * np.exp(-30 * t))
    y32, y64 = y.astype(np.float32), y.astype(np.float64)
    fe = FeatureExtractor()

    def mel(x):
        return librosa.power_to_db(librosa.feature.melspectrogram(y=x, sr=pq.SR, n_fft=1024, hop_length=256,
                                                                  n_mels=64))

    def best(f, n=200):
        f()
        times = []
        for _ in range(n):
            t0 = time.perf_counter()
            f()
            times.append(time.perf_counter() - t0)
        return min(times)

    ours = best(lambda: fe.vector(y32))
    theirs = min(best(lambda: mel(y32)), best(lambda: mel(y64)))
    report.metric("snippet_speedup_vs_librosa", round(theirs / ours, 2), "x",
                  ours_ms=round(ours * 1e3, 4), librosa_ms=round(theirs * 1e3, 4), snippet_s=0.25)


def main():
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--groups", default=",".join(pq.GROUPS))
    args = p.parse_args()
    report = Report("quality", args.json)
    for group in args.groups.split(","):
        t0 = time.perf_counter()
        ours, theirs = pq.ours(group), pq.recipe(group)
        for metric in ("map_knn10", "feature_knn10", "ari", "purity"):
            name = {"map_knn10": "map_knn10_agreement", "feature_knn10": "feature_knn10_agreement",
                    "ari": "cluster_ari", "purity": "cluster_purity"}[metric]
            a, b = getattr(ours, metric), getattr(theirs, metric)
            spread = ours.spread(metric)
            report.metric(name, round(a, 4), "", group=group)
            report.metric(name + "_vs_recipe", round(a / b, 4) if b else float("nan"), "x",
                          group=group, recipe=round(b, 4))
            report.metric(name + "_source_spread", round(spread, 4), "", group=group)
        report.metric("cluster_count", ours.own_count, "", group=group)
        report.metric("cluster_ari_own_count", round(ours.own_ari, 4), "", group=group)
        report.metric("cluster_purity_own_count", round(ours.own_purity, 4), "", group=group)
        report.note(f"  ({group}: {time.perf_counter() - t0:.0f} s)")
    speedup(report)


if __name__ == "__main__":
    main()
