"""``livemappr map``: a track or folders of one-shots onto a map, offline.

Runs on: the main thread, with a pool of threads for decoding and features
(soundfile, soxr and the numba feature kernels release the GIL, so threads
use every core).

A file is a track: it is cut by the onset slicer (or a fixed grid) and every
snippet goes on the map. A folder is a library of one-shots: every audio file
in it (recursively) is one snippet. Files that cannot be read are listed and
skipped; the run goes on. The map is fitted once (Barnes-Hut t-SNE), clustered,
and written as ``map.json`` and ``map.png``.
"""

import concurrent.futures
import csv
import json
import os
import pathlib
import sys
import time
from collections import Counter
from typing import NamedTuple

import numpy as np

from livemappr.files import audiofile, mapfile, picture
from livemappr.files.library import FOLDER as LIBRARY_FOLDER, Entry, Library, library_key
from livemappr.analysis.features import FeatureConfig, FeatureExtractor
from livemappr.analysis.slicer import GridConfig, GridSlicer, OnsetSlicer, SlicerConfig
from livemappr.analysis.trackfeatures import TrackExtractor
from livemappr.commands.tracks import TRACK, check_options, read_track
from livemappr.errors import UsageError

AUDIO_SUFFIXES = {".wav", ".flac", ".aif", ".aiff", ".ogg", ".mp3"}


class Progress:
    """A one-line progress bar on a terminal, a line every 10% otherwise; both
    say files a second and the time left once a few are done."""

    def __init__(self, what, total, stream=None):
        self.what, self.total, self.done = what, max(total, 1), 0
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self._last_decile = -1
        self._t0 = time.monotonic()

    def rate(self):
        """Items a second so far, and seconds left at that rate (None before any)."""
        spent = time.monotonic() - self._t0
        if self.done == 0 or spent <= 0:
            return None, None
        per_s = self.done / spent
        return per_s, max(self.total - self.done, 0) / per_s

    def _speed(self):
        per_s, left = self.rate()
        if per_s is None:
            return ""
        return f"  {per_s:.0f}/s, {_duration(left)} left" if self.done < self.total else f"  {per_s:.0f}/s"

    def step(self, n=1):
        self.done += n
        frac = self.done / self.total
        if self.tty:
            bar = "#" * int(30 * frac)
            self.stream.write(f"\r{self.what:<10} [{bar:<30}] {self.done}/{self.total}{self._speed()}\033[K")
            if self.done >= self.total:
                self.stream.write(f"  {time.monotonic() - self._t0:.1f} s\n")
            self.stream.flush()
        elif int(frac * 10) != self._last_decile:
            self._last_decile = int(frac * 10)
            print(f"{self.what}: {self.done}/{self.total}{self._speed()}", file=self.stream, flush=True)


def _duration(seconds):
    """``42 s``, ``3 min 05 s``, ``1 h 02 min``."""
    s = int(round(seconds))
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60:02d} s"
    return f"{s // 3600} h {s % 3600 // 60:02d} min"


def collect(paths):
    """Split the arguments into tracks (files) and one-shots (files in folders)."""
    tracks, shots = [], []
    for p in map(pathlib.Path, paths):
        if p.is_dir():
            shots += sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in AUDIO_SUFFIXES)
        elif p.is_file():
            tracks.append(p)
        else:
            raise UsageError(f"{p}: no such file or folder")
    if not tracks and not shots:
        raise UsageError("no audio files found (looked for " + ", ".join(sorted(AUDIO_SUFFIXES)) + ")")
    return tracks, shots


def read_shot(path, samplerate, extractor):
    """A one-shot's row ``[(path, 0, n_frames, vector)]`` (the file read at ``samplerate``)."""
    audio = audiofile.read(path, samplerate=samplerate, channels=1)
    y = audio.samples[:, 0]
    if y.shape[0] == 0:
        raise audiofile.AudioFileError(f"{path}: no audio in the file")
    return [(path, 0, y.shape[0], extractor.vector(y, samplerate))]


def _track(path, samplerate, extractor, slicing, quiet_db=10.0):
    audio = audiofile.read(path, samplerate=samplerate, channels=1)
    y = audio.samples[:, 0]
    onsets = SlicerConfig(sample_rate=samplerate, quiet_gate=quiet_db > 0, quiet_db=quiet_db or 10.0)
    slicer = OnsetSlicer(onsets) if slicing == "onset" else GridSlicer(GridConfig())
    cuts = slicer.feed(y, 0) + slicer.flush()
    return [(path, s.start, s.end, extractor.vector(np.ascontiguousarray(y[s.start:s.end]), samplerate))
            for s in cuts if s.end > s.start]


def read_labels(path):
    """``path,label`` rows -> {resolved path: label}."""
    labels = {}
    try:
        with open(path, newline="") as f:
            for row in csv.reader(f):
                if len(row) >= 2 and row[0] and not row[0].startswith("#"):
                    labels[str(pathlib.Path(row[0]).resolve())] = row[1]
    except OSError as e:
        raise UsageError(f"cannot read labels {path}: {e.strerror or e}") from None
    return labels


class Fitted(NamedTuple):
    """What :func:`fit_sounds` found: ``rows`` ``(path, start, end, vector)`` per
    sound (frames at the map's rate), ``X`` their feature vectors (n, d), the
    fitted map's ``snapshot``, the files ``skipped`` (messages) and ``fit_s``;
    with a library, ``files`` counts the files ``analysed``, taken ``from_index``
    and ``removed`` from it, and ``grown`` says the map kept its old places."""

    rows: list
    X: np.ndarray
    snapshot: object
    skipped: list
    fit_s: float
    live: object = None  # the fitted LiveMap (its taught pads)
    extractor: object = None  # what made the vectors
    files: dict = None
    grown: bool = False


#: Freshly analysed files are written to the library at least this often
#: (files, seconds): what a kill loses at most.
BATCH_FILES, BATCH_S = 256, 2.0


def fit_sounds(paths, *, clusters=16, slicing="onset", samplerate=48000, jobs=None, seed=0, log=print,
               quiet_db=10.0, progress=True, teach=None, library=None, refit=False, scheduler=None, whole=False):
    """Read, slice and describe every sound of ``paths`` and fit the map to them.

    What ``livemappr map`` and :func:`livemappr.map_folder` share. ``log``
    None and ``progress`` False print nothing. ``teach``: an EXAMPLES.csv
    (commands/teach.py) teaching the pads before the fit. ``library``: a
    folder keeping every file's vectors between runs (files/library.py): only
    new and changed files are analysed, and the sounds of its last map keep
    their places while the new ones join them, unless ``refit``. ``scheduler``:
    a Dask scheduler's address (commands/cluster.py): the files are analysed
    on its workers instead of this machine's threads. ``whole``: every file
    is one sound described over its whole length (``--tracks``,
    commands/tracks.py). Returns a :class:`Fitted`.
    """
    from livemappr.mapping.livemap import LiveMap

    tracks, shots = collect(paths)
    if whole:
        check_options(slicing=slicing, teach=teach)
    if teach:  # a bad examples file fails now, not after minutes of features
        from livemappr.commands.teach import read_teach_file

        teach = read_teach_file(teach, clusters, tracks)
    extractor = TrackExtractor() if whole else FeatureExtractor(FeatureConfig())
    lib = None if library is None else Library(library, library_key(extractor, samplerate), log)
    files = [(p, f"{slicing} quiet_db={quiet_db:g}") for p in tracks] + [(p, "shot") for p in shots]
    if whole:
        files = [(p, TRACK) for p in tracks + shots]
    entries, analysed = _describe_all(files, lib, extractor, samplerate, jobs or os.cpu_count() or 1,
                                      slicing, quiet_db, progress, _pool_maker(scheduler, extractor, samplerate, log))
    originals = {os.path.abspath(p): p for p, _ in files}
    order = _map_order(entries, lib, refit, lambda k: str(originals[k]))
    rows, skipped = [], []
    for key in order:
        e = entries[key]
        if e.error is not None:
            skipped.append(e.error)
        rows += [(originals[key], int(a), int(b), v) for a, b, v in zip(e.starts, e.ends, e.vectors)]
    for message in skipped[:10] if log else ():
        log(f"  skipped {message}")
    if log and len(skipped) > 10:
        log(f"  ... and {len(skipped) - 10} more files skipped")
    counts = None
    if lib is not None:
        gone = sum(1 for key in lib.entries if key not in entries)
        counts = {"analysed": analysed, "from_index": len(entries) - analysed, "removed": gone}
        if log:
            log(f"library: {analysed} files analysed, {counts['from_index']} from the index, {gone} removed")
    if len(rows) < 2:
        raise UsageError(f"only {len(rows)} sound(s) could be read: a map needs at least 2")
    X = np.stack([r[3] for r in rows]).astype(np.float64)
    t0 = time.monotonic()
    n_clusters = clusters if teach else min(clusters, len(rows))
    live = LiveMap.of_sounds(n_clusters, extractor, random_state=seed)
    # a few new sounds are placed and the run ends: no approximate index built for them
    live.tsne.set_params(ann_queries=False)
    if teach:
        from livemappr.commands.teach import teach_from_file

        teach_from_file(live, teach, rows, tracks, extractor, samplerate)
    old = [entries[k] for k in order if entries[k].positions is not None] if lib is not None and not refit else []
    n_old = sum(e.vectors.shape[0] for e in old)
    grown = n_old >= 2 and lib.meta.get("clusters") == n_clusters
    if n_old >= 2 and not grown and log:
        log(f"library: {lib.meta.get('clusters')} clusters before, {n_clusters} now: the map is fitted afresh")
    if grown:
        live.rebuild(X, np.concatenate([e.labels for e in old]), np.concatenate([e.positions for e in old]),
                     lib.graph_of(old))
        if teach:  # the examples may have changed since: every sound looks for its pad again
            live.set_pads(live.pads, live.attack_pads)
        if log and len(rows) - n_old > n_old:
            log(f"library: {len(rows) - n_old} new sounds joined {n_old} mapped ones; "
                "--refit may lay them out better")
    else:
        live.fit(X)
    snap = live.snapshot
    if lib is not None:
        lib.commit([entries[k] for k in order], snap.positions, snap.cluster_ids, {"clusters": n_clusters},
                   live.graph())
    return Fitted(rows, X, snap, skipped, time.monotonic() - t0, live, extractor, counts, grown)


def _pool_maker(scheduler, extractor, samplerate, log):
    """``make(jobs, paths)``: the files' executor, threads here or a Dask cluster's (commands/cluster.py)."""
    if scheduler is None:
        return lambda jobs, paths: concurrent.futures.ThreadPoolExecutor(max_workers=jobs)
    from livemappr.commands.cluster import dask_pool

    return lambda jobs, paths: dask_pool(scheduler, extractor, samplerate, paths, log)


def _describe_all(files, lib, extractor, samplerate, jobs, slicing, quiet_db, progress, make_pool):
    """Every file's :class:`~livemappr.files.library.Entry`: from ``lib`` where
    it knows the file as it is, else analysed now (by ``make_pool``'s
    executor) and kept in ``lib`` a batch at a time. Returns ``({abspath: Entry}, n analysed)``."""
    entries, todo = {}, []
    for path, how in files:
        key = os.path.abspath(path)
        if key in entries:
            continue  # a file named twice (folders that overlap) is one sound
        try:
            st = os.stat(path)
            stamp = (st.st_size, st.st_mtime_ns)
        except OSError:
            stamp = None  # read below, for its one-line error
        known = lib.get(key, stamp, how) if lib is not None and stamp is not None else None
        if known is not None:
            entries[key] = known
        else:
            todo.append((path, key, stamp, how))
    todo = list({t[1]: t for t in todo}.values())
    pool = make_pool(jobs, [t[0] for t in todo])  # a cluster is checked even with nothing to do
    bar = Progress("features", len(todo)) if progress and todo else None
    pending, flushed = [], time.monotonic()
    try:
        with pool:
            futures = {pool.submit(read_shot if how == "shot" else read_track if how == TRACK else _track, path,
                                   samplerate, extractor, *(() if how in ("shot", TRACK) else (slicing, quiet_db))):
                       (path, key, stamp, how)
                       for path, key, stamp, how in todo}
            for fut in concurrent.futures.as_completed(futures):
                path, key, stamp, how = futures[fut]
                try:
                    rows, error = fut.result(), None
                except (UsageError, ValueError, OSError, MemoryError) as e:
                    rows, error = [], str(e)
                vectors = np.array([r[3] for r in rows], np.float32).reshape(len(rows), extractor.n_features)
                entries[key] = entry = Entry(key, stamp, how, error, vectors,
                                             np.array([r[1] for r in rows], np.int64),
                                             np.array([r[2] for r in rows], np.int64))
                if lib is not None and stamp is not None:
                    pending.append(entry)
                    if len(pending) >= BATCH_FILES or time.monotonic() - flushed >= BATCH_S:
                        lib.add_batch(pending)
                        pending, flushed = [], time.monotonic()
                if bar is not None:
                    bar.step()
    finally:
        if lib is not None and pending:  # Ctrl-C keeps what was done
            lib.add_batch(pending)
    return entries, len(todo)


def _map_order(entries, lib, refit, sort_key):
    """The files in map order: those the library's last map placed first, in
    its order (their sounds keep their ids), then the rest by path."""
    placed = [] if lib is None or refit else [
        k for k, e in lib.entries.items() if entries.get(k) is e and e.positions is not None]
    seen = set(placed)
    return placed + sorted((k for k in entries if k not in seen), key=sort_key)


def build_mapfile(rows, snap, samplerate, out_dir, names=None, pads=()):
    """The :class:`~livemappr.files.mapfile.MapFile` of fitted ``rows`` (sources
    relative to ``out_dir``), with the taught ``pads`` (PadEntry) where any."""
    ids = np.asarray(snap.cluster_ids)
    entries = []
    home = out_dir.resolve()  # once: a resolve is ~60 us, and a library has 100,000 rows
    folders = {}  # each folder resolved once (a file named through a link keeps its own name)
    for i, (path, a, b, _) in enumerate(rows):
        path = pathlib.Path(path)
        where = folders.get(path.parent)
        if where is None:
            where = folders[path.parent] = str(path.parent.resolve())
        source = os.path.relpath(os.path.join(where, path.name), home)
        entries.append(mapfile.SnippetEntry(i, source.replace(os.sep, "/"), a / samplerate, b / samplerate,
                                            float(snap.positions[i, 0]), float(snap.positions[i, 1]), int(ids[i])))
    sizes = np.bincount(ids[ids >= 0], minlength=1)
    names = names or {}
    cluster_entries = tuple(mapfile.ClusterEntry.of(c, int(sizes[c]), names.get(c))
                            for c in range(len(sizes)) if sizes[c] > 0)
    return mapfile.MapFile(samplerate, tuple(entries), cluster_entries, tuple(pads))


def write_map(out_dir, mf, snap):
    """``map.json``, ``map.html`` and ``map.png`` of ``mf`` in ``out_dir``."""
    from livemappr.web.page import write_offline_html

    mapfile.write(out_dir, mf)
    write_offline_html(out_dir / "map.html", mf.to_json())
    picture.write_png(out_dir / "map.png", picture.render(
        snap.positions, np.asarray(snap.cluster_ids), {c.id: c.key for c in mf.clusters}))


def make_map(paths, out_dir, *, clusters=16, slicing="onset", samplerate=48000, labels=None, jobs=None,
             seed=0, log=print, quiet_db=10.0, teach=None, refit=False, progress=True, scheduler=None, whole=False):
    """Map ``paths`` into ``out_dir``, keeping the library index in
    ``out_dir/index`` (only new and changed files are analysed; the last map's
    sounds keep their places unless ``refit``; ``whole``: one sound a file,
    ``--tracks``). Returns a summary dict."""
    out_dir = pathlib.Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    fitted = fit_sounds(paths, clusters=clusters, slicing=slicing, samplerate=samplerate, jobs=jobs, seed=seed,
                        log=log, quiet_db=quiet_db, teach=teach, library=out_dir / LIBRARY_FOLDER, refit=refit,
                        progress=progress, scheduler=scheduler, whole=whole)
    rows, X, snap, skipped, fit_s = fitted[:5]
    ids = np.asarray(snap.cluster_ids)
    label_of = read_labels(labels) if labels else {}
    names = _dominant_labels(ids, [label_of.get(str(pathlib.Path(r[0]).resolve())) for r in rows]) if labels else {}
    names.update(fitted.live.pads.names)  # a taught name over a counted one
    pads = ()
    if teach:
        from livemappr.commands.teach import pad_entries

        pads = pad_entries(fitted.live, fitted.extractor)
    t0 = time.monotonic()
    mf = build_mapfile(rows, snap, samplerate, out_dir, names, pads)
    write_map(out_dir, mf, snap)
    summary = {"snippets": len(rows), "clusters": len(mf.clusters), "skipped": len(skipped),
               "fit_s": round(fit_s, 2), "write_s": round(time.monotonic() - t0, 2), **fitted.files,
               "grown": fitted.grown}
    if teach:
        sizes = np.bincount(ids[ids >= 0], minlength=1)
        summary["taught"] = {p.label: int(sizes[p.id]) if p.id < len(sizes) else 0 for p in pads if p.examples}
        log("taught pads: " + ", ".join(f"{name} {n} sounds" for name, n in summary["taught"].items()))
    if labels:
        summary.update(_report(X, snap, rows, label_of, out_dir))
    verb = "mapped" if not fitted.grown else "grew the map to" if fitted.files["analysed"] else "kept the map of"
    log(f"{verb} {len(rows)} sounds "
        f"into {len(mf.clusters)} clusters in {fit_s:.1f} s: "
        f"{out_dir / mapfile.FILENAME}, {out_dir / 'map.png'}, {out_dir / 'map.html'}")
    return summary


def _dominant_labels(ids, named):
    """Each cluster's most common label among its labelled sounds (``--labels``),
    where it holds any: the name the map view shows beside its letter."""
    counts = {}
    for c, label in zip(ids.tolist(), named):
        if label is not None and c >= 0:
            counts.setdefault(c, Counter())[label] += 1
    return {c: cnt.most_common(1)[0][0][:40] for c, cnt in counts.items()}


def _report(X, snap, rows, labels, out_dir):
    from livemappr.mapping import quality

    named = [labels.get(str(pathlib.Path(r[0]).resolve())) for r in rows]
    keep = np.array([n is not None for n in named])
    if keep.sum() < 3:
        raise UsageError(f"the labels name {int(keep.sum())} of the mapped files; the report needs at least 3")
    y = np.array([n for n in named if n is not None])
    P = np.asarray(snap.positions)[keep]
    report = {
        "labelled": int(keep.sum()),
        "trustworthiness": round(float(quality.trustworthiness(X[keep], P, n_neighbors=10)), 4),
        "knn_agreement": round(float(quality.knn_agreement(P, y, n_neighbors=10)), 4),
        "cluster_ari": round(float(quality.cluster_ari(np.asarray(snap.cluster_ids)[keep], y)), 4),
        "cluster_purity": round(float(quality.cluster_purity(np.asarray(snap.cluster_ids)[keep], y)), 4),
    }
    (out_dir / "report.json").write_text(json.dumps(report, indent=1))
    print("report: " + ", ".join(f"{k} {v}" for k, v in report.items()))
    return report
