"""``livemappr similar FILE|--mic --library LIB``: the sounds of a library nearest to a sound.

Runs on: the main thread.

FILE is analysed as ``livemappr map`` analyses a one-shot (its first second,
the same feature vector), or, in a library of whole tracks (``map
--tracks``), as a whole track (commands/tracks.py), and compared with every
sound the library index in ``LIB/index`` holds (files/library.py; ``livemappr map FOLDER --out LIB``
makes it), by the euclidean distance between vectors: the distance the map's
neighbours are found by, so the nearest sounds are the ones the map puts
beside it (session/library.py). Nothing in the library is written. FILE's
own entry (when it is one of the library's files) is left out of the list.
With ``--mic`` the sound is the first one heard on the input device
(commands/listen.py); with ``--play`` the sounds found are auditioned on the
audio output, nearest first, each line printed as its sound starts
(commands/audition.py).

One line a sound, nearest first: rank, distance, the file (and where in it,
for a sound cut from a track)::

      1  0.412  /home/me/samples/kick_03.wav
      2  0.530  /home/me/samples/beat.flac @ 1.25-1.61 s
"""

from __future__ import annotations

import os
import pathlib
import sys

from livemappr.analysis.features import FeatureConfig, FeatureExtractor
from livemappr.commands import tracks
from livemappr.files.library import library_key
from livemappr.errors import UsageError
from livemappr.session.library import LibrarySounds, Sound, index_folder

__all__ = ["similar", "open_library", "run", "Match"]

#: The rate ``livemappr map`` reads sounds at (its default): vectors of the
#: library were made at it, so FILE is read at it too.
SAMPLERATE = 48000

#: One sound found (session/library.py's :class:`Sound`: ``distance``, ``path``,
#: ``start_s``, ``end_s``, ``whole``, and its row ``index`` in the library).
Match = Sound


def open_library(library, samplerate=SAMPLERATE):
    """The library's sounds, one-shots or whole tracks, whichever its index holds
    (a :class:`~livemappr.session.library.LibrarySounds`), and ``describe(path)``:
    a file's vector made as the library's files' were."""
    folder = index_folder(library)
    extractor = FeatureExtractor(FeatureConfig())
    problems = []
    lib, describe = tracks.open_library(folder, samplerate, problems.append, extractor,
                                        library_key(extractor, samplerate))
    return LibrarySounds.of_index(lib, samplerate, library, problems), describe


def similar(file, library, n=20, samplerate=SAMPLERATE):
    """The ``n`` sounds of ``library`` nearest to ``file``, nearest first.

    Parameters
    ----------
    file : path
        An audio file, analysed as the library's files were (a one-shot, or a whole track).
    library : path
        A map's folder (``livemappr map ... --out LIB``) or its ``index`` folder.
    n : int
        At most this many sounds.

    Returns
    -------
    list of :class:`Match`
    """
    lib, describe = open_library(library, samplerate)
    if not pathlib.Path(file).is_file():
        raise UsageError(f"{file}: no such file")
    x = describe(file)
    return lib.nearest(x, n, leave_out=lib.rows_of(os.path.abspath(file)))


def describe_heard(heard, describe):
    """The vector of a sound heard at the mic, made as the library's files' were: it
    is written to a temporary WAV file and described like a FILE given."""
    import tempfile

    import soundfile

    with tempfile.TemporaryDirectory(prefix="livemappr-mic-") as tmp:
        path = pathlib.Path(tmp) / "heard.wav"
        soundfile.write(path, heard.audio, heard.samplerate, subtype="FLOAT")
        return describe(path)


def line(rank, m):
    """One printed line: rank, distance, the file (and where, for a sound cut from a track)."""
    where = "" if m.whole else f" @ {m.start_s:.2f}-{m.end_s:.2f} s"
    return f"{rank:4d}  {m.distance:7.3f}  {m.path}{where}"


def run(args, out=None):
    """``livemappr similar``: print the matches, one a line (with ``--play``: as each plays)."""
    from livemappr.commands import audition

    out = out or sys.stdout
    play, mic = getattr(args, "play", False), getattr(args, "mic", False)
    device = getattr(args, "device", None)
    if not 1 <= args.n <= 100000:
        raise UsageError(f"-n must be in 1..100000, got {args.n}")
    if mic and args.file:
        raise UsageError("give a FILE or --mic, not both")
    if not mic and not args.file:
        raise UsageError("give a FILE to compare, or --mic to listen for a sound")
    if play:
        if args.n > audition.MAX_SOUNDS:
            raise UsageError(f"--play auditions at most {audition.MAX_SOUNDS} sounds, got -n {args.n}")
        audition.output_choice(device)  # no output to play on: one line now, before any analysis
    if mic:
        from livemappr.commands import listen

        lib, describe = open_library(args.library)
        heard = listen.one_sound(device=device, seconds=args.seconds)
        found = lib.nearest(describe_heard(heard, describe), args.n)
    else:
        found = similar(args.file, args.library, args.n)
    lines = [line(rank, m) for rank, m in enumerate(found, 1)]
    if not play:
        for text in lines:
            print(text, file=out)
        return 0
    audition.audition([(m.path, m.start_s, None if m.whole else m.end_s) for m in found], device=device,
                      on_play=lambda i: print(lines[i], file=out, flush=True))
    return 0
