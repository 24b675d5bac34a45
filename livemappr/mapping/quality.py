"""How good is a map: trustworthiness, k-NN label agreement, adjusted Rand index.

Runs on: tests, benchmarks, and the map worker when it reports map quality.

Trustworthiness here needs no n x n matrix: per query point it takes the k nearest
neighbours on the map, computes that point's distances in feature space, and
counts how many points are closer than each map neighbour (its rank). That is
O(n) memory per query, so 20000 points are fine, and ``sample`` evaluates a
random subset of query points (every point still counts as a neighbour) when an
estimate is enough.
"""

from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True, nogil=True)
def _knn_2d_one(Y, i, k, out, groups, use_groups):
    # k nearest rows of Y to row i, nearest first, by insertion into a sorted list.
    # Skips i and, with use_groups, every row in i's group; slots left without a
    # candidate (fewer than k rows to choose from) stay -1.
    best_d = np.full(k, np.inf)
    out[:] = -1
    for j in range(Y.shape[0]):
        if j == i or (use_groups and groups[j] == groups[i]):
            continue
        dx = Y[j, 0] - Y[i, 0]
        dy = Y[j, 1] - Y[i, 1]
        d = dx * dx + dy * dy
        if d < best_d[k - 1]:
            p = k - 1
            while p > 0 and best_d[p - 1] > d:
                best_d[p] = best_d[p - 1]
                out[p] = out[p - 1]
                p -= 1
            best_d[p] = d
            out[p] = j


@numba.njit(cache=True, nogil=True, parallel=True)
def _trust_penalty(X, Y, queries, k):
    # Sum over queries of sum over map neighbours outside the feature k-NN of
    # (rank in feature space - k), ranks 1-based, self excluded.
    total = np.zeros(queries.shape[0])
    n = X.shape[0]
    no_groups = np.empty(0, np.int64)
    for qi in numba.prange(queries.shape[0]):
        i = queries[qi]
        nb = np.empty(k, np.int64)
        _knn_2d_one(Y, i, k, nb, no_groups, False)
        dX = np.empty(n)
        for j in range(n):
            s = 0.0
            for c in range(X.shape[1]):
                t = X[j, c] - X[i, c]
                s += t * t
            dX[j] = s
        dX[i] = -1.0  # never counted as closer than anything
        pen = 0.0
        for a in range(k):
            j = nb[a]
            dj = dX[j]
            # rank = 1 + number of others strictly closer (ties by index, as argsort)
            r = 0
            for m in range(n):
                if m != i and (dX[m] < dj or (dX[m] == dj and m < j)):
                    r += 1
            r += 1
            if r > k:
                pen += r - k
        total[qi] = pen
    return total.sum()


def trustworthiness(X, Y, n_neighbors=10, sample=None, random_state=0):
    """Trustworthiness of a map: 1 means every map neighbour is a feature neighbour.

    Same definition as ``sklearn.manifold.trustworthiness`` (Venna and Kaski).

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    Y : ndarray of shape (n_samples, 2)
    n_neighbors : int, below n_samples / 2
    sample : int or None
        Evaluate this many random query points (an unbiased estimate); None: all.
    random_state : int or None
        For ``sample``.

    Returns
    -------
    float in [0, 1]
    """
    X = np.ascontiguousarray(X, dtype=np.float64)
    Y = np.ascontiguousarray(Y, dtype=np.float64)
    n = X.shape[0]
    if Y.shape != (n, 2):
        raise ValueError(f"Y must have shape ({n}, 2), got {Y.shape}")
    k = int(n_neighbors)
    if not 1 <= k < n / 2:
        raise ValueError(f"n_neighbors must be in 1..{int(np.ceil(n / 2)) - 1}, got {n_neighbors}")
    if sample is None or sample >= n:
        queries = np.arange(n)
    else:
        queries = np.sort(np.random.default_rng(random_state).choice(n, int(sample), replace=False))
    pen = _trust_penalty(X, Y, queries, k)
    m = queries.shape[0]
    return 1.0 - 2.0 / (m * k * (2.0 * n - 3.0 * k - 1.0)) * pen


@numba.njit(cache=True, nogil=True, parallel=True)
def _agreement(Y, labels, groups, k, use_groups):
    n = Y.shape[0]
    score = np.empty(n)
    for i in numba.prange(n):
        best_j = np.empty(k, np.int64)
        _knn_2d_one(Y, i, k, best_j, groups, use_groups)
        hit = 0
        cnt = 0
        for a in range(k):
            if best_j[a] >= 0:
                cnt += 1
                if labels[best_j[a]] == labels[i]:
                    hit += 1
        score[i] = hit / cnt if cnt > 0 else np.nan
    return score


def knn_agreement(Y, labels, n_neighbors=10, groups=None):
    """Mean fraction of each point's k map neighbours that share its label.

    Parameters
    ----------
    Y : ndarray of shape (n_samples, 2)
        The map.
    labels : array-like of shape (n_samples,)
    n_neighbors : int
    groups : array-like of shape (n_samples,) or None
        When given, only neighbours from *other* groups count (e.g. other drum kits:
        velocity layers of one drum would otherwise make any map look good).

    Returns
    -------
    float in [0, 1]
    """
    Y = np.ascontiguousarray(Y, dtype=np.float64)
    if Y.ndim != 2 or Y.shape[1] != 2:
        raise ValueError(f"Y must have shape (n_samples, 2), got {Y.shape}")
    n = Y.shape[0]
    _, lab = np.unique(np.asarray(labels), return_inverse=True)
    if lab.shape[0] != n:
        raise ValueError(f"labels must have {n} entries, got {lab.shape[0]}")
    if groups is None:
        grp = np.zeros(n, np.int64)
    else:
        _, grp = np.unique(np.asarray(groups), return_inverse=True)
        if grp.shape[0] != n:
            raise ValueError(f"groups must have {n} entries, got {grp.shape[0]}")
    if not 1 <= n_neighbors < n:
        raise ValueError(f"n_neighbors must be in 1..{n - 1}, got {n_neighbors}")
    s = _agreement(Y, lab.astype(np.int64), grp.astype(np.int64), int(n_neighbors),
                   groups is not None)
    return float(np.nanmean(s))


def cluster_ari(cluster_ids, labels):
    """Adjusted Rand index between cluster ids and reference labels (1 perfect, ~0 chance).

    Hubert and Arabie's index over pairs of points, from the contingency table:
    (sum of C(n_ij, 2) - expected) / (mean of the two marginal sums - expected),
    expected = product of the marginal sums / C(n, 2), where C(m, 2) = m(m-1)/2.
    Equal to ``sklearn.metrics.adjusted_rand_score`` (a test checks).

    Parameters
    ----------
    cluster_ids, labels : array-like of shape (n_samples,), any comparable values

    Returns
    -------
    float : at most 1; around 0 for unrelated partitions, negative below chance
    """
    cluster_ids = np.asarray(cluster_ids)
    labels = np.asarray(labels)
    if cluster_ids.shape != labels.shape:
        raise ValueError(f"cluster_ids {cluster_ids.shape} and labels {labels.shape} differ in shape")
    _, a = np.unique(labels.ravel(), return_inverse=True)
    _, b = np.unique(cluster_ids.ravel(), return_inverse=True)
    n = a.shape[0]
    nb = int(b.max()) + 1 if n else 1
    table = np.bincount(a.ravel() * nb + b.ravel())
    # Exact integers to the end: the pair counts' product passes 2**63 near n = 77 000.
    pairs = int((table * (table - 1) // 2).sum())
    rows = int(sum(m * (m - 1) // 2 for m in np.bincount(a.ravel()).tolist()))
    cols = int(sum(m * (m - 1) // 2 for m in np.bincount(b.ravel()).tolist()))
    total = n * (n - 1) // 2
    # expected = rows * cols / total; scaled by total to stay in integers
    num = pairs * total - rows * cols
    den = (rows + cols) * total - 2 * rows * cols
    if den == 0:  # both all in one cluster, or both all singletons: the same partition
        return 1.0
    return float(2 * num / den)


def cluster_purity(cluster_ids, labels):
    """Share of points whose cluster's most common label is their own label:
    "a pad plays one kind of sound" (1 when every cluster holds one label).

    Parameters
    ----------
    cluster_ids, labels : array-like of shape (n_samples,), any comparable values

    Returns
    -------
    float in (0, 1]; nan for no points
    """
    cluster_ids = np.asarray(cluster_ids)
    labels = np.asarray(labels)
    if cluster_ids.shape != labels.shape:
        raise ValueError(f"cluster_ids {cluster_ids.shape} and labels {labels.shape} differ in shape")
    if labels.size == 0:
        return float("nan")
    _, a = np.unique(labels.ravel(), return_inverse=True)
    _, b = np.unique(cluster_ids.ravel(), return_inverse=True)
    table = np.zeros((int(b.max()) + 1, int(a.max()) + 1), np.int64)
    np.add.at(table, (b, a), 1)
    return float(table.max(axis=1).sum() / labels.size)
