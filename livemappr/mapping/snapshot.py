"""Immutable map snapshots, published by the map worker and read by anyone, lock-free.

Runs on: map worker (publishing); any thread (reading).

The map worker builds a new :class:`MapSnapshot` (its own copies of the arrays,
flagged read-only) and publishes it with a single attribute assignment, which is
atomic in CPython. A reader takes ``publisher.latest`` once and keeps using that
object: it can never see half an update, and nothing it holds changes under it.
Old snapshots are freed when the last reader drops them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def _frozen(a, dtype):
    out = np.array(a, dtype=dtype, copy=True)
    out.setflags(write=False)
    return out


@dataclass(frozen=True, eq=False)
class MapSnapshot:
    """One consistent state of the map.

    Attributes
    ----------
    version : int
        Increases by one with every publication.
    positions : ndarray of shape (n, 2), float64, read-only
        Map coordinates; row ``i`` is snippet ``i``.
    cluster_ids : ndarray of shape (n,), int64, read-only
        Stable cluster id of each snippet.
    cluster_centers : ndarray of shape (n_clusters, 2), float64, read-only
        Row ``c`` is the centre of cluster id ``c``.
    cluster_names : dict or None
        ``{cluster id: name}`` of the named (taught) pads; None when none is.
    """

    version: int
    positions: np.ndarray
    cluster_ids: np.ndarray
    cluster_centers: np.ndarray
    cluster_names: dict | None = None

    @property
    def n(self):
        """Number of snippets on the map."""
        return self.positions.shape[0]

    @property
    def n_clusters(self):
        return self.cluster_centers.shape[0]

    def normalized_positions(self):
        """Positions scaled into the unit square (aspect kept), as the view and OSC
        ``/livemappr/xy`` use them. ndarray of shape (n, 2)."""
        if self.n == 0:
            return np.empty((0, 2))
        lo = self.positions.min(axis=0)
        span = float((self.positions.max(axis=0) - lo).max()) or 1.0
        return (self.positions - lo) / span

    def members(self, cluster_id):
        """Snippet indices of one cluster. ndarray of int64."""
        return np.flatnonzero(self.cluster_ids == cluster_id)


EMPTY = MapSnapshot(0, _frozen(np.empty((0, 2)), np.float64),
                    _frozen(np.empty(0), np.int64), _frozen(np.empty((0, 2)), np.float64))


class SnapshotPublisher:
    """Holds the latest :class:`MapSnapshot`; one writer, any number of readers."""

    def __init__(self):
        self._latest = EMPTY

    @property
    def latest(self):
        """The most recently published snapshot (never None)."""
        return self._latest

    def publish(self, positions, cluster_ids, cluster_centers, cluster_names=None):
        """Copy, freeze and publish a new state. Writer thread only.

        Parameters
        ----------
        positions : ndarray of shape (n, 2)
        cluster_ids : ndarray of shape (n,)
        cluster_centers : ndarray of shape (n_clusters, 2)
        cluster_names : dict, optional
            ``{cluster id: name}``; copied.

        Returns
        -------
        MapSnapshot
        """
        positions = np.asarray(positions)
        cluster_ids = np.asarray(cluster_ids)
        if positions.ndim != 2 or positions.shape[1] != 2:
            raise ValueError(f"positions must have shape (n, 2), got {positions.shape}")
        if cluster_ids.shape != (positions.shape[0],):
            raise ValueError(f"cluster_ids must have shape ({positions.shape[0]},), "
                             f"got {cluster_ids.shape}")
        snap = MapSnapshot(self._latest.version + 1, _frozen(positions, np.float64),
                           _frozen(cluster_ids, np.int64),
                           _frozen(np.asarray(cluster_centers).reshape(-1, 2), np.float64),
                           dict(cluster_names) if cluster_names else None)
        self._latest = snap  # the one atomic reference swap readers rely on
        return snap
