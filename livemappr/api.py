"""The Python API: map folders of sounds from a script or a notebook.

Runs on: the caller's thread (with a pool of threads for decoding and
features, as ``livemappr map``).

:func:`map_folder` runs the code ``livemappr map`` runs
(:func:`livemappr.commands.map.fit_sounds`) and keeps the result in memory
as a :class:`SoundMap`; :meth:`SoundMap.save` writes what ``livemappr map``
writes and :meth:`SoundMap.export` the kit ``livemappr export`` writes, with
the same code. Errors are :class:`~livemappr.errors.LivemapprError` with one
line saying what was wrong (no such folder, no audio, too few sounds).
"""

import os
import pathlib
import sys
import tempfile

import numpy as np

from livemappr.errors import UsageError

__all__ = ["SoundMap", "map_folder"]


class SoundMap:
    """Sounds placed on a 2-D map and grouped into clusters.

    Attributes
    ----------
    positions : ndarray of shape (n_sounds, 2)
        Where each sound lies on the map.
    clusters : ndarray of shape (n_sounds,)
        Each sound's cluster (0, 1, ...; a cluster plays from pad or key ``keys[c]``).
    paths : list of pathlib.Path
        The file each sound comes from (a track gives several sounds).
    names : list of str
        A short name per sound: its file's name without the suffix (and the
        sound's start in seconds for a sliced track).
    starts, ends : ndarray of shape (n_sounds,)
        Where each sound starts and ends in its file, in seconds.
    features : ndarray of shape (n_sounds, n_features)
        The descriptors the map was fitted on (kept for ``similar()`` later).
    keys : dict of int to str
        Each cluster's key letter on the map view and in ``livemappr live``.
    skipped : list of str
        Files that could not be read, and why.
    samplerate : int
    """

    def __init__(self, fitted, samplerate):
        rows = fitted.rows
        self._snapshot = fitted.snapshot
        self._rows = rows
        self.samplerate = int(samplerate)
        self.positions = np.array(fitted.snapshot.positions, np.float64)
        self.clusters = np.array(fitted.snapshot.cluster_ids, np.int64)
        self.paths = [pathlib.Path(r[0]) for r in rows]
        self.starts = np.array([r[1] / samplerate for r in rows])
        self.ends = np.array([r[2] / samplerate for r in rows])
        counts = {}
        for p in self.paths:
            counts[p] = counts.get(p, 0) + 1
        self.names = [p.stem if counts[p] == 1 else f"{p.stem}@{s:.2f}s" for p, s in zip(self.paths, self.starts)]
        self.features = fitted.X
        self.skipped = list(fitted.skipped)
        from livemappr.files.mapfile import ClusterEntry

        self.keys = {int(c): ClusterEntry.of(int(c), 0).key for c in np.unique(self.clusters) if c >= 0}

    def __len__(self):
        return len(self.paths)

    def __repr__(self):
        return f"<SoundMap: {len(self)} sounds, {len(self.keys)} clusters>"

    def members(self, cluster):
        """Indices of the sounds in ``cluster``, as an int array."""
        return np.flatnonzero(self.clusters == int(cluster))

    def save(self, out_dir):
        """Write ``map.json``, ``map.html`` and ``map.png`` in ``out_dir`` (what
        ``livemappr map --out`` writes; ``livemappr live`` and ``livemappr
        export`` read it). Returns the path of ``map.json``."""
        from livemappr.commands.map import build_mapfile, write_map
        from livemappr.files import mapfile

        out_dir = pathlib.Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        write_map(out_dir, build_mapfile(self._rows, self._snapshot, self.samplerate, out_dir), self._snapshot)
        return out_dir / mapfile.FILENAME

    def export(self, kit_dir, *, name="kit", force=False, rate=None, bits=None, hardware=False, log=None):
        """Write a sampler kit of the map in ``kit_dir``: what ``livemappr export`` writes.

        Parameters
        ----------
        kit_dir : path
            Must be empty or new unless ``force``.
        name : str
            The instruments' file name (``name.sfz``, ``name.dspreset``).
        rate, bits, hardware
            As ``livemappr export --rate --bits --hardware``.
        log : callable(str), optional
            Told what was written; default silent.

        Returns
        -------
        pathlib.Path
            The ``.sfz`` file.
        """
        from livemappr.commands.export import export, safe_name

        with tempfile.TemporaryDirectory(prefix="livemappr-map-") as tmp:
            map_dir = pathlib.Path(tmp) / safe_name(name, "kit")
            self.save(map_dir)
            return export(map_dir, kit_dir, force=force, log=log or (lambda message: None),
                          rate=rate, bits=bits, hardware=hardware)


def map_folder(path_or_paths, *, clusters=16, slicing="onset", samplerate=48000, quiet_db=10.0, jobs=None,
               seed=0, progress=True, tracks=False):
    """Map a folder of one-shots (or tracks, or several of either) in memory.

    The same as ``livemappr map``: every audio file in a folder
    (recursively) is one sound; a file given by itself is a track, cut at its
    onsets (``slicing="grid"``: a fixed grid). ``tracks=True``: every file,
    in a folder or given alone, is one whole track (``livemappr map --tracks``).

    Parameters
    ----------
    path_or_paths : path or sequence of paths
        ``~`` is the home folder.
    clusters : int
        1..64 (16 pads; 26 for keys a-z); fewer when there are fewer sounds.
    slicing : {"onset", "grid"}
    samplerate : int
        The rate sounds are read and described at.
    quiet_db : float
        As ``livemappr map --quiet-db`` (tracks only).
    jobs : int, optional
        Threads for reading and features (default: every core).
    seed : int
        The map's random state: the same seed gives the same map.
    progress : bool
        A progress bar and skipped files on stderr; False prints nothing
        (notebooks).
    tracks : bool
        One sound a file, described over its whole length (songs, loops);
        not with ``slicing="grid"``.

    Returns
    -------
    SoundMap
    """
    from livemappr.commands.map import fit_sounds

    if isinstance(path_or_paths, (str, bytes)) or hasattr(path_or_paths, "__fspath__"):
        paths = [path_or_paths]
    else:
        paths = list(path_or_paths)
    if not paths:
        raise UsageError("map_folder needs at least one folder or file, got none")
    if isinstance(clusters, bool) or not isinstance(clusters, int) or not 1 <= clusters <= 64:
        raise UsageError(f"clusters must be a whole number in 1..64, got {clusters!r}")
    if slicing not in ("onset", "grid"):
        raise UsageError(f"slicing must be 'onset' or 'grid', got {slicing!r}")
    if isinstance(samplerate, bool) or not isinstance(samplerate, int) or not 8000 <= samplerate <= 384000:
        raise UsageError(f"samplerate must be a whole number in 8000..384000, got {samplerate!r}")
    if not (isinstance(quiet_db, (int, float)) and 0 <= quiet_db <= 100):
        raise UsageError(f"quiet_db must be in 0..100 dB, got {quiet_db!r}")
    fitted = fit_sounds([pathlib.Path(os.fsdecode(p)).expanduser() for p in paths], clusters=clusters, slicing=slicing,
                        samplerate=samplerate, jobs=jobs, seed=seed, quiet_db=float(quiet_db),
                        log=(lambda message: print(message, file=sys.stderr)) if progress else None,
                        progress=progress, whole=bool(tracks))
    return SoundMap(fitted, samplerate)
