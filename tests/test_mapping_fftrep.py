"""The grid repulsion (mapping/fftrep.py) against exact sums, and a whole-library fit that uses it."""

import numpy as np
import pytest
from tests.synthetic import gaussian_mixture

from livemappr.mapping import bhtsne, fftrep
from livemappr.mapping.embedding import IncrementalTSNE
from livemappr.mapping.quality import knn_agreement, trustworthiness


def exact(Y):
    d = Y[:, None, :] - Y[None, :, :]
    q = 1.0 / (1.0 + (d ** 2).sum(-1))
    np.fill_diagonal(q, 0.0)
    return ((q ** 2)[:, :, None] * d).sum(1), q.sum()


@pytest.mark.parametrize("spread", [3.0, 20.0])
def test_grid_sums_are_close_to_the_exact_ones(spread):
    rng = np.random.default_rng(1)
    centres = rng.normal(size=(6, 2)) * spread
    Y = centres[rng.integers(6, size=1500)] + rng.normal(size=(1500, 2)) * spread / 5
    rep, Z = exact(Y)
    grid_rep, grid_Z = fftrep.repulsion(Y)
    assert abs(grid_Z - Z) / Z < 0.02
    # the force as the gradient uses it, rep / Z: a few per cent, as Barnes-Hut's
    err = np.linalg.norm(grid_rep / grid_Z - rep / Z, axis=1).mean() / np.linalg.norm(rep / Z, axis=1).mean()
    assert err < 0.05


def test_the_gradient_points_where_barnes_hut_does():
    rng = np.random.default_rng(2)
    Y = np.ascontiguousarray(rng.normal(size=(3000, 2)) * 15)
    idx = np.ascontiguousarray(np.argsort(rng.random((3000, 3000)), axis=1)[:, :20]).astype(np.int64)
    P = np.full((3000, 20), 1 / 20)
    g_bh, Z_bh, _ = bhtsne.gradient(Y, idx, P, exaggeration=4.0)
    g_grid, Z_grid = fftrep.gradient(Y, idx, P, exaggeration=4.0)
    cos = (g_bh * g_grid).sum(1) / np.linalg.norm(g_bh, axis=1) / np.linalg.norm(g_grid, axis=1)
    assert np.median(cos) > 0.99 and abs(Z_grid - Z_bh) / Z_bh < 0.03


def test_a_fit_on_the_grid_maps_as_well_as_one_on_the_tree():
    X, labels = gaussian_mixture(1200, n_features=32, n_clusters=8, random_state=3)
    kw = dict(random_state=0, n_iter=300, early_exaggeration_iter=150)
    tree = IncrementalTSNE(fft_threshold=None, **kw).fit(X).embedding_
    grid = IncrementalTSNE(fft_threshold=2, **kw).fit(X).embedding_
    assert np.all(np.isfinite(grid))
    assert trustworthiness(X, grid, 10) >= trustworthiness(X, tree, 10) - 0.01
    assert knn_agreement(grid, labels, 10) >= knn_agreement(tree, labels, 10) - 0.01


def test_a_map_fitted_on_the_grid_still_takes_new_sounds():
    X, _ = gaussian_mixture(600, n_features=16, n_clusters=4, random_state=4)
    m = IncrementalTSNE(fft_threshold=2, random_state=0, n_iter=100, early_exaggeration_iter=50).fit(X[:500])
    for x in X[500:]:
        m.add(x)
    assert m.embedding_.shape == (600, 2) and np.all(np.isfinite(m.embedding_))
