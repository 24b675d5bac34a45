"""Taught pads: a few examples per pad, and a new sound goes to the pad it is nearest.

Runs on: map worker (the live map's pads), analysis worker (the onset
decision of audio-driven triggering), the main thread (``livemappr map
--teach``). Not thread-safe: one owner changes it; others read a
:meth:`PadExamples.copy`.

A performer holds a pad and beatboxes a few sounds: they become that pad's
examples. A new sound then goes to the taught pad holding the example nearest
to it, in a space whose unit is the spread within one kind of sound (the
learned projection, analysis/projection.py), unless even the nearest example
is further than ``like_no_pad``: then it is like no taught pad and the
untaught pads' clustering takes it. Nearest example rather than nearest mean:
four examples of a snare played two ways make one pad that takes both ways.

Measured leave-sources-out on the development corpus (benchmarks/
bench_voicetrigger.py): with 4 examples a kind, sounds of the same source go to
the right pad 0.94 (Hydrogen kits), 0.95 (GM kits), 0.99 (vocal proxy) of the
time; with every kind but one taught, the untaught kind's sounds are further
than 5.0 from every example 0.88 / 0.60 / 0.91 of the time while taught kinds'
sounds are nearer 0.89 / 1.00 / 0.89: 5.0 is where the two balance, and the
balance stays within 0.03 from 4.5 to 5.5 (the projection stores it as
``like_no_pad``).
"""

from __future__ import annotations

import re

import numpy as np

__all__ = ["PadExamples", "valid_pad_name", "MAX_EXAMPLES", "MAX_NAME"]

#: Examples kept a pad: the newest win (a performer re-teaching a pad replaces
#: the oldest). Enough for the ways one kind is played, few enough to search
#: in microseconds.
MAX_EXAMPLES = 32
MAX_NAME = 40
_NAME = re.compile(r"^[^\x00-\x1f\x7f]{1,40}$")


def valid_pad_name(name) -> str:
    """``name`` stripped, or ``ValueError`` naming what a pad name may be."""
    if not isinstance(name, str) or not _NAME.match(name.strip() or "\x00"):
        shown = repr(name) if len(repr(name)) <= 60 else repr(name)[:57] + "..."
        raise ValueError(f"a pad name must be 1..{MAX_NAME} printable characters, got {shown}")
    return name.strip()


class PadExamples:
    """Each taught pad's examples in one feature space.

    Parameters
    ----------
    n_pads : int
        Pads are ``0 .. n_pads - 1`` (the cluster ids they play).
    like_no_pad : float or None
        A sound further than this from every example is like no taught pad;
        None: every sound goes to its nearest taught pad.
    """

    def __init__(self, n_pads: int = 16, like_no_pad: float | None = None):
        if not (isinstance(n_pads, int) and 1 <= n_pads <= 1024):
            raise ValueError(f"n_pads must be an integer in 1..1024, got {n_pads!r}")
        if like_no_pad is not None and not (np.isfinite(like_no_pad) and like_no_pad > 0):
            raise ValueError(f"like_no_pad must be None or > 0, got {like_no_pad!r}")
        self.n_pads = n_pads
        self.like_no_pad = None if like_no_pad is None else float(like_no_pad)
        self._examples: dict[int, np.ndarray] = {}
        self._names: dict[int, str] = {}
        self._flat = None  # (vectors, pad of each row), rebuilt on change

    # ------------------------------------------------------------ teaching
    def _pad(self, pad) -> int:
        if isinstance(pad, bool) or not (isinstance(pad, (int, np.integer)) and 0 <= pad < self.n_pads):
            raise ValueError(f"pad must be 0..{self.n_pads - 1} (pad 1..{self.n_pads}), got {pad!r}")
        return int(pad)

    def teach(self, pad: int, x) -> None:
        """Add ``x`` (ndarray of shape (n_features,)) to ``pad``'s examples."""
        pad = self._pad(pad)
        x = np.asarray(x, dtype=np.float64).reshape(1, -1)
        if not np.all(np.isfinite(x)):
            raise ValueError("an example must be finite")
        if self.n_features not in (None, x.shape[1]):
            raise ValueError(f"an example must have {self.n_features} values, got {x.shape[1]}")
        old = self._examples.get(pad)
        self._examples[pad] = x if old is None else np.vstack([old, x])[-MAX_EXAMPLES:]
        self._flat = None

    def forget(self, pad: int) -> bool:
        """Drop ``pad``'s examples and name. Returns whether it was taught."""
        pad = self._pad(pad)
        self._names.pop(pad, None)
        self._flat = None
        return self._examples.pop(pad, None) is not None

    def name(self, pad: int, name: str | None) -> None:
        """Name a pad ("kick"); None removes the name. A name alone does not teach it."""
        pad = self._pad(pad)
        if name is None:
            self._names.pop(pad, None)
        else:
            self._names[pad] = valid_pad_name(name)

    # ------------------------------------------------------------ reading
    @property
    def pads(self) -> list[int]:
        """The taught pads, ascending."""
        return sorted(self._examples)

    @property
    def names(self) -> dict[int, str]:
        """``{pad: name}`` of the named pads (taught or not)."""
        return dict(self._names)

    @property
    def n_features(self) -> int | None:
        for e in self._examples.values():
            return int(e.shape[1])
        return None

    def examples(self, pad: int) -> np.ndarray:
        """ndarray of shape (n_examples, n_features), a copy; empty when untaught."""
        e = self._examples.get(self._pad(pad))
        return np.empty((0, self.n_features or 0)) if e is None else e.copy()

    def __len__(self) -> int:
        return len(self._examples)

    def copy(self) -> "PadExamples":
        other = PadExamples(self.n_pads, self.like_no_pad)
        other._examples = {p: e.copy() for p, e in self._examples.items()}
        other._names = dict(self._names)
        return other

    def classify(self, X) -> tuple[np.ndarray, np.ndarray]:
        """The taught pad of each row of ``X``.

        Parameters
        ----------
        X : ndarray of shape (n, n_features) or (n_features,)

        Returns
        -------
        pads : ndarray of shape (n,), int64
            The pad of the nearest example; -1 where no pad is taught or the
            nearest example is further than ``like_no_pad``.
        distance : ndarray of shape (n,), float64
            Distance to the nearest example (inf where none is taught).
        """
        X = np.asarray(X, dtype=np.float64)
        X = X.reshape(1, -1) if X.ndim == 1 else X
        n = X.shape[0]
        if not self._examples:
            return np.full(n, -1, np.int64), np.full(n, np.inf)
        if X.shape[1] != self.n_features:
            raise ValueError(f"X must have {self.n_features} values a row, got {X.shape[1]}")
        if self._flat is None:
            pads = self.pads
            self._flat = (np.vstack([self._examples[p] for p in pads]),
                          np.concatenate([np.full(self._examples[p].shape[0], p, np.int64) for p in pads]))
        E, owner = self._flat
        # |x - e|^2 = |x|^2 - 2 x.e + |e|^2, in blocks so a library of 100k rows stays small
        d2 = np.empty(n)
        best = np.empty(n, np.int64)
        e2 = (E * E).sum(axis=1)
        for a in range(0, n, 4096):
            B = X[a:a + 4096]
            D = (B * B).sum(axis=1)[:, None] - 2.0 * (B @ E.T) + e2[None, :]
            j = np.argmin(D, axis=1)
            best[a:a + 4096] = owner[j]
            d2[a:a + 4096] = D[np.arange(B.shape[0]), j]
        distance = np.sqrt(np.maximum(d2, 0.0))
        if self.like_no_pad is not None:
            best[distance > self.like_no_pad] = -1
        return best, distance

    # ------------------------------------------------------------ files
    def to_json(self, space: str | None = None) -> list[dict]:
        """Each taught or named pad as ``{"id", "name", "examples"}`` (map.json's
        ``pads``; docs/map-json.md); ``space`` names the feature space."""
        out = []
        for p in sorted(set(self._examples) | set(self._names)):
            d = {"id": p}
            if p in self._names:
                d["name"] = self._names[p]
            e = self._examples.get(p)
            d["examples"] = [] if e is None else [[float(f"{v:.6g}") for v in row] for row in e]
            if space is not None:
                d["space"] = space
            out.append(d)
        return out

    @classmethod
    def from_json(cls, items, n_pads: int = 16, like_no_pad: float | None = None,
                  space: str | None = None) -> "PadExamples":
        """Pads from :meth:`to_json`'s list (already validated by files/mapfile.py).
        Examples learned in another ``space`` are dropped (the names stay): they
        would be compared with numbers that mean something else."""
        pads = cls(n_pads, like_no_pad)
        for d in items:
            p = int(d["id"])
            if p >= n_pads:
                continue
            if d.get("name"):
                pads.name(p, d["name"])
            if space is not None and d.get("space") not in (None, space):
                continue
            for row in d.get("examples", ()):
                pads.teach(p, row)
        return pads
