"""A library's sounds searched by example: ``similar``, and ``live --library LIB``.

Runs on: whichever thread loads it (``livemappr similar``'s main thread; a
live session's main thread before its stream starts); :meth:`LibrarySounds.nearest`
from any thread (it only reads).

A library is what ``livemappr map FOLDER --out LIB`` keeps in ``LIB/index``
(:mod:`livemappr.files.library`): every sound's feature vector, its file and
where in it. The vectors are the ones the map is made of, so the sounds
nearest a vector by euclidean distance are those the map puts beside it.
Nothing in the library is written.
"""

from __future__ import annotations

import pathlib
import threading
from typing import NamedTuple

import numpy as np

from livemappr.errors import LivemapprError, UsageError
from livemappr.files.library import FOLDER, INDEX, Library, library_key
from livemappr.mapping.neighbors import NeighborIndex

__all__ = ["LibrarySounds", "Sound", "index_folder", "VectorMirror"]

#: How the index cuts a file that is one sound, whole: a one-shot, or a whole track.
WHOLE = ("shot", "track")


class Sound(NamedTuple):
    """One sound of a library: its row, distance to what was asked, file and times.

    ``whole`` is True where it is a whole file (a one-shot); ``start_s`` and
    ``end_s`` are where in the file it lies (a sound cut from a track).
    """

    index: int
    distance: float
    path: str
    start_s: float
    end_s: float
    whole: bool


def index_folder(library):
    """``LIB/index`` for a map's folder ``LIB`` (or the index folder itself);
    a one-line :class:`UsageError` where there is none."""
    folder = pathlib.Path(library)
    if not (folder / INDEX).exists() and (folder / FOLDER).is_dir():
        folder = folder / FOLDER
    if not folder.is_dir() or not any(folder.glob("*.npz")):
        raise UsageError(f"{library}: no library index here (make one: livemappr map FOLDER --out {library})")
    return folder


class LibrarySounds:
    """Every sound of the library in ``library``, for vectors of ``extractor`` at ``samplerate``.

    Parameters
    ----------
    library : path
        A map's folder (``livemappr map ... --out LIB``) or its ``index`` folder.
    extractor : livemappr.analysis.features.FeatureExtractor
    samplerate : int
        The rate the vectors were made at (the library's key says).
    log : callable(str), optional
        Told about index files left out (damaged, other features).

    Attributes
    ----------
    vectors : ndarray of shape (n, n_features), float32
    paths : list of str
        Each sound's file.
    starts, ends : ndarray of shape (n,), int64
        Frames at ``samplerate``.
    whole : ndarray of shape (n,), bool
    """

    def __init__(self, library, extractor, samplerate, log=None):
        problems = []
        lib = Library(index_folder(library), library_key(extractor, samplerate), problems.append, read_only=True)
        for message in problems:
            (log or (lambda m: None))(message)
        self._take(lib, samplerate, library, problems)

    @classmethod
    def of_index(cls, lib, samplerate, library, problems=()):
        """The sounds of an index already read (a :class:`~livemappr.files.library.Library`:
        ``similar`` reads one of one-shots or of whole tracks, whichever it holds);
        ``problems``, the lines its reading gave, say why it holds none."""
        self = cls.__new__(cls)
        self._take(lib, samplerate, library, list(problems))
        return self

    def _take(self, lib, samplerate, library, problems):
        entries = [e for e in lib.entries.values() if e.vectors.shape[0]]
        if not entries:
            raise LivemapprError(problems[0] + " (map the folder again: livemappr map FOLDER --out LIB)"
                                 if problems else f"{library}: the library holds no sounds")
        self.library = str(library)
        self.samplerate = int(samplerate)
        self.vectors = np.ascontiguousarray(np.concatenate([e.vectors for e in entries]), np.float32)
        self.paths = [e.path for e in entries for _ in range(e.vectors.shape[0])]
        self.starts = np.concatenate([e.starts for e in entries]).astype(np.int64)
        self.ends = np.concatenate([e.ends for e in entries]).astype(np.int64)
        # a whole file: a one-shot, or a whole track (``map --tracks``, commands/tracks.py's TRACK)
        self.whole = np.concatenate([np.full(e.vectors.shape[0], e.how in WHOLE) for e in entries])
        self._by_path = {}
        for i, p in enumerate(self.paths):
            self._by_path.setdefault(p, []).append(i)
        self._index = NeighborIndex(self.vectors.shape[1], ann_threshold=None, capacity=len(self))
        self._index.extend(self.vectors)

    def __len__(self):
        return self.vectors.shape[0]

    def rows_of(self, path):
        """The rows of the sounds of file ``path`` (absolute), in file order."""
        return list(self._by_path.get(str(path), ()))

    def sound(self, i, distance=float("nan")):
        """Row ``i`` as a :class:`Sound`."""
        sr = self.samplerate
        return Sound(int(i), float(distance), self.paths[i], self.starts[i] / sr, self.ends[i] / sr,
                     bool(self.whole[i]))

    def nearest(self, x, n, leave_out=()):
        """The ``n`` sounds nearest vector ``x``, nearest first, without the rows in ``leave_out``.

        Returns
        -------
        list of :class:`Sound`
        """
        leave_out = set(int(i) for i in leave_out)
        k = min(int(n) + len(leave_out), len(self))
        if k < 1:
            return []
        found, dist, _ = self._index.query(np.asarray(x, np.float32), k)
        return [self.sound(i, d) for i, d in zip(found.tolist(), dist.tolist()) if i not in leave_out][:n]


class VectorMirror:
    """A copy of the live map's vectors, searched from any thread.

    The map worker owns its vectors (they are read on its thread): the
    session copies each publication's new rows here, on that thread, and
    queries read them under a lock (a query over 16,384 sounds takes about a
    millisecond; nothing on the audio thread ever takes this lock).
    """

    def __init__(self, n_features):
        self._index = NeighborIndex(int(n_features), ann_threshold=None)
        self._lock = threading.Lock()

    def __len__(self):
        return len(self._index)

    def catch_up(self, features):
        """Copy the rows of ``features`` (n, d) past those held (the map only grows)."""
        n = features.shape[0]
        if n > len(self._index):
            rows = np.array(features[len(self._index):n], np.float32)
            with self._lock:
                self._index.extend(rows)

    def vector(self, i):
        """A copy of row ``i``; ValueError when there is no such row."""
        with self._lock:
            if not 0 <= i < len(self._index):
                raise ValueError(f"no snippet {i} on the map (it holds {len(self._index)})")
            return self._index.data[i].copy()

    def nearest(self, x, n, leave_out=()):
        """``(row, distance)`` pairs of the ``n`` rows nearest ``x``, nearest first."""
        leave_out = set(int(i) for i in leave_out)
        with self._lock:
            k = min(int(n) + len(leave_out), len(self._index))
            if k < 1:
                return []
            found, dist, _ = self._index.query(np.asarray(x, np.float32), k)
        return [(i, d) for i, d in zip(found.tolist(), dist.tolist()) if i not in leave_out][:n]
