"""Stable cluster ids: warm starts, supported splits, Hungarian matching."""

import itertools

import numpy as np
import pytest
from tests.synthetic import gaussian_mixture

from livemappr.mapping.clusters import StableKMeans, hungarian
from livemappr.mapping.livemap import LiveMap
from livemappr.mapping.quality import cluster_ari


def test_hungarian_finds_the_optimum():
    rng = np.random.default_rng(0)
    for _ in range(20):
        C = rng.integers(0, 20, size=(5, 5)).astype(float)
        got = hungarian(C)
        best = min(itertools.permutations(range(5)), key=lambda p: C[range(5), p].sum())
        assert C[range(5), got].sum() == C[range(5), best].sum()
        assert sorted(got) == list(range(5))


def _blobs(centres, n_each, spread, seed):
    rng = np.random.default_rng(seed)
    X = np.concatenate([c + rng.normal(scale=spread, size=(n_each, 2)) for c in centres])
    return X, np.repeat(np.arange(len(centres)), n_each)


def test_fit_finds_separated_blobs():
    X, y = _blobs([(0, 0), (20, 0), (0, 20), (20, 20)], 100, 1.5, 0)
    km = StableKMeans(n_clusters=4, random_state=0).fit(X)
    assert km.n_clusters_ == 4
    assert cluster_ari(km.labels_, y) == 1.0


def test_a_new_cluster_appears_only_when_the_data_supports_it():
    rng = np.random.default_rng(1)
    one_blob = rng.normal(size=(400, 2))
    assert StableKMeans(8, split_threshold=0.6).fit(one_blob).n_clusters_ == 1
    two, _ = _blobs([(0, 0), (12, 0)], 200, 1.0, 2)
    assert StableKMeans(8, split_threshold=0.6).fit(two).n_clusters_ == 2
    # too few points for two clusters of min_cluster_size
    assert StableKMeans(8, min_cluster_size=5).fit(two[[0, 1, 2, 200, 201, 202]]).n_clusters_ == 1


def test_refit_keeps_ids_on_unchanged_data():
    X, _ = _blobs([(0, 0), (20, 0), (0, 20), (20, 20), (40, 40)], 60, 1.0, 3)
    km = StableKMeans(5, random_state=0).fit(X)
    before = km.labels_.copy()
    after = km.refit(X)
    np.testing.assert_array_equal(after, before)


def test_ids_stable_while_500_points_arrive_one_by_one():
    # 12 natural groups, 16 pads: some pads split a group, the hardest case for
    # stability (their shared boundary runs through dense points that keep moving
    # as the map settles).
    X, _ = gaussian_mixture(1500, n_features=32, n_clusters=12, random_state=11)
    live = LiveMap(n_clusters=16, random_state=0)
    live.fit(X[:1000])
    first = live.snapshot.cluster_ids.copy()
    assert live.snapshot.n_clusters == 16
    previous = first
    churn = []
    for i in range(1000, 1500):
        live.add(X[i])
        live.step()
        if (i - 999) % 100 == 0:
            ids = live.snapshot.cluster_ids
            churn.append(np.mean(ids[: len(previous)] != previous))
            previous = ids.copy()
    assert np.mean(churn) <= 0.02, churn
    assert max(churn) <= 0.03, churn
    # the first 1000 still carry the id they had when the pads were assigned
    assert np.mean(live.snapshot.cluster_ids[:1000] == first) >= 0.93
    assert live.snapshot.n == 1500


def test_bad_parameters_are_named():
    with pytest.raises(ValueError, match="hysteresis must be in \\[0, 1\\), got 1.5"):
        StableKMeans(hysteresis=1.5).fit(np.zeros((10, 2)))
    with pytest.raises(ValueError, match="n_clusters must be an integer in 1..1024, got 0"):
        StableKMeans(n_clusters=0).fit(np.zeros((10, 2)))
