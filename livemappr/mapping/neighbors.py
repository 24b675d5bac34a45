"""Nearest neighbours in feature space: exact for live sizes, approximate for libraries.

Runs on: map worker (queries, appends); the approximate index is built on its own
background thread.

Exact search is a brute-force scan in numba. At live sizes it is what we want: one
query against 5000 x 64 float32 rows costs ~0.05 ms, it needs no build, and it
returns every distance, which the affinity update uses to find the old points whose
neighbour lists the new point enters. pynndescent takes over for large libraries,
but its first build compiles for 30-85 s on this machine class, so
:class:`NeighborIndex` starts warming it on a background thread well before the
exact scan gets slow and keeps serving exact answers until the index is ready.
"""

from __future__ import annotations

import logging
import threading

import numba
import numpy as np

from livemappr.errors import MissingExtra

from .growth import grown_capacity, prefault

log = logging.getLogger("livemappr.mapping")


def _nndescent(what):
    """pynndescent's ``NNDescent``, or MissingExtra naming the ``library`` extra."""
    try:
        from pynndescent import NNDescent
    except ImportError:
        raise MissingExtra(what, "pynndescent", "library") from None
    return NNDescent

# Rows per block in the offline all-pairs search: 256 x 20000 float64 distances is
# 41 MB, small enough to stay out of the way and big enough for BLAS to be fast.
_BLOCK = 256


@numba.njit(cache=True, nogil=True)
def _heap_push_max(heap_d, heap_i, d, i):
    # Replace the root of a max-heap of size k with (d, i) and sift down.
    k = heap_d.shape[0]
    pos = 0
    while True:
        left = 2 * pos + 1
        if left >= k:
            break
        right = left + 1
        child = left
        if right < k and heap_d[right] > heap_d[left]:
            child = right
        if heap_d[child] <= d:
            break
        heap_d[pos] = heap_d[child]
        heap_i[pos] = heap_i[child]
        pos = child
    heap_d[pos] = d
    heap_i[pos] = i


@numba.njit(cache=True, nogil=True)
def _heap_sort_rows(heap_d, heap_i, out_d, out_i):
    order = np.argsort(heap_d, kind="mergesort")
    for r in range(order.shape[0]):
        out_d[r] = heap_d[order[r]]
        out_i[r] = heap_i[order[r]]


@numba.njit(cache=True, nogil=True, parallel=True)
def _topk_of_block(D, row_offset, k, out_i, out_d):
    # D: squared distances of a block of query rows to all points. Self (the
    # column row_offset + r) is excluded. Writes euclidean distances, ascending.
    for r in numba.prange(D.shape[0]):
        heap_d = np.full(k, np.inf)
        heap_i = np.full(k, -1, dtype=np.int64)
        self_col = row_offset + r
        for j in range(D.shape[1]):
            d = D[r, j]
            if d < heap_d[0] and j != self_col:
                _heap_push_max(heap_d, heap_i, d, j)
        _heap_sort_rows(heap_d, heap_i, out_d[row_offset + r], out_i[row_offset + r])
        for c in range(k):
            out_d[row_offset + r, c] = np.sqrt(max(out_d[row_offset + r, c], 0.0))


@numba.njit(cache=True, nogil=True, fastmath=True)
def _query_one(data, n, q, k, out_i, out_d, all_d):
    # Brute-force k-NN of q among data[:n]; fills all_d[:n] with euclidean distances.
    heap_d = np.full(k, np.inf)
    heap_i = np.full(k, -1, dtype=np.int64)
    dim = data.shape[1]
    for j in range(n):
        s = 0.0
        for c in range(dim):
            t = np.float64(data[j, c]) - np.float64(q[c])
            s += t * t
        all_d[j] = np.sqrt(s)
        if s < heap_d[0]:
            _heap_push_max(heap_d, heap_i, s, j)
    _heap_sort_rows(heap_d, heap_i, out_d, out_i)
    for c in range(k):
        out_d[c] = np.sqrt(out_d[c])


def _check_k(k, n):
    if not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"n_neighbors must be an integer >= 1, got {k!r}")
    if k > n - 1:
        raise ValueError(f"n_neighbors={k} needs at least {k + 1} points, got {n}")


def exact_knn(X, n_neighbors):
    """Exact k nearest neighbours of every row among the other rows.

    Distances come from BLAS on float64 blocks of rows; the top-k selection is a
    parallel numba heap scan. Ties are broken by the lower index.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    n_neighbors : int
        k, at most ``n_samples - 1``.

    Returns
    -------
    indices : ndarray of shape (n_samples, n_neighbors), int64
        Ascending by distance; never the row itself.
    distances : ndarray of shape (n_samples, n_neighbors), float64
        Euclidean.
    """
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2:
        raise ValueError(f"X must be 2-D (n_samples, n_features), got shape {X.shape}")
    n = X.shape[0]
    _check_k(n_neighbors, n)
    sq = np.einsum("ij,ij->i", X, X)
    out_i = np.empty((n, n_neighbors), dtype=np.int64)
    out_d = np.empty((n, n_neighbors), dtype=np.float64)
    for start in range(0, n, _BLOCK):
        stop = min(start + _BLOCK, n)
        D = sq[start:stop, None] + sq[None, :] - 2.0 * (X[start:stop] @ X.T)
        _topk_of_block(D, start, n_neighbors, out_i, out_d)
    return out_i, out_d


def approximate_knn(X, n_neighbors, random_state=None, n_jobs=None):
    """Approximate k nearest neighbours of every row with pynndescent.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    n_neighbors : int
    random_state : int or None

    Returns
    -------
    indices, distances : ndarray of shape (n_samples, n_neighbors)
        As :func:`exact_knn` (self excluded, euclidean), up to approximation.
    """
    X = np.ascontiguousarray(X, dtype=np.float32)
    _check_k(n_neighbors, X.shape[0])
    NNDescent = _nndescent(f"approximate neighbours of {X.shape[0]} sounds")
    index = NNDescent(X, n_neighbors=n_neighbors + 1, metric="euclidean",
                      random_state=random_state, n_jobs=n_jobs)
    idx, dist = index.neighbor_graph
    # NN-descent normally lists the point itself first; drop it wherever it sits.
    out_i = np.empty((X.shape[0], n_neighbors), dtype=np.int64)
    out_d = np.empty((X.shape[0], n_neighbors), dtype=np.float64)
    for r in range(X.shape[0]):
        keep = idx[r] != r
        out_i[r] = idx[r][keep][:n_neighbors]
        out_d[r] = dist[r][keep][:n_neighbors]
    return out_i, out_d


class NeighborIndex:
    """A growing set of feature vectors answering k-NN queries for new points.

    Exact brute force serves every query until an approximate pynndescent index of
    the first ``m`` points is ready; after that a query asks the index for the first
    ``m`` points and scans the ``n - m`` newer ones exactly. The index is built and
    its query graph prepared on a background thread, started once the size reaches
    ``warm_at`` and refreshed when the exactly scanned tail has grown to half of
    ``m``. With ``ann_threshold=None`` the index stays exact forever.

    Parameters
    ----------
    n_features : int
    ann_threshold : int or None
        Size above which queries go through the approximate index (if ready).
    warm_at : int or None
        Size at which the background build starts; default ``ann_threshold // 2``.
    random_state : int or None
    capacity : int
        Rows to reserve; storage grows when full (see
        :func:`~livemappr.mapping.growth.grown_capacity`).

    Notes
    -----
    Vectors are stored as float32 (576 B a snippet at 144 features): the features
    are float32 to begin with; the distance scan accumulates in float64.
    """

    def __init__(self, n_features, ann_threshold=50_000, warm_at=None, random_state=None,
                 capacity=64):
        if n_features < 1:
            raise ValueError(f"n_features must be >= 1, got {n_features}")
        if ann_threshold is not None and ann_threshold < 2:
            raise ValueError(f"ann_threshold must be None or >= 2, got {ann_threshold}")
        self.n_features = int(n_features)
        self.ann_threshold = ann_threshold
        self.warm_at = warm_at if warm_at is not None else (
            None if ann_threshold is None else ann_threshold // 2)
        self.random_state = random_state
        self._data = np.empty((max(int(capacity), 1), self.n_features), dtype=np.float32)
        self._n = 0
        self._ann = None  # (NNDescent, m): swapped in whole by the builder thread
        self._builder = None

    def __len__(self):
        return self._n

    @property
    def data(self):
        """ndarray of shape (n, n_features), float32: a view of the stored vectors."""
        return self._data[: self._n]

    def reserve(self, capacity):
        """Room for ``capacity`` vectors, resident now (see
        :func:`~livemappr.mapping.growth.prefault`); vectors held are kept."""
        if capacity > self._data.shape[0]:
            grown = np.empty((int(capacity), self.n_features), np.float32)
            grown[: self._n] = self._data[: self._n]
            self._data = grown
        prefault(self._data)

    def extend(self, X):
        """Append rows without querying. X : ndarray of shape (m, n_features)."""
        X = np.asarray(X, dtype=np.float32)
        if X.ndim != 2 or X.shape[1] != self.n_features:
            raise ValueError(f"X must have shape (m, {self.n_features}), got {X.shape}")
        need = self._n + X.shape[0]
        if need > self._data.shape[0]:
            grown = np.empty((grown_capacity(self._data.shape[0], need), self.n_features), np.float32)
            grown[: self._n] = self._data[: self._n]
            self._data = grown
        self._data[self._n: need] = X
        self._n = need
        self._maybe_start_builder()

    def query(self, x, n_neighbors):
        """k nearest stored points of one vector.

        Parameters
        ----------
        x : ndarray of shape (n_features,)
        n_neighbors : int
            At most the number of stored points.

        Returns
        -------
        indices : ndarray of shape (n_neighbors,), int64, ascending by distance
        distances : ndarray of shape (n_neighbors,), float64, euclidean
        all_distances : ndarray of shape (n,) or None
            Distance to every stored point when the search was exact, else None.
        """
        x = np.ascontiguousarray(x, dtype=np.float32).reshape(-1)
        if x.shape[0] != self.n_features:
            raise ValueError(f"x must have {self.n_features} features, got {x.shape[0]}")
        if not 1 <= n_neighbors <= self._n:
            raise ValueError(f"n_neighbors must be in 1..{self._n}, got {n_neighbors}")
        ann = self._ann
        if ann is None or self._n < (self.ann_threshold or np.inf):
            out_i = np.empty(n_neighbors, np.int64)
            out_d = np.empty(n_neighbors, np.float64)
            all_d = np.empty(self._n, np.float64)
            _query_one(self._data, self._n, x, n_neighbors, out_i, out_d, all_d)
            return out_i, out_d, all_d
        index, m = ann
        k_ann = min(n_neighbors, m)
        ai, ad = index.query(x[None, :], k=k_ann)
        tail = self._n - m
        ti = np.empty(0, np.int64)
        td = np.empty(0, np.float64)
        if tail > 0:
            k_tail = min(n_neighbors, tail)
            ti = np.empty(k_tail, np.int64)
            td = np.empty(k_tail, np.float64)
            all_tail = np.empty(tail, np.float64)
            _query_one(self._data[m: self._n], tail, x, k_tail, ti, td, all_tail)
            ti += m
        cand_i = np.concatenate([ai[0].astype(np.int64), ti])
        cand_d = np.concatenate([ad[0].astype(np.float64), td])
        order = np.argsort(cand_d, kind="mergesort")[:n_neighbors]
        return cand_i[order], cand_d[order], None

    @property
    def approximate_ready(self):
        """True once a background-built approximate index serves queries."""
        return self._ann is not None

    def wait_for_builder(self, timeout=None):
        """Join the background build, if any (tests and benchmarks)."""
        b = self._builder
        if b is not None:
            b.join(timeout)

    def _maybe_start_builder(self):
        if self.warm_at is None or self._n < self.warm_at:
            return
        if self._builder is not None and self._builder.is_alive():
            return
        ann = self._ann
        if ann is not None and self._n - ann[1] < ann[1] // 2:
            return
        snapshot = self._data[: self._n].copy()
        self._builder = threading.Thread(
            target=self._build, args=(snapshot,), name="livemappr-ann-build", daemon=True)
        self._builder.start()

    def _build(self, data):
        try:
            index = self._make_index(data)
        except MissingExtra as e:
            # Without the extra the exact scan serves every query: slower past
            # ann_threshold, never wrong. Say so once and stop trying.
            self.warm_at = None
            log.warning("livemappr: %s; the map stays exact (slower)", e)
            return
        self._ann = (index, data.shape[0])  # one reference swap: readers never lock

    def _make_index(self, data):
        """Build and prepare the approximate index of ``data`` (background thread).

        Returns an object with pynndescent's ``query(X, k) -> (indices, distances)``.
        Tests substitute a double here; pynndescent's first prepare compiles for
        tens of seconds, which is exactly why it happens off the query path.
        """
        NNDescent = _nndescent(f"a fast map past {self.ann_threshold} sounds")
        index = NNDescent(data, n_neighbors=30, metric="euclidean",
                          random_state=self.random_state)
        index.prepare()
        return index
