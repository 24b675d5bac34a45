"""The session journal: everything the mic captured, on disk within a second.

Runs on: the journal thread (``Journal``); ``load`` runs on the main thread
when a session resumes; ``SessionLock`` on the main thread at start and stop.

The journal is raw float32 frames appended to ``capture.f32`` plus
``capture.json`` (sample rate, channels, the stream frame the file starts
at). Raw frames survive ``kill -9`` at any moment: a torn last frame is cut
off on load, everything flushed before is there. Every flush is followed by
``fsync``, at least once a second.

If the disk fails (full, turned read-only, gone) the failure is told once,
recording goes on in memory, and the journal tries again, reopening the file
(every ``flush_seconds``, then less often, up to every ``RETRY_MAX_SECONDS``);
when a write gets through it says so and everything held is on disk. The
journal thread never stops on an error. Frames the ring overwrote before the
journal read them (it was held up) are written as silence, so the file keeps
the stream's time, and counted in ``missed``. What could not be saved by
``stop`` is ``unsaved_frames``.

One session at a time uses a directory: :class:`SessionLock`.
"""

import errno
import fcntl
import json
import os
import pathlib
import threading
import time
from collections import deque

import numpy as np

from livemappr.errors import LivemapprError, UsageError
from livemappr.threads import Daemon

AUDIO_FILE = "capture.f32"
MANIFEST = "capture.json"
LOCK_FILE = "livemappr.lock"
FORMAT = "livemappr-capture"

#: Frames written at a time (a disk that fills takes what fits).
PIECE_FRAMES = 4096

#: The longest wait between two tries at a disk that failed.
RETRY_MAX_SECONDS = 4.0


class JournalError(UsageError, ValueError):
    """A session directory whose journal does not fit this run (another rate,
    not a livemappr journal): one line, usage (exit status 2)."""


class SessionDirError(LivemapprError):
    """A session directory that cannot be used now (read-only, full, in use): exit status 1."""


def _reason(e):
    return e.strerror or str(e)


class SessionLock:
    """An exclusive lock on a session directory, held until :meth:`release`
    (or the process ends: the kernel lets go of it even after ``kill -9``).

    Makes the directory if it is missing (its parent must exist). Raises
    :class:`UsageError` when ``directory`` is not a directory or its parent is
    missing, :class:`SessionDirError` when it cannot be written or another
    process holds it (naming that process).
    """

    def __init__(self, directory):
        self.directory = path = pathlib.Path(directory)
        if path.exists() and not path.is_dir():
            raise UsageError(f"--session {path} is not a directory")
        if not path.exists():
            parent = path.parent
            if not parent.is_dir():
                raise UsageError(f"--session {path}: {parent} does not exist" if not parent.exists() else
                                 f"--session {path}: {parent} is not a directory")
            try:
                path.mkdir()
            except FileExistsError:
                pass  # made meanwhile
            except OSError as e:
                raise SessionDirError(f"cannot make the session directory {path}: {_reason(e)}") from None
        self.path = path / LOCK_FILE
        try:
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError as e:
            raise SessionDirError(f"cannot use the session directory {path}: {_reason(e)}") from None
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as e:
            try:
                pid = os.pread(self._fd, 32, 0).decode("ascii", "replace").strip() or "unknown"
            except OSError:
                pid = "unknown"
            os.close(self._fd)
            self._fd = None
            if e.errno in (errno.EWOULDBLOCK, errno.EAGAIN):
                raise SessionDirError(f"the session directory {path} is in use by another livemappr "
                                      f"(pid {pid}); stop it or use another --session") from None
            raise SessionDirError(f"cannot lock the session directory {path}: {_reason(e)}") from None
        try:  # who holds it, for the next one to name; a disk that takes no bytes takes no session
            os.ftruncate(self._fd, 0)
            os.pwrite(self._fd, f"{os.getpid()}\n".encode(), 0)
            os.fsync(self._fd)
        except OSError as e:
            self.release()
            raise SessionDirError(f"cannot write in the session directory {path}: {_reason(e)}") from None

    def release(self):
        if self._fd is not None:
            try:  # the next session must not name a process that is gone
                os.ftruncate(self._fd, 0)
            except OSError:
                pass
            os.close(self._fd)  # lets go of the lock
            self._fd = None


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
        Told once per episode of a failure (e.g. the disk is full), and when
        the journal writes again.
    """

    def __init__(self, directory, reader, samplerate, flush_seconds=0.5, on_error=None):
        if not 0 < flush_seconds <= 1.0:
            raise ValueError(f"flush_seconds must be in (0, 1], got {flush_seconds}")
        self.directory = pathlib.Path(directory)
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except FileExistsError:
            raise UsageError(f"--session {self.directory} is not a directory") from None
        except OSError as e:
            raise SessionDirError(f"cannot make the session directory {self.directory}: {_reason(e)}") from None
        self.reader = reader
        self.samplerate = int(samplerate)
        self.channels = reader._buf.shape[1]
        self.flush_seconds = flush_seconds
        self.on_error = on_error or (lambda message: None)
        self.frames_on_disk = 0
        self.missed = 0  # frames the ring lost before the journal read them (written as silence)
        self.dropped = 0  # frames not kept at all (memory ran out)
        self.errors = {}  # kind -> count
        self.last_error = None  # why the disk refused, while it does
        self._told = set()  # kinds told in the episode under way
        self._pending = deque()  # chunks not yet on disk
        self._held = 0  # their frames
        self._held_silence = 0  # of which silence for frames the ring lost (counted in missed)
        self._failed_at_frames = 0  # frames on disk when the episode began
        self._retry_at = 0.0
        self._retry_wait = flush_seconds
        self._thread = Daemon("livemappr-journal", self._run, on_error=lambda message: self._error("thread", message))
        self._stop = self._thread.stopping
        self._lock = threading.Lock()  # flush may also be called from outside the thread
        self._path = self.directory / AUDIO_FILE
        self._file = None

    @property
    def pending_frames(self):
        """Frames held in memory, not on disk yet (any thread may ask)."""
        return self._held

    @property
    def unsaved_frames(self):
        """Frames captured and not on disk: held in memory (the disk refused
        them), overwritten in the ring before the journal read them, or dropped."""
        return self._held - self._held_silence + self.missed + self.dropped

    @property
    def alive(self):
        return self._thread.alive

    def start(self, start_frame):
        """Start journalling from stream frame ``start_frame``."""
        try:
            existing = load_manifest(self.directory)
            if existing is not None:
                self.frames_on_disk = _whole_frames(self._path, self.channels)
                _truncate_to(self._path, self.frames_on_disk, self.channels)
            self._write_manifest(start_frame)
            self._file = open(self._path, "ab")
        except OSError as e:
            raise SessionDirError(f"cannot write the journal in {self.directory}: {_reason(e)}") from None
        self._thread.start()

    def stop(self):
        """Write everything captured so far and stop. Returns the frames that
        could not be saved (``unsaved_frames``)."""
        self._thread.stop()
        self.flush()
        if self._pending:  # the disk refused the rest: whole frames counted on disk, nothing torn
            try:
                _truncate_to(self._path, self.frames_on_disk, self.channels)
            except OSError:
                pass
        if self._file is not None:
            try:
                self._file.close()
            except OSError:
                pass  # everything counted as on disk was fsync'd
            self._file = None
        return self.unsaved_frames

    def _run(self):
        while not self._stop.wait(self.flush_seconds):
            try:
                with self._lock:
                    self._drain()
                    if time.monotonic() >= self._retry_at:
                        self._write_pending()
            except Exception as e:  # the journal never stops: told once an episode, tried again
                self._error("thread", f"journal: {type(e).__name__}: {e}; trying again")

    def flush(self):
        """Read the ring, append to disk, fsync (now, however recently the
        disk failed). Returns frames written."""
        with self._lock:
            self._drain()
            return self._write_pending()

    def _drain(self):
        """What the ring holds, into memory."""
        read = self.reader.read()
        if read.missed:
            self._lost(read.missed)
        chunk = None
        if read.frames:
            try:
                chunk = read.copy()
            except MemoryError:
                self.dropped += read.frames
                self._error("memory", f"out of memory: {read.frames / self.samplerate:.1f} s of capture dropped")
        lost = self.reader.release(read)
        if chunk is not None:
            if lost:  # its first frames were overwritten while copied: silence in their place, not beside them
                self._lost(lost)  # (the file keeps the stream's time, and no frame is counted twice)
                chunk = chunk[lost:]
            if chunk.shape[0]:
                self._pending.append(chunk)
                self._held += chunk.shape[0]
        if not read.missed and not lost:
            self._told.discard("ring_overflow")

    def _lost(self, frames):
        self.missed += frames
        # Silence in their place (a view, no memory): later frames keep their time in the file.
        self._pending.append(np.broadcast_to(np.zeros((1, self.channels), np.float32), (frames, self.channels)))
        self._held += frames
        self._held_silence += frames
        self._error("ring_overflow", f"the journal fell behind: {frames / self.samplerate:.2f} s of capture "
                                    f"lost ({self.missed / self.samplerate:.2f} s in all), written as silence")

    def _write_pending(self):
        written = 0
        try:
            if self._file is None:
                self._reopen()
            while self._pending:
                chunk = self._pending[0]
                done = 0
                try:
                    # In pieces (silence is a view): a disk that fills takes what fits.
                    for a in range(0, chunk.shape[0], PIECE_FRAMES):
                        self._file.write(np.ascontiguousarray(chunk[a:a + PIECE_FRAMES], np.float32).tobytes())
                        self._file.flush()
                        done = min(a + PIECE_FRAMES, chunk.shape[0])
                    os.fsync(self._file.fileno())
                except OSError:
                    if done:  # the pieces that got through count once they are on the disk
                        try:
                            os.fsync(self._file.fileno())
                            written += self._on_disk(done)
                        except OSError:
                            pass
                    raise
                written += self._on_disk(done)
        except OSError as e:
            # Part of the chunk may be on disk: cut back to whole frames
            # already counted, keep the chunk, try again later.
            self.last_error = _reason(e)
            if "disk" not in self._told:
                self._failed_at_frames = self.frames_on_disk
            self._error("disk", f"cannot write {self._path}: {self.last_error}; recording goes on in memory")
            self._retry_at = time.monotonic() + self._retry_wait
            self._retry_wait = min(2 * self._retry_wait, RETRY_MAX_SECONDS)
            self._recover()
            return written
        self._retry_wait = self.flush_seconds
        if "disk" in self._told:
            self._told.discard("disk")
            self.last_error = None
            self.on_error(f"the journal writes to {self._path} again: the "
                          f"{(self.frames_on_disk - self._failed_at_frames) / self.samplerate:.1f} s "
                          "held in memory are on disk")
        return written

    def _on_disk(self, frames):
        """The first ``frames`` held are on disk now."""
        chunk = self._pending[0]
        if frames == chunk.shape[0]:
            self._pending.popleft()
        else:
            self._pending[0] = chunk[frames:]
        self._held -= frames
        if chunk.strides[0] == 0:
            self._held_silence -= frames
        self.frames_on_disk += frames
        return frames

    def _recover(self):
        """Close the file; the next try reopens it (see ``_reopen``)."""
        if self._file is None:
            return  # it did not reopen
        try:
            self._file.close()
        except (OSError, ValueError):
            pass  # a write that failed may fail again as it closes
        self._file = None

    def _reopen(self):
        """Open the file for appending, cut back to the frames counted on disk."""
        f = open(self._path, "ab")
        try:
            size = os.fstat(f.fileno()).st_size
            if size != self.frames_on_disk * 4 * self.channels:
                f.truncate(self.frames_on_disk * 4 * self.channels)
        except BaseException:
            f.close()
            raise
        self._file = f

    def _error(self, kind, message):
        """Count a failure; tell it once an episode (until it clears)."""
        self.errors[kind] = self.errors.get(kind, 0) + 1
        if kind not in self._told:
            self._told.add(kind)
            self.on_error(message)

    def _write_manifest(self, start_frame):
        manifest = load_manifest(self.directory) or {
            "format": FORMAT, "version": 1, "samplerate": self.samplerate, "channels": self.channels,
            "dtype": "float32", "created": time.time(),
        }
        if manifest.get("samplerate") != self.samplerate or manifest.get("channels") != self.channels:
            raise JournalError(
                f"{self.directory} holds a session at {manifest.get('samplerate')} Hz, {manifest.get('channels')} "
                f"channel(s); this run is {self.samplerate} Hz, {self.channels}: use another --session")
        # Each run appends; its frames are numbered by that run's stream clock.
        if not isinstance(manifest.get("runs", []), list):
            raise JournalError(f"{self.directory / MANIFEST} is not a livemappr capture journal (runs)")
        manifest.setdefault("runs", []).append({"file_frame": self.frames_on_disk, "stream_frame": int(start_frame)})
        tmp = self.directory / (MANIFEST + ".tmp")
        tmp.write_text(json.dumps(manifest, indent=1))
        os.replace(tmp, self.directory / MANIFEST)


def load_manifest(directory):
    """The journal's manifest, or None if the directory has no journal."""
    path = pathlib.Path(directory) / MANIFEST
    if not path.exists():
        return None
    try:
        manifest = json.loads(path.read_text())
    except (ValueError, RecursionError) as e:  # not JSON, or not UTF-8
        raise JournalError(f"{path} is not a livemappr capture journal ({e})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise JournalError(f"{path} is not a livemappr capture journal")
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
