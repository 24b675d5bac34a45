"""The audio of a map's snippets, cut from their sources (files, or a session's journal).

Runs on: whichever thread reads a map's sounds: ``livemappr export`` and a
live session loading a ``--corpus`` map (before its stream starts).
"""

import pathlib

import numpy as np

from livemappr.errors import UsageError
from livemappr.files import audiofile
from livemappr.session import capturefile, journal


class MapSources:
    """Audio of the map's sources at ``samplerate``, each opened once.

    Parameters
    ----------
    map_dir : path
        The folder holding map.json (sources are relative to it).
    map_rate : int
        The map's sample rate (its times are seconds; a journal is at this rate).
    samplerate : int
        The rate the audio is wanted at.
    """

    def __init__(self, map_dir, map_rate, samplerate):
        self.map_dir = pathlib.Path(map_dir)
        self.map_rate = map_rate
        self.samplerate = samplerate
        self._cache = {}

    def cut(self, source, start, end):
        """Mono float32 audio of ``source`` from ``start`` to ``end`` seconds;
        a :class:`UsageError` (one line) when the source cannot be read."""
        audio = self._cache.get(source)
        if audio is None:
            audio = self._cache[source] = self._load(source)
        a, b = int(round(start * self.samplerate)), int(round(end * self.samplerate))
        return audio[a:min(b, audio.shape[0])]

    def _load(self, source):
        path = pathlib.Path(source)
        if not path.is_absolute():
            path = self.map_dir / path
        if path.name == journal.AUDIO_FILE and (path.parent / journal.MANIFEST).exists():
            samples, manifest = capturefile.load(path.parent) or (None, None)
            if samples is None:
                raise UsageError(f"{path}: the capture journal is gone")
            if manifest["samplerate"] != self.map_rate:
                raise UsageError(f"{path} is at {manifest['samplerate']} Hz; the map says {self.map_rate}")
            return audiofile.resample(np.asarray(samples, np.float32).mean(axis=1), self.map_rate, self.samplerate)
        return audiofile.read(path, samplerate=self.samplerate, channels=1).samples[:, 0]
