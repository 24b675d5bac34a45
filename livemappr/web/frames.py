"""What the web view sends: the map as compact binary frames, the session's
waveform as peaks.

Runs on: the web thread (``livemappr-web``); pure functions and one small
class, no I/O.

A map frame is one binary WebSocket message, little-endian::

    offset  type        what
    0       u8          kind: 1 full, 2 diff
    1       u8[3]       zero
    4       u32         version of the map after this frame
    8       u32         version the diff applies to (the full frame: 0)
    12      u32         n, points on the map after this frame
    16      u32         m, points carried (full: m == n)
    20      u32         zero
    24      u32[m]      point indices (diff only)
    ...     u16[m]      x, 0..65535 over the map's unit square (0..1)
    ...     u16[m]      y
    ...     i8[m]       cluster (-1: not clustered)

Positions are the control snapshot's ``unit`` coordinates (the XY pad's
0..1 space), quantised to 16 bits: 1/65535 of the map is far below a
pixel, and 16 bits halve a frame against float32. A diff carries the points
whose quantised position or cluster changed, plus every new point; when more
than half the map changed (t-SNE moves every point while it settles) the full
frame is the smaller one and is sent instead. At 5,000 points a full frame
is 25 kB.

Cluster names travel as JSON text beside the frames, only when they change
(and to each new client): ``{"t": "names", "names": {"3": "kick"}}``, the
cluster id as a string, only the clusters that have a name (see
:func:`cluster_names`); ``{}`` when none has.
"""

import struct

import numpy as np

FULL, DIFF = 1, 2
HEADER = struct.Struct("<B3xIIIII")
_SCALE = 65535.0


class MapState:
    """The last map state sent to every client, and the frames that move it on.

    Attributes
    ----------
    version : int
        Map version of the state (0: nothing sent yet).
    n : int
        Points in the state.
    """

    def __init__(self):
        self.version = 0
        self.qx = np.zeros(0, np.uint16)
        self.qy = np.zeros(0, np.uint16)
        self.cid = np.zeros(0, np.int8)
        self._full = None

    @property
    def n(self):
        return self.qx.shape[0]

    def update(self, unit, cluster_ids, version):
        """Move the state to a new map; returns the frame that tells a client.

        Parameters
        ----------
        unit : ndarray of shape (n, 2)
            Positions in 0..1 (``PlayableMap.unit``).
        cluster_ids : ndarray of shape (n,)
        version : int
            Must differ from the current one.

        Returns
        -------
        bytes or None
            A diff (or full) frame; None if nothing a client sees changed.
        """
        qx, qy, cid = quantise(unit, cluster_ids)
        n_old, n = self.n, qx.shape[0]
        base = self.version
        if n < n_old:  # a map that shrank (a new session): start over
            changed = np.arange(n)
        else:
            k = n_old
            moved = (qx[:k] != self.qx) | (qy[:k] != self.qy) | (cid[:k] != self.cid)
            changed = np.concatenate([np.flatnonzero(moved), np.arange(k, n)])
        self.qx, self.qy, self.cid, self.version = qx, qy, cid, int(version)
        self._full = None
        if changed.size == 0 and n == n_old:
            return None
        if n < n_old or 2 * changed.size > n:
            return self.full()
        idx = changed.astype(np.uint32)
        return b"".join((HEADER.pack(DIFF, self.version, base, n, idx.size, 0), idx.tobytes(),
                         qx[idx].tobytes(), qy[idx].tobytes(), cid[idx].tobytes()))

    def full(self):
        """The whole state as one frame (what a new client gets first)."""
        if self._full is None:
            self._full = b"".join((HEADER.pack(FULL, self.version, 0, self.n, self.n, 0),
                                   self.qx.tobytes(), self.qy.tobytes(), self.cid.tobytes()))
        return self._full


def quantise(unit, cluster_ids):
    """Unit positions and cluster ids as the frame carries them.

    Returns
    -------
    qx, qy : ndarray of shape (n,), uint16
    cid : ndarray of shape (n,), int8
    """
    u = np.clip(np.asarray(unit, np.float64).reshape(-1, 2), 0.0, 1.0)
    q = np.rint(u * _SCALE).astype(np.uint16)
    cid = np.clip(np.asarray(cluster_ids, np.int64), -1, 127).astype(np.int8)
    return np.ascontiguousarray(q[:, 0]), np.ascontiguousarray(q[:, 1]), cid


NAME_CHARS = 40


def cluster_names(names):
    """A snapshot's ``cluster_names`` as the page gets them.

    Parameters
    ----------
    names : mapping, sequence or None
        ``{cluster id: name}`` or a sequence indexed by cluster id; None,
        "" or a missing entry mean "no name".

    Returns
    -------
    dict
        ``{"3": "kick"}``: ids >= 0 as strings, names as text cut to
        ``NAME_CHARS`` characters, only the non-empty ones.
    """
    if names is None:
        return {}
    items = names.items() if hasattr(names, "items") else enumerate(names)
    out = {}
    for c, name in items:
        try:
            c = int(c)
        except (TypeError, ValueError):
            continue
        if c < 0 or name is None:
            continue
        text = " ".join(str(name).split())[:NAME_CHARS]
        if text:
            out[str(c)] = text
    return out


def decode(frame):
    """A frame back as a dict (tests and the benchmark read frames with it).

    Returns
    -------
    dict
        ``kind``, ``version``, ``base``, ``n``, ``index`` (m,), ``x``, ``y``
        (m,) in 0..1, ``cluster`` (m,).
    """
    kind, version, base, n, m, _ = HEADER.unpack_from(frame, 0)
    if kind not in (FULL, DIFF):
        raise ValueError(f"frame kind must be {FULL} (full) or {DIFF} (diff), got {kind}")
    off = HEADER.size
    if kind == DIFF:
        index = np.frombuffer(frame, np.uint32, m, off)
        off += 4 * m
    else:
        index = np.arange(m, dtype=np.uint32)
    x = np.frombuffer(frame, np.uint16, m, off) / _SCALE
    y = np.frombuffer(frame, np.uint16, m, off + 2 * m) / _SCALE
    cluster = np.frombuffer(frame, np.int8, m, off + 4 * m)
    return {"kind": kind, "version": version, "base": base, "n": n, "index": index, "x": x, "y": y,
            "cluster": cluster}


class Peaks:
    """The session's input as a strip of peaks, one per ``bin_frames``.

    Parameters
    ----------
    reader : RingReader
        A reader of the capture ring of its own (the web thread's).
    bin_frames : int
        Frames per peak (1/20 s is a bar every 50 ms).
    max_bins : int
        Bins kept for clients that join late (the oldest go first).
    """

    def __init__(self, reader, bin_frames, max_bins=1 << 17):
        self.reader = reader
        self.bin_frames = int(bin_frames)
        self.max_bins = int(max_bins)
        self.bins = bytearray()  # 0..255 per bin, a square-root scale (quiet sounds stay visible)
        self.first = 0  # bin number of bins[0]
        self._partial = 0.0
        self._partial_frames = 0

    def poll(self):
        """Read what the mic captured since the last call. Returns the new bins (bytes)."""
        read = self.reader.read()
        new = bytearray()
        for part in (read.first, read.second):
            a = np.abs(np.asarray(part, np.float32)).max(axis=1) if part.size else np.zeros(0, np.float32)
            i = 0
            while i < a.shape[0]:
                take = min(self.bin_frames - self._partial_frames, a.shape[0] - i)
                self._partial = max(self._partial, float(a[i:i + take].max()))
                self._partial_frames += take
                i += take
                if self._partial_frames == self.bin_frames:
                    new.append(min(255, int(round(255 * np.sqrt(min(self._partial, 1.0))))))
                    self._partial, self._partial_frames = 0.0, 0
        self.bins += new
        if len(self.bins) > self.max_bins:
            drop = len(self.bins) - self.max_bins
            del self.bins[:drop]
            self.first += drop
        return bytes(new)


def plain(value):
    """JSON for what ``json`` cannot write or a browser cannot read: numpy
    numbers, and infinities and NaN (the status line's -inf dB) as null."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, (str, bool)) or value is None:
        return value
    try:
        f = float(value)
    except (TypeError, ValueError):
        return str(value)
    if f != f or f in (float("inf"), float("-inf")):
        return None
    return int(value) if isinstance(value, int) or (hasattr(value, "dtype") and value.dtype.kind in "iu") else f
