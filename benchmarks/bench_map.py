"""Benchmark the map: full fits, one-point insertion, refinement, k-means, cluster churn, drums.

Plain script (never part of pytest). All peers run in the same process and run:
openTSNE (Barnes-Hut and FFT) for fits and insertion, scikit-learn's KMeans for
our k-means on the same maps, and the MusicMappr recipe (scikit-learn TSNE, then
KMeans on the 2-D map) on real drum one-shots.

    python benchmarks/bench_map.py            # human summary
    python benchmarks/bench_map.py --json     # one JSON object per line
    python benchmarks/bench_map.py --quick    # N = 1000, 5000 only, fewer repeats, no ANN

Synthetic data (N up to 20000) is a stand-in for sound features: a 64-D Gaussian
mixture of 20 clusters with spreads varying 4x and sizes ~5x (tests/synthetic.py).
Drum data: Debian hydrogen-drumkits, stand-in log-mel features
(tests/hydrogen_features.py). Both peers and ours use 2 threads (this machine).
Numba and pynndescent compile before anything is timed. Memory: the bytes of
every array a map worker holds after a 30-minute session (7,200 snippets of 144
features fed through ``MapWorker`` in batches), per snippet.
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from hydrogen_features import load_hydrogen  # noqa: E402
from synthetic import gaussian_mixture  # noqa: E402
from memory import reachable_arrays  # noqa: E402

from livemappr.mapping.clusters import StableKMeans  # noqa: E402
from livemappr.mapping.embedding import IncrementalTSNE  # noqa: E402
from livemappr.mapping.livemap import LiveMap  # noqa: E402
from livemappr.mapping.quality import cluster_ari, knn_agreement, trustworthiness  # noqa: E402

DATA = "gaussian_mixture_64d_20_clusters"
TRUST_SAMPLE = 2000  # trustworthiness query points (all points are neighbours)


class Report:
    def __init__(self, as_json):
        self.as_json = as_json

    def __call__(self, metric, value, unit, **context):
        if self.as_json:
            print(json.dumps({"bench": "map", "metric": metric, "value": round(float(value), 6),
                              "unit": unit, **context}), flush=True)
        else:
            ctx = " ".join(f"{k}={v}" for k, v in context.items())
            print(f"  {metric:<40} {value:>12.4g} {unit:<6} {ctx}", flush=True)

    def say(self, text):
        if not self.as_json:
            print(text, flush=True)


def _opentsne(X, method, seed=0):
    import openTSNE

    t = time.perf_counter()
    emb = openTSNE.TSNE(negative_gradient_method=method, n_jobs=2, random_state=seed).fit(X)
    return emb, time.perf_counter() - t


def warm_up(report):
    from sklearn.cluster import KMeans

    from livemappr.mapping.kmeans import kmeans

    report.say("warming up (numba and pynndescent compile; not timed)")
    X, _ = gaussian_mixture(1500, random_state=99)
    m = IncrementalTSNE(random_state=0, n_iter=20, early_exaggeration_iter=20).fit(X[:1400])
    for x in X[1400:]:
        m.add(x)
    m.refine()
    trustworthiness(X, np.random.default_rng(0).normal(size=(1500, 2)), 10, sample=50)
    StableKMeans(4).fit(m.embedding_).update(m.embedding_)
    kmeans(m.embedding_, 4, n_init=1)
    KMeans(4, n_init=1).fit(m.embedding_)
    for method in ("bh", "fft"):
        emb, _ = _opentsne(X, method)
        emb.transform(X[:1])


def bench_fits(report, sizes):
    maps = {}
    for n in sizes:
        X, _ = gaussian_mixture(n + 300, random_state=n)
        Xf, Xnew = X[:n], X[n:]
        t = time.perf_counter()
        ours = IncrementalTSNE(random_state=0).fit(Xf)
        fit_s = time.perf_counter() - t
        peers = {m: _opentsne(Xf, m) for m in ("bh", "fft")}
        tw = {"ours": trustworthiness(Xf, ours.embedding_, 10, sample=TRUST_SAMPLE)}
        for m, (emb, _) in peers.items():
            tw[m] = trustworthiness(Xf, np.asarray(emb), 10, sample=TRUST_SAMPLE)
        ctx = {"n": n, "data": DATA}
        report("fit_s", fit_s, "s", **ctx)
        for m, (_, s) in peers.items():
            report(f"opentsne_{m}_fit_s", s, "s", **ctx)
            report(f"fit_time_ratio_vs_opentsne_{m}", fit_s / s, "ratio", **ctx)
        report("trustworthiness", tw["ours"], "score", k=10, sample=min(TRUST_SAMPLE, n), **ctx)
        for m in ("bh", "fft"):
            report(f"opentsne_{m}_trustworthiness", tw[m], "score", k=10, **ctx)
        report("trustworthiness_delta_vs_opentsne", tw["ours"] - max(tw["bh"], tw["fft"]),
               "score", k=10, **ctx)
        maps[n] = (X, ours, peers["fft"][0], Xnew)
    return maps


def bench_insert(report, maps, sizes, n_insert, n_peer):
    for n in sizes:
        X, ours, peer_fft, Xnew = maps[n]
        m = copy.deepcopy(ours)
        times = []
        for i, x in enumerate(Xnew[:n_insert]):
            t = time.perf_counter()
            m.add(x)
            times.append(time.perf_counter() - t)
            if i % 10 == 9:
                m.refine()  # as the background loop would, between arrivals
        ms = np.array(times) * 1e3
        peer_ms = []
        peer_fft.gradient_descent_params["negative_gradient_method"] = "fft"
        for x in Xnew[:n_peer]:
            t = time.perf_counter()
            peer_fft.transform(x[None, :])
            peer_ms.append((time.perf_counter() - t) * 1e3)
        p50 = float(np.percentile(ms, 50))
        ctx = {"n": n, "data": DATA, "inserts": len(ms)}
        report("insert_p50_ms", p50, "ms", **ctx)
        report("insert_p99_ms", float(np.percentile(ms, 99)), "ms", **ctx)
        report("opentsne_fft_transform_p50_ms", float(np.median(peer_ms)), "ms", n=n,
               transforms=len(peer_ms))
        report("insert_speedup_vs_opentsne", float(np.median(peer_ms)) / p50, "ratio", n=n)


def bench_refine(report, maps, n, repeats):
    X, ours, _, Xnew = maps[n]
    m = copy.deepcopy(ours)
    for x in Xnew[:50]:
        m.add(x)
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        m.refine()
        times.append(time.perf_counter() - t)
    report("refine_step_ms", float(np.median(times)) * 1e3, "ms", n=m.n_samples_, data=DATA)


def bench_kmeans(report, maps, sizes, k=26, n_init=10, repeats=3):
    """Our k-means (what StableKMeans.fit runs) vs scikit-learn's KMeans on our maps."""
    from sklearn.cluster import KMeans

    from livemappr.mapping.kmeans import kmeans

    for n in sizes:
        Y = maps[n][1].embedding_.copy()
        ours, peer = [], []
        for seed in range(repeats):
            t = time.perf_counter()
            inertia = kmeans(Y, k, n_init=n_init, random_state=seed).inertia
            ours.append((time.perf_counter() - t, inertia))
            t = time.perf_counter()
            inertia = KMeans(k, n_init=n_init, random_state=seed).fit(Y).inertia_
            peer.append((time.perf_counter() - t, inertia))
        (t_ours, i_ours), (t_peer, i_peer) = np.median(ours, axis=0), np.median(peer, axis=0)
        ctx = {"n": n, "data": DATA + "_map", "n_clusters": k, "n_init": n_init, "seeds": repeats}
        report("kmeans_ms", t_ours * 1e3, "ms", **ctx)
        report("sklearn_kmeans_ms", t_peer * 1e3, "ms", **ctx)
        report("kmeans_speedup_vs_sklearn", t_peer / t_ours, "ratio", **ctx)
        report("kmeans_inertia_ratio_vs_sklearn", i_ours / i_peer, "ratio",
               note="median inertia over seeds, ours / sklearn; below 1 is better", **ctx)


def bench_churn(report, maps, n, n_new, steps_per_snippet):
    X, ours, _, Xnew = maps[n]
    m = copy.deepcopy(ours)
    km = StableKMeans(26, random_state=0).fit(m.embedding_)
    prev = km.labels_.copy()
    churn = []
    for i, x in enumerate(Xnew[:n_new]):
        m.add(x)
        m.refine(steps_per_snippet)
        labels = km.update(m.embedding_)
        if i % 100 == 99:
            churn.append(np.mean(labels[: len(prev)] != prev))
            prev = labels.copy()
    ctx = {"n": n, "data": DATA, "n_clusters": 26, "new_snippets": n_new,
           "refine_steps_per_snippet": steps_per_snippet}
    report("cluster_id_churn", float(np.mean(churn)), "fraction", per="100 new snippets", **ctx)
    report("cluster_id_churn_max", float(np.max(churn)), "fraction", per="100 new snippets", **ctx)


def bench_ann(report, n=20000, n_queries=200, k=90):
    """Real pynndescent behind NeighborIndex: build time (JIT included), recall, speed."""
    from livemappr.mapping.neighbors import NeighborIndex

    X, _ = gaussian_mixture(n + n_queries, random_state=5)
    ctx = {"n": n, "data": DATA, "k": k}
    exact = NeighborIndex(X.shape[1], ann_threshold=None)
    exact.extend(X[:n])
    t = time.perf_counter()
    ann = NeighborIndex(X.shape[1], ann_threshold=n, warm_at=n, random_state=0)
    ann.extend(X[:n])  # starts the background build; exact search serves meanwhile
    ann.wait_for_builder()
    report("ann_background_build_s", time.perf_counter() - t, "s",
           note="wall time from extend() to ready, incl. JIT of prepare(); earlier openTSNE "
           "fits in this run already compiled NN-descent itself", **ctx)
    recall, t_ann, t_exact = [], [], []
    for q in X[n:]:
        t = time.perf_counter()
        got, _, _ = ann.query(q, k)
        t_ann.append(time.perf_counter() - t)
        t = time.perf_counter()
        ref, _, _ = exact.query(q, k)
        t_exact.append(time.perf_counter() - t)
        recall.append(len(set(got.tolist()) & set(ref.tolist())) / k)
    report("ann_recall_at_k", float(np.mean(recall)), "fraction", **ctx)
    report("ann_query_p50_ms", float(np.median(t_ann)) * 1e3, "ms", **ctx)
    report("exact_query_p50_ms", float(np.median(t_exact)) * 1e3, "ms", **ctx)


def bench_drums(report):
    from sklearn.cluster import KMeans
    from sklearn.manifold import TSNE

    X, labels, kits = load_hydrogen()
    ctx = {"data": "hydrogen_drumkits_stand_in_logmel", "n": len(X), "n_clusters": 5, "k": 10}
    ours = IncrementalTSNE(random_state=0).fit(X).embedding_
    ours_ids = StableKMeans(5, random_state=0).fit(ours).labels_
    base = TSNE(random_state=0).fit_transform(X)
    base_ids = KMeans(5, n_init=10, random_state=0).fit_predict(base)
    order = np.random.default_rng(0).permutation(len(X))
    live = LiveMap(5, random_state=0)
    for i in order:
        live.add(X[i])
        live.step(3)
    inv = np.argsort(order)
    grown, grown_ids = live.snapshot.positions[inv], live.snapshot.cluster_ids[inv]
    for method, Y, ids in (("ours", ours, ours_ids), ("musicmappr_baseline", base, base_ids),
                           ("ours_grown_live", grown, grown_ids)):
        report("knn_agreement_cross_kit", knn_agreement(Y, labels, 10, groups=kits), "score",
               method=method, **ctx)
        report("cluster_ari", cluster_ari(ids, labels), "score", method=method, **ctx)


def bench_memory(report, n=7200, n_features=144, batch=64):
    """A session's worth of snippets through the map worker: what its arrays hold."""
    import queue

    from livemappr.analysis.worker import AnalysedSnippet
    from livemappr.mapping.worker import MapWorker

    X = np.random.default_rng(0).standard_normal((n, n_features)).astype(np.float32)
    q = queue.Queue()
    w = MapWorker(q, LiveMap(16, random_state=0), max_batch=batch)
    for i, x in enumerate(X):
        q.put(AnalysedSnippet(i, i * 12000, i * 12000 + 6000, i * 12000, i, x, -6.0, -20.0, "onset"))
    while w.stats["added"] < n:
        w.run_once()
    nbytes = sum(a.nbytes for a in reachable_arrays(w))
    ctx = {"n": n, "n_features": n_features, "data": "standard_normal", "batch": batch}
    report("map_worker_arrays_mb", nbytes / 2**20, "MiB", **ctx)
    report("map_worker_bytes_per_snippet", nbytes / n, "B", **ctx)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", action="store_true", help="one JSON object per line")
    ap.add_argument("--quick", action="store_true", help="N = 1000 and 5000, fewer repeats")
    args = ap.parse_args(argv)
    report = Report(args.json)
    sizes = [1000, 5000] if args.quick else [1000, 5000, 20000]
    report.say(f"livemappr map benchmark; synthetic data: {DATA}")
    warm_up(report)
    report.say("full fit (ours vs openTSNE bh and fft, 2 threads)")
    maps = bench_fits(report, sizes)
    report.say("insert one point (ours add() vs openTSNE transform(), fft)")
    bench_insert(report, maps, [n for n in sizes if n >= 5000],
                 n_insert=100 if args.quick else 300, n_peer=10 if args.quick else 20)
    report.say("one whole-map refinement step")
    bench_refine(report, maps, 5000, repeats=20 if args.quick else 50)
    report.say("k-means on the map (ours vs scikit-learn KMeans, 26 clusters, 10 starts)")
    bench_kmeans(report, maps, [n for n in sizes if n >= 5000])
    report.say("cluster id churn (26 clusters on the map)")
    bench_churn(report, maps, 5000, n_new=200 if args.quick else 300,
                steps_per_snippet=5 if args.quick else 10)
    report.say("hydrogen drum one-shots (other-kit neighbours only)")
    bench_drums(report)
    report.say("memory of the map worker after 7,200 snippets")
    bench_memory(report)
    if not args.quick:
        report.say("approximate k-NN (pynndescent, built in the background) vs exact")
        bench_ann(report)


if __name__ == "__main__":
    main()
