"""The read-only view of the map that the control surfaces play from.

Runs on: whichever thread builds a snapshot (the session, when the mapping
worker publishes); readers (OSC, MIDI, the trigger's stepper) only read.

The mapping worker publishes immutable snapshots (positions, cluster ids,
version); the session attaches the bank slot of each snippet (and, if it
likes, a loudness). A :class:`PlayableMap` is frozen and its arrays are
read-only, so a reader holding one never sees it change: publishing a new map
is one reference assignment (:class:`SnapshotRef`), which is atomic in
CPython, so readers never lock.

Everything a trigger needs per cluster (members, the member nearest the
centre, members ordered by loudness) is computed once here, not per hit.
"""

from dataclasses import dataclass, field

import numpy as np

from livemappr.realtime.bank import PUBLISHED


def _frozen(a, dtype, name, shape_tail=()):
    a = np.array(a, dtype=dtype, copy=True)
    if a.ndim != 1 + len(shape_tail) or a.shape[1:] != shape_tail:
        want = "(n" + "".join(f", {d}" for d in shape_tail) + ")"
        raise ValueError(f"{name} must have shape {want}, got {a.shape}")
    a.setflags(write=False)
    return a


@dataclass(frozen=True, eq=False)
class PlayableMap:
    """One published state of the map.

    Parameters
    ----------
    positions : array-like of shape (n, 2)
        Map coordinates of each snippet (any scale; normalised here for XY).
    cluster_ids : array-like of shape (n,)
        Cluster of each snippet; -1 for noise / not yet clustered.
    slots : array-like of shape (n,)
        Bank slot of each snippet; -1 where the snippet has no slot (yet).
    version : int
        Increases with every publication.
    loudness : array-like of shape (n,), optional
        Any monotonic loudness measure (dB, RMS); needed by the ``velocity``
        choice only (see :func:`loudness_from_bank`).
    cluster_names : mapping or sequence, optional
        A name per cluster where one is known (a taught name like "kick", a
        dominant type): ``{cluster id: name}`` or a sequence indexed by
        cluster id (None or "" for none). Shown beside the cluster's letter
        in the map view; None (the default) shows letters only.
    """

    positions: np.ndarray
    cluster_ids: np.ndarray
    slots: np.ndarray
    version: int = 0
    loudness: np.ndarray | None = None
    cluster_names: object = None
    attacks: np.ndarray | None = None  # frames from each snippet's start to its onset (its pre-roll)
    # Derived once, read by every trigger.
    unit: np.ndarray = field(init=False, repr=False)
    members: tuple = field(init=False, repr=False)
    by_loudness: tuple = field(init=False, repr=False)
    centre_member: np.ndarray = field(init=False, repr=False)

    def __post_init__(self):
        pos = _frozen(self.positions, np.float64, "positions", (2,))
        n = pos.shape[0]
        cid = _frozen(self.cluster_ids, np.int64, "cluster_ids")
        slots = _frozen(self.slots, np.int64, "slots")
        for name, a in (("cluster_ids", cid), ("slots", slots)):
            if a.shape[0] != n:
                raise ValueError(f"{name} must have {n} entries (one per position), got {a.shape[0]}")
        if not np.isfinite(pos).all():
            raise ValueError("positions must be finite")
        loud = None
        if self.loudness is not None:
            loud = _frozen(self.loudness, np.float64, "loudness")
            if loud.shape[0] != n:
                raise ValueError(f"loudness must have {n} entries, got {loud.shape[0]}")
        set_ = object.__setattr__
        set_(self, "positions", pos)
        set_(self, "cluster_ids", cid)
        set_(self, "slots", slots)
        set_(self, "loudness", loud)
        if self.attacks is not None:
            att = _frozen(self.attacks, np.int64, "attacks")
            if att.shape[0] != n:
                raise ValueError(f"attacks must have {n} entries, got {att.shape[0]}")
            set_(self, "attacks", att)
        set_(self, "version", int(self.version))
        # The XY pad speaks 0..1: the map's bounding box from its lower
        # corner, scaled by its longer side (aspect kept), exactly as the
        # mapping side's ``normalized_positions`` does for the map view, so a
        # point on the pad is the same point in the view.
        if n:
            lo = pos.min(axis=0)
            span = float((pos.max(axis=0) - lo).max()) or 1.0
            unit = (pos - lo) / span
        else:
            unit = pos.copy()
        unit.setflags(write=False)
        set_(self, "unit", unit)
        # Group the playable snippets by cluster with one stable sort (not a
        # pass over all n per cluster): a snapshot is built for every map step.
        playable = slots >= 0
        n_clusters = int(cid.max()) + 1 if n and cid.max() >= 0 else 0
        ok = np.flatnonzero(playable & (cid >= 0))
        order = ok[np.argsort(cid[ok], kind="stable")]  # by cluster, then index
        bounds = np.searchsorted(cid[order], np.arange(n_clusters + 1))
        members = [order[bounds[c]:bounds[c + 1]] for c in range(n_clusters)]
        for m in members:
            m.setflags(write=False)
        centre = np.full(n_clusters, -1, np.int64)
        if order.size:
            c_of = cid[order]
            counts = np.bincount(c_of, minlength=n_clusters)
            mean = np.stack([np.bincount(c_of, pos[order, j], n_clusters) for j in range(2)], axis=1)
            mean /= np.maximum(counts, 1)[:, None]
            d = ((pos[order] - mean[c_of]) ** 2).sum(axis=1)
            nearest = order[np.lexsort((d, c_of))]  # per cluster, nearest its mean first
            has = counts > 0
            centre[has] = nearest[bounds[:-1][has]]
        if loud is not None:
            by_loud_all = ok[np.lexsort((loud[ok], cid[ok]))]  # by cluster, then loudness, then index
            by_loud = [by_loud_all[bounds[c]:bounds[c + 1]] for c in range(n_clusters)]
        else:
            by_loud = members
        for m in by_loud:
            m.setflags(write=False)
        centre.setflags(write=False)
        set_(self, "members", tuple(members))
        set_(self, "by_loudness", tuple(by_loud))
        set_(self, "centre_member", centre)

    def __len__(self):
        return self.positions.shape[0]

    @property
    def n_clusters(self):
        return len(self.members)

    def cluster_sizes(self):
        """Playable snippets per cluster, ndarray of shape (n_clusters,)."""
        return np.array([m.size for m in self.members], np.int64)

    def nearest(self, x, y):
        """Index of the playable snippet nearest the normalised point (x, y), or -1."""
        ok = np.flatnonzero(self.slots >= 0)
        if ok.size == 0:
            return -1
        d = (self.unit[ok, 0] - x) ** 2 + (self.unit[ok, 1] - y) ** 2
        return int(ok[np.argmin(d)])

    def with_slots(self, slots, loudness=None):
        """The same map with bank slots (and loudness) attached by the session."""
        return PlayableMap(self.positions, self.cluster_ids, slots, self.version,
                           self.loudness if loudness is None else loudness, self.cluster_names, self.attacks)


def from_published(snapshot, items):
    """The control view of a map worker's publication.

    Parameters
    ----------
    snapshot : object
        What the mapping side publishes: ``version``, ``positions`` (n, 2)
        and ``cluster_ids`` (n,) (``livemappr.mapping.snapshot.MapSnapshot``;
        read by attribute, so control/ does not import the mapping thread's
        modules); ``cluster_names`` too when it has one (see
        :class:`PlayableMap`).
    items : sequence
        The snippets in map order (row ``i`` is snippet ``i``): a table whose
        ``slot`` and ``rms_db`` are arrays (the map worker's SnippetTable,
        read as columns: nothing is walked, 30 times a second over thousands
        of snippets), or any sequence of snippets each with a bank ``slot``
        (-1 for none) and optionally ``rms_db`` (the loudness the ``velocity``
        choice orders by). Rows without an item get no slot.

    Returns
    -------
    PlayableMap
    """
    n = len(snapshot.positions)
    slots = np.full(n, -1, np.int64)
    loud = np.full(n, -np.inf)
    attacks = np.zeros(n, np.int64)
    m = min(n, len(items))
    if isinstance(getattr(items, "slot", None), np.ndarray):
        items = items[:m]  # one length for every column
        slots[:m] = items.slot
        loud[:m] = items.rms_db
        attacks[:m] = np.maximum(items.onset - items.start, 0)
    else:
        for i, it in enumerate(items[:m]):
            slots[i] = int(getattr(it, "slot", -1))
            loud[i] = float(getattr(it, "rms_db", -np.inf))
            attacks[i] = max(int(getattr(it, "onset", 0)) - int(getattr(it, "start", 0)), 0)
    return PlayableMap(snapshot.positions, snapshot.cluster_ids, slots, snapshot.version, loud,
                       getattr(snapshot, "cluster_names", None), attacks)


EMPTY = PlayableMap(np.zeros((0, 2)), np.zeros(0, np.int64), np.zeros(0, np.int64), version=0)


class SnapshotRef:
    """The current snapshot: one reference, swapped whole, read without locks."""

    def __init__(self, snapshot=None):
        self._snap = snapshot if snapshot is not None else EMPTY

    def get(self):
        return self._snap

    def publish(self, snapshot):
        """Make ``snapshot`` current (any thread). Returns it."""
        if not isinstance(snapshot, PlayableMap):
            raise TypeError(f"snapshot must be a PlayableMap, got {type(snapshot).__name__}")
        self._snap = snapshot
        return snapshot


def loudness_from_bank(engine, slots):
    """RMS level in dB of each bank slot, -inf for ``-1`` or a slot not
    published (empty, being filled or retiring: its audio is not the sound's).

    Parameters
    ----------
    engine : livemappr.audio.engine.Engine
    slots : array-like of shape (n,)

    Returns
    -------
    ndarray of shape (n,), float64
    """
    st = engine.state
    out = np.full(len(slots), -np.inf)
    for i, s in enumerate(np.asarray(slots, np.int64)):
        if 0 <= s < st.slot_len.shape[0] and st.slot_state[s] == PUBLISHED and st.slot_len[s] > 0:
            a = st.pool[st.slot_start[s]:st.slot_start[s] + st.slot_len[s]] * float(st.slot_scale[s])
            out[i] = 10 * np.log10(max(float(np.mean(a * a)), 1e-20))
    return out
