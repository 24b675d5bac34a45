"""Barnes-Hut quadtree and gradient against the exact t-SNE gradient."""

import numpy as np
import pytest
from tests.synthetic import gaussian_mixture

from livemappr.mapping import bhtsne
from livemappr.mapping.affinity import Affinities, joint_csr
from livemappr.mapping.neighbors import exact_knn


def _exact_gradient(Y, P, exaggeration):
    diff = Y[:, None, :] - Y[None, :, :]
    q = 1.0 / (1.0 + (diff ** 2).sum(-1))
    np.fill_diagonal(q, 0.0)
    Z = q.sum()
    attr = ((P * q)[:, :, None] * diff).sum(1)
    rep = ((q * q)[:, :, None] * diff).sum(1) / Z
    return 4.0 * (exaggeration * attr - rep), Z


@pytest.fixture(scope="module")
def problem():
    X, _ = gaussian_mixture(300, n_features=12, random_state=0)
    idx, dist = exact_knn(X, 30)
    aff = Affinities(10, 30).fit(idx, dist)
    indptr, cols, data = joint_csr(aff)
    P = np.zeros((300, 300))
    for i in range(300):
        P[i, cols[indptr[i]: indptr[i + 1]]] = data[indptr[i]: indptr[i + 1]]
    Y = np.random.default_rng(0).normal(scale=5.0, size=(300, 2))
    return aff, P, Y


@pytest.mark.parametrize("theta, tol", [(0.05, 2e-3), (0.5, 5e-2)])
def test_bh_gradient_approaches_the_exact_gradient(problem, theta, tol):
    aff, P, Y = problem
    grad, Z, _ = bhtsne.gradient(Y, aff.indices, aff.P, exaggeration=4.0, theta=theta)
    ref, refZ = _exact_gradient(Y, P, 4.0)
    err = np.linalg.norm(grad - ref) / np.linalg.norm(ref)
    assert err < tol
    assert Z == pytest.approx(refZ, rel=tol)


def test_quadtree_holds_every_point_once_even_with_duplicates():
    rng = np.random.default_rng(1)
    Y = rng.normal(size=(500, 2))
    Y[100:150] = Y[0]  # 51 coincident points
    nodes, child, leaf_of, order = bhtsne.build_tree(np.ascontiguousarray(Y))
    assert nodes[0, 2] == 500
    assert nodes[0, 0] == pytest.approx(Y[:, 0].mean())
    leaves = child == -1
    assert nodes[leaves, 2].sum() == 500
    assert nodes[leaf_of[0], 2] == 51
    assert sorted(order) == list(range(500))
    # every leaf's centre of mass is the mean of the points filed in it
    for leaf in np.unique(leaf_of):
        np.testing.assert_allclose(nodes[leaf, :2], Y[leaf_of == leaf].mean(axis=0))


def test_step_caps_every_move():
    rng = np.random.default_rng(2)
    Y = rng.normal(size=(200, 2))
    before = Y.copy()
    grad = rng.normal(scale=100.0, size=(200, 2))
    upd = np.zeros((200, 2))
    gains = np.ones((200, 2))
    bhtsne.step(Y, grad, upd, gains, learning_rate=10.0, momentum=0.8, max_step=0.1)
    moved = np.linalg.norm(Y - before, axis=1)
    assert moved.max() <= 0.1 + 1e-12
    assert moved.max() > 0.099  # the cap bound, not a small gradient


def test_public_wrappers_name_bad_input():
    with pytest.raises(ValueError, match=r"Y must be a C-contiguous float64 array of shape \(n, 2\)"):
        bhtsne.build_tree(np.zeros((10, 3)))
    Y = np.zeros((10, 2))
    with pytest.raises(ValueError, match=r"grad must have shape \(10, 2\) like Y, got \(9, 2\)"):
        bhtsne.step(Y, np.zeros((9, 2)), np.zeros((10, 2)), np.ones((10, 2)), 1.0, 0.5)
