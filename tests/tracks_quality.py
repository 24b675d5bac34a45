"""How well a map of whole tracks groups them by style, leave-one-source-out.

Test and benchmark helper (tests/test_tracks.py, benchmarks/bench_tracks.py).
The tracks of tests/trackcorpus.py are mapped by ``livemappr map``'s own
code (:func:`livemappr.commands.map.fit_sounds`), as whole tracks
(``--tracks``) or, the peer, as one-shots (a file in a folder: its first
second), and scored where only neighbours from *other* groups (another kit,
another soundfont) count: the same style played by the same kit is no
evidence that the map hears styles.
"""

from __future__ import annotations

import time
import tracemalloc

import numpy as np

from livemappr.commands.map import fit_sounds
from livemappr.mapping import quality


def feature_knn(X, labels, groups, k=10, per_row=False):
    """Mean share of each row's ``k`` nearest rows of other groups (euclidean,
    in feature space) that share its label (``per_row``: each row's share)."""
    X = np.asarray(X, np.float64)
    d = ((X[:, None, :] - X[None, :, :]) ** 2).sum(axis=2)
    d[groups[:, None] == groups[None, :]] = np.inf
    near = np.argsort(d, axis=1, kind="stable")[:, :k]
    share = np.mean(labels[near] == labels[:, None], axis=1)
    return share if per_row else float(share.mean())


def score(folder, tracks, whole, clusters=None, seed=0):
    """Map ``folder`` (``whole``: as tracks, else as one-shots) and score it
    against ``tracks`` (trackcorpus.Track). Returns a dict of metrics."""
    t0 = time.perf_counter()
    fitted = fit_sounds([folder], whole=whole, clusters=clusters or len({t.label for t in tracks}),
                        log=None, progress=False, seed=seed)
    spent = time.perf_counter() - t0
    by_path = {str(t.path): t for t in tracks}
    picked = [by_path[str(r[0])] for r in fitted.rows]
    y = np.array([t.label for t in picked])
    g = np.array([t.group for t in picked])
    P = np.asarray(fitted.snapshot.positions)
    ids = np.asarray(fitted.snapshot.cluster_ids)
    per_group = feature_knn(P, y, g, 10, per_row=True)  # on the map: the same neighbours, row by row
    spread = float(np.std([per_group[g == grp].mean() for grp in np.unique(g)]))
    return {"n": len(picked), "map_knn10": quality.knn_agreement(P, y, 10, groups=g), "map_knn10_source_spread": spread,
            "feature_knn10": feature_knn(fitted.X, y, g, 10),
            "cluster_ari": quality.cluster_ari(ids, y), "cluster_purity": quality.cluster_purity(ids, y),
            "seconds": spent, "X": fitted.X, "labels": y, "groups": g}


def peak_memory(path, samplerate=48000):
    """The most memory (bytes, Python-traced: numpy's arrays count) taken
    while ``path`` is described as a whole track, and while it is read whole
    (``audiofile.read``, what a one-shot costs): ``(ours, whole, row, seconds)``,
    ``row`` the track's map row, ``seconds`` how long describing it took."""
    from livemappr.analysis.trackfeatures import TrackExtractor
    from livemappr.commands.tracks import read_track
    from livemappr.files import audiofile

    x = TrackExtractor()
    read_track(path, samplerate, x)  # numba and soxr loaded before measuring
    tracemalloc.start()
    try:
        t0 = time.perf_counter()
        row = read_track(path, samplerate, x)[0]
        spent = time.perf_counter() - t0
        ours = tracemalloc.get_traced_memory()[1]
        tracemalloc.reset_peak()
        audiofile.read(path, samplerate=samplerate, channels=1)
        whole = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return ours, whole, row, spent
