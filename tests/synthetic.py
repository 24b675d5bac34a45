"""Synthetic stand-in for sound features: a Gaussian mixture with uneven clusters.

Used by the mapping tests and benchmarks/bench_map.py. Real features are
log-mel statistics: clusters of very different spreads and sizes, some close
together, in 64 dimensions. This mixture imitates that: cluster centres drawn
at random, spreads varying 4x between clusters, sizes varying ~5x.
"""

import numpy as np


def gaussian_mixture(n_samples, n_features=64, n_clusters=20, random_state=0):
    """Points and their cluster labels.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features), float32
    labels : ndarray of shape (n_samples,), int64
    """
    rng = np.random.default_rng(random_state)
    centres = rng.normal(scale=4.0, size=(n_clusters, n_features))
    spreads = rng.uniform(0.5, 2.0, size=n_clusters)
    weights = rng.uniform(1.0, 5.0, size=n_clusters)
    labels = rng.choice(n_clusters, size=n_samples, p=weights / weights.sum())
    X = centres[labels] + rng.normal(size=(n_samples, n_features)) * spreads[labels, None]
    return X.astype(np.float32), labels.astype(np.int64)
