"""Search by example in a live session: a sound's nearest sounds, on the map and in a library.

Runs on: the main thread (made before the stream starts; ``--library`` is
read then); :meth:`Neighbours.catch_up` on the map worker's thread (each
publication's new vectors copied); every search and every library sound
loaded on a background worker of its own (``livemappr-similar``), never on a
surface's receive thread nor the audio thread; :meth:`Neighbours.ask` and
:meth:`Neighbours.ask_play` from any surface thread (they only queue).

What a search answers: the ``n`` sounds of the session's own map nearest
the sound asked about (a snippet id, as ``/livemappr/snippet/play`` takes,
or an audio file analysed as a one-shot), by the euclidean distance between
feature vectors (what the map's neighbours are found by), the sound itself
left out; and with ``live --library LIB`` the ``n`` nearest sounds of that
library (:mod:`livemappr.session.library`), so a beatboxed sound finds the
library's sounds like it. ``ask_play`` plays one of them through the
session's trigger path: a library sound is first cut from its file into the
engine's bank, as ``--corpus`` loads its kit (:func:`~livemappr.session.corpus.bank_sound`),
and played by a trigger of its own over the library sounds loaded so far;
the audio thread sees one more play command, nothing else.

Bounded whatever clients send: at most :data:`MAX_WAITING` searches wait
(one of each question: who asks the same again while it waits gets the same
answer, at most :data:`MAX_ASKERS` of them), at most :data:`MAX_LOADED`
library sounds stay in the bank (the oldest loaded gives its slot back first).
"""

from __future__ import annotations

import itertools
import os
import re
import threading

import numpy as np

from livemappr.control.background import Background
from livemappr.control.playable import PlayableMap, SnapshotRef
from livemappr.control.trigger import Trigger
from livemappr.errors import LivemapprError, UsageError
from livemappr.files import audiofile
from livemappr.session.corpus import bank_sound
from livemappr.session.library import LibrarySounds, VectorMirror
from livemappr.session.sources import MapSources

__all__ = ["Neighbours", "MAX_WAITING", "MAX_LOADED", "MAX_N"]

#: Searches waiting at most; more are refused (``similar_busy``).
MAX_WAITING = 16
#: Askers of one question waiting for its answer at most (several pages clicking one sound).
MAX_ASKERS = 64
#: Library sounds kept in the bank at most (played ones; the oldest goes first).
MAX_LOADED = 64
#: Sounds one answer lists at most, from each of the map and the library.
MAX_N = 100
#: Seconds of a library sound loaded into the bank at most (a long file plays its start).
PLAY_SECONDS = 10.0
#: Longest file a search by path analyses (seconds).
MAX_FILE_SECONDS = 600.0


class Neighbours:
    """A live session's search by example.

    Parameters
    ----------
    engine : livemappr.audio.engine.Engine
    extractor : livemappr.analysis.features.FeatureExtractor
        Makes vectors like the session's (for a file asked about).
    library : path, optional
        ``--library LIB``: a map's folder holding a library index.
    log : callable(str)
    """

    def __init__(self, engine, extractor, library=None, log=print):
        self.engine = engine
        self.log = log
        self.samplerate = engine.config.samplerate
        self.extractor = extractor
        self.mirror = VectorMirror(extractor.n_features)
        self.library = None
        self.trigger = None  # the session's trigger path (set once the surfaces exist)
        if library is not None:
            try:
                self.library = LibrarySounds(library, extractor, self.samplerate, log=lambda m: log(f"livemappr: {m}"))
            except LivemapprError as e:  # its vectors are not this session's: say which library a session takes
                why = re.search(r"\(([^()]*changed)\)", str(e))
                raise UsageError(f"--library {library}: " + (f"its index holds other vectors ({why.group(1)})"
                                                             if why else str(e))
                                 + f"; a live session searches a library of one-shots mapped at its rate "
                                   f"({self.samplerate} Hz), not one of --tracks") from None
            log(f"livemappr: --library {library}: {len(self.library)} sounds to search")
        self._sources = MapSources(".", self.samplerate, self.samplerate)
        self._loaded = {}  # library row -> index in the player's map (in order of loading)
        self._player = SnapshotRef()
        self._slots = []
        self._rows = []
        self._library_trigger = None
        self._background = Background(name="livemappr-similar")
        self._waiters = {}  # question -> [(done, failed)] of who asked it while it waited or ran
        self._lock = threading.Lock()
        self._plays = itertools.count()

    # -- from the map worker ------------------------------------------------------
    def catch_up(self, features):
        """Copy the map's new vectors (called on the map worker's thread)."""
        self.mirror.catch_up(features)

    # -- from the surfaces --------------------------------------------------------
    def ask(self, sound, n, done, failed):
        """Search for ``sound`` (snippet id or path) on the worker; then ``done(found)`` or ``failed(error)``.

        ``found`` is a list of ``(where, id, distance, name)``: ``where`` "map"
        (``id`` a snippet, ``name`` "") or "library" (``id`` its row, ``name``
        its file, ``@ start-end s`` for a sound cut from a track), nearest
        first within each. Returns False when too many searches wait.
        """
        n = _count(n)
        return self._submit(("similar", sound, n), lambda: self.find(sound, n), done, failed)

    def ask_play(self, sound, rank, velocity, done=None, failed=None):
        """Play the ``rank``-th nearest sound to ``sound`` (in the library when one is
        loaded, else on the map), on the worker; ``done((where, id, distance, name))``."""
        rank = _count(rank)
        # every play its own job (a second hit plays again), within the same bound
        return self._submit(("play", next(self._plays)), lambda: self.play(sound, rank, velocity), done, failed)

    def _submit(self, key, work, done, failed):
        """Queue ``work`` once per question: who asks it again while it waits gets the same answer."""
        name = repr(key)
        with self._lock:
            waiting = self._waiters.get(name)
            if waiting is not None:
                if len(waiting) >= MAX_ASKERS:
                    return False
                waiting.append((done, failed))
                return True
            if self._background.waiting >= MAX_WAITING:
                return False
            self._waiters[name] = [(done, failed)]

        def answer(result, error=None):
            with self._lock:
                askers = self._waiters.pop(name, [])
            for done_, failed_ in askers:
                call = failed_ if error is not None else done_
                try:
                    if call is not None:
                        call(error if error is not None else result)
                except Exception as e:  # one asker gone (a closed socket): the others, and the worker, go on
                    self.log(f"livemappr: answering a search failed: {type(e).__name__}: {e}")

        self._background.submit(name, work, answer, lambda e: answer(None, e))
        return True

    # -- on the worker -------------------------------------------------------------
    def vector_of(self, sound):
        """The vector of a snippet id or a file, and what to leave out: ``(x, map rows, library rows)``."""
        if isinstance(sound, (int, np.integer)) and not isinstance(sound, bool):
            return self.mirror.vector(int(sound)), [int(sound)], []
        path = os.path.abspath(str(sound))
        rows = self.library.rows_of(path) if self.library is not None else []
        if rows:
            return self.library.vectors[rows[0]], [], rows
        if not os.path.isfile(path):
            raise UsageError(f"{sound}: no such snippet or audio file")
        audio = audiofile.read(path, samplerate=self.samplerate, channels=1, max_seconds=MAX_FILE_SECONDS)
        y = np.ascontiguousarray(audio.samples[:, 0])
        if y.shape[0] == 0:
            raise UsageError(f"{sound}: no audio in the file")
        return self.extractor.vector(y, self.samplerate), [], []

    def find(self, sound, n):
        """The answer :meth:`ask` hands to ``done`` (on the caller's thread)."""
        x, on_map, in_library = self.vector_of(sound)
        found = [("map", i, d, "") for i, d in self.mirror.nearest(x, n, leave_out=on_map)]
        if self.library is not None:
            found += [("library", s.index, s.distance, _name(s))
                      for s in self.library.nearest(x, n, leave_out=in_library)]
        return found

    def play(self, sound, rank, velocity=1.0):
        """Play the ``rank``-th nearest sound (see :meth:`ask_play`); returns it as :meth:`find` lists it."""
        where = "library" if self.library is not None else "map"
        found = [f for f in self.find(sound, rank) if f[0] == where]
        if len(found) < rank:
            raise ValueError(f"rank {rank}: the {where} has only {len(found)} sound(s) to offer")
        hit = found[rank - 1]
        if where == "map":
            if self.trigger is None:
                raise ValueError("nothing plays in this session (no surfaces)")
            self.trigger.play_snippet(hit[1], velocity, origin="similar")
        else:
            self._library_trigger_for(hit[1]).play_snippet(self._loaded[hit[1]], velocity, origin="similar")
        return hit

    def _library_trigger_for(self, row):
        """The trigger that plays library row ``row``, its sound loaded into the bank first."""
        if row not in self._loaded:
            if len(self._slots) >= MAX_LOADED:
                self._forget_oldest()
            s = self.library.sound(row)
            start = 0.0 if s.whole else s.start_s
            end = start + PLAY_SECONDS if s.whole else min(s.end_s, s.start_s + PLAY_SECONDS)
            slot, _ = bank_sound(self.engine, self._sources, s.path, start, end)
            if slot < 0:
                raise ValueError(f"{s.path}: no audio to play")
            self._loaded[row] = len(self._slots)
            self._slots.append(slot)
            self._rows.append(row)
            self._publish()
        if self._library_trigger is None:
            self._library_trigger = Trigger(self.engine, self._player).start()
        return self._library_trigger

    def _forget_oldest(self):
        slot = self._slots.pop(0)
        self._rows.pop(0)
        self.engine.release_slot(slot)  # the audio thread lets go once its voices have ended
        self._loaded = {r: i for i, r in enumerate(self._rows)}

    def _publish(self):
        k = len(self._slots)
        self._player.publish(PlayableMap(np.zeros((k, 2)), np.full(k, -1, np.int64), np.array(self._slots, np.int64),
                                         version=self._player.get().version + 1))

    def close(self):
        self._background.close()
        if self._library_trigger is not None:
            self._library_trigger.close()


def _count(n):
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or not 1 <= n <= MAX_N:
        raise ValueError(f"n must be in 1..{MAX_N}, got {n!r}")
    return int(n)


def _name(s):
    return s.path if s.whole else f"{s.path} @ {s.start_s:.2f}-{s.end_s:.2f} s"
