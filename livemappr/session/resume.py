"""Resuming a session: what the last run journalled, back on the map.

Runs on: the main thread, before the stream starts.

A session directory holds the capture journal (every frame, fsync'd at least
once a second) and map.json (the snippets and their cluster ids, written every
second). After a crash or ``kill -9``:

1. every snippet map.json lists gets its audio back from the journal into the
   sample bank, and its feature vector again;
2. the journal past the last listed snippet (at most the last second or so)
   is sliced again, so the hits made just before the crash come back too;
3. the map starts from the saved positions (the neighbour graph is rebuilt
   from the features) and the clusterer from the saved cluster ids (each id's
   centre at its members), so every snippet keeps its place and its id (pads
   and keys play what they played); the ones cut again join the nearest.
"""

import pathlib

import numpy as np

from livemappr.files import mapfile
from livemappr.session import capturefile
from livemappr.analysis.features import FeatureConfig, FeatureExtractor
from livemappr.analysis.slicer import GridConfig, GridSlicer, OnsetSlicer, SlicerConfig
from livemappr.analysis.worker import AnalysedSnippet
from livemappr.realtime.bank import BankFull



def resume(directory, engine, live_map, file_offset, slicing="onset", log=print, quiet_db=10.0):
    """Put the journalled session back. Returns the snippets, in map order.

    ``file_offset`` is the capture-file frame of this run's stream frame 0;
    resumed snippets carry (negative) stream frames of this run, so the session
    keeps one time base.
    """
    loaded = capturefile.load(directory)  # a CaptureFileError (one line) if its manifest is broken
    if loaded is None:
        return []
    audio, manifest = loaded
    sr = engine.config.samplerate
    if manifest["samplerate"] != sr:
        raise capturefile.CaptureFileError(f"the session in {directory} was recorded at {manifest['samplerate']} "
                                           f"Hz; this run is at {sr}")
    try:
        old = mapfile.read(directory)
    except mapfile.MapFileError as e:  # the journal holds every sound: cut them all again
        if (pathlib.Path(directory) / mapfile.FILENAME).exists():
            log(f"livemappr: {e}; the sounds are cut again from the journal")
        old = None
    mono = np.asarray(audio, np.float32).mean(axis=1) if audio.shape[1] > 1 else np.asarray(audio[:, 0])
    extractor = FeatureExtractor(FeatureConfig())
    items, labels, positions = [], [], []
    listed = sorted(old.snippets, key=lambda s: s.id) if old else []
    for s in listed:
        a, b = int(round(s.start * sr)), int(round(s.end * sr))
        item = _item(s.id, a, b, a, "resumed", mono, engine, extractor, sr, file_offset)
        if item is not None:
            items.append(item)
            labels.append(s.cluster)
            positions.append((s.x, s.y))
    tail_from = max((int(round(s.end * sr)) for s in listed), default=0)
    slicer = (OnsetSlicer(SlicerConfig(sample_rate=sr, quiet_gate=quiet_db > 0, quiet_db=float(quiet_db or 10.0)))
              if slicing == "onset" else GridSlicer(GridConfig()))
    next_id = max((s.id for s in listed), default=-1) + 1
    for cut in slicer.feed(np.ascontiguousarray(mono[tail_from:]), tail_from) + slicer.flush():
        item = _item(next_id, cut.start, cut.end, cut.onset, cut.ended_by, mono, engine, extractor, sr,
                     file_offset)
        if item is not None:
            items.append(item)
            next_id += 1
    if items:
        live_map.rebuild(np.stack([it.vector for it in items]).astype(np.float64), np.array(labels, np.int64),
                         np.array(positions, np.float64).reshape(-1, 2))
    if old is not None and old.pads:
        _restore_pads(live_map, old.pads, extractor, log)
    if items:
        log(f"livemappr: resumed {len(labels)} snippets from map.json and {len(items) - len(labels)} cut again "
            f"from the journal's last {(mono.shape[0] - tail_from) / sr:.1f} s")
    return items


def _restore_pads(live, pads, extractor, log):
    """The taught pads back, where their examples are in this map's space."""
    from livemappr.analysis.teach import PadExamples

    from livemappr.analysis.attack import attack_extractor

    projection = extractor.projection
    space = projection.digest if projection is not None else None
    try:
        voice = attack_extractor().projection.digest
    except FileNotFoundError:
        voice = None
    try:
        taught = PadExamples.from_json([p.to_json() for p in pads], live.n_pads, live.pads.like_no_pad, space)
        attack = PadExamples.from_json([{"id": p.id, "examples": [list(e) for e in p.attack],
                                         "space": p.attack_space} for p in pads if p.attack],
                                       live.n_pads, live.attack_pads.like_no_pad, voice)
    except ValueError as e:
        log(f"livemappr: the taught pads in map.json are not used: {e}")
        return
    dropped = sum(1 for p in pads if p.examples and p.space not in (None, space))
    if dropped:
        log(f"livemappr: {dropped} taught pad(s) were taught with other features: their names stay, "
            f"teach them again")
    live.set_pads(taught, attack)


def _item(sid, a, b, onset, ended_by, mono, engine, extractor, sr, file_offset):
    y = np.ascontiguousarray(mono[a:b])
    if y.shape[0] == 0:
        return None
    report = extractor.analyze(y, sr)
    try:
        slot = engine.bank.add(y)
    except BankFull:
        slot = -1
    return AnalysedSnippet(sid, a - file_offset, b - file_offset, onset - file_offset, slot,
                           report.vector.copy(), report.peak_db, report.rms_db, ended_by)
