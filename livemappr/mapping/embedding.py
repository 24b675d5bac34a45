"""IncrementalTSNE: an offline t-SNE fit that keeps growing and settling while you play.

Runs on: map worker. Not thread-safe: one thread owns the object; other threads
read published snapshots (see :mod:`livemappr.mapping.snapshot`).

Three operations, all with scikit-learn conventions:

- :meth:`IncrementalTSNE.fit` maps a whole library (exact or pynndescent k-NN,
  perplexity affinities, PCA start, early exaggeration, Barnes-Hut gradient).
- :meth:`IncrementalTSNE.add` puts one new point on the map at once: its k-NN in
  feature space, its affinities (and the old rows it enters), a start at the median
  of its nearest neighbours' positions, and a few gradient steps of that point
  alone against the frozen map. Nothing else moves.
- :meth:`IncrementalTSNE.refine` is one whole-map gradient step, the animated
  settling of MusicMappr. Each point's move is capped at ``max_step`` times the
  map's RMS radius, so the map never jumps, however many points just arrived.
"""

from __future__ import annotations

from contextlib import contextmanager

import numba
import numpy as np
from . import bhtsne, fftrep
from .affinity import Affinities
from .growth import grown_capacity, prefault
from .neighbors import NeighborIndex, approximate_knn, exact_knn
from .params import Params


def _pca_init(X, random_state):
    # PCA start scaled to a tiny spread (std 1e-4 on the first axis), the usual
    # choice since it keeps global structure and lets exaggeration do the rest.
    Xc = X - X.mean(axis=0)
    if X.shape[1] >= 2:
        _, _, vt = np.linalg.svd(Xc, full_matrices=False)
        Y = Xc @ vt[:2].T
        # SVD signs are arbitrary; fix them so a fit is reproducible across BLAS.
        signs = np.sign(Y[np.argmax(np.abs(Y), axis=0), np.arange(2)])
        Y *= np.where(signs == 0, 1.0, signs)
    else:
        Y = np.random.default_rng(random_state).normal(size=(X.shape[0], 2))
    std = Y[:, 0].std()
    return np.ascontiguousarray(Y / (std if std > 0 else 1.0) * 1e-4)


@contextmanager
def _numba_threads(n_jobs):
    # numba's thread count is per calling thread: this changes the map worker's
    # kernels only, and restores what the caller had.
    if n_jobs is None:
        yield
        return
    if not (isinstance(n_jobs, (int, np.integer)) and (n_jobs == -1 or n_jobs >= 1)):
        raise ValueError(f"n_jobs must be None, -1 or an integer >= 1, got {n_jobs!r}")
    old = numba.get_num_threads()
    n = numba.config.NUMBA_NUM_THREADS if n_jobs == -1 else min(n_jobs, numba.config.NUMBA_NUM_THREADS)
    numba.set_num_threads(n)
    try:
        yield
    finally:
        numba.set_num_threads(old)


class IncrementalTSNE(Params):
    """Barnes-Hut t-SNE to 2-D that accepts new points one at a time.

    Parameters
    ----------
    perplexity : float, default 30
    early_exaggeration : float, default 12
    early_exaggeration_iter : int, default 250
    n_iter : int, default 500
        Iterations after early exaggeration in :meth:`fit`.
    learning_rate : float or "auto", default "auto"
        "auto" is ``n / exaggeration / 4`` (our gradient keeps the factor 4).
    momentum : float, default 0.8
    theta : float, default 0.5
        Barnes-Hut accuracy.
    max_step : float, default 0.005
        In :meth:`refine`, no point moves farther than ``max_step`` times the map's
        RMS radius (at least ``sqrt(n) / 2``) per step.
    n_place : int, default 15
        New points start at the median position of this many nearest neighbours.
    insert_iter : int, default 10
        Gradient steps of a new point alone after placing it.
    neighbors : {"auto", "exact", "approx"}, default "auto"
        k-NN for :meth:`fit`; "auto" is exact up to ``ann_threshold`` points.
    ann_threshold : int or None, default 50000
        Size at which live queries switch to a background-built pynndescent index.
    fft_threshold : int or None, default 20000
        Size from which :meth:`fit` takes the repulsion from an interpolation
        grid (:mod:`fftrep`) instead of the quadtree; None: never.
    n_jobs : int or None, default None
        Threads for the numba kernels: None keeps the calling thread's numba
        setting (all cores by default), -1 all cores, 1 serial. On a machine
        whose cores are busy, 1 is often as fast (see the package docstring).
    random_state : int or None

    Attributes
    ----------
    embedding_ : ndarray of shape (n_samples, 2)
        Current positions (a view that later calls update in place).
    affinities_ : Affinities
    index_ : NeighborIndex
    n_samples_ : int
    """

    def __init__(self, perplexity=30.0, early_exaggeration=12.0, early_exaggeration_iter=250,
                 n_iter=500, learning_rate="auto", momentum=0.8, theta=0.5, max_step=0.005,
                 n_place=15, insert_iter=10, neighbors="auto", ann_threshold=50_000,
                 fft_threshold=20_000, n_jobs=None, random_state=None):
        self.perplexity = perplexity
        self.early_exaggeration = early_exaggeration
        self.early_exaggeration_iter = early_exaggeration_iter
        self.n_iter = n_iter
        self.learning_rate = learning_rate
        self.momentum = momentum
        self.theta = theta
        self.max_step = max_step
        self.n_place = n_place
        self.insert_iter = insert_iter
        self.neighbors = neighbors
        self.ann_threshold = ann_threshold
        self.fft_threshold = fft_threshold
        self.n_jobs = n_jobs
        self.random_state = random_state

    # ----------------------------------------------------------------- helpers
    def _validate_params(self):
        if not (isinstance(self.perplexity, (int, float)) and self.perplexity > 0):
            raise ValueError(f"perplexity must be a number > 0, got {self.perplexity!r}")
        if not 0 < self.theta <= 1.5:
            raise ValueError(f"theta must be in (0, 1.5], got {self.theta!r}")
        if self.neighbors not in ("auto", "exact", "approx"):
            raise ValueError(f"neighbors must be 'auto', 'exact' or 'approx', got {self.neighbors!r}")
        if not (self.learning_rate == "auto" or float(self.learning_rate) > 0):
            raise ValueError(f"learning_rate must be 'auto' or > 0, got {self.learning_rate!r}")
        if self.max_step < 0:
            raise ValueError(f"max_step must be >= 0 (0: no cap), got {self.max_step!r}")
        if self.n_place < 1:
            raise ValueError(f"n_place must be >= 1, got {self.n_place!r}")

    def _k(self):
        return max(1, int(3 * self.perplexity))

    def _lr(self, n, exaggeration):
        if self.learning_rate == "auto":
            return max(n / exaggeration, 50.0) / 4.0
        return float(self.learning_rate)

    def _init_state(self, n_features, capacity):
        self._rng = np.random.default_rng(self.random_state)
        cap = max(capacity, 64)
        self._Y = np.zeros((cap, 2))
        self._upd = np.zeros((cap, 2))
        self._gains = np.ones((cap, 2))
        self.n_samples_ = 0
        self.affinities_ = Affinities(self.perplexity, self._k(), capacity=cap)
        self.index_ = NeighborIndex(n_features, ann_threshold=self.ann_threshold,
                                    random_state=self.random_state, capacity=cap)
        self._tree = None
        self._Z = None
        self._scale_cached = None  # map scale as of the last whole-map step

    def reserve(self, n_samples, n_features):
        """Take the memory for a map of ``n_samples`` points now.

        A live session calls this before its first snippet: every per-point
        array then has its rows, resident (see
        :func:`~livemappr.mapping.growth.prefault`), so the map's memory does
        not grow while it is played, and no array is copied to grow until
        ``n_samples`` points are on the map. Points already on the map are kept.

        Parameters
        ----------
        n_samples : int
        n_features : int

        Returns
        -------
        self
        """
        if not isinstance(n_samples, (int, np.integer)) or n_samples < 1:
            raise ValueError(f"n_samples must be an integer >= 1, got {n_samples!r}")
        if not hasattr(self, "index_"):
            self._validate_params()
            self._init_state(int(n_features), int(n_samples))
        elif n_features != self.index_.n_features:
            raise ValueError(f"n_features is {n_features}, the map has {self.index_.n_features}")
        self._grow(int(n_samples), exact=True)
        self.affinities_.reserve(int(n_samples))
        self.index_.reserve(int(n_samples))
        prefault(self._Y, self._upd, self._gains)
        return self

    def _grow(self, need, exact=False):
        cap = self._Y.shape[0]
        if need <= cap:
            return
        cap = need if exact else grown_capacity(cap, need)
        for name, fill in (("_Y", 0.0), ("_upd", 0.0), ("_gains", 1.0)):
            old = getattr(self, name)
            new = np.full((cap, 2), fill)
            new[: self.n_samples_] = old[: self.n_samples_]
            setattr(self, name, new)

    @property
    def embedding_(self):
        return self._Y[: self.n_samples_]

    def _check_X(self, X):
        X = np.asarray(X, dtype=np.float64)
        if X.ndim == 1:
            X = X[None, :]
        if X.ndim != 2 or X.shape[0] == 0:
            raise ValueError(f"X must have shape (n_samples, n_features), got {X.shape}")
        if not np.all(np.isfinite(X)):
            raise ValueError("X contains NaN or infinity")
        if hasattr(self, "index_") and X.shape[1] != self.index_.n_features:
            raise ValueError(f"X has {X.shape[1]} features, the map has {self.index_.n_features}")
        return X

    # -------------------------------------------------------------------- fit
    def fit(self, X, y=None, init=None):
        """Map a whole data set; later :meth:`add` and :meth:`refine` continue it.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features), n_samples >= 2
        y : ignored
        init : ndarray of shape (n_samples, 2), optional
            Positions to start from (a resumed session's map): used as they
            are, without the from-scratch optimisation; :meth:`refine` settles
            them from there.

        Returns
        -------
        self
        """
        with _numba_threads(self.n_jobs):
            return self._fit(X, init=init)

    def _fit(self, X, y=None, init=None):
        self._validate_params()
        if hasattr(self, "index_"):
            del self.index_
        X = self._check_X(X)
        n = X.shape[0]
        if n < 2:
            raise ValueError(f"fit needs at least 2 samples, got {n}")
        # Room for the live session that follows: growing copies every array
        # (9 MB at n = 5000, 144 features), a few-ms stall we would rather not
        # take on an insert.
        self._init_state(X.shape[1], n + max(1024, n // 4))
        k = min(n - 1, self._k())
        use_ann = self.neighbors == "approx" or (
            self.neighbors == "auto" and self.ann_threshold is not None and n > self.ann_threshold)
        if use_ann:
            idx, dist = approximate_knn(X, k, random_state=self.random_state)
        else:
            idx, dist = exact_knn(X, k)
        self.affinities_.fit(idx, dist, capacity=self._Y.shape[0])
        self.index_.extend(X)
        if init is not None:
            Y = np.asarray(init, dtype=np.float64)
            if Y.shape != (n, 2) or not np.all(np.isfinite(Y)):
                raise ValueError(f"init must be finite positions of shape ({n}, 2), got {Y.shape}")
        else:
            Y = _pca_init(X, self.random_state)
        self._Y[:n] = Y
        self.n_samples_ = n
        Y = self._Y[:n]
        upd = self._upd[:n]
        gains = self._gains[:n]
        use_fft = self.fft_threshold is not None and n >= self.fft_threshold
        phases = () if init is not None else (
            (self.early_exaggeration, self.early_exaggeration_iter), (1.0, self.n_iter))
        for exaggeration, n_it in phases:
            lr = self._lr(n, exaggeration)
            for _ in range(n_it):
                if use_fft:
                    grad, self._Z = fftrep.gradient(Y, self.affinities_.indices, self.affinities_.P, exaggeration)
                else:
                    grad, self._Z, self._tree = bhtsne.gradient(
                        Y, self.affinities_.indices, self.affinities_.P, exaggeration, self.theta)
                # openTSNE's cap on one update (5 units) guards against a blow-up
                # in the first iterations; it never binds once the map has settled.
                bhtsne.step(Y, grad, upd, gains, lr, self.momentum, max_step=5.0)
                Y -= Y.mean(axis=0)
        if init is not None:  # no step was taken: one gradient for its normaliser
            _, self._Z, _ = bhtsne.gradient(Y, self.affinities_.indices, self.affinities_.P, 1.0, self.theta)
        upd[:] = 0.0
        self._tree = bhtsne.build_tree(Y)
        self._scale_cached = self._scale()
        return self

    def fit_transform(self, X, y=None):
        """Fit and return a copy of ``embedding_``. ndarray of shape (n_samples, 2)."""
        return self.fit(X).embedding_.copy()

    # ------------------------------------------------------------- live growth
    def partial_fit(self, X, y=None):
        """Add rows one by one (see :meth:`add`). X : ndarray of shape (m, n_features)."""
        X = self._check_X(X)
        for row in X:
            self.add(row)
        return self

    def add(self, x):
        """Place one new point on the map; nothing else moves.

        Parameters
        ----------
        x : ndarray of shape (n_features,)

        Returns
        -------
        int : the new point's index (rows of ``embedding_`` keep their index).
        """
        with _numba_threads(self.n_jobs):
            return self._add(x)

    def _add(self, x):
        x = self._check_X(x)[0]
        if not hasattr(self, "index_"):
            self._validate_params()
            self._init_state(x.shape[0], 64)
        n = self.n_samples_
        self._grow(n + 1)
        aff = self.affinities_
        if n == 0:
            self.index_.extend(x[None, :])
            aff.add(np.empty(0, np.int64), np.empty(0))
            self._Y[0] = 0.0
            self.n_samples_ = 1
            return 0
        kq = min(aff.k, n)
        idx, dist, all_d = self.index_.query(x, kq)
        changed = aff.add(idx, dist, all_d)
        self.index_.extend(x[None, :])
        Y = self._Y
        scale = self._scale_cached if self._scale_cached is not None else self._scale()
        start = np.median(Y[idx[: self.n_place]], axis=0)
        # A tiny offset so a duplicate sound does not sit exactly on its twin.
        start = start + self._rng.normal(scale=1e-3 * scale, size=2)
        if self._tree is not None and self.insert_iter > 0 and n >= 2:
            m = n + 1
            row = aff.P[n, : kq] / (2.0 * m)
            back = aff.P[changed][aff.indices[changed] == n] / (2.0 * m)
            nbr = np.concatenate([idx, changed])
            w = np.concatenate([row, back])
            start = bhtsne.refine_point(
                start, Y[nbr], w, self._Z, self._tree, theta=self.theta,
                learning_rate=self._lr(m, 1.0) / 2.0, n_iter=self.insert_iter,
                max_move=0.05 * scale)
        Y[n] = start
        self._upd[n] = 0.0
        self._gains[n] = 1.0
        self.n_samples_ = n + 1
        return n

    def _scale(self):
        # RMS radius of the map, but at least sqrt(n) / 2: a converged t-SNE map
        # keeps a roughly constant density (radius ~37 at n = 5000 here), and a map
        # grown from a single point would otherwise be capped to its own tiny size
        # and never unfold.
        n = self.n_samples_
        floor = 0.5 * np.sqrt(max(n, 1))
        if n < 2:
            return floor
        Y = self._Y[:n]
        r = np.sqrt(np.mean(np.sum((Y - Y.mean(axis=0)) ** 2, axis=1)))
        return max(r, floor)

    def refine(self, n_steps=1, max_recalibrate=None):
        """Whole-map gradient steps, each point's move capped (see ``max_step``).

        Parameters
        ----------
        n_steps : int
        max_recalibrate : int or None
            Bound on affinity rows recalibrated per call (None: all dirty ones).

        Returns
        -------
        float : the largest distance any point moved in the last step.
        """
        with _numba_threads(self.n_jobs):
            return self._refine(n_steps, max_recalibrate)

    def _refine(self, n_steps=1, max_recalibrate=None):
        if not isinstance(n_steps, (int, np.integer)) or n_steps < 1:
            raise ValueError(f"n_steps must be an integer >= 1, got {n_steps!r}")
        n = getattr(self, "n_samples_", 0)
        if n < 3:
            return 0.0
        self.affinities_.recalibrate(max_recalibrate)
        Y = self._Y[:n]
        moved = 0.0
        for _ in range(n_steps):
            before = Y.copy()
            grad, self._Z, self._tree = bhtsne.gradient(
                Y, self.affinities_.indices, self.affinities_.P, 1.0, self.theta)
            self._scale_cached = self._scale()
            cap = self.max_step * self._scale_cached
            bhtsne.step(Y, grad, self._upd[:n], self._gains[:n], self._lr(n, 1.0),
                        self.momentum, max_step=cap)
            moved = float(np.sqrt(np.max(np.sum((Y - before) ** 2, axis=1))))
        return moved
