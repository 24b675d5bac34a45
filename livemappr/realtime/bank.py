"""Sample bank: one preallocated pool of audio, cut into slots.

Runs on: audio thread (``slot_playable``, ``slot_voice_ended``,
``retire_slot``; a voice counts itself in ``slot_voices`` when it starts, in
``voices.py``); the analysis side fills and publishes slots through
:class:`SampleBank`.

The pool holds 16-bit integers, each slot scaled to its own peak: a sound is
stored as ``round(x / scale)`` with ``scale = peak / 32767`` (kept per slot in
``slot_scale``), so a quiet snippet keeps the full 16-bit resolution relative
to its own level and the pool takes half the memory of float32 (30 minutes of
mono 48 kHz audio: 165 MiB). Playing multiplies by the scale again (a voice
folds it into its gain when it starts).

A slot's life, with one owner at each step so no lock is needed:

1. FREE: the writer owns it. It copies audio into a free region of the pool,
   sets start, length and scale, and publishes the state PUBLISHED with
   release ordering. The audio thread ignores every slot that is not PUBLISHED.
2. PUBLISHED: the audio thread plays it. To take it back, the control side
   sends ``CMD_RELEASE_SLOT``; the audio thread marks it RETIRING and fades
   out the voices reading it.
3. RETIRING: when its last voice has ended the audio thread stores FREE (and
   posts ``EVT_SLOT_RELEASED``). Only then may the writer reuse the slot and
   its region of the pool, so no voice ever reads audio being overwritten.
"""

import numpy as np

from livemappr.realtime.atomics import load_acquire, store_release
from livemappr.realtime.jit import audio_kernel

FREE, PUBLISHED, RETIRING = 0, 2, 3
FULL_SCALE = 32767  # a slot's peak is stored as +-FULL_SCALE


class BankFull(Exception):
    """No free slot, or no free region of the pool large enough."""


def allocate_bank(pool_frames, n_slots):
    """Preallocate the pool and the slot table.

    Returns
    -------
    pool : ndarray of shape (pool_frames,), int16
    slot_state, slot_start, slot_len, slot_voices : ndarray of shape (n_slots,), int64
    slot_scale : ndarray of shape (n_slots,), float64
        What one step of a slot's int16 samples is worth.
    """
    return (
        np.zeros(pool_frames, np.int16),
        np.zeros(n_slots, np.int64),
        np.zeros(n_slots, np.int64),
        np.zeros(n_slots, np.int64),
        np.zeros(n_slots, np.int64),
        np.zeros(n_slots, np.float64),
    )


@audio_kernel
def slot_playable(slot_state, slot):
    """True if ``slot`` exists and is published. Runs on: audio thread."""
    if slot < 0 or slot >= slot_state.shape[0]:
        return False
    return load_acquire(slot_state, slot) == PUBLISHED


@audio_kernel
def retire_slot(slot_state, slot_voices, slot):
    """Stop offering ``slot``; True if it is already free (no voice reads it).

    Runs on: audio thread.
    """
    if slot < 0 or slot >= slot_state.shape[0] or slot_state[slot] != PUBLISHED:
        return False
    if slot_voices[slot] == 0:
        store_release(slot_state, slot, FREE)
        return True
    slot_state[slot] = RETIRING
    return False


@audio_kernel
def slot_voice_ended(slot_state, slot_voices, slot):
    """Count a voice off ``slot``; True if that freed a retiring slot.

    Runs on: audio thread.
    """
    slot_voices[slot] -= 1
    if slot_voices[slot] == 0 and slot_state[slot] == RETIRING:
        store_release(slot_state, slot, FREE)
        return True
    return False


@audio_kernel
def _publish(slot_state, slot_start, slot_len, slot_scale, slot, start, length, scale):
    slot_start[slot] = start
    slot_len[slot] = length
    slot_scale[slot] = scale
    store_release(slot_state, slot, PUBLISHED)


@audio_kernel
def _state_of(slot_state, slot):
    return load_acquire(slot_state, slot)


class SampleBank:
    """The writer's end of the bank. Runs on: one analysis/control thread.

    Parameters
    ----------
    pool, slot_state, slot_start, slot_len, slot_scale : arrays from :func:`allocate_bank`
    """

    def __init__(self, pool, slot_state, slot_start, slot_len, slot_scale):
        self._pool = pool
        self._state = slot_state
        self._start = slot_start
        self._len = slot_len
        self._scale = slot_scale
        self._free_regions = [(0, pool.shape[0])]  # sorted (start, length)
        self._free_slots = list(range(slot_state.shape[0] - 1, -1, -1))
        self._retiring = set()
        self.nonfinite_replaced = 0

    @property
    def n_slots(self):
        return self._state.shape[0]

    @property
    def free_frames(self):
        return sum(length for _, length in self._free_regions)

    def add(self, samples):
        """Store mono audio in a free slot and publish it.

        The audio is scaled to its own peak and rounded to 16 bits: what is
        stored differs from ``samples`` by at most half a step,
        ``peak / 65534``. Non-finite samples are replaced by 0 (and counted)
        so they can never reach the output; a silent sound gets scale 0.

        Parameters
        ----------
        samples : array_like of shape (n_frames,)

        Returns
        -------
        int
            The slot.

        Raises
        ------
        BankFull
            When no slot or no region of ``len(samples)`` frames is free.
        """
        samples = np.asarray(samples, dtype=np.float32).reshape(-1)
        n = samples.shape[0]
        if n == 0:
            raise ValueError("a bank slot needs at least 1 frame, got 0")
        self.reclaim()
        if not self._free_slots:
            raise BankFull(f"sample bank full: all {self.n_slots} slots in use")
        start = self._take_region(n)
        slot = self._free_slots.pop()
        x = samples.astype(np.float64)
        bad = ~np.isfinite(x)
        if bad.any():
            self.nonfinite_replaced += int(bad.sum())
            x[bad] = 0.0
        peak = float(np.max(np.abs(x)))
        scale = peak / FULL_SCALE
        region = self._pool[start : start + n]
        if peak > 0.0:
            region[:] = np.clip(np.rint(x / scale), -FULL_SCALE, FULL_SCALE).astype(np.int16)
        else:
            region[:] = 0
        _publish(self._state, self._start, self._len, self._scale, slot, start, n, scale)
        return slot

    def samples(self, slot):
        """A published slot's audio as it plays.

        Returns
        -------
        ndarray of shape (n_frames,), float32
            A new, read-only array: the slot's int16 samples times its scale.
        """
        if _state_of(self._state, slot) != PUBLISHED:
            raise KeyError(f"slot {slot} is not published")
        start, n = int(self._start[slot]), int(self._len[slot])
        audio = (self._pool[start : start + n] * self._scale[slot]).astype(np.float32)
        audio.flags.writeable = False
        return audio

    def retiring(self, slot):
        """Note that ``CMD_RELEASE_SLOT`` was sent for ``slot``."""
        self._retiring.add(int(slot))

    def reclaim(self):
        """Take back the slots the audio thread has released. Returns how many."""
        done = [s for s in self._retiring if _state_of(self._state, s) == FREE]
        for slot in done:
            self._retiring.discard(slot)
            self._give_region(int(self._start[slot]), int(self._len[slot]))
            self._free_slots.append(slot)
        return len(done)

    def _take_region(self, n):
        for i, (start, length) in enumerate(self._free_regions):
            if length >= n:
                if length == n:
                    del self._free_regions[i]
                else:
                    self._free_regions[i] = (start + n, length - n)
                return start
        raise BankFull(
            f"sample bank full: no free region of {n} frames "
            f"({self.free_frames} frames free in {len(self._free_regions)} pieces)"
        )

    def _give_region(self, start, n):
        regions = self._free_regions
        regions.append((start, n))
        regions.sort()
        merged = [regions[0]]
        for s, length in regions[1:]:
            ps, pl = merged[-1]
            if ps + pl == s:
                merged[-1] = (ps, pl + length)
            else:
                merged.append((s, length))
        self._free_regions = merged
