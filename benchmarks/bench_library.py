"""Benchmark a library: ``livemappr map`` cold, unchanged and 1% new, the layout against openTSNE, similar's queries.

Plain script (never part of pytest).

    python benchmarks/bench_library.py                          # 10,000 one-shots, human summary
    python benchmarks/bench_library.py --n 10000,100000 --json  # issue 18's rows, one JSON object per line
    python benchmarks/bench_library.py --n 3000 --no-peer       # quick: without openTSNE

The one-shots are ``benchmarks/library_corpus.py``'s: variations of the
development corpus's sounds (Debian kits, rendered GM kits, the vocal proxy),
made on demand in a cache folder and reused. Each run maps a folder of hard
links to them (so the 1% added for the update run never touch the cache).
The kernels are compiled (a small map) before anything is timed. Rows, each
with ``n``:

- ``index_s``: the cold run's reading and features (the library index written);
- ``layout_s``: its map fit (k-NN, affinities, Barnes-Hut t-SNE, clusters);
- ``end_to_end_s``: the whole cold ``make_map`` (the same plus map.json, map.png, map.html);
- ``unchanged_s`` / ``unchanged_analysed``: the same folder again (nothing may be analysed);
- ``update_share_of_cold``: 1% new files taken in (the map grown), over the cold time (goal < 0.05);
- ``layout_time_ratio_vs_opentsne_fft``: ``layout_s`` over openTSNE's FFT-interpolated
  t-SNE on the same vectors (same perplexity, iterations and PCA start; goal <= 0.5);
- ``trustworthiness`` and ``trustworthiness_delta_vs_opentsne``: 10-NN
  trustworthiness of our map (2,000 sampled points against all), minus openTSNE's (goal >= -0.01);
- ``layout_tree_s`` / ``layout_grid_s`` and their ``trustworthiness_*`` (``--compare-layouts``,
  from 20,000 sounds, where the fit takes the repulsion from a grid): t-SNE alone on the
  same vectors with Barnes-Hut's quadtree and with the grid (mapping/fftrep.py);
- ``similar_query_ms_p50`` / ``_p99``: one query of ``livemappr similar``'s search
  (exact nearest 20 among all vectors; the file's own analysis not included) (goal p99 <= 5 at 100k);
- ``load``: the 1-minute load average before the run (2 cores here; above 2, someone else ran too).
"""

from __future__ import annotations

import os
import pathlib
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import library_corpus  # noqa: E402
from _report import Report, parser  # noqa: E402

from livemappr.analysis.features import FeatureConfig, FeatureExtractor  # noqa: E402
from livemappr.commands.map import make_map  # noqa: E402
from livemappr.files import mapfile  # noqa: E402
from livemappr.files.library import FOLDER, Library, library_key  # noqa: E402
from livemappr.mapping import quality  # noqa: E402
from livemappr.mapping.embedding import IncrementalTSNE  # noqa: E402
from livemappr.mapping.neighbors import NeighborIndex  # noqa: E402


def link_folder(source, target):
    """``target`` holding hard links to every WAV of ``source`` (same names, same mtimes)."""
    for f in sorted(source.rglob("*.wav")):
        dest = target / f.relative_to(source)
        dest.parent.mkdir(parents=True, exist_ok=True)
        os.link(f, dest)


def timed_map(folder, out):
    t = time.perf_counter()
    summary = make_map([folder], out, log=lambda message: None, progress=False)
    return time.perf_counter() - t, summary


def vectors_and_positions(out):
    """The mapped sounds' feature vectors (from the index) and map positions (from map.json), row for row."""
    extractor = FeatureExtractor(FeatureConfig())
    lib = Library(out / FOLDER, library_key(extractor, 48000), lambda m: None, read_only=True)
    by_path = {e.path: e.vectors[0] for e in lib.entries.values() if e.vectors.shape[0]}
    mf = mapfile.read(out)
    X = np.stack([by_path[os.path.abspath(out / s.source)] for s in mf.snippets]).astype(np.float64)
    Y = np.array([(s.x, s.y) for s in mf.snippets])
    return X, Y


def opentsne_layout(X, seed=0):
    """openTSNE's FFT t-SNE with our map's settings; (positions, seconds)."""
    from openTSNE import TSNE

    t = time.perf_counter()
    Y = TSNE(perplexity=30, n_iter=500, early_exaggeration_iter=250, early_exaggeration=12,
             initialization="pca", negative_gradient_method="fft", n_jobs=os.cpu_count(),
             random_state=seed, verbose=False).fit(X)
    return np.asarray(Y), time.perf_counter() - t


def query_times(X, n_queries=300, k=20, seed=0):
    """Milliseconds of each of ``n_queries`` searches of ``similar`` (its exact index over all of ``X``)."""
    index = NeighborIndex(X.shape[1], ann_threshold=None, capacity=X.shape[0])
    index.extend(X)
    rng = np.random.default_rng(seed)
    queries = X[rng.integers(X.shape[0], size=n_queries)] + rng.normal(scale=0.05, size=(n_queries, X.shape[1]))
    index.query(queries[0], k)  # compiled
    out = []
    for q in queries:
        t = time.perf_counter()
        index.query(q, k)
        out.append((time.perf_counter() - t) * 1000)
    return np.array(out)


def bench(n, report, tmp, peer=True, compare=False):
    cached, _ = library_corpus.make(n, log=report.note)
    load = os.getloadavg()[0]
    folder, out = tmp / f"shots{n}", tmp / f"map{n}"
    link_folder(cached, folder)
    cold_s, cold = timed_map(folder, out)
    report.metric("end_to_end_s", round(cold_s, 2), "s", n=n, load=round(load, 2), goal="<= 300 at 100000")
    report.metric("layout_s", cold["fit_s"], "s", n=n)
    report.metric("index_s", round(cold_s - cold["fit_s"] - cold.get("write_s", 0.0), 2), "s", n=n,
                  note="cold run minus layout (and map files)")
    same_s, same = timed_map(folder, out)
    report.metric("unchanged_s", round(same_s, 2), "s", n=n)
    report.metric("unchanged_analysed", same["analysed"], "files", n=n)
    new = max(1, n // 100)
    extra = folder / "new"
    extra.mkdir()
    audio = library_corpus.bases()[0]
    for i in range(n, n + new):
        soundfile.write(extra / f"shot_{i:06d}.wav", library_corpus.variation(audio, i, 0)[0],
                        library_corpus.SR, subtype="PCM_16")
    update_s, update = timed_map(folder, out)
    report.metric("update_s", round(update_s, 2), "s", n=n, new=new, analysed=update["analysed"])
    report.metric("update_share_of_cold", round(update_s / cold_s, 4), "ratio", n=n, new=new, goal="< 0.05")
    X, Y = vectors_and_positions(out)
    q = query_times(X)
    report.metric("similar_query_ms_p50", round(float(np.percentile(q, 50)), 3), "ms", n=len(X))
    report.metric("similar_query_ms_p99", round(float(np.percentile(q, 99)), 3), "ms", n=len(X), goal="<= 5 at 100000")
    ours = quality.trustworthiness(X, Y, n_neighbors=10, sample=2000)
    report.metric("trustworthiness", round(float(ours), 4), "", n=len(X))
    tsne = IncrementalTSNE()
    if compare and tsne.fft_threshold is not None and len(X) >= tsne.fft_threshold:
        # what chose the grid over the quadtree at this size: the same fit on the quadtree
        t = time.perf_counter()
        Yt = IncrementalTSNE(random_state=0, fft_threshold=None).fit(X).embedding_
        report.metric("layout_tree_s", round(time.perf_counter() - t, 2), "s", n=len(X),
                      note="t-SNE alone, Barnes-Hut repulsion (ours uses the grid from "
                           f"{tsne.fft_threshold})")
        report.metric("trustworthiness_tree", round(float(quality.trustworthiness(X, Yt, n_neighbors=10,
                                                                                  sample=2000)), 4), "", n=len(X))
        t = time.perf_counter()
        Yg = IncrementalTSNE(random_state=0).fit(X).embedding_
        report.metric("layout_grid_s", round(time.perf_counter() - t, 2), "s", n=len(X), note="t-SNE alone, grid")
        report.metric("trustworthiness_grid", round(float(quality.trustworthiness(X, Yg, n_neighbors=10,
                                                                                  sample=2000)), 4), "", n=len(X))
    if peer:
        Yo, peer_s = opentsne_layout(X)
        theirs = quality.trustworthiness(X, Yo, n_neighbors=10, sample=2000)
        report.metric("opentsne_fft_s", round(peer_s, 2), "s", n=len(X))
        report.metric("layout_time_ratio_vs_opentsne_fft", round(cold["fit_s"] / peer_s, 3), "ratio", n=n,
                      goal="<= 0.5")
        report.metric("trustworthiness_delta_vs_opentsne", round(float(ours - theirs), 4), "", n=len(X),
                      goal=">= -0.01")


def main():
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--n", default="10000", help="library sizes, comma-separated (default 10000)")
    p.add_argument("--no-peer", action="store_true", help="skip openTSNE (the bench extra's opentsne)")
    p.add_argument("--compare-layouts", action="store_true",
                   help="from 20,000 sounds, also fit the same vectors on the quadtree and on the grid")
    args = p.parse_args()
    report = Report("library", args.json)
    with tempfile.TemporaryDirectory(prefix="bench-library-") as tmp:
        tmp = Path(tmp)
        warm, _ = library_corpus.make(200, seed=1, log=report.note)
        link_folder(warm, tmp / "warm")
        timed_map(tmp / "warm", tmp / "warm-map")  # kernels compiled (or loaded from the cache),
        soundfile.write(tmp / "warm" / "one.wav", library_corpus.variation(library_corpus.bases()[0], 9, 1)[0],
                        library_corpus.SR)
        timed_map(tmp / "warm", tmp / "warm-map")  # those of growing a map too
        for n in (int(s) for s in args.n.split(",")):
            bench(n, report, tmp, peer=not args.no_peer, compare=args.compare_layouts)


if __name__ == "__main__":
    main()
