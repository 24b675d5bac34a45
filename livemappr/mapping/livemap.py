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

from livemappr.analysis.teach import PadExamples

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
                 cluster_on="map", min_separation=None, like_no_pad=None, attack_like_no_pad=None):
        if cluster_on not in ("map", "features"):
            raise ValueError(f"cluster_on must be 'map' or 'features', got {cluster_on!r}")
        self.tsne = tsne if tsne is not None else IncrementalTSNE(random_state=random_state)
        self.clusters = clusters if clusters is not None else StableKMeans(
            n_clusters, random_state=random_state, min_separation=min_separation)
        self.cluster_on = cluster_on
        self.n_pads = int(n_clusters)
        #: the taught pads (analysis/teach.py): change them through teach/forget/name
        self.pads = PadExamples(self.n_pads, like_no_pad)
        #: the same pads' examples in the attack window's space (analysis/attack.py):
        #: what playing by voice decides on
        self.attack_pads = PadExamples(self.n_pads, attack_like_no_pad)
        #: copies as last changed, for other threads (map.json's writer, the voice trigger)
        self.taught, self.taught_attack = self.pads.copy(), self.attack_pads.copy()
        self.publisher = SnapshotPublisher()
        self._labels = np.empty(0, np.int64)  # each sound's pad (cluster id), published
        self._km = np.empty(0, np.int64)  # each sound's k-means id, -1 where a taught pad took it
        self._pad_of = {}  # k-means id -> the pad it plays
        self._labelled = -1  # sounds at the last relabelling; -1: relabel at the next step

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
        from livemappr.analysis.attack import attack_like_no_pad

        return cls(n_clusters, random_state=random_state, cluster_on="features",
                   min_separation=projection.min_separation, like_no_pad=projection.like_no_pad,
                   attack_like_no_pad=attack_like_no_pad())

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

    def graph(self):
        """The map's neighbour graph ``(indices, distances)`` for every sound, or
        None while a row has fewer than k neighbours (a small map)."""
        aff = getattr(self.tsne, "affinities_", None)
        if aff is None or len(aff) == 0 or np.any(aff.counts != aff.k):
            return None
        return aff.indices.copy(), aff.distances.copy()

    def fit(self, X):
        """Map a library offline, cluster it and publish. X : (n_samples, n_features).
        Taught pads (:meth:`teach`) take their sounds first; the rest are clustered."""
        self.tsne.fit(X)
        self._relabel(refit=True)
        self._publish()
        return self

    def add(self, x):
        """Put one snippet on the map, give it its taught pad or the nearest
        cluster's, publish.

        Parameters
        ----------
        x : ndarray of shape (n_features,)

        Returns
        -------
        int : the snippet's index on the map.
        """
        i = self.tsne.add(x)
        pad = int(self.pads.classify(self.features[i])[0][0]) if len(self.pads) else -1
        k = -1
        if pad < 0:
            y = self.cluster_space()[i]
            centres = getattr(self.clusters, "cluster_centers_", None)
            k = 0 if centres is None else int(np.argmin(((centres - y) ** 2).sum(axis=1)))
            pad = self._pad_for(k)
        self._labels = np.append(self._labels, pad)
        self._km = np.append(self._km, -1)  # a new point to k-means at the next step, as before
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
        if self.cluster_on == "map" or self._labelled != self._labels.shape[0]:
            # on the map the points move each step; in feature space only new points change them
            self._relabel()
        self._publish()
        return moved

    # -- taught pads ---------------------------------------------------------------
    def teach(self, pad, x=None, index=None, attack=None):
        """Make a sound an example of ``pad`` (0-based: the cluster id it plays):
        the vector ``x``, or the sound on the map at ``index``; ``attack``, its
        attack window's vector, where playing by voice should know it. Every
        sound is looked at again at once."""
        if (x is None) == (index is None):
            raise ValueError("teach needs a vector x or a map index, not both")
        if index is not None:
            if not 0 <= index < self.features.shape[0]:
                raise ValueError(f"index must be 0..{self.features.shape[0] - 1}, got {index!r}")
            x = np.array(self.features[index], dtype=np.float64)
        self.pads.teach(pad, x)
        if attack is not None:
            self.attack_pads.teach(pad, attack)
        self._pads_changed()

    def forget(self, pad):
        """Forget ``pad``'s examples and name: its sounds go back to the clusters."""
        was = self.pads.forget(pad)
        self.attack_pads.forget(pad)
        self._pads_changed()
        return was

    def name(self, pad, name):
        """Name ``pad`` ("kick"), shown in the map view and written to map.json."""
        self.pads.name(pad, name)
        self.taught = self.pads.copy()
        if getattr(self.tsne, "n_samples_", 0):
            self._publish()

    def set_pads(self, pads, attack_pads=None):
        """Take taught pads as a whole (a resumed session's, a map.json's)."""
        self.pads = pads
        self.attack_pads = (attack_pads if attack_pads is not None
                            else PadExamples(self.n_pads, self.attack_pads.like_no_pad))
        self._pads_changed()

    def rebuild(self, X, labels, positions, knn=None):
        """The map of ``X``: its first ``len(labels)`` rows where they were
        (``positions``) with their cluster ids (``labels``), the rest placed
        among them (a resumed session, a library that grew). Fewer than two
        kept: mapped afresh. ``knn``: the kept rows' neighbour graph, where
        known (:meth:`IncrementalTSNE.fit`)."""
        X = np.asarray(X, dtype=np.float64)
        labels = np.asarray(labels, np.int64)
        n_old = labels.shape[0]
        if n_old < 2:  # nothing to keep ids for
            if X.shape[0] >= 2:
                self.fit(X)
            else:
                self.add(X[0])
            return self
        self.tsne.fit(X[:n_old], init=positions, knn=knn)
        Y = np.asarray(self.cluster_space(), dtype=np.float64)
        self.clusters.fit(Y)  # its bookkeeping; the partition is replaced by the saved one
        k = int(labels.max()) + 1
        centres = np.full((k, Y.shape[1]), 1e9)  # an id with no members is never the nearest
        for c in np.unique(labels[labels >= 0]):
            centres[c] = Y[labels == c].mean(axis=0)
        self.clusters.cluster_centers_, self.clusters.labels_, self.clusters.n_clusters_ = centres, labels.copy(), k
        self.restore(labels)
        for x in X[n_old:]:
            self.add(x)
        self._publish()
        return self

    def restore(self, labels):
        """Take each sound's cluster id as saved (a resumed session's map.json)."""
        labels = np.asarray(labels, np.int64).copy()
        self._labels, self._km = labels, labels.copy()
        self._pad_of = {int(c): int(c) for c in np.unique(labels[labels >= 0])}
        self._labelled = labels.shape[0]

    def _pads_changed(self):
        self.taught, self.taught_attack = self.pads.copy(), self.attack_pads.copy()
        taught = set(self.pads.pads)
        # a cluster on a pad just taught moves to a free pad; the rest keep theirs
        self._pad_of = {k: p for k, p in self._pad_of.items() if p not in taught}
        if hasattr(self.clusters, "n_clusters"):
            self.clusters.n_clusters = max(1, self.n_pads - len(taught))
        self._labelled = -1
        if self._labels.shape[0]:
            self._relabel()
            self._publish()

    def _pad_for(self, k):
        """The pad k-means cluster ``k`` plays: its own id while that pad is free."""
        if k < 0:
            return -1
        pad = self._pad_of.get(k)
        if pad is None:
            used = set(self.pads.pads) | set(self._pad_of.values())
            pad = next((p for p in [k] + list(range(self.n_pads)) if p < self.n_pads and p not in used), -1)
            if pad >= 0:
                self._pad_of[k] = pad
        return pad

    def _relabel(self, refit=False):
        n = self.features.shape[0]
        taught = self.pads.classify(self.features)[0] if len(self.pads) else np.full(n, -1, np.int64)
        free = np.flatnonzero(taught < 0)
        km = np.full(n, -1, np.int64)
        if free.size:
            S = self.cluster_space()[free]
            if refit or not hasattr(self.clusters, "cluster_centers_"):
                km[free] = self.clusters.fit(S).labels_
            else:
                prev = np.full(n, -1, np.int64)
                m = min(n, self._km.shape[0])
                prev[:m] = self._km[:m]
                km[free] = self.clusters.update(S, prev=prev[free])
        labels = taught.copy()
        for k in np.unique(km[free]) if free.size else ():
            labels[km == k] = self._pad_for(int(k))
        self._km, self._labels, self._labelled = km, labels, n

    def _publish(self):
        Y = self.tsne.embedding_
        labels = self._labels
        names = self.pads.names
        k = max(int(labels.max(initial=-1)) + 1, max(names, default=-1) + 1)
        identity = all(k_ == p for k_, p in self._pad_of.items()) and not len(self.pads)
        centres = getattr(self.clusters, "cluster_centers_", np.empty((0, 2)))
        if self.cluster_on == "features" or not identity or centres.shape[0] != k:
            # where a pad sits on the map: the mean of its sounds there
            on = labels >= 0
            n = np.bincount(labels[on], minlength=k).astype(np.float64)
            at = np.stack([np.bincount(labels[on], weights=Y[on, j], minlength=k) for j in range(2)], 1)
            centres = at / np.maximum(n, 1)[:, None]
        self.publisher.publish(Y, labels, centres, names or None)


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
