"""Plain k-means: k-means++ seeding, Lloyd iterations, the best of several starts.

Runs on: map worker.

:class:`~livemappr.mapping.clusters.StableKMeans` uses this for its from-scratch
partitions (``fit``, ``refit``) of the 2-D map: N up to ~20 000 points, k <= 26.
Written here rather than taken from scikit-learn, whose import alone costs a live
session ~70 MB and half a second.

- Seeding is greedy k-means++ (Arthur and Vassilvitskii 2007): the first centre is
  a uniformly random point; each next one is the best, by the sum of squared
  distances it leaves, of ``2 + ln k`` candidates drawn with probability
  proportional to the squared distance to the nearest centre so far.
- Lloyd iterations alternate nearest-centre assignment and centre means until no
  point changes cluster, or the centres move less than ``tol`` times the data's
  mean per-feature variance (summed squared shift), or ``max_iter`` passes.
- A cluster left empty restarts at the point farthest from its own centre.
- ``n_init`` seedings, the lowest inertia (sum of squared distances) wins; the
  random draws come from ``numpy.random.default_rng(random_state)``, so a given
  ``random_state`` gives the same partition on every run and machine.
"""

from __future__ import annotations

from typing import NamedTuple

import numba
import numpy as np


@numba.njit(cache=True, nogil=True)
def _assign(X, centres, labels, dist2):
    # Nearest centre of every point; returns how many points changed label.
    changed = 0
    for i in range(X.shape[0]):
        best = 0
        bd = np.inf
        for c in range(centres.shape[0]):
            d = 0.0
            for f in range(X.shape[1]):
                t = X[i, f] - centres[c, f]
                d += t * t
            if d < bd:
                bd = d
                best = c
        if labels[i] != best:
            changed += 1
            labels[i] = best
        dist2[i] = bd
    return changed


@numba.njit(cache=True, nogil=True)
def _update(X, labels, dist2, centres, sums, counts):
    # Centres to the means of their points; returns the summed squared shift.
    k, nf = centres.shape
    sums[:] = 0.0
    counts[:] = 0.0
    for i in range(X.shape[0]):
        c = labels[i]
        counts[c] += 1.0
        for f in range(nf):
            sums[c, f] += X[i, f]
    shift = 0.0
    for c in range(k):
        if counts[c] == 0.0:
            # Empty: restart at the point worst served by its centre; -1 keeps
            # that point from serving a second empty cluster.
            far = np.argmax(dist2)
            dist2[far] = -1.0
            for f in range(nf):
                t = X[far, f] - centres[c, f]
                shift += t * t
                centres[c, f] = X[far, f]
            continue
        for f in range(nf):
            m = sums[c, f] / counts[c]
            t = m - centres[c, f]
            shift += t * t
            centres[c, f] = m
    return shift


@numba.njit(cache=True, nogil=True)
def _lloyd(X, centres, max_iter, tol, labels, dist2):
    # Refines `centres` in place; fills labels and dist2; returns passes made.
    k, nf = centres.shape
    sums = np.empty((k, nf))
    counts = np.empty(k)
    labels[:] = -1
    for it in range(max_iter):
        if _assign(X, centres, labels, dist2) == 0:
            # Centres are already the means of exactly these labels.
            return it + 1
        if _update(X, labels, dist2, centres, sums, counts) <= tol:
            break
    # Stopped after moving the centres: labels for where they ended.
    _assign(X, centres, labels, dist2)
    return it + 1


@numba.njit(cache=True, nogil=True)
def _seed(X, k, first, draws):
    # Greedy k-means++; draws : (k - 1, n_candidates) uniforms in [0, 1).
    n, nf = X.shape
    centres = np.empty((k, nf))
    centres[0] = X[first]
    closest = np.empty(n)
    for i in range(n):
        d = 0.0
        for f in range(nf):
            t = X[i, f] - X[first, f]
            d += t * t
        closest[i] = d
    cand_d = np.empty(n)
    best_d = np.empty(n)
    for c in range(1, k):
        cum = np.cumsum(closest)
        total = cum[n - 1]
        best_pot = np.inf
        best = 0
        for t_ in range(draws.shape[1]):
            j = min(np.searchsorted(cum, draws[c - 1, t_] * total, side="right"), n - 1)
            pot = 0.0
            for i in range(n):
                d = 0.0
                for f in range(nf):
                    t = X[i, f] - X[j, f]
                    d += t * t
                d = min(d, closest[i])
                cand_d[i] = d
                pot += d
            if pot < best_pot:
                best_pot = pot
                best = j
                best_d[:] = cand_d
        centres[c] = X[best]
        closest[:] = best_d
    return centres


class KMeansResult(NamedTuple):
    """One k-means partition.

    Attributes
    ----------
    centres : ndarray of shape (n_clusters, n_features)
    labels : ndarray of shape (n_samples,), int64
    inertia : float
        Sum of squared distances of the points to their centres.
    n_iter : int
        Lloyd passes of the winning start.
    """

    centres: np.ndarray
    labels: np.ndarray
    inertia: float
    n_iter: int


def kmeans(X, n_clusters, n_init=10, max_iter=300, tol=1e-4, random_state=None):
    """k-means++ then Lloyd, best of ``n_init`` starts by inertia.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features), finite
    n_clusters : int in 1..n_samples
    n_init : int >= 1
    max_iter : int >= 1
        Lloyd passes per start at most.
    tol : float >= 0
        Stop when the summed squared centre shift of a pass is at most ``tol``
        times the mean per-feature variance of X.
    random_state : int, numpy.random.Generator or None

    Returns
    -------
    KMeansResult
    """
    X = np.ascontiguousarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[0] == 0:
        raise ValueError(f"X must have shape (n_samples, n_features), got {X.shape}")
    if not np.all(np.isfinite(X)):
        raise ValueError("X contains NaN or infinity")
    n = X.shape[0]
    if not (isinstance(n_clusters, (int, np.integer)) and 1 <= n_clusters <= n):
        raise ValueError(f"n_clusters must be an integer in 1..{n} (n_samples), got {n_clusters!r}")
    if not (isinstance(n_init, (int, np.integer)) and n_init >= 1):
        raise ValueError(f"n_init must be an integer >= 1, got {n_init!r}")
    if not (isinstance(max_iter, (int, np.integer)) and max_iter >= 1):
        raise ValueError(f"max_iter must be an integer >= 1, got {max_iter!r}")
    if not tol >= 0:
        raise ValueError(f"tol must be >= 0, got {tol!r}")
    k = int(n_clusters)
    rng = np.random.default_rng(random_state)
    n_candidates = 2 + int(np.log(k))
    abs_tol = float(tol) * float(np.mean(np.var(X, axis=0)))
    best = None
    labels = np.empty(n, np.int64)
    dist2 = np.empty(n)
    for _ in range(int(n_init)):
        first = int(rng.integers(n))
        draws = rng.random((k - 1, n_candidates))
        centres = _seed(X, k, first, draws)
        n_iter = _lloyd(X, centres, int(max_iter), abs_tol, labels, dist2)
        inertia = float(dist2.sum())
        if best is None or inertia < best.inertia:
            best = KMeansResult(centres, labels.copy(), inertia, int(n_iter))
    return best
