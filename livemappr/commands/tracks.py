"""``livemappr map --tracks``: every file a whole track, one point each; and ``similar`` on such a map.

Runs on: ``livemappr map``'s pool of threads or a Dask cluster's workers
(:func:`read_track`), the main thread (the rest).

Without ``--tracks`` a file named alone is a track cut at its onsets into
sounds, and a file in a folder is a one-shot of which the first second is
analysed. With it every file, named alone or found in a folder, is one
sound: a song, a loop, a set, described over its whole length
(analysis/trackfeatures.py) and read a block at a time
(files/audioblocks.py), so a long file never sits decoded in memory.

Its vectors are kept in the library index under their own key (the track
layout, and ``how`` = ``"track"`` for each file), so a rerun reuses them and
never mixes them up with one-shot vectors of the same files.
"""

from __future__ import annotations

import pathlib

from livemappr.analysis.trackfeatures import TrackExtractor
from livemappr.errors import UsageError
from livemappr.files import audioblocks
from livemappr.files.audiofile import AudioFileError, display
from livemappr.files.library import Library

__all__ = ["TRACK", "read_track", "check_options", "open_library"]

#: How a whole track is cut (the library index's ``how`` of its files).
TRACK = "track"


def read_track(path, samplerate, extractor):
    """A track's row ``[(path, 0, n_frames, vector)]``: one sound, the whole
    file, ``n_frames`` counted at ``samplerate`` (the map's rate), the vector
    made at the extractor's own rate from the file read in blocks."""
    analysis = extractor.analysis()
    for block in audioblocks.blocks(path, extractor.sample_rate):
        if block.size:
            analysis.feed(block)
    if analysis.n_samples == 0:
        raise AudioFileError(f"{display(path)}: no audio in the file")
    try:
        vector = analysis.vector()
    except ValueError as e:
        raise AudioFileError(f"{display(path)}: too short for a track ({e})") from None
    frames = round(analysis.n_samples * samplerate / extractor.sample_rate)
    return [(path, 0, max(frames, 1), vector)]


def check_options(*, slicing="onset", teach=None):
    """One line for the options ``--tracks`` does not go with."""
    if slicing != "onset":
        raise UsageError("--grid cuts tracks into sounds; --tracks keeps each file whole: choose one")
    if teach:
        raise UsageError("--teach teaches pads one-shots; it does not go with --tracks")


def open_library(folder, samplerate, log, shot_extractor, shot_key):
    """The library of ``folder`` read-only, as one-shots or as whole tracks,
    whichever its index holds: ``(library, describe)``, ``describe(path)``
    giving a file's vector as the library's files were described."""
    from livemappr.commands.map import read_shot
    from livemappr.files.library import library_key

    quiet = []
    shots = Library(folder, shot_key, quiet.append, read_only=True)
    if any(e.vectors.shape[0] for e in shots.entries.values()):
        for line in quiet:
            log(line)
        return shots, lambda p: read_shot(pathlib.Path(p), samplerate, shot_extractor)[0][3]
    tx = TrackExtractor()
    tracks = Library(folder, library_key(tx, samplerate), None, read_only=True)
    if any(e.vectors.shape[0] for e in tracks.entries.values()):
        return tracks, lambda p: read_track(pathlib.Path(p), samplerate, tx)[0][3]
    for line in quiet:
        log(line)
    return shots, None
