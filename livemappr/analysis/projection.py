"""The learned projection: a snippet's descriptors to the space the map works in.

Runs on: analysis worker (``Projection.apply`` after the descriptors).

The descriptors (features.py) are a few hundred numbers on very different
scales. A projection learned offline from a labelled corpus of one-shots
(benchmarks/train_projection.py, over tests/corpus.py: hydrogen kits, GM kits
rendered from three soundfonts and a speech-synthesised vocal-percussion proxy)
standardises them and keeps the directions along which sounds of one kind
(kick, snare, hihat, ...) lie close and sounds of different kinds lie far
apart: a shrinkage linear discriminant analysis. In that space Euclidean
distance is in units of the spread within a kind, so "two clusters are really
different sounds" is a distance (mapping/clusters.py's ``min_separation``).

The weights ship in ``livemappr/data/projection.npz`` (numpy arrays, no
network, nothing downloaded) with the descriptor layout they were learned on;
a projection whose layout differs from the extractor's is refused with a
one-line error rather than applied to the wrong numbers.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from numba import njit

DEFAULT_PATH = Path(__file__).resolve().parent.parent / "data" / "projection.npz"


@njit(nogil=True, cache=True)
def _project(raw, mean, scale, components, out):
    """out[j] = sum_i (raw[i] - mean[i]) / scale[i] * components[i, j]."""
    for j in range(components.shape[1]):
        out[j] = 0.0
    for i in range(raw.shape[0]):
        z = (np.float64(raw[i]) - mean[i]) / scale[i]
        for j in range(components.shape[1]):
            out[j] += z * components[i, j]


@dataclass(frozen=True, eq=False)
class Projection:
    """Standardise, then project.

    Attributes
    ----------
    mean, scale : ndarray of shape (n_in,), float64
    components : ndarray of shape (n_in, n_out), float64
    layout : str
        The descriptor layout it was learned on (``FeatureConfig.layout``).
    info : dict
        How it was learned (corpus, classes, shrinkage), for the record.
    """

    mean: np.ndarray = field(repr=False)
    scale: np.ndarray = field(repr=False)
    components: np.ndarray = field(repr=False)
    layout: str
    info: dict = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        n_in = self.components.shape[0] if self.components.ndim == 2 else -1
        if (self.mean.shape != (n_in,) or self.scale.shape != (n_in,)
                or not np.all(np.isfinite(self.components)) or not np.all(self.scale > 0)):
            raise ValueError("projection arrays are malformed: mean and scale must have one finite "
                             "value per row of components, scale > 0")

    @property
    def min_separation(self) -> float | None:
        """How far apart (in this space) two clusters must be to be different
        sounds, as measured when it was learned; None if not recorded."""
        v = self.info.get("min_separation")
        return float(v) if isinstance(v, (int, float)) and v > 0 else None

    @property
    def like_no_pad(self) -> float | None:
        """How far (in this space) a sound may be from every example of the
        taught pads and still go to the nearest (analysis/teach.py); None if
        not recorded."""
        v = self.info.get("like_no_pad")
        return float(v) if isinstance(v, (int, float)) and v > 0 else None

    @functools.cached_property
    def digest(self) -> str:
        """A short name of this space: vectors with another digest mean other things."""
        import hashlib

        h = hashlib.sha1(self.layout.encode())
        for a in (self.mean, self.scale, self.components):
            h.update(np.ascontiguousarray(a, dtype=np.float64).tobytes())
        return h.hexdigest()[:12]

    @property
    def n_in(self) -> int:
        return int(self.components.shape[0])

    @property
    def n_out(self) -> int:
        return int(self.components.shape[1])

    def apply(self, raw: np.ndarray, out: np.ndarray) -> np.ndarray:
        """Project one descriptor vector ``raw`` (n_in,) into ``out`` (n_out,), float32."""
        _project(raw, self.mean, self.scale, self.components, out)
        return out

    def transform(self, X: np.ndarray) -> np.ndarray:
        """Project rows: ndarray of shape (n, n_in) -> (n, n_out), float32."""
        X = np.asarray(X, dtype=np.float64)
        return (((X - self.mean) / self.scale) @ self.components).astype(np.float32)

    @classmethod
    def learn(cls, X: np.ndarray, labels: np.ndarray, layout: str, shrinkage: float = 0.1,
              n_out: int | None = None, n_detail: int = 10, detail_weight: float = 0.3,
              info: dict | None = None) -> "Projection":
        """Standardise ``X`` and fit a shrinkage LDA to ``labels``.

        The within-kind scatter is shrunk towards its mean variance,
        ``(1 - shrinkage) Sw + shrinkage tr(Sw)/d I``, which keeps a few
        hundred correlated descriptors from being fitted to the corpus's
        accidents. Components are scaled so the within-kind spread along each is 1.

        Parameters
        ----------
        X : ndarray of shape (n, n_in); labels : array-like of shape (n,), >= 2 kinds
        layout : str, the descriptor layout (``FeatureConfig.layout``)
        shrinkage : float in [0, 1]
        n_out : int, optional; at most (kinds - 1), the default
        n_detail, detail_weight : the first ``n_detail`` principal components of
            the standardised descriptors, whitened and weighted by
            ``detail_weight``, follow the discriminant ones: the differences
            within a kind (a tight kick and a boomy one) that the map still
            shows, at a weight that leaves the kinds apart (measured: no change
            in k-NN agreement at 0.3).
        """
        X = np.asarray(X, dtype=np.float64)
        labels = np.asarray(labels)
        kinds, y = np.unique(labels, return_inverse=True)
        if X.ndim != 2 or X.shape[0] != labels.shape[0] or kinds.shape[0] < 2:
            raise ValueError("learn needs X of shape (n, n_in) and n labels of at least 2 kinds")
        if not 0 <= shrinkage <= 1:
            raise ValueError(f"shrinkage must be in [0, 1], got {shrinkage!r}")
        mean = X.mean(axis=0)
        scale = X.std(axis=0)
        scale[scale < 1e-9] = 1.0
        Z = (X - mean) / scale
        d = Z.shape[1]
        centres = np.stack([Z[y == c].mean(axis=0) for c in range(kinds.shape[0])])
        within = Z - centres[y]
        Sw = within.T @ within / Z.shape[0]
        Sw = (1 - shrinkage) * Sw + shrinkage * np.trace(Sw) / d * np.eye(d)
        weights = np.bincount(y) / Z.shape[0]
        B = centres * np.sqrt(weights)[:, None]
        Sb = B.T @ B
        L = np.linalg.cholesky(Sw)
        Linv = np.linalg.inv(L)
        vals, vecs = np.linalg.eigh(Linv @ Sb @ Linv.T)
        k = kinds.shape[0] - 1 if n_out is None else min(int(n_out), kinds.shape[0] - 1)
        order = np.argsort(vals)[::-1][:k]
        components = Linv.T @ vecs[:, order]
        # a sign convention, so two fits of one corpus agree
        components *= np.sign(components[np.argmax(np.abs(components), axis=0), np.arange(k)])
        n_detail = min(int(n_detail), d, Z.shape[0] - 1)
        if n_detail > 0 and detail_weight > 0:
            _, sv, vt = np.linalg.svd(Z, full_matrices=False)
            detail = vt[:n_detail].T / (sv[:n_detail] / np.sqrt(Z.shape[0]))
            detail *= np.sign(detail[np.argmax(np.abs(detail), axis=0), np.arange(n_detail)])
            components = np.hstack([components, detail_weight * detail])
        info = dict(info or {}, kinds=[str(c) for c in kinds], shrinkage=shrinkage,
                    n_discriminant=k, n_detail=n_detail, detail_weight=detail_weight,
                    n_samples=int(X.shape[0]))
        return cls(mean, scale, np.ascontiguousarray(components), layout, info)

    def save(self, path: str | Path) -> None:
        np.savez(path, mean=self.mean, scale=self.scale, components=self.components,
                 layout=np.array(self.layout), info=np.array(json.dumps(self.info)))

    @classmethod
    def load(cls, path: str | Path) -> "Projection":
        """Read one saved by :meth:`save`; ``ValueError`` naming the file if it is not one."""
        try:
            with np.load(path, allow_pickle=False) as z:
                arrays = {k: np.ascontiguousarray(z[k], dtype=np.float64)
                          for k in ("mean", "scale", "components")}
                layout = str(z["layout"])
                info = json.loads(str(z["info"]))
        except (OSError, KeyError, ValueError) as e:
            raise ValueError(f"{path}: not a livemappr projection ({e})") from None
        for a in arrays.values():
            a.setflags(write=False)
        return cls(**arrays, layout=layout, info=info)


@functools.lru_cache(maxsize=4)
def default_projection(path: str = str(DEFAULT_PATH)) -> Projection | None:
    """The shipped projection, or None where the file is absent (a checkout that
    has not trained one: the map then works on standardised-free descriptors)."""
    return Projection.load(path) if Path(path).exists() else None
