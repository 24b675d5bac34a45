"""The library index: every file's feature vectors, kept between runs of ``livemappr map``.

Runs on: the main thread of ``livemappr map`` (one writer; no locks).

A file is known by its path, size and modification time (and how it was cut:
a one-shot, or a track sliced with given settings); a file whose three still
match is not analysed again. The whole index is keyed by what makes the
vectors (the feature layout, the projection's digest, the sample rate): any
of them changed, every file is analysed again.

Format: numpy ``.npz`` files, each holding its arrays and a JSON header (the
files' keys and row counts, the key of the vectors). Why not SQLite: the map
needs every vector at once as one ``(n, d)`` array, which an ``.npz`` gives
in one read (100,000 x 48 float32, 19 MB: tens of ms), where SQLite would
hand back 100,000 blobs to join in Python; and the crash safety we need is
per batch, which a temporary file renamed over its name gives as well as a
transaction does, without a dependency on the file's schema.

In the library's folder (``OUT/index/``)::

    index.npz            every file as of the last finished run, with the
                         map's positions and clusters of its sounds and
                         their neighbour graph (finding it again takes most
                         of a grown 100,000-sound map's time)
    batch-000001.npz     files analysed since, a batch a file, written while
                         the features are computed: a run killed half-way
                         loses at most the batch it was filling

Every file is written to a temporary name, flushed to disk and renamed over
its name, so a reader sees the old file or the new one, never half of one.
A damaged or foreign file is reported in one line and left out (its files are
analysed again); nothing outside the library's folder is ever written or
removed.
"""

from __future__ import annotations

import json
import os
import pathlib
import re
import zipfile
from dataclasses import dataclass

import numpy as np

from livemappr.errors import UsageError
from livemappr.files.textfile import loads_json

__all__ = ["Entry", "Library", "FOLDER", "library_key"]

FORMAT = "livemappr-index"
VERSION = 1
#: The library's folder inside a map's ``--out`` folder.
FOLDER = "index"
INDEX = "index.npz"
_BATCH = re.compile(r"batch-(\d{6,})\.npz")
_TMP = re.compile(r"\..+\.tmp-\d+")
#: The largest cluster id kept (map.json's bound: the engine has at most 64).
MAX_LABEL = 1023
#: The largest header read (100,000 files take ~12 MB).
MAX_HEADER = 256 * 1024 * 1024


def library_key(extractor, samplerate):
    """What makes the vectors of ``extractor`` at ``samplerate``: the key of a
    library index; another key, other vectors."""
    projection = extractor.projection
    return {"layout": extractor.config.layout, "samplerate": int(samplerate),
            "space": projection.digest if projection is not None else None,
            "n_features": int(extractor.n_features)}


@dataclass
class Entry:
    """One file of the library and its sounds.

    ``stamp`` is ``(size, mtime_ns)``; ``how`` says how it was cut (``"shot"``,
    or a track's slicing); ``error`` why it could not be read (it then has no
    rows; remembered, so an unreadable file is not read again either).
    ``vectors`` (k, d) float32, ``starts``/``ends`` (k,) frames; ``positions``
    (k, 2) and ``labels`` (k,) where the last finished map placed them, else None.
    """

    path: str
    stamp: tuple
    how: str
    error: str | None
    vectors: np.ndarray
    starts: np.ndarray
    ends: np.ndarray
    positions: np.ndarray | None = None
    labels: np.ndarray | None = None


class Library:
    """The index in ``folder``, for vectors made as ``key`` says.

    Parameters
    ----------
    folder : path
        The library's folder (created if missing).
    key : dict
        What makes the vectors: ``layout``, ``space`` (a projection's digest
        or None), ``samplerate``, ``n_features``. Files made with another key
        are not used.
    log : callable(str) or None
        Told, one line each, about damaged or foreign files left out.
    read_only : bool
        Only read (``livemappr similar``): nothing is created or cleaned up,
        so a ``map`` running on the same library meanwhile is left alone.
    """

    def __init__(self, folder, key, log=None, read_only=False):
        self.folder = pathlib.Path(folder)
        self.key = dict(key)
        self.n_features = int(key["n_features"])
        self.log = log or (lambda message: None)
        #: path -> Entry, in the order of the last finished map, then as analysed
        self.entries = {}
        #: what the last finished run noted beside its map (the clusters it made)
        self.meta = {}
        self._main = []  # index.npz's entries, in its order
        self._graph = None  # its rows' neighbour graph (indices, distances), where kept
        if self.folder.exists() and not self.folder.is_dir():
            raise UsageError(f"{self.folder}: a file where the library index goes; move it or choose another --out")
        if not read_only:
            self.folder.mkdir(parents=True, exist_ok=True)
            for p in self.folder.iterdir():
                if _TMP.fullmatch(p.name):  # a write a kill cut short
                    p.unlink(missing_ok=True)
        elif not self.folder.is_dir():
            return
        index = self.folder / INDEX
        if index.exists() and not index.is_file():
            raise UsageError(f"{index}: not a library index file (it is written over at every run); move it away")
        if index.exists():
            self._load(index, main=True)
        for p in self._batches():
            self._load(p)

    # ----------------------------------------------------------------- reading
    def get(self, path, stamp, how):
        """The entry of ``path`` if its size, time and cutting still match, else None."""
        e = self.entries.get(path)
        return e if e is not None and e.stamp == tuple(stamp) and e.how == how else None

    def _batches(self):
        found = [(int(m.group(1)), p) for p in self.folder.iterdir() if (m := _BATCH.fullmatch(p.name))]
        return [p for _, p in sorted(found)]

    def _load(self, path, main=False):
        try:
            head, arrays = _read(path, self.n_features)
        except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile, UnicodeError, RecursionError) as e:
            text = " ".join(str(e).split())[:160] or type(e).__name__
            self.log(f"library index {path} is damaged ({text}): its sounds are analysed again")
            return
        if head.get("key") != self.key:
            self.log(f"library index {path} was made with other features ({_difference(head.get('key'), self.key)}): "
                     f"its sounds are analysed again")
            return
        if main:
            self.meta = head.get("meta") if isinstance(head.get("meta"), dict) else {}
            self._main = list(_entries(head["files"], arrays))
            self._graph = arrays["graph"]
            for e in self._main:
                self.entries[e.path] = e
            return
        for e in _entries(head["files"], arrays):
            self.entries.pop(e.path, None)  # a later batch's analysis wins, at the end of the order
            self.entries[e.path] = e

    def graph_of(self, entries):
        """The neighbour graph ``(indices, distances)`` the last run kept for the
        rows of ``entries``, or None: kept only where ``entries`` are exactly
        index.npz's mapped files, unchanged and in its order (a removed, changed
        or re-analysed file and the graph is made again)."""
        if self._graph is None:
            return None
        mine = [e for e in self._main if e.vectors.shape[0] and e.positions is not None]
        if len(mine) != len(entries) or any(a is not b for a, b in zip(mine, entries)):
            return None
        if any(e.vectors.shape[0] and e.positions is None for e in self._main):
            return None
        return self._graph

    # ----------------------------------------------------------------- writing
    def add_batch(self, entries):
        """Keep freshly analysed ``entries`` now, in a batch file of their own."""
        if not entries:
            return
        batches = self._batches()
        number = int(_BATCH.fullmatch(batches[-1].name).group(1)) + 1 if batches else 1
        self._write(f"batch-{number:06d}.npz", entries, {})
        for e in entries:
            self.entries.pop(e.path, None)
            self.entries[e.path] = e

    def commit(self, entries, positions=None, labels=None, meta=None, graph=None):
        """Make ``index.npz`` hold exactly ``entries`` (:class:`Entry`, in map
        order), and drop the batch files (their entries are in it now).

        ``positions`` (n_rows, 2) and ``labels`` (n_rows,) are the map of all
        their rows, in the same order; without them each entry keeps its own.
        An entry without a stamp (its file could not even be looked at) takes
        its rows' place but is not kept. ``graph``: the map's neighbour graph
        ``(indices, distances)``, a row for each of those rows, kept so the
        next run need not find it again (:meth:`graph_of`); left out where a
        row is not kept.
        """
        if positions is not None:
            at = 0
            for e in entries:
                k = e.vectors.shape[0]
                e.positions = np.asarray(positions[at:at + k], np.float64).copy()
                e.labels = np.asarray(labels[at:at + k], np.int64).copy()
                at += k
        keep = [e for e in entries if e.stamp is not None]
        if meta is not None:
            self.meta = dict(meta)
        if graph is not None and len(keep) == len(entries):
            n = sum(e.vectors.shape[0] for e in keep)
            graph = (np.asarray(graph[0], np.int32), np.asarray(graph[1], np.float32))
            if not (graph[0].shape == graph[1].shape and graph[0].ndim == 2 and graph[0].shape[0] == n):
                graph = None
        else:
            graph = None
        old_batches = self._batches()
        self._write(INDEX, keep, self.meta, graph)
        for p in old_batches:
            p.unlink(missing_ok=True)
        self.entries = {e.path: e for e in keep}
        self._main = keep
        self._graph = None if graph is None else (graph[0].astype(np.int64), graph[1].astype(np.float64))

    def _write(self, name, entries, meta, graph=None):
        files = [{"path": e.path, "size": e.stamp[0], "mtime_ns": e.stamp[1], "how": e.how, "error": e.error,
                  "rows": int(e.vectors.shape[0])} for e in entries]
        head = {"format": FORMAT, "version": VERSION, "key": self.key, "meta": meta, "files": files}
        d = self.n_features
        arrays = {
            "header": np.frombuffer(json.dumps(head).encode("ascii"), np.uint8),
            "vectors": _cat([e.vectors for e in entries], np.float32, (0, d)),
            "starts": _cat([e.starts for e in entries], np.int64, (0,)),
            "ends": _cat([e.ends for e in entries], np.int64, (0,)),
            "positions": _cat([e.positions if e.positions is not None else np.full((e.vectors.shape[0], 2), np.nan)
                               for e in entries], np.float64, (0, 2)),
            "labels": _cat([e.labels if e.labels is not None else np.full(e.vectors.shape[0], -1)
                            for e in entries], np.int64, (0,)),
        }
        if graph is not None:
            arrays["graph_indices"], arrays["graph_distances"] = graph
        path = self.folder / name
        tmp = self.folder / f".{name}.tmp-{os.getpid()}"
        try:
            with open(tmp, "wb") as f:
                np.savez(f, **arrays)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
        _sync_folder(self.folder)


def _cat(parts, dtype, empty_shape):
    parts = [np.asarray(p, dtype) for p in parts]
    return np.concatenate(parts) if parts else np.empty(empty_shape, dtype)


def _sync_folder(folder):
    """The rename itself on disk (POSIX: fsync the folder); best effort elsewhere."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _read(path, n_features):
    """The header and arrays of one index file, checked to fit together."""
    with np.load(path, allow_pickle=False) as z:
        arrays = {name: z[name] for name in ("header", "vectors", "starts", "ends", "positions", "labels")}
        arrays["graph"] = (z["graph_indices"], z["graph_distances"]) if "graph_distances" in z.files else None
    raw = arrays["header"]
    if raw.dtype != np.uint8 or raw.ndim != 1 or raw.size > MAX_HEADER:
        raise ValueError("no header")
    head = loads_json(raw.tobytes().decode("ascii"))
    if not isinstance(head, dict) or head.get("format") != FORMAT:
        raise ValueError(f"not a {FORMAT} file")
    if head.get("version") != VERSION:
        raise ValueError(f"version {head.get('version')!r}, this livemappr reads {VERSION}")
    files = head.get("files")
    if not isinstance(files, list):
        raise ValueError("no file list")
    for f in files:
        if not (isinstance(f, dict) and isinstance(f.get("path"), str) and isinstance(f.get("how"), str)
                and all(isinstance(f.get(k), int) and not isinstance(f.get(k), bool) and f.get(k) >= 0
                        for k in ("size", "mtime_ns", "rows"))
                and (f.get("error") is None or isinstance(f.get("error"), str))):
            raise ValueError(f"a file entry is malformed: {str(f)[:80]}")
    theirs = head.get("key").get("n_features") if isinstance(head.get("key"), dict) else None
    if isinstance(theirs, int) and not isinstance(theirs, bool) and theirs >= 0:
        n_features = theirs  # another key's vectors (one-shots against tracks): checked as such, left out by key
    n = sum(f["rows"] for f in files)
    v = arrays["vectors"]
    want = {"vectors": ((n, n_features), np.float32), "starts": ((n,), np.int64), "ends": ((n,), np.int64),
            "positions": ((n, 2), np.float64), "labels": ((n,), np.int64)}
    for name, (shape, dtype) in want.items():
        a = arrays[name]
        if a.shape != shape or a.dtype != dtype:
            raise ValueError(f"{name} has shape {a.shape} {a.dtype}, the header says {shape} {np.dtype(dtype)}")
    if not np.all(np.isfinite(v)):
        raise ValueError("vectors hold NaN or infinity")
    if n and not (arrays["labels"].min() >= -1 and arrays["labels"].max() <= MAX_LABEL):
        raise ValueError(f"a cluster id outside -1..{MAX_LABEL}")
    if n and not (arrays["starts"].min() >= 0 and np.all(arrays["ends"] >= arrays["starts"])):
        raise ValueError("a sound ends before it starts")
    arrays["graph"] = _graph(arrays["graph"], n)
    return head, arrays


def _graph(stored, n):
    """``(indices, distances)`` of a stored neighbour graph over ``n`` rows, or
    None where it is absent or does not fit them (the graph is then made again)."""
    if stored is None:
        return None
    indices, distances = stored
    if (indices.dtype != np.int32 or distances.dtype != np.float32 or indices.ndim != 2
            or indices.shape != distances.shape or indices.shape[0] != n):
        return None
    indices, distances = indices.astype(np.int64), distances.astype(np.float64)
    if indices.size and not (indices.min() >= 0 and indices.max() < n and np.all(np.isfinite(distances))
                             and distances.min() >= 0):
        return None
    return indices, distances


def _entries(files, arrays):
    at = 0
    for f in files:
        k = f["rows"]
        pos = arrays["positions"][at:at + k]
        mapped = k > 0 and bool(np.all(np.isfinite(pos)))
        yield Entry(f["path"], (f["size"], f["mtime_ns"]), f["how"], f["error"],
                    arrays["vectors"][at:at + k], arrays["starts"][at:at + k], arrays["ends"][at:at + k],
                    pos.copy() if mapped else None, arrays["labels"][at:at + k].copy() if mapped else None)
        at += k


def _difference(theirs, ours):
    """Which part of the key differs, for the message."""
    if not isinstance(theirs, dict):
        return "no key"
    names = [k for k in ours if theirs.get(k) != ours[k]]
    return ", ".join(names) + " changed" if names else "another key"
