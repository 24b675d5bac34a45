"""Capture ring: the mic's frames, indexed by absolute stream frame.

Runs on: audio thread (``ring_write``); readers (analysis worker, session
journal) use ``RingReader``.

The audio thread never waits for a reader. Frame ``f`` of the stream lives at
row ``f & (capacity - 1)`` and the writer publishes ``written`` (frames so far)
with release ordering after each chunk. A reader keeps its own cursor, so the
ring has one writer and any number of independent readers, each of which sees
its frames as at most two zero-copy views. A reader that falls more than a
ring behind learns exactly which frames it missed; nothing is silently torn:

- frames older than ``written - capacity + guard`` may be being overwritten by
  the chunk in flight (``guard`` is the largest chunk the writer publishes at
  once), so they are never handed out;
- after using its views the reader calls ``release``, which re-reads
  ``written`` and reports any frame that was overwritten meanwhile.
"""

from typing import NamedTuple

import numpy as np

from livemappr.realtime.atomics import load_acquire, store_release
from livemappr.realtime.jit import audio_kernel

WRITTEN = 0  # state index: frames written since the stream started
STATE_SIZE = 8


def allocate_ring(capacity, channels, guard):
    """Preallocate a ring.

    Parameters
    ----------
    capacity : int
        Frames held; a power of two, larger than ``2 * guard``.
    channels : int
        Interleaved input channels.
    guard : int
        Largest chunk the writer publishes at once (the largest block).

    Returns
    -------
    buf : ndarray of shape (capacity, channels), float32
    state : ndarray of shape (STATE_SIZE,), int64
    """
    if capacity <= 0 or capacity & (capacity - 1):
        raise ValueError(f"ring capacity must be a power of two, got {capacity}")
    if capacity < 2 * guard:
        raise ValueError(f"ring capacity {capacity} must be at least twice the guard {guard}")
    state = np.zeros(STATE_SIZE, np.int64)
    state[1] = guard
    return np.zeros((capacity, channels), np.float32), state


@audio_kernel
def ring_write(buf, state, interleaved, frames):
    """Append ``frames`` interleaved frames. Runs on: audio thread.

    ``interleaved`` is a flat float32 array of ``frames * channels`` values,
    or empty to record silence (an output-only stream keeps frame numbers).
    """
    capacity, channels = buf.shape
    mask = capacity - 1
    guard = state[1]
    written = state[WRITTEN]
    done = 0
    while done < frames:
        chunk = min(guard, frames - done)
        for i in range(chunk):
            row = (written + i) & mask
            base = (done + i) * channels
            if interleaved.shape[0] == 0:
                for c in range(channels):
                    buf[row, c] = 0.0
            else:
                for c in range(channels):
                    buf[row, c] = interleaved[base + c]
        written += chunk
        done += chunk
        store_release(state, WRITTEN, written)


@audio_kernel
def ring_written(state):
    """Frames published so far (acquire): everything before it is readable."""
    return load_acquire(state, WRITTEN)


class RingRead(NamedTuple):
    """One read: frames ``[start, start + frames)`` as at most two views.

    ``missed`` frames before ``start`` were lost to overflow since the last
    read. ``first`` and ``second`` are views into the ring (no copy); use them
    before calling :meth:`RingReader.release`.
    """

    start: int
    missed: int
    first: np.ndarray
    second: np.ndarray

    @property
    def frames(self):
        return self.first.shape[0] + self.second.shape[0]

    def copy(self):
        """The frames as one new array of shape (frames, channels)."""
        return np.concatenate([self.first, self.second])


class RingReader:
    """One reader's cursor over a capture ring. Runs on: one reader thread.

    Parameters
    ----------
    buf, state : arrays from :func:`allocate_ring`
    start : int or None
        First frame to read; ``None`` starts at what is written now.
    """

    def __init__(self, buf, state, start=None):
        self._buf = buf
        self._state = state
        self.cursor = int(ring_written(state)) if start is None else int(start)
        self.missed = 0  # frames lost to overflow, in total

    @property
    def capacity(self):
        return self._buf.shape[0]

    def _oldest_safe(self, written):
        return written - self.capacity + int(self._state[1])

    def available(self):
        """Frames written and not read yet (may exceed what is still held)."""
        return int(ring_written(self._state)) - self.cursor

    def read(self, max_frames=None):
        """Frames from the cursor on, as views; the cursor moves past them.

        Returns
        -------
        RingRead
        """
        written = int(ring_written(self._state))
        start = max(self.cursor, self._oldest_safe(written))
        missed = start - self.cursor
        end = written if max_frames is None else min(written, start + int(max_frames))
        end = max(end, start)
        self.missed += missed
        self.cursor = end
        mask = self.capacity - 1
        a, n = start & mask, end - start
        first = self._buf[a : min(a + n, self.capacity)]
        second = self._buf[: n - first.shape[0]]
        return RingRead(start, missed, first, second)

    def copy_range(self, start, end):
        """A copy of frames ``[start, end)``, or None if any of them is no
        longer (or not yet) in the ring. Does not move the cursor.

        Returns
        -------
        ndarray of shape (end - start, channels), float32, or None
        """
        start, end = int(start), int(end)
        written = int(ring_written(self._state))
        if end > written or start < self._oldest_safe(written) or end < start:
            return None
        mask = self.capacity - 1
        a, n = start & mask, end - start
        first = self._buf[a : min(a + n, self.capacity)]
        out = np.concatenate([first, self._buf[: n - first.shape[0]]])
        if start < self._oldest_safe(int(ring_written(self._state))):
            return None  # overwritten while copying
        return out

    def release(self, read):
        """Check that the views of ``read`` were not overwritten while in use.

        Returns
        -------
        int
            Frames of ``read`` that were overwritten (their data is unreliable);
            also added to ``missed``.
        """
        lost = self._oldest_safe(int(ring_written(self._state))) - read.start
        lost = min(max(lost, 0), read.frames)
        self.missed += lost
        return lost
