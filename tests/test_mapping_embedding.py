"""IncrementalTSNE: offline fit, insertion of new points, bounded settling."""

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.manifold import TSNE
from tests.synthetic import gaussian_mixture

from livemappr.mapping.embedding import IncrementalTSNE
from livemappr.mapping.quality import knn_agreement, trustworthiness


@pytest.fixture(scope="module")
def data():
    return gaussian_mixture(700, n_features=32, n_clusters=8, random_state=7)


@pytest.fixture(scope="module")
def fitted(data):
    X, _ = data
    return IncrementalTSNE(random_state=0).fit(X[:600])


def test_params_only_in_init_and_clone_works():
    est = IncrementalTSNE(perplexity=12, random_state=3)
    assert not [k for k in vars(est) if k.endswith("_")]
    assert clone(est).get_params() == est.get_params()


@pytest.mark.parametrize("kwargs, match", [
    ({"perplexity": 0}, "perplexity must be a number > 0, got 0"),
    ({"theta": 2.0}, r"theta must be in \(0, 1.5\], got 2.0"),
    ({"neighbors": "kd"}, "neighbors must be 'auto', 'exact' or 'approx', got 'kd'"),
    ({"n_jobs": 0}, "n_jobs must be None, -1 or an integer >= 1, got 0"),
])
def test_bad_parameters_are_named(kwargs, match):
    with pytest.raises(ValueError, match=match):
        IncrementalTSNE(**kwargs).fit(np.random.default_rng(0).normal(size=(50, 3)))


def test_fit_separates_synthetic_clusters_as_well_as_sklearn(data, fitted):
    X, labels = data
    Y = fitted.embedding_
    assert Y.shape == (600, 2)
    ours_t = trustworthiness(X[:600], Y, 10)
    ref = TSNE(random_state=0, init="pca").fit_transform(X[:600])
    ref_t = trustworthiness(X[:600], ref, 10)
    assert ours_t >= ref_t - 0.01
    assert knn_agreement(Y, labels[:600], 10) >= knn_agreement(ref, labels[:600], 10) - 0.01


def test_same_seed_same_map_and_same_insertions(data):
    X, _ = data
    a = IncrementalTSNE(random_state=5, n_iter=100, early_exaggeration_iter=50).fit(X[:300])
    b = IncrementalTSNE(random_state=5, n_iter=100, early_exaggeration_iter=50).fit(X[:300])
    for m in (a, b):
        for x in X[300:320]:
            m.add(x)
            m.refine()
    np.testing.assert_array_equal(a.embedding_, b.embedding_)


def test_map_does_not_depend_on_the_number_of_threads(data):
    # Parallel sums run over fixed chunks in a fixed order, so 1 thread and all
    # threads give the same bits.
    X, _ = data
    kw = dict(random_state=1, n_iter=60, early_exaggeration_iter=40)
    a = IncrementalTSNE(n_jobs=1, **kw).fit(X[:400])
    b = IncrementalTSNE(n_jobs=-1, **kw).fit(X[:400])
    for m in (a, b):
        for x in X[400:410]:
            m.add(x)
            m.refine()
    np.testing.assert_array_equal(a.embedding_, b.embedding_)


def test_new_point_lands_among_its_true_neighbours_and_nothing_else_moves(data, fitted):
    import copy

    X, labels = data
    m = copy.deepcopy(fitted)
    before = m.embedding_.copy()
    scale = np.sqrt(((before - before.mean(0)) ** 2).sum(1).mean())
    hits, offsets = [], []
    for i in range(600, 700):
        j = m.add(X[i])
        assert j == i
        np.testing.assert_array_equal(m.embedding_[:600], before)
        y = m.embedding_[j]
        # its 10 nearest points on the map share its cluster ...
        d2 = ((before - y) ** 2).sum(1)
        hits.append(np.mean(labels[np.argsort(d2)[:10]] == labels[i]))
        # ... and it sits near the positions of its 10 nearest points in feature space
        fnn = np.argsort(((X[:600] - X[i]) ** 2).sum(1))[:10]
        offsets.append(np.linalg.norm(y - np.median(before[fnn], axis=0)) / scale)
    assert np.mean(hits) >= 0.95
    assert np.median(offsets) < 0.1


def test_refinement_moves_no_point_more_than_the_bound(data, fitted):
    import copy

    X, _ = data
    m = copy.deepcopy(fitted)
    m.set_params(max_step=0.002)
    moves = []
    for i in range(600, 700):
        m.add(X[i])
        Y0 = m.embedding_.copy()
        scale = max(np.sqrt(((Y0 - Y0.mean(0)) ** 2).sum(1).mean()), 0.5 * np.sqrt(len(Y0)))
        m.refine()
        moved = np.linalg.norm(m.embedding_ - Y0, axis=1)
        assert moved.max() <= 0.002 * scale * (1 + 1e-9)
        moves.append(moved.max() / scale)
    # the bound is what binds: uncapped, new points pull their neighbours further
    free = copy.deepcopy(fitted)
    free.set_params(max_step=0.0)
    free_moves = []
    for i in range(600, 700):
        free.add(X[i])
        Y0 = free.embedding_.copy()
        scale = np.sqrt(((Y0 - Y0.mean(0)) ** 2).sum(1).mean())
        free.refine()
        free_moves.append(np.linalg.norm(free.embedding_ - Y0, axis=1).max() / scale)
    assert max(free_moves) > 0.002


def test_map_grown_from_nothing_one_point_at_a_time(data):
    X, labels = data
    m = IncrementalTSNE(random_state=0, perplexity=15)
    for x in X[:400]:
        m.partial_fit(x[None, :])
        m.refine(3)
    assert m.embedding_.shape == (400, 2)
    assert knn_agreement(m.embedding_, labels[:400], 10) > 0.9


def _per_point_arrays(m):
    a = m.affinities_
    return [m._Y, m._upd, m._gains, m.index_._data, a._idx, a._dist, a._p, a._count, a._beta]


def test_a_reserved_map_takes_its_memory_once_and_maps_as_a_grown_one(data):
    X, _ = data
    grown = IncrementalTSNE(random_state=0, perplexity=10)
    reserved = IncrementalTSNE(random_state=0, perplexity=10).reserve(300, X.shape[1])
    before = [(id(a), a.shape[0]) for a in _per_point_arrays(reserved)]
    assert all(rows == 300 for _, rows in before)
    for x in X[:300]:
        grown.add(x)
        reserved.add(x)
        if len(reserved.embedding_) % 50 == 0:
            grown.refine()
            reserved.refine()
    # No array was replaced to grow: nothing allocated or copied while played.
    assert [(id(a), a.shape[0]) for a in _per_point_arrays(reserved)] == before
    np.testing.assert_array_equal(reserved.embedding_, grown.embedding_)
    reserved.add(X[300])  # past the reservation it grows as before
    assert reserved._Y.shape[0] > 300 and reserved.n_samples_ == 301


def test_reserving_a_fitted_map_keeps_its_points(data, fitted):
    X, _ = data
    from sklearn.base import clone as copy_params

    m = copy_params(fitted).fit(X[:200])
    Y = m.embedding_.copy()
    m.reserve(2000, X.shape[1])
    assert m._Y.shape[0] == 2000 and m.affinities_._idx.shape[0] == 2000 and m.index_._data.shape[0] == 2000
    np.testing.assert_array_equal(m.embedding_, Y)
    np.testing.assert_array_equal(m.index_.data, X[:200].astype(np.float32))
    with pytest.raises(ValueError, match="n_features is 5, the map has 32"):
        m.reserve(2000, 5)
    with pytest.raises(ValueError, match="n_samples"):
        m.reserve(0, X.shape[1])
