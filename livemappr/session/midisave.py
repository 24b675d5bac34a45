"""MIDI learn, kept: each learned map written to the session's config file, off the MIDI thread.

Runs on: the MIDI poller (:meth:`MidiMapSaver.learned`, which only hands
the map on), the saver's background worker (the write), the main thread at
stop (the last write, if one was waiting).

The map goes into the ``[midi]`` section of the ``--config`` file (or, with
no ``--config``, ``livemappr.toml`` in the session folder), replacing only
that section (:func:`livemappr.session.settings.write_section`: atomic, the
other sections and their comments kept). Learning ten controls in a row
writes at most twice (the write running, and one with the newest map).
"""

import threading

from livemappr.control.background import Background
from livemappr.session import settings

HEADER = "written by livemappr's MIDI learn (docs/midi.md); other sections of this file are kept as they are"


class MidiMapSaver:
    """Writes learned MIDI maps to ``path``; tells ``log`` each write or failure.

    Parameters
    ----------
    path : path or None
        The config file; None keeps learned maps in memory only (said once).
    log : callable(str)
    """

    def __init__(self, path, log):
        self.path, self.log = path, log
        self._lock = threading.Lock()
        self._latest = self._written = None
        self._worker = Background(on_error=log, name="livemappr-midi-map")
        self.writes = 0
        self._told_nowhere = False

    def learned(self, midi_map):
        """A new map (MIDI learn): write it soon. Called on the MIDI thread; never blocks on the disk."""
        with self._lock:
            self._latest = midi_map
        if self.path is None:
            if not self._told_nowhere:
                self._told_nowhere = True
                self.log("livemappr: MIDI learn: the map is kept for this run only (no --config file or "
                         "session folder to write it to)")
            return
        self._worker.submit("write", self.save)

    def save(self):
        """Write the newest learned map if it is not written yet (any thread)."""
        with self._lock:
            latest = self._latest
        if latest is None or latest is self._written or self.path is None:
            return
        try:
            target = settings.write_section(self.path, "midi", latest.toml_lines(), header=HEADER)
        except settings.SettingsError as e:
            self.log(f"livemappr: MIDI learn: {e}; the map is kept for this run only")
            return
        self._written = latest
        self.writes += 1
        self.log(f"livemappr: MIDI learn: the map is saved in {target} ([midi])")

    def stop(self):
        """Stop the worker, then write what it left waiting."""
        self._worker.close()
        self.save()
