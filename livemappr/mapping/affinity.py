"""Perplexity-calibrated sparse t-SNE affinities that grow one point at a time.

Runs on: map worker.

Storage is directed and fixed-width: row ``i`` holds the ``k`` nearest neighbours
of point ``i`` and the conditional probabilities ``p(j|i)`` (each full row sums to
1). The symmetric joint matrix of t-SNE is implied, never materialised::

    P = (C + C.T) / (2 n)      where C[i, j] = p(j|i)

so a gradient that walks every directed edge ``i -> j`` with weight
``p(j|i) / (2 n)`` and applies the force to both ends sums exactly the symmetric
``P`` (:func:`joint_csr` builds it explicitly for checks). The win is the live
update: a new point writes its own row and inserts itself into the rows of the
old points it is now a neighbour of, without re-sorting or re-indexing a CSR
matrix. Those rows are first re-weighted with their old bandwidth (microseconds)
and marked dirty; :meth:`Affinities.recalibrate` redoes their binary search on
the next background refinement step.

A row costs ``k`` x 12 bytes (90 neighbours: 1,080 B): int32 indices, float32
distances and float32 ``p(j|i)``. Single precision is plenty for a probability
(relative error 6e-8, far below the Barnes-Hut approximation); the kernels do
their sums in float64. The distances stay: a row that gains a neighbour is
re-weighted and later recalibrated from them, and they cannot be recovered from
``p`` and the bandwidth where ``p`` underflows to 0 (the far end of a sharp row:
it happens even on synthetic data).
"""

from __future__ import annotations

import numba
import numpy as np

from .growth import grown_capacity, prefault

_TOL = 1e-5
_MAX_ITER = 200


@numba.njit(cache=True, nogil=True)
def _calibrate_row(dist, count, perplexity, beta0, out_p):
    # Find the Gaussian precision beta whose conditional distribution over the
    # row's `count` neighbours has the target perplexity. Returns beta.
    # Newton steps on H(beta) (dH/dbeta = -beta * Var[d2]) inside a bisection
    # bracket: from a warm start (a row that just gained one neighbour) this takes
    # 2-4 passes instead of the ~30 of plain bisection.
    # `dist` and `out_p` may be float32 rows: everything is computed in float64.
    if count == 0:
        return beta0
    perp = min(perplexity, max(1.0, count / 3.0))
    target = np.log(perp)
    d0 = np.float64(dist[0]) ** 2
    beta = beta0 if beta0 > 0.0 else 1.0
    lo = 0.0
    hi = np.inf
    for _ in range(_MAX_ITER):
        s = 0.0
        sd = 0.0
        sdd = 0.0
        for c in range(count):
            # Shifting by the nearest distance keeps exp() from underflowing.
            d2 = np.float64(dist[c]) ** 2 - d0
            w = np.exp(-beta * d2)
            out_p[c] = w
            s += w
            sd += w * d2
            sdd += w * d2 * d2
        mean = sd / s
        h = np.log(s) + beta * mean
        err = h - target
        if abs(err) < _TOL:
            break
        if err > 0.0:
            lo = beta  # entropy too high: sharpen
        else:
            hi = beta
        var = sdd / s - mean * mean
        step_ok = False
        if var > 0.0 and beta > 0.0:
            nb = beta + err / (beta * var)
            if lo < nb < hi:
                beta = nb
                step_ok = True
        if not step_ok:
            beta = beta * 2.0 if hi == np.inf else 0.5 * (lo + hi)
    s = 0.0
    for c in range(count):
        s += out_p[c]
    for c in range(count):
        out_p[c] /= s
    return beta


@numba.njit(cache=True, nogil=True, parallel=True)
def _calibrate_rows(rows, dist, count, perplexity, beta, p):
    for r in numba.prange(rows.shape[0]):
        i = rows[r]
        beta[i] = _calibrate_row(dist[i], count[i], perplexity, beta[i], p[i])


@numba.njit(cache=True, nogil=True)
def _reweight_row(dist, count, beta, out_p):
    d0 = np.float64(dist[0]) ** 2
    s = 0.0
    for c in range(count):
        w = np.exp(-beta * (np.float64(dist[c]) ** 2 - d0))
        out_p[c] = w
        s += w
    for c in range(count):
        out_p[c] /= s


@numba.njit(cache=True, nogil=True)
def _enter_rows(rows, rows_d, new, idx, dist, count, beta, p):
    # Insert point `new` at distance rows_d[r] into the sorted row rows[r],
    # dropping the farthest neighbour when the row is full.
    k = idx.shape[1]
    for r in range(rows.shape[0]):
        i = rows[r]
        d = rows_d[r]
        c = count[i]
        pos = c if c < k else k - 1
        while pos > 0 and dist[i, pos - 1] > d:
            if pos < k:
                idx[i, pos] = idx[i, pos - 1]
                dist[i, pos] = dist[i, pos - 1]
            pos -= 1
        idx[i, pos] = new
        dist[i, pos] = d
        if c < k:
            count[i] = c + 1
        _reweight_row(dist[i], count[i], beta[i], p[i])


class Affinities:
    """Directed k-NN affinities ``p(j|i)`` of a growing point set.

    Parameters
    ----------
    perplexity : float
        Target perplexity; rows with fewer than ``3 * perplexity`` neighbours use
        ``count / 3`` (at least 1), as t-SNE does for small data.
    n_neighbors : int
        Row width ``k``; usually ``3 * perplexity``.
    capacity : int
        Initial number of rows; storage grows as needed (see
        :func:`~livemappr.mapping.growth.grown_capacity`).

    Attributes
    ----------
    indices : ndarray of shape (n, k), int32
        Neighbours of each point, ascending by distance; -1 in unused slots.
    distances : ndarray of shape (n, k), float32
        Euclidean feature distances; inf in unused slots.
    P : ndarray of shape (n, k), float32
        ``p(j|i)``; 0 in unused slots. Each row with neighbours sums to 1
        (within float32 rounding).
    """

    def __init__(self, perplexity=30.0, n_neighbors=90, capacity=256):
        if not perplexity > 0:
            raise ValueError(f"perplexity must be > 0, got {perplexity!r}")
        if n_neighbors < 1:
            raise ValueError(f"n_neighbors must be >= 1, got {n_neighbors!r}")
        self.perplexity = float(perplexity)
        self.k = int(n_neighbors)
        self._n = 0
        self._alloc(max(int(capacity), 16))
        self._dirty = set()

    def _alloc(self, cap):
        old = getattr(self, "_idx", None)
        idx = np.full((cap, self.k), -1, np.int32)
        dist = np.full((cap, self.k), np.inf, np.float32)
        p = np.zeros((cap, self.k), np.float32)
        count = np.zeros(cap, np.int64)
        beta = np.zeros(cap)
        if old is not None:
            n = self._n
            idx[:n], dist[:n], p[:n] = self._idx[:n], self._dist[:n], self._p[:n]
            count[:n], beta[:n] = self._count[:n], self._beta[:n]
        self._idx, self._dist, self._p, self._count, self._beta = idx, dist, p, count, beta

    def __len__(self):
        return self._n

    def reserve(self, capacity):
        """Room for ``capacity`` rows, resident now (see
        :func:`~livemappr.mapping.growth.prefault`); rows held are kept."""
        if capacity > self._idx.shape[0]:
            self._alloc(int(capacity))
        prefault(self._idx, self._dist, self._p, self._count, self._beta)

    @property
    def indices(self):
        return self._idx[: self._n]

    @property
    def distances(self):
        return self._dist[: self._n]

    @property
    def P(self):
        return self._p[: self._n]

    @property
    def counts(self):
        """ndarray of shape (n,): used slots per row."""
        return self._count[: self._n]

    @property
    def n_dirty(self):
        """Rows re-weighted with a stale bandwidth, waiting for :meth:`recalibrate`."""
        return len(self._dirty)

    def fit(self, indices, distances, capacity=None):
        """Replace everything by the affinities of a complete k-NN graph.

        Parameters
        ----------
        indices : ndarray of shape (n, k') with k' <= k, int
            Neighbours ascending by distance, as from
            :func:`livemappr.mapping.neighbors.exact_knn`.
        distances : ndarray of shape (n, k'), float
            Matching euclidean distances.
        capacity : int or None
            Rows to reserve for points added later (default: n).
        """
        indices = np.asarray(indices)
        distances = np.asarray(distances, dtype=np.float64)
        if indices.shape != distances.shape or indices.ndim != 2:
            raise ValueError(f"indices {indices.shape} and distances {distances.shape} "
                             "must be equal 2-D shapes")
        n, kk = indices.shape
        if kk > self.k:
            raise ValueError(f"graph has {kk} neighbours per row, at most k={self.k} allowed")
        self._n = 0
        self._idx = None
        self._alloc(max(n, 16, capacity or 0))
        self._n = n
        self._idx[:n, :kk] = indices
        self._dist[:n, :kk] = distances
        self._count[:n] = kk
        self._dirty = set()
        _calibrate_rows(np.arange(n), self._dist, self._count, self.perplexity,
                        self._beta, self._p)
        return self

    def add(self, indices, distances, all_distances=None):
        """Add a point whose k nearest old neighbours are known.

        Parameters
        ----------
        indices : ndarray of shape (m,), int
            Its neighbours among the existing ``n`` points, ascending, m <= k.
        distances : ndarray of shape (m,), float
        all_distances : ndarray of shape (n,) or None
            Distances to every existing point (exact search). Without them only
            its own neighbours are checked for whether it enters their rows.

        Returns
        -------
        changed : ndarray of int64
            Old rows that now list the new point.
        """
        new = self._n
        m = len(indices)
        if m > min(self.k, new):
            raise ValueError(f"got {m} neighbours, allowed at most min(k={self.k}, n={new})")
        if new == self._idx.shape[0]:
            self._alloc(grown_capacity(new, new + 1))
        self._idx[new, :m] = indices
        self._dist[new, :m] = distances
        self._count[new] = m
        self._beta[new] = _calibrate_row(self._dist[new], m, self.perplexity, 0.0,
                                         self._p[new])
        if all_distances is not None:
            kth = self._dist[:new, self.k - 1]  # inf while a row still has room
            changed = np.flatnonzero(all_distances[:new] < kth)
            changed_d = np.ascontiguousarray(all_distances[changed], dtype=np.float64)
        else:
            cand = np.asarray(indices, dtype=np.int64)
            d = np.asarray(distances, dtype=np.float64)
            keep = d < self._dist[cand, self.k - 1]
            changed, changed_d = cand[keep], d[keep]
        self._n = new + 1
        _enter_rows(changed, changed_d, new, self._idx, self._dist, self._count,
                    self._beta, self._p)
        self._dirty.update(changed.tolist())
        return changed

    def recalibrate(self, max_rows=None):
        """Redo the perplexity search of rows changed since their last calibration.

        Parameters
        ----------
        max_rows : int or None
            Bound the work per call (oldest changes are not preferred; any subset).

        Returns
        -------
        int : rows recalibrated.
        """
        if not self._dirty:
            return 0
        if max_rows is None or max_rows >= len(self._dirty):
            rows = np.fromiter(self._dirty, np.int64)
            self._dirty = set()
        else:
            rows = np.array([self._dirty.pop() for _ in range(max_rows)], np.int64)
        _calibrate_rows(rows, self._dist, self._count, self.perplexity, self._beta, self._p)
        return rows.shape[0]


def joint_csr(aff):
    """The symmetric joint probabilities ``P = (C + C.T) / (2 n)`` as CSR arrays.

    Parameters
    ----------
    aff : Affinities

    Returns
    -------
    indptr : ndarray of shape (n + 1,), int64
    indices : ndarray of shape (nnz,), int64
    data : ndarray of shape (nnz,), float64
        Sums to 1 (up to rounding).
    """
    n = len(aff)
    valid = aff.indices >= 0
    rows = np.repeat(np.arange(n), aff.k).reshape(n, aff.k)[valid]
    cols = aff.indices[valid]
    vals = aff.P[valid].astype(np.float64)
    r = np.concatenate([rows, cols])
    c = np.concatenate([cols, rows])
    v = np.concatenate([vals, vals]) / (2.0 * n)
    keys, inv = np.unique(r * n + c, return_inverse=True)
    data = np.bincount(inv, weights=v)
    r_u, c_u = keys // n, keys % n
    indptr = np.zeros(n + 1, np.int64)
    np.add.at(indptr, r_u + 1, 1)
    return np.cumsum(indptr), c_u.astype(np.int64), data
