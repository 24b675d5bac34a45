"""Do the pads mean what the performer means? Our map against MusicMappr's recipe.

Test and benchmark helper (never imported by livemappr). Scores one group of
the development corpus (tests/corpus.py: ``drums``, ``gm_kits``,
``vocal_proxy``) leave-sources-out:

- the sources of the group are split into ``N_FOLDS`` folds; for each fold the
  projection is learned on the whole corpus but those sources (other groups
  included), the whole group is projected and mapped with livemappr's own map
  (``LiveMap.fit``: t-SNE and the live clustering), and the held-out sources'
  sounds are scored: their 10 nearest neighbours *from other sources* (so the
  velocity layers of one drum do not count) on the 2-D map and in feature space,
  and the ARI and purity of 16 k-means clusters in feature space against the
  labels;
- the recipe (64-band log-mel mean and std by librosa, scikit-learn's t-SNE,
  k-means with 16 clusters on the 2-D map) needs no training: one run per group.

Every score is also kept per source, so a test can ask whether ours leads by
more than the spread between sources.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from livemappr.analysis.features import FeatureExtractor
from livemappr.analysis.projection import Projection
from livemappr.mapping.clusters import StableKMeans
from livemappr.mapping.kmeans import kmeans
from livemappr.mapping.livemap import LiveMap
from livemappr.mapping.quality import _agreement, cluster_ari, cluster_purity
try:
    from tests import corpus as corpus_mod
except ImportError:  # pragma: no cover
    corpus_mod = None

GROUPS = ("drums", "gm_kits", "vocal_proxy")
N_FOLDS = 4
K = 10
N_CLUSTERS = 16
MIN_SEPARATION = 4.0  # the live map's rule (session config); measured in bench_quality
SR = 22050


@dataclass
class Scores:
    """One method's scores on one group: means, and per held-out source (or fold
    for the cluster scores)."""

    map_knn10: float
    feature_knn10: float
    ari: float
    purity: float
    per_source: dict = field(default_factory=dict)  # metric -> {source or fold: value}
    own_count: float = float("nan")  # ours: clusters made by the live rule, mean over folds
    own_ari: float = float("nan")
    own_purity: float = float("nan")

    def spread(self, metric: str) -> float:
        """Standard deviation of ``metric`` over sources (k-NN) or folds (clusters)."""
        return float(np.std(list(self.per_source[metric].values())))


def _cache_path(corpus, what: str):
    digest = hashlib.sha1("\n".join(corpus.names).encode()).hexdigest()[:12]
    return corpus_mod.cache_dir() / f"{corpus.group}-{what}-{digest}.npy"


def descriptors(corpus) -> np.ndarray:
    """Our unprojected descriptors, ndarray of shape (n, n_descriptors), float32."""
    fe = FeatureExtractor(projection=None)
    # keyed by the layout and the code that computes it: an edited kernel recomputes
    import livemappr.analysis as analysis

    code = b"".join((Path(analysis.__file__).parent / f).read_bytes()
                    for f in ("features.py", "timbre.py", "melbank.py", "plan.py", "fft.py"))
    path = _cache_path(corpus, "descriptors-" + hashlib.sha1(fe.config.layout.encode() + code).hexdigest()[:8])
    if path.exists():
        return np.load(path)
    X = np.stack([fe.vector(np.ascontiguousarray(a, dtype=np.float32), SR) for a in corpus.audio])
    np.save(path, X)
    return X


def attack_descriptors(corpus) -> np.ndarray:
    """The attack window's unprojected descriptors (analysis/attack.py): what
    audio-driven triggering decides on. ndarray of shape (n, n_descriptors)."""
    from livemappr.analysis import attack
    import livemappr.analysis as analysis

    fe = attack.attack_extractor(projection=None)
    code = b"".join((Path(analysis.__file__).parent / f).read_bytes()
                    for f in ("features.py", "timbre.py", "melbank.py", "plan.py", "fft.py", "attack.py"))
    path = _cache_path(corpus, "attack-" + hashlib.sha1(fe.config.layout.encode() + code).hexdigest()[:8])
    if path.exists():
        return np.load(path)
    X = np.stack([fe.vector(attack.attack_window(a, SR), SR) for a in corpus.audio])
    np.save(path, X)
    return X


@functools.lru_cache(maxsize=None)
def whole_corpus_attacks():
    """:func:`whole_corpus` with the attack window's descriptors."""
    X = np.concatenate([attack_descriptors(corpus_mod.load(g)) for g in GROUPS])
    return (X,) + whole_corpus()[1:]


def recipe_vectors(corpus) -> np.ndarray:
    """MusicMappr's vector: the mean and std over frames of a 64-band log-mel spectrogram."""
    path = _cache_path(corpus, "recipe")
    if path.exists():
        return np.load(path)
    import librosa

    rows = []
    for a in corpus.audio:
        S = librosa.power_to_db(librosa.feature.melspectrogram(y=np.asarray(a, np.float32), sr=SR,
                                                               n_mels=64))
        rows.append(np.r_[S.mean(axis=1), S.std(axis=1)])
    X = np.asarray(rows, np.float32)
    np.save(path, X)
    return X


def folds(sources: np.ndarray, n_folds: int = N_FOLDS) -> list[np.ndarray]:
    """The group's sources dealt round-robin into folds (sorted names: deterministic)."""
    names = np.unique(sources)
    return [names[i::n_folds] for i in range(min(n_folds, names.shape[0]))]


def _knn_per_point(Y, labels, sources):
    _, lab = np.unique(labels, return_inverse=True)
    _, grp = np.unique(sources, return_inverse=True)
    if Y.shape[1] == 2:
        return _agreement(np.ascontiguousarray(Y, dtype=np.float64), lab.astype(np.int64),
                          grp.astype(np.int64), K, True)
    from sklearn.neighbors import NearestNeighbors

    nn = NearestNeighbors(n_neighbors=min(len(Y) - 1, 200)).fit(Y)
    _, idx = nn.kneighbors(Y)
    out = np.full(len(Y), np.nan)
    for i in range(len(Y)):
        other = [j for j in idx[i] if grp[j] != grp[i]][:K]
        if other:
            out[i] = np.mean(lab[other] == lab[i])
    return out


def _per_source(values, sources, mask):
    return {str(s): float(np.nanmean(values[mask & (sources == s)])) for s in np.unique(sources[mask])}


@functools.lru_cache(maxsize=None)
def whole_corpus():
    """Descriptors, labels, sources and group of every sound of every group."""
    parts = [corpus_mod.load(g) for g in GROUPS]
    X = np.concatenate([descriptors(c) for c in parts])
    labels = np.concatenate([c.labels for c in parts])
    sources = np.concatenate([c.group + "/" + c.sources.astype(object) for c in parts]).astype(str)
    groups = np.concatenate([np.full(len(c.labels), c.group) for c in parts])
    return X, labels, sources, groups


def kinds(labels, groups) -> np.ndarray:
    """What the projection learns to tell apart: each group's labels as kinds of
    their own ("drums:kick", "vocal_proxy:kick"): more directions than the 7
    shared labels give, and the best by leave-sources-out k-NN agreement
    (benchmarks/bench_quality.py; shared labels: GM kits 0.73 against 0.78)."""
    return np.char.add(np.char.add(np.asarray(groups, str), ":"), np.asarray(labels, str))


def learn(X, labels, groups, layout=None, **kw) -> Projection:
    layout = layout or FeatureExtractor(projection=None).config.layout
    return Projection.learn(X, kinds(labels, groups), layout, **kw)


def ours(group: str, seed: int = 0, **learn_kw) -> Scores:
    """Our pipeline on ``group``, each source scored by a projection that never saw it."""
    X, labels, sources, groups = whole_corpus()
    in_group = groups == group
    Xg, yg, sg = X[in_group], labels[in_group], sources[in_group]
    per = {m: np.full(len(yg), np.nan) for m in ("map", "feat")}
    clusters = {}
    owned = []
    for held in folds(sg):
        out = np.isin(sources, held)
        proj = learn(X[~out], labels[~out], groups[~out], **learn_kw)
        Z = proj.transform(Xg)
        live = LiveMap(N_CLUSTERS, random_state=seed).fit(Z)
        P = np.asarray(live.snapshot.positions)
        mask = np.isin(sg, held)
        per["map"][mask] = _knn_per_point(P, yg, sg)[mask]
        per["feat"][mask] = _knn_per_point(Z, yg, sg)[mask]
        ids = kmeans(np.ascontiguousarray(Z, dtype=np.float64), N_CLUSTERS, n_init=4,
                     random_state=seed).labels
        clusters[tuple(held)] = (ids[mask], yg[mask], sg[mask])
        own = StableKMeans(N_CLUSTERS, min_separation=MIN_SEPARATION, random_state=seed).fit(Z)
        owned.append((own.n_clusters_, cluster_ari(own.labels_[mask], yg[mask]),
                      cluster_purity(own.labels_[mask], yg[mask])))
    s = _scores(per, clusters, yg, sg)
    s.own_count, s.own_ari, s.own_purity = (float(v) for v in np.mean(owned, axis=0))
    return s


def recipe(group: str, seed: int = 0) -> Scores:
    """MusicMappr's recipe on ``group``."""
    from sklearn.cluster import KMeans
    from sklearn.manifold import TSNE

    c = corpus_mod.load(group)
    R = recipe_vectors(c)
    sg = (c.group + "/" + c.sources.astype(object)).astype(str)
    P = TSNE(random_state=seed, init="pca").fit_transform(R)
    ids = KMeans(N_CLUSTERS, n_init=10, random_state=seed).fit_predict(P)
    per = {"map": _knn_per_point(P, c.labels, sg), "feat": _knn_per_point(R, c.labels, sg)}
    clusters = {tuple(h): (ids[np.isin(sg, h)], c.labels[np.isin(sg, h)], sg[np.isin(sg, h)])
                for h in folds(sg)}
    return _scores(per, clusters, c.labels, sg)


def _scores(per, clusters, labels, sources) -> Scores:
    everyone = np.ones(len(labels), bool)
    ari = [cluster_ari(i, y) for i, y, _ in clusters.values()]
    pur = [cluster_purity(i, y) for i, y, _ in clusters.values()]
    per_source = {"map_knn10": _per_source(per["map"], sources, everyone),
                  "feature_knn10": _per_source(per["feat"], sources, everyone),
                  "ari": dict(zip(map(str, clusters), ari)), "purity": dict(zip(map(str, clusters), pur))}
    return Scores(float(np.nanmean(per["map"])), float(np.nanmean(per["feat"])),
                  float(np.mean(ari)), float(np.mean(pur)), per_source)
