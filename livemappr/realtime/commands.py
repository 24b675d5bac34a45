"""Command queue to the audio thread, event queue back from it.

Runs on: audio thread (``pop_command``, ``push_event``); control side
(``push_command``, ``pop_events``), which must serialise its producers (one
lock in :class:`livemappr.audio.engine.Engine`) because each queue has exactly one
producer and one consumer.

Both are lock-free rings of fixed-size records in preallocated arrays. A
record is one row of an int64 array and one row of a float64 array; the
producer fills both, then publishes its counter with release ordering, and the
consumer reads the counter with acquire ordering before the row. Neither end
ever waits: a full command queue refuses the push (the control side turns that
into a clear error), a full event queue drops the event and counts it.
"""

import numpy as np

from livemappr.realtime.atomics import load_acquire, store_release
from livemappr.realtime.jit import audio_kernel

# Queue state: producer and consumer counters a cache line apart.
PUSHED, POPPED, DROPPED = 0, 8, 16
QUEUE_STATE_SIZE = 24

# Command kinds
CMD_PLAY = 1  # start a voice on a bank slot
CMD_STOP = 2  # release the voices with a tag
CMD_STOP_ALL = 3  # release every voice
CMD_SET_PARAM = 4  # params[param] = value
CMD_RELEASE_SLOT = 5  # stop using a bank slot; answered by EVT_SLOT_RELEASED
CMD_LOOP = 6  # looper action (param) on a track (slot), source (flags), value

# Command int fields
C_KIND, C_SLOT, C_TAG, C_CHOKE, C_FLAGS, C_TARGET, C_PARAM, C_SEQ = range(8)
N_CMD_INTS = 8
# Command float fields
C_GAIN, C_RATE, C_OFFSET, C_VALUE = range(4)
N_CMD_FLOATS = 4
FLAG_REVERSE = 1

# Event kinds and int fields
EVT_VOICE_DONE = 1  # a: tag, b: slot
EVT_SLOT_RELEASED = 2  # a: slot
EVT_XRUN = 3  # a: PortAudio status flags
EVT_LATE_COMMAND = 4  # a: command kind, b: frames late
EVT_LOOP = 5  # a: track, b: the loop action applied
E_KIND, E_A, E_B, E_FRAME = range(4)
N_EVT_INTS = 4


def allocate_queue(capacity, n_ints, n_floats):
    """Preallocate a queue of ``capacity`` records (a power of two)."""
    if capacity <= 0 or capacity & (capacity - 1):
        raise ValueError(f"queue capacity must be a power of two, got {capacity}")
    return (
        np.zeros((capacity, n_ints), np.int64),
        np.zeros((capacity, n_floats), np.float64),
        np.zeros(QUEUE_STATE_SIZE, np.int64),
    )


@audio_kernel
def _reserve(ints, state):
    """The row the producer fills next, or -1 when the queue is full. Producer only."""
    capacity = ints.shape[0]
    pushed = state[PUSHED]
    if pushed - load_acquire(state, POPPED) >= capacity:
        return -1
    return pushed & (capacity - 1)


@audio_kernel
def _publish(state):
    """Hand the filled row to the consumer (release: the row is visible first)."""
    store_release(state, PUSHED, state[PUSHED] + 1)


@audio_kernel
def _copy_row(src, row, dst, out_row):
    for i in range(src.shape[1]):
        dst[out_row, i] = src[row, i]


@audio_kernel
def push_command(ints, floats, state, kind, slot, tag, choke, flags, target, param, gain, rate, offset, value):
    """Append a command. Runs on: the control side. False when the queue is full."""
    row = _reserve(ints, state)
    if row < 0:
        return False
    ints[row, C_KIND] = kind
    ints[row, C_SLOT] = slot
    ints[row, C_TAG] = tag
    ints[row, C_CHOKE] = choke
    ints[row, C_FLAGS] = flags
    ints[row, C_TARGET] = target
    ints[row, C_PARAM] = param
    ints[row, C_SEQ] = state[PUSHED]
    floats[row, C_GAIN] = gain
    floats[row, C_RATE] = rate
    floats[row, C_OFFSET] = offset
    floats[row, C_VALUE] = value
    _publish(state)
    return True


@audio_kernel
def pop_command(ints, floats, state, out_ints, out_floats, out_row):
    """Move the oldest command into ``out_*[out_row]``. Runs on: audio thread.

    Returns False when the queue is empty.
    """
    capacity = ints.shape[0]
    popped = state[POPPED]
    if load_acquire(state, PUSHED) == popped:
        return False
    row = popped & (capacity - 1)
    _copy_row(ints, row, out_ints, out_row)
    _copy_row(floats, row, out_floats, out_row)
    store_release(state, POPPED, popped + 1)
    return True


@audio_kernel
def push_event(ints, state, kind, a, b, frame):
    """Append an event, or drop and count it when full. Runs on: audio thread."""
    row = _reserve(ints, state)
    if row < 0:
        state[DROPPED] += 1
        return False
    ints[row, E_KIND] = kind
    ints[row, E_A] = a
    ints[row, E_B] = b
    ints[row, E_FRAME] = frame
    _publish(state)
    return True


@audio_kernel
def pop_events(ints, state, out):
    """Move up to ``len(out)`` events into ``out``. Runs on: the control side.

    Returns the number moved.
    """
    capacity = ints.shape[0]
    popped = state[POPPED]
    n = min(load_acquire(state, PUSHED) - popped, out.shape[0])
    for k in range(n):
        _copy_row(ints, (popped + k) & (capacity - 1), out, k)
    store_release(state, POPPED, popped + n)
    return n


@audio_kernel
def queue_length(state):
    """Records waiting (pushed, not yet popped)."""
    return load_acquire(state, PUSHED) - load_acquire(state, POPPED)
