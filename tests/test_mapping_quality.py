"""Map quality metrics against scikit-learn and hand-made cases."""

import numpy as np
import pytest
from sklearn.manifold import trustworthiness as sk_trust
from sklearn.metrics import adjusted_rand_score

from livemappr.mapping.quality import cluster_ari, cluster_purity, knn_agreement, trustworthiness


def test_trustworthiness_matches_sklearn():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(250, 7))
    Y = X[:, :2] + rng.normal(scale=0.5, size=(250, 2))
    for k in (5, 10):
        assert trustworthiness(X, Y, k) == pytest.approx(sk_trust(X, Y, n_neighbors=k), abs=1e-12)
    est = trustworthiness(X, Y, 10, sample=120, random_state=1)
    assert est == pytest.approx(sk_trust(X, Y, n_neighbors=10), abs=0.02)
    # a random map is clearly worse than the informative one
    assert trustworthiness(X, rng.normal(size=(250, 2)), 10) < trustworthiness(X, Y, 10) - 0.1


def test_knn_agreement_and_the_other_groups_only_option():
    # Two labels; each group holds two near-identical copies with one label, so
    # within-group neighbours always agree. Across groups labels alternate on a line.
    n_groups = 40
    Y, labels, groups = [], [], []
    for g in range(n_groups):
        lab = g % 2
        for c in range(2):
            Y.append([g * 10.0, c * 1e-3])
            labels.append(lab)
            groups.append(g)
    Y, labels, groups = np.array(Y), np.array(labels), np.array(groups)
    assert knn_agreement(Y, labels, n_neighbors=1) == 1.0
    # Nearest other-group neighbours are the adjacent groups, with the other label.
    assert knn_agreement(Y, labels, n_neighbors=1, groups=groups) == 0.0


def test_cluster_ari():
    assert cluster_ari([1, 1, 0, 0], ["a", "a", "b", "b"]) == 1.0
    assert cluster_ari([0, 1, 0, 1], ["a", "a", "b", "b"]) < 0.0
    with pytest.raises(ValueError, match="differ in shape"):
        cluster_ari([0, 1], ["a"])


def test_cluster_ari_matches_sklearn():
    rng = np.random.default_rng(0)
    for n, ka, kb in [(2, 1, 2), (10, 3, 3), (100, 5, 26), (1000, 5, 16), (20000, 26, 26),
                      (300, 300, 7), (50, 1, 1)]:
        a = rng.integers(0, ka, size=n)
        b = rng.integers(0, kb, size=n)
        b_close = np.where(rng.random(n) < 0.2, b, a)  # mostly agrees with a
        for ids in (b, b_close, a, (a + 1) % ka):
            assert cluster_ari(ids, a) == pytest.approx(adjusted_rand_score(a, ids), abs=1e-12)
    # the degenerate partitions: all singletons, all one cluster, and mixed
    one, each = np.zeros(6, int), np.arange(6)
    for ids, ref in [(one, one), (each, each), (one, each), (each, one)]:
        assert cluster_ari(ids, ref) == adjusted_rand_score(ref, ids)
    assert cluster_ari(["x", "y", "y"], [2.0, 1.0, 1.0]) == 1.0


def test_cluster_purity():
    assert cluster_purity([0, 0, 1, 1], ["a", "a", "b", "b"]) == 1.0
    # cluster 0 holds a,a,b (2 of 3 its majority), cluster 1 holds b: 3 of 4
    assert cluster_purity([0, 0, 0, 1], ["a", "a", "b", "b"]) == 0.75
    # one cluster for everything: the majority share
    assert cluster_purity([5, 5, 5, 5, 5], list("aaabb")) == 0.6
    # singletons are pure, whatever the labels
    assert cluster_purity(np.arange(4), list("abab")) == 1.0
    with pytest.raises(ValueError):
        cluster_purity([0, 1], ["a"])
