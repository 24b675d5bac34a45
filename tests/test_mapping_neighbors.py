"""k-NN (exact, growing, background approximate) and incremental affinities."""

import logging
import sys
import threading

import numpy as np
import pytest
from sklearn.neighbors import NearestNeighbors
from tests.synthetic import gaussian_mixture

from livemappr.mapping.affinity import Affinities, joint_csr
from livemappr.errors import MissingExtra
from livemappr.mapping.neighbors import NeighborIndex, approximate_knn, exact_knn


def test_exact_knn_matches_sklearn_brute_force():
    X, _ = gaussian_mixture(700, n_features=16, random_state=1)
    idx, dist = exact_knn(X, 12)
    nn = NearestNeighbors(n_neighbors=13, algorithm="brute").fit(X.astype(np.float64))
    ref_d, ref_i = nn.kneighbors(X.astype(np.float64))
    assert idx.shape == (700, 12)
    assert not np.any(idx == np.arange(700)[:, None])
    np.testing.assert_allclose(dist, ref_d[:, 1:], rtol=1e-6, atol=1e-6)
    assert np.mean(idx == ref_i[:, 1:]) > 0.999  # ties may order differently


def test_exact_knn_rejects_k_too_large():
    with pytest.raises(ValueError, match="n_neighbors=10 needs at least 11 points"):
        exact_knn(np.zeros((10, 3)), 10)


def test_growing_index_answers_like_a_batch_search():
    X, _ = gaussian_mixture(400, n_features=8, random_state=2)
    index = NeighborIndex(8, ann_threshold=None)
    for i in range(1, 400):
        index.extend(X[i - 1: i])
        k = min(5, i)
        got_i, got_d, all_d = index.query(X[i], k)
        d = np.sqrt(((X[:i].astype(np.float64) - X[i]) ** 2).sum(axis=1))
        np.testing.assert_allclose(all_d, d, rtol=1e-6)
        np.testing.assert_allclose(got_d, np.sort(d)[:k], rtol=1e-6)
        assert set(got_i) == set(np.argsort(d, kind="stable")[:k]) or np.allclose(
            np.sort(d[got_i]), np.sort(d)[:k])


class _SlowExactIndex:
    """pynndescent's query interface, exact, and slow to build (like its JIT)."""

    def __init__(self, data, started, release):
        started.set()
        release.wait(10)
        self.data = data.astype(np.float64)

    def query(self, X, k):
        d = np.sqrt(((self.data[None, :, :] - X[:, None, :]) ** 2).sum(-1))
        i = np.argsort(d, axis=1, kind="stable")[:, :k]
        return i, np.take_along_axis(d, i, axis=1)


class _IndexWithDouble(NeighborIndex):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.started, self.release = threading.Event(), threading.Event()
        self.built_sizes = []

    def _make_index(self, data):
        self.built_sizes.append(data.shape[0])
        return _SlowExactIndex(data, self.started, self.release)


def test_background_index_is_built_off_the_query_path_then_takes_over():
    X, _ = gaussian_mixture(1000, n_features=16, random_state=3)
    index = _IndexWithDouble(16, ann_threshold=600, warm_at=500)
    index.extend(X[:520])
    assert index.started.wait(5)
    # While the build blocks, queries are answered exactly, without waiting.
    index.extend(X[520:700])
    _, _, all_d = index.query(X[900], 10)
    assert all_d is not None and not index.approximate_ready
    index.release.set()
    index.wait_for_builder(5)
    assert index.approximate_ready and index.built_sizes == [520]
    for q in X[900:920]:
        got, got_d, all_d = index.query(q, 10)
        assert all_d is None  # approximate index for the first 520, exact tail after
        d = np.sqrt(((X[:700].astype(np.float64) - q) ** 2).sum(axis=1))
        np.testing.assert_allclose(got_d, np.sort(d)[:10], rtol=1e-5)
    # The tail has grown past half the index: a rebuild starts in the background.
    index.extend(X[700:800])
    index.wait_for_builder(5)
    assert index.built_sizes == [520, 800]


def test_without_the_library_extra_a_map_says_which_extra_or_stays_exact(monkeypatch, caplog):
    # pynndescent not installed (a None in sys.modules makes its import fail)
    monkeypatch.setitem(sys.modules, "pynndescent", None)
    X, _ = gaussian_mixture(700, n_features=16, random_state=4)
    with pytest.raises(MissingExtra) as e:
        approximate_knn(X, 10)
    assert str(e.value) == ("approximate neighbours of 700 sounds needs pynndescent, which is not "
                            "installed: pip install 'livemappr[library]'")
    # Live: the background build gives up once, says so, and exact answers go on.
    index = NeighborIndex(16, ann_threshold=300, warm_at=200)
    with caplog.at_level(logging.WARNING, logger="livemappr.mapping"):
        index.extend(X[:250])
        index.wait_for_builder(5)
        index.extend(X[250:600])
        index.wait_for_builder(5)
    assert not index.approximate_ready and index.warm_at is None
    assert [r.getMessage().count("livemappr[library]") for r in caplog.records] == [1]
    got_i, got_d, _ = index.query(X[650], 5)
    d = np.sqrt(((X[:600].astype(np.float64) - X[650]) ** 2).sum(axis=1))
    np.testing.assert_allclose(got_d, np.sort(d)[:5], rtol=1e-5)


def _entropy(p):
    p = p[p > 0]
    return -(p * np.log(p)).sum()


def test_affinity_rows_have_the_target_perplexity_and_joint_p_is_symmetric():
    X, _ = gaussian_mixture(500, n_features=10, random_state=4)
    idx, dist = exact_knn(X, 45)
    aff = Affinities(perplexity=15, n_neighbors=45).fit(idx, dist)
    np.testing.assert_allclose(aff.P.sum(axis=1, dtype=np.float64), 1.0, rtol=1e-6)  # float32 rows
    H = np.array([_entropy(r.astype(np.float64)) for r in aff.P])
    np.testing.assert_allclose(np.exp(H), 15.0, rtol=1e-3)
    indptr, cols, data = joint_csr(aff)
    dense = np.zeros((500, 500))
    for i in range(500):
        dense[i, cols[indptr[i]: indptr[i + 1]]] = data[indptr[i]: indptr[i + 1]]
    np.testing.assert_allclose(dense, dense.T, atol=1e-15)
    assert dense.sum() == pytest.approx(1.0)


def test_incremental_affinities_equal_batch_after_recalibration():
    X, _ = gaussian_mixture(300, n_features=6, random_state=5)
    k = 30
    index = NeighborIndex(6, ann_threshold=None)
    aff = Affinities(perplexity=10, n_neighbors=k, capacity=16)
    for x in X:
        n = len(index)
        if n == 0:
            aff.add(np.empty(0, np.int64), np.empty(0))
        else:
            i, d, all_d = index.query(x, min(k, n))
            aff.add(i, d, all_d)
        index.extend(x[None, :])
    assert aff.n_dirty > 0
    aff.recalibrate()
    assert aff.n_dirty == 0
    bidx, bdist = exact_knn(X, k)
    batch = Affinities(perplexity=10, n_neighbors=k).fit(bidx, bdist)
    np.testing.assert_allclose(aff.distances, batch.distances, rtol=1e-5)
    assert np.mean(aff.indices == batch.indices) > 0.999
    np.testing.assert_allclose(np.sort(aff.P, axis=1), np.sort(batch.P, axis=1), atol=1e-4)


def test_affinity_rows_are_single_precision_and_still_exact_gaussians():
    # 12 bytes a slot (int32, float32, float32) instead of 24. The calibration
    # runs in float64, so each row is still a Gaussian in the distance up to
    # float32 rounding: -log(p_c / p_0) / (d_c^2 - d_0^2) is one beta per row.
    X, _ = gaussian_mixture(400, n_features=12, random_state=6)
    idx, dist = exact_knn(X, 30)
    aff = Affinities(perplexity=10, n_neighbors=30).fit(idx, dist)
    assert (aff.indices.dtype, aff.distances.dtype, aff.P.dtype) == (np.int32, np.float32, np.float32)
    np.testing.assert_array_equal(aff.indices, idx)
    np.testing.assert_allclose(aff.distances, dist, rtol=1e-7)
    P = aff.P.astype(np.float64)
    d2 = aff.distances.astype(np.float64) ** 2
    d2 -= d2[:, :1]
    use = (d2 > 1e-3 * d2[:, -1:]) & (P > 1e-30)
    beta = np.where(use, -np.log(np.where(use, P, 1.0) / P[:, :1]) / np.where(use, d2, 1.0), np.nan)
    spread = np.nanmax(beta, axis=1) / np.nanmin(beta, axis=1) - 1.0
    assert np.all(use.sum(axis=1) > 10) and spread.max() < 1e-4
    np.testing.assert_allclose(np.exp([_entropy(r) for r in P]), 10.0, rtol=1e-3)


def test_storage_grows_by_1024_rows_or_an_eighth_not_by_doubling():
    from livemappr.mapping.growth import grown_capacity

    assert grown_capacity(64, 65) == 1088 and grown_capacity(16384, 16385) == 18432
    assert grown_capacity(64, 5000) == 5000
    index = NeighborIndex(3, ann_threshold=None, capacity=64)
    index.extend(np.zeros((65, 3)))
    aff = Affinities(perplexity=1, n_neighbors=3, capacity=16)
    for n in range(17):
        aff.add(np.zeros(min(n, 3), np.int64), np.ones(min(n, 3)))
    assert index._data.shape[0] == 1088 and aff._idx.shape[0] == 16 + 1024
