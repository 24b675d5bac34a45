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
from livemappr.analysis.features import FeatureConfig, FeatureExtractor
from livemappr.analysis.slicer import GridConfig, GridSlicer, OnsetSlicer, SlicerConfig
from livemappr.errors import UsageError

AUDIO_SUFFIXES = {".wav", ".flac", ".aif", ".aiff", ".ogg", ".mp3"}


class Progress:
    """A one-line progress bar on a terminal, a line every 10% otherwise."""

    def __init__(self, what, total, stream=None):
        self.what, self.total, self.done = what, max(total, 1), 0
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self._last_decile = -1
        self._t0 = time.monotonic()

    def step(self, n=1):
        self.done += n
        frac = self.done / self.total
        if self.tty:
            bar = "#" * int(30 * frac)
            self.stream.write(f"\r{self.what:<10} [{bar:<30}] {self.done}/{self.total}")
            if self.done >= self.total:
                self.stream.write(f"  {time.monotonic() - self._t0:.1f} s\n")
            self.stream.flush()
        elif int(frac * 10) != self._last_decile:
            self._last_decile = int(frac * 10)
            print(f"{self.what}: {self.done}/{self.total}", file=self.stream, flush=True)


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


def _shot(path, samplerate, extractor):
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
    fitted map's ``snapshot``, the files ``skipped`` (messages) and ``fit_s``."""

    rows: list
    X: np.ndarray
    snapshot: object
    skipped: list
    fit_s: float
    live: object = None  # the fitted LiveMap (its taught pads)
    extractor: object = None  # what made the vectors


def fit_sounds(paths, *, clusters=16, slicing="onset", samplerate=48000, jobs=None, seed=0, log=print,
               quiet_db=10.0, progress=True, teach=None):
    """Read, slice and describe every sound of ``paths`` and fit the map to them.

    What ``livemappr map`` and :func:`livemappr.map_folder` share. ``log``
    None and ``progress`` False print nothing. ``teach``: an EXAMPLES.csv
    (commands/teach.py) teaching the pads before the fit. Returns a :class:`Fitted`.
    """
    from livemappr.mapping.livemap import LiveMap

    tracks, shots = collect(paths)
    if teach:  # a bad examples file fails now, not after minutes of features
        from livemappr.commands.teach import read_teach_file

        teach = read_teach_file(teach, clusters, tracks)
    extractor = FeatureExtractor(FeatureConfig())
    jobs = jobs or os.cpu_count() or 1
    rows, skipped = [], []
    bar = Progress("features", len(tracks) + len(shots)) if progress else None
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = {pool.submit(_track, p, samplerate, extractor, slicing, quiet_db): p for p in tracks}
        futures.update({pool.submit(_shot, p, samplerate, extractor): p for p in shots})
        for fut in concurrent.futures.as_completed(futures):
            try:
                rows += fut.result()
            except (UsageError, ValueError, OSError, MemoryError) as e:
                skipped.append(str(e))
            if bar is not None:
                bar.step()
    rows.sort(key=lambda r: (str(r[0]), r[1]))
    for message in skipped[:10] if log else ():
        log(f"  skipped {message}")
    if log and len(skipped) > 10:
        log(f"  ... and {len(skipped) - 10} more files skipped")
    if len(rows) < 2:
        raise UsageError(f"only {len(rows)} sound(s) could be read: a map needs at least 2")
    X = np.stack([r[3] for r in rows]).astype(np.float64)
    t0 = time.monotonic()
    live = LiveMap.of_sounds(clusters if teach else min(clusters, len(rows)), extractor, random_state=seed)
    if teach:
        from livemappr.commands.teach import teach_from_file

        teach_from_file(live, teach, rows, tracks, extractor, samplerate)
    live.fit(X)
    return Fitted(rows, X, live.snapshot, skipped, time.monotonic() - t0, live, extractor)


def build_mapfile(rows, snap, samplerate, out_dir, names=None, pads=()):
    """The :class:`~livemappr.files.mapfile.MapFile` of fitted ``rows`` (sources
    relative to ``out_dir``), with the taught ``pads`` (PadEntry) where any."""
    ids = np.asarray(snap.cluster_ids)
    entries = []
    for i, (path, a, b, _) in enumerate(rows):
        source = os.path.relpath(path.resolve(), out_dir.resolve())
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
             seed=0, log=print, quiet_db=10.0, teach=None):
    """Map ``paths`` into ``out_dir``. Returns a summary dict."""
    out_dir = pathlib.Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    fitted = fit_sounds(paths, clusters=clusters, slicing=slicing, samplerate=samplerate, jobs=jobs, seed=seed,
                        log=log, quiet_db=quiet_db, teach=teach)
    rows, X, snap, skipped, fit_s = fitted[:5]
    ids = np.asarray(snap.cluster_ids)
    label_of = read_labels(labels) if labels else {}
    names = _dominant_labels(ids, [label_of.get(str(pathlib.Path(r[0]).resolve())) for r in rows])
    names.update(fitted.live.pads.names)  # a taught name over a counted one
    pads = ()
    if teach:
        from livemappr.commands.teach import pad_entries

        pads = pad_entries(fitted.live, fitted.extractor)
    mf = build_mapfile(rows, snap, samplerate, out_dir, names, pads)
    write_map(out_dir, mf, snap)
    summary = {"snippets": len(rows), "clusters": len(mf.clusters), "skipped": len(skipped),
               "fit_s": round(fit_s, 2)}
    if teach:
        sizes = np.bincount(ids[ids >= 0], minlength=1)
        summary["taught"] = {p.label: int(sizes[p.id]) if p.id < len(sizes) else 0 for p in pads if p.examples}
        log("taught pads: " + ", ".join(f"{name} {n} sounds" for name, n in summary["taught"].items()))
    if labels:
        summary.update(_report(X, snap, rows, label_of, out_dir))
    log(f"mapped {len(rows)} sounds into {len(mf.clusters)} clusters in {fit_s:.1f} s: "
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
