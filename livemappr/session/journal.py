"""The session journal: everything the mic captured, on disk within a second.

Runs on: the journal thread (``Journal``); ``load`` runs on the main thread
when a session resumes.

The journal is raw float32 frames appended to ``capture.f32`` plus
``capture.json`` (sample rate, channels, the stream frame the file starts
at). Raw frames survive ``kill -9`` at any moment: a torn last frame is cut
off on load, everything flushed before is there. Every flush is followed by
``fsync``, at least once a second. If the disk is full (or any write fails)
the error is reported once, recording goes on in memory, and the journal
retries; nothing captured is dropped unless memory itself runs out.
"""

import json
import os
import pathlib
import threading
import time
from collections import deque

import numpy as np

from livemappr.threads import Daemon

AUDIO_FILE = "capture.f32"
MANIFEST = "capture.json"
FORMAT = "livemappr-capture"


class Journal:
    """Copies the capture ring to disk on its own thread.

    Parameters
    ----------
    directory : path
        The session directory (created if missing).
    reader : livemappr.realtime.ring.RingReader
        Its own cursor on the capture ring.
    samplerate : int
    flush_seconds : float
        How often to write and fsync (at most 1 s).
    on_error : callable(str), optional
        Told once per kind of failure (e.g. the disk is full).
    """

    def __init__(self, directory, reader, samplerate, flush_seconds=0.5, on_error=None):
        if not 0 < flush_seconds <= 1.0:
            raise ValueError(f"flush_seconds must be in (0, 1], got {flush_seconds}")
        self.directory = pathlib.Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.reader = reader
        self.samplerate = int(samplerate)
        self.channels = reader._buf.shape[1]
        self.flush_seconds = flush_seconds
        self.on_error = on_error or (lambda message: None)
        self.frames_on_disk = 0
        self.missed = 0  # frames the ring lost before the journal read them
        self.errors = {}  # kind -> count
        self._pending = deque()  # chunks not yet on disk
        self._thread = Daemon("livemappr-journal", self._run, on_error=lambda message: self._error("thread", message))
        self._stop = self._thread.stopping
        self._lock = threading.Lock()  # flush may also be called from outside the thread
        self._path = self.directory / AUDIO_FILE
        self._file = None

    @property
    def pending_frames(self):
        return sum(c.shape[0] for c in self._pending)

    def start(self, start_frame):
        """Start journalling from stream frame ``start_frame``."""
        existing = load_manifest(self.directory)
        if existing is not None:
            self.frames_on_disk = _whole_frames(self._path, self.channels)
            _truncate_to(self._path, self.frames_on_disk, self.channels)
        self._write_manifest(start_frame)
        self._file = open(self._path, "ab")
        self._thread.start()

    def stop(self):
        """Write everything captured so far and stop."""
        self._thread.stop()
        self.flush()
        if self._file is not None:
            self._file.close()

    def _run(self):
        while not self._stop.wait(self.flush_seconds):
            self.flush()

    def flush(self):
        """Read the ring, append to disk, fsync. Returns frames written."""
        with self._lock:
            return self._flush()

    def _flush(self):
        read = self.reader.read()
        if read.missed:
            self._error("ring_overflow", f"the journal fell behind: {read.missed} captured frames lost")
            self.missed += read.missed
        if read.frames:
            self._pending.append(read.copy())
        lost = self.reader.release(read)
        if lost:
            self.missed += lost
            self._error("ring_overflow", f"the journal fell behind: {lost} captured frames lost")
        written = 0
        while self._pending:
            chunk = self._pending[0]
            try:
                self._file.write(np.ascontiguousarray(chunk, np.float32).tobytes())
                self._file.flush()
                os.fsync(self._file.fileno())
            except OSError as e:
                # Part of the chunk may be on disk: cut back to whole frames
                # already counted, keep the chunk, try again next time.
                self._error("disk", f"cannot write {self._path}: {e.strerror or e}; recording goes on in memory")
                self._recover()
                break
            self._pending.popleft()
            self.frames_on_disk += chunk.shape[0]
            written += chunk.shape[0]
        return written

    def _recover(self):
        try:
            self._file.close()
        except OSError:
            pass
        try:
            _truncate_to(self._path, self.frames_on_disk, self.channels)
        except OSError:
            pass
        self._file = open(self._path, "ab")

    def _error(self, kind, message):
        self.errors[kind] = self.errors.get(kind, 0) + 1
        if self.errors[kind] == 1:
            self.on_error(message)

    def _write_manifest(self, start_frame):
        manifest = load_manifest(self.directory) or {
            "format": FORMAT, "version": 1, "samplerate": self.samplerate, "channels": self.channels,
            "dtype": "float32", "created": time.time(),
        }
        if manifest["samplerate"] != self.samplerate or manifest["channels"] != self.channels:
            raise ValueError(
                f"{self.directory} holds a session at {manifest['samplerate']} Hz, {manifest['channels']} "
                f"channel(s); this run is {self.samplerate} Hz, {self.channels}: use another --session")
        # Each run appends; its frames are numbered by that run's stream clock.
        manifest.setdefault("runs", []).append({"file_frame": self.frames_on_disk, "stream_frame": int(start_frame)})
        tmp = self.directory / (MANIFEST + ".tmp")
        tmp.write_text(json.dumps(manifest, indent=1))
        os.replace(tmp, self.directory / MANIFEST)


def load_manifest(directory):
    """The journal's manifest, or None if the directory has no journal."""
    path = pathlib.Path(directory) / MANIFEST
    if not path.exists():
        return None
    manifest = json.loads(path.read_text())
    if manifest.get("format") != FORMAT:
        raise ValueError(f"{path} is not a livemappr capture journal")
    return manifest


def load(directory):
    """Everything a journal holds.

    Returns
    -------
    samples : ndarray of shape (n_frames, channels), float32 (memory-mapped)
    manifest : dict
    """
    directory = pathlib.Path(directory)
    manifest = load_manifest(directory)
    if manifest is None:
        raise FileNotFoundError(f"{directory} has no capture journal")
    path = directory / AUDIO_FILE
    channels = manifest["channels"]
    frames = _whole_frames(path, channels)
    if frames == 0:
        return np.zeros((0, channels), np.float32), manifest
    return np.memmap(path, dtype=np.float32, mode="r", shape=(frames, channels)), manifest


def _whole_frames(path, channels):
    try:
        return os.path.getsize(path) // (4 * channels)
    except FileNotFoundError:
        return 0


def _truncate_to(path, frames, channels):
    if path.exists() and os.path.getsize(path) != frames * 4 * channels:
        with open(path, "r+b") as f:
            f.truncate(frames * 4 * channels)
