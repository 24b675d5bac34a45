"""``livemappr similar FILE --library LIB``: the sounds of a library nearest to a file.

Runs on: the main thread.

FILE is analysed as ``livemappr map`` analyses a one-shot (its first second,
the same feature vector), or, in a library of whole tracks (``map
--tracks``), as a whole track (commands/tracks.py), and compared with every sound the library index in
``LIB/index`` holds (files/library.py; ``livemappr map FOLDER --out LIB``
makes it), by the euclidean distance between vectors: the distance the map's
neighbours are found by, so the nearest sounds are the ones the map puts
beside it. Nothing in the library is written. FILE's own entry (when it is
one of the library's files) is left out of the list.

One line a sound, nearest first: rank, distance, the file (and where in it,
for a sound cut from a track)::

      1  0.412  /home/me/samples/kick_03.wav
      2  0.530  /home/me/samples/beat.flac @ 1.25-1.61 s
"""

from __future__ import annotations

import os
import pathlib
import sys
from typing import NamedTuple

import numpy as np

from livemappr.analysis.features import FeatureConfig, FeatureExtractor
from livemappr.commands.map import library_key
from livemappr.commands.tracks import TRACK, open_library
from livemappr.errors import LivemapprError, UsageError
from livemappr.files.library import FOLDER, INDEX
from livemappr.mapping.neighbors import NeighborIndex

__all__ = ["similar", "run"]

#: The rate ``livemappr map`` reads sounds at (its default): vectors of the
#: library were made at it, so FILE is read at it too.
SAMPLERATE = 48000


class Match(NamedTuple):
    """One sound found; ``whole`` is True where it is a whole file (a one-shot)."""

    distance: float
    path: str
    start_s: float
    end_s: float
    whole: bool


def similar(file, library, n=20, samplerate=SAMPLERATE):
    """The ``n`` sounds of ``library`` nearest to ``file``, nearest first.

    Parameters
    ----------
    file : path
        An audio file, analysed as a one-shot.
    library : path
        A map's folder (``livemappr map ... --out LIB``) or its ``index`` folder.
    n : int
        At most this many sounds.

    Returns
    -------
    list of :class:`Match`
    """
    folder = pathlib.Path(library)
    if not (folder / INDEX).exists() and (folder / FOLDER).is_dir():
        folder = folder / FOLDER
    if not folder.is_dir() or not (any(folder.glob("*.npz"))):
        raise UsageError(f"{library}: no library index here (make one: livemappr map FOLDER --out {library})")
    if not pathlib.Path(file).is_file():
        raise UsageError(f"{file}: no such file")
    extractor = FeatureExtractor(FeatureConfig())
    problems = []
    lib, describe = open_library(folder, samplerate, problems.append, extractor, library_key(extractor, samplerate))
    entries = [e for e in lib.entries.values() if e.vectors.shape[0]]
    if not entries:
        raise LivemapprError(problems[0] + " (map the folder again: livemappr map FOLDER --out LIB)"
                             if problems else f"{library}: the library holds no sounds")
    x = describe(file)
    me = os.path.abspath(file)
    mine = sum(e.vectors.shape[0] for e in entries if e.path == me)
    X = np.concatenate([e.vectors for e in entries])
    owner = np.concatenate([np.full(e.vectors.shape[0], i) for i, e in enumerate(entries)])
    row = np.concatenate([np.arange(e.vectors.shape[0]) for e in entries])
    index = NeighborIndex(X.shape[1], ann_threshold=None, capacity=X.shape[0])
    index.extend(X)
    k = min(n + mine, X.shape[0])
    found, dist, _ = index.query(x, k)
    out = []
    for i, d in zip(found.tolist(), dist.tolist()):
        e, r = entries[owner[i]], row[i]
        if e.path == me:
            continue
        out.append(Match(d, e.path, e.starts[r] / samplerate, e.ends[r] / samplerate, e.how in ("shot", TRACK)))
    return out[:n]


def run(args, out=None):
    """``livemappr similar``: print the matches, one a line."""
    out = out or sys.stdout
    if not 1 <= args.n <= 100000:
        raise UsageError(f"-n must be in 1..100000, got {args.n}")
    for rank, m in enumerate(similar(args.file, args.library, args.n), 1):
        where = "" if m.whole else f" @ {m.start_s:.2f}-{m.end_s:.2f} s"
        print(f"{rank:4d}  {m.distance:7.3f}  {m.path}{where}", file=out)
    return 0
