"""``livemappr map --teach EXAMPLES.csv``: the pads taught from a file, not a mic.

Runs on: the main thread of ``livemappr map``.

Each row of the CSV (files/teachfile.py) names a sound and a pad; its
vector becomes one of that pad's examples, the same vectors and the same
nearest-example rule (analysis/teach.py) a live session uses when a performer
holds a pad and beatboxes. A sound already on the map (a one-shot of a mapped
folder, or a time within the mapped track) is taken from the map; any other
file is analysed on its own.
"""

from __future__ import annotations

import pathlib

import numpy as np

from livemappr.analysis.teach import PadExamples
from livemappr.errors import UsageError
from livemappr.files import audiofile, mapfile, teachfile

__all__ = ["read_teach_file", "teach_from_file", "pad_entries"]

#: A time in EXAMPLES.csv names the sound starting nearest it, at most this far.
MAX_OFFSET_S = 1.0


def read_teach_file(csv_path, n_pads, tracks):
    """The examples of ``csv_path``, checked against what is mapped: a time
    needs exactly one track. Returns ``(csv_path, examples)``."""
    examples = teachfile.read_examples(csv_path, n_pads)
    timed = next((e for e in examples if e.seconds is not None), None)
    if timed is not None and len(tracks) != 1:
        raise UsageError(f"{csv_path}: row {timed.row}: a time names a sound of the one mapped track; "
                         f"{len(tracks)} tracks are mapped (name a file instead)")
    return csv_path, examples


def teach_from_file(live, teach, rows, tracks, extractor, samplerate):
    """Teach ``live``'s pads before the map is fitted.

    Parameters
    ----------
    live : LiveMap (unfitted)
    teach : (csv_path, examples) from :func:`read_teach_file`
    rows : list of (path, start, end, vector): the sounds being mapped
    tracks : list of Path: the files that were sliced (a time names a sound of one)
    extractor : FeatureExtractor, the one that made the rows' vectors
    """
    csv_path, examples = teach
    shot_index = {str(pathlib.Path(r[0]).resolve()): i for i, r in enumerate(rows) if r[1] == 0}
    track_set = {str(pathlib.Path(t).resolve()) for t in tracks}
    pads = PadExamples(live.n_pads, live.pads.like_no_pad)
    numbered = {e.pad_number - 1 for e in examples if e.pad_number}
    ids = {}
    for e in examples:
        where = f"{csv_path}: row {e.row}"
        if e.pad_number:
            pad = e.pad_number - 1
        elif e.pad_name in ids:
            pad = ids[e.pad_name]
        else:
            free = [p for p in range(live.n_pads) if p not in numbered and p not in ids.values()]
            if not free:
                raise UsageError(f"{where}: more pads named than the map has ({live.n_pads}: --clusters)")
            pad = ids[e.pad_name] = free[0]
            pads.name(pad, e.pad_name)
        pads.teach(pad, _vector(e, where, rows, shot_index, track_set, extractor, samplerate))
    live.set_pads(pads)
    return pads


def _vector(e, where, rows, shot_index, track_set, extractor, samplerate):
    if e.seconds is not None:
        starts = [(abs(r[1] / samplerate - e.seconds), i) for i, r in enumerate(rows)
                  if str(pathlib.Path(r[0]).resolve()) in track_set]
        if not starts or min(starts)[0] > MAX_OFFSET_S:
            raise UsageError(f"{where}: no sound of the track starts within {MAX_OFFSET_S:g} s "
                             f"of {e.seconds:g} s")
        return rows[min(starts)[1]][3]
    key = str(e.path)
    if key in shot_index:
        return rows[shot_index[key]][3]
    try:
        audio = audiofile.read(e.path, samplerate=samplerate, channels=1)
    except (ValueError, OSError) as err:
        raise UsageError(f"{where}: {err}") from None
    y = audio.samples[:, 0]
    if y.shape[0] == 0:
        raise UsageError(f"{where}: {e.path}: no audio in the file")
    return extractor.vector(np.ascontiguousarray(y), samplerate)


def pad_entries(live, extractor) -> tuple:
    """``live``'s taught pads as map.json's ``pads`` (files/mapfile.py)."""
    projection = getattr(extractor, "projection", None)
    space = projection.digest if projection is not None else None
    return tuple(mapfile.PadEntry(d["id"], d.get("name"), tuple(tuple(r) for r in d["examples"]), space)
                 for d in live.pads.to_json())
