"""LiveMap: the map worker's one object: add snippets, settle the map, publish.

Runs on: map worker (``add``, ``step``); ``snapshot`` may be read from any thread.

It ties :class:`~livemappr.mapping.embedding.IncrementalTSNE`,
:class:`~livemappr.mapping.clusters.StableKMeans` (on the 2-D map: on the hydrogen
one-shots map clusters agree better with drum types than feature-space clusters,
ARI 0.33 vs 0.23, and they are the regions the player sees) and a
:class:`~livemappr.mapping.snapshot.SnapshotPublisher` together. A worker loop is::

    while running:
        for features in new_snippets():
            live.add(features)          # on the map at once, snapshot published
        live.step()                     # one settling step, clusters followed
"""

from __future__ import annotations

import numpy as np

from .clusters import StableKMeans
from .embedding import IncrementalTSNE
from .snapshot import SnapshotPublisher


class LiveMap:
    """A growing map with stable clusters and lock-free snapshots.

    Parameters
    ----------
    n_clusters : int, default 16
        Maximum number of clusters (16 pads; 26 for keys a-z).
    tsne : IncrementalTSNE or None
        Configured (unfitted) embedding; default ``IncrementalTSNE(random_state)``.
    clusters : StableKMeans or None
        Configured clusterer; default ``StableKMeans(n_clusters, random_state)``.
    random_state : int or None
    """

    def __init__(self, n_clusters=16, tsne=None, clusters=None, random_state=None,
                 cluster_on="map", min_separation=None):
        if cluster_on not in ("map", "features"):
            raise ValueError(f"cluster_on must be 'map' or 'features', got {cluster_on!r}")
        self.tsne = tsne if tsne is not None else IncrementalTSNE(random_state=random_state)
        self.clusters = clusters if clusters is not None else StableKMeans(
            n_clusters, random_state=random_state, min_separation=min_separation)
        self.cluster_on = cluster_on
        self.publisher = SnapshotPublisher()
        self._labels = np.empty(0, np.int64)

    @classmethod
    def of_sounds(cls, n_clusters, extractor, random_state=None):
        """The map a session and ``livemappr map`` make of the vectors ``extractor``
        gives: clusters in that space, not on the 2-D map (leave-sources-out on
        the development corpus, 16 clusters: drums ARI 0.43 against 0.30 on the
        map), split only between sounds its projection tells apart
        (``min_separation``): as many pads as kinds of sound."""
        projection = getattr(extractor, "projection", None)
        if projection is None:
            return cls(n_clusters, random_state=random_state)
        return cls(n_clusters, random_state=random_state, cluster_on="features",
                   min_separation=projection.min_separation)

    def cluster_space(self):
        """The points the clusters are made of: the vectors, or the map's 2-D positions."""
        return self.features if self.cluster_on == "features" else self.tsne.embedding_

    @property
    def features(self):
        """ndarray of shape (n, n_features), float32: the vectors on the map, row
        ``i`` for snippet ``i``. A view into the neighbour index: read it on the
        map worker's thread, copy what you keep."""
        index = getattr(self.tsne, "index_", None)
        return np.empty((0, 0), np.float32) if index is None else index.data

    @property
    def snapshot(self):
        """The latest published :class:`~livemappr.mapping.snapshot.MapSnapshot`."""
        return self.publisher.latest

    def reserve(self, n_samples, n_features):
        """Take the memory for ``n_samples`` snippets now (a live session does,
        before its first snippet); see :meth:`IncrementalTSNE.reserve`."""
        self.tsne.reserve(n_samples, n_features)
        return self

    def fit(self, X):
        """Map a library offline, cluster it and publish. X : (n_samples, n_features)."""
        self.tsne.fit(X)
        self._labels = self.clusters.fit(self.cluster_space()).labels_.copy()
        self._publish()
        return self

    def add(self, x):
        """Put one snippet on the map, give it the nearest cluster's id, publish.

        Parameters
        ----------
        x : ndarray of shape (n_features,)

        Returns
        -------
        int : the snippet's index on the map.
        """
        i = self.tsne.add(x)
        y = self.cluster_space()[i]
        centres = getattr(self.clusters, "cluster_centers_", None)
        label = 0 if centres is None else int(np.argmin(((centres - y) ** 2).sum(axis=1)))
        self._labels = np.append(self._labels, label)
        self._publish()
        return i

    def step(self, n_steps=1):
        """Settle the map by ``n_steps`` refinement steps, follow the clusters, publish.

        Returns
        -------
        float : largest move of any snippet in the last step.
        """
        if getattr(self.tsne, "n_samples_", 0) == 0:
            return 0.0  # nothing on the map yet
        moved = self.tsne.refine(n_steps)
        if self.cluster_on == "map" or self._labels.shape[0] != getattr(self.clusters, "labels_", ()).__len__():
            # on the map the points move each step; in feature space only new points change them
            self._labels = self.clusters.update(self.cluster_space()).copy()
        self._publish()
        return moved

    def _publish(self):
        Y = self.tsne.embedding_
        centres = getattr(self.clusters, "cluster_centers_", np.empty((0, 2)))
        if self.cluster_on == "features" and centres.shape[0]:
            # where a cluster sits on the map: the mean of its points there
            k = centres.shape[0]
            n = np.bincount(self._labels, minlength=k).astype(np.float64)
            at = np.stack([np.bincount(self._labels, weights=Y[:, j], minlength=k) for j in range(2)], 1)
            centres = at / np.maximum(n, 1)[:, None]
        self.publisher.publish(Y, self._labels, centres)


def warm_up(n_features=8):
    """Load (or compile) every numba kernel of the live map once.

    The first call of a cached kernel in a process still costs milliseconds to tens
    of milliseconds (up to ~1 s per kernel when it must compile, holding the GIL),
    so a live session calls this before its stream starts, and the map worker
    again on its thread (then it is quick) rather than on the first snippet a
    player records. The quality measures (``livemappr map --report``) are not
    part of it: a live map never calls them.

    Returns
    -------
    float : seconds it took.
    """
    import time

    t = time.perf_counter()
    rng = np.random.default_rng(0)
    X = rng.normal(size=(48, n_features))
    live = LiveMap(n_clusters=4, tsne=IncrementalTSNE(
        perplexity=5, n_iter=2, early_exaggeration_iter=2, random_state=0), random_state=0)
    live.fit(X[:40])
    for x in X[40:]:
        live.add(x)
    live.step()
    return time.perf_counter() - t
