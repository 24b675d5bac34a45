"""Counting bad input: every kind counted, each kind reported once.

Runs on: control threads (OSC server, MIDI poller); any thread reads.

A flood of bad packets must neither flood the log nor slow the surfaces, so
only the first occurrence of each kind is logged (and passed to listeners,
e.g. OSC feedback); later ones only increment a counter.
"""

import logging
import threading

log = logging.getLogger("livemappr.control")


class ErrorCounts:
    """Counts per kind of bad input; reports the first of each kind."""

    def __init__(self):
        self._lock = threading.Lock()
        self._counts = {}
        self._first = {}
        self.listeners = []  # callables (kind, message), called once per kind

    def count(self, kind, message="", n=1):
        """Count ``n`` (default one) of ``kind``; log and tell listeners the first time. Returns the count."""
        with self._lock:
            before = self._counts.get(kind, 0)
            n = before + n
            self._counts[kind] = n
            first = before == 0
            if first:
                self._first[kind] = message
        if first:
            log.warning("%s: %s (further ones are only counted)", kind, message)
            for listener in list(self.listeners):
                try:
                    listener(kind, message)
                except Exception:  # a broken listener must not stop a surface
                    log.exception("error listener failed")
        return n

    def counts(self):
        """A copy of the counts, ``{kind: n}``."""
        with self._lock:
            return dict(self._counts)

    def first_messages(self):
        """The first message of each kind, ``{kind: message}``."""
        with self._lock:
            return dict(self._first)

    def total(self):
        with self._lock:
            return sum(self._counts.values())
