"""The audio callback: capture, commands, voices, meters.

Runs on: audio thread.

The callback contract (as python-sounddevice states it for its callbacks, and
stricter): it allocates nothing, takes no lock, does no I/O, never raises,
never needs the GIL, and always fills all of ``outdata``. It is a numba
``@cfunc`` with PortAudio's ``PaStreamCallback`` signature; PortAudio calls it
as plain C with ``userData`` pointing at a table of the engine's preallocated
arrays (address and shape of each, in the order of :class:`EngineState`). The
body, :func:`process`, is an ordinary ``@njit`` function that the offline
renderer calls too, so a file rendered offline sounds exactly like the live
engine.

Commands carry a target frame. ``process`` renders the voices up to that
frame, applies the command there, and goes on, so what it outputs does not
depend on the block size. Commands for a later block wait in a small pending
table (``pending_capacity`` rows, 256 by default); commands whose frame has
passed start at the block's first frame and are counted as late.

The pending table contract (what a full table does): every block drains the
whole command queue, so a command due now (``ASAP``, or a frame in this
block) is never stuck behind commands for later. When the table is full, the
command due last is the one given up: an arriving command due earlier than the
latest pending one that is not due this block takes that one's row (the later
one is dropped); an arriving command due no earlier than every pending one is
itself dropped if those are for later blocks, and waits in the queue for the
next block if they are all due in this one (they free their rows now). Each
dropped command adds one to ``pend_state[PEND_DROPPED]``, which the control
side reports (:class:`livemappr.control.feedback.Feedback` counts it as
``commands_dropped``). How far ahead commands may be is the control side's
bound (:data:`livemappr.control.trigger.MAX_AHEAD_SECONDS`); the table only
guarantees that nothing, however far ahead, can keep due commands out.
"""

from collections import namedtuple

import numpy as np
from numba import carray, cfunc, types

from livemappr.realtime import bank as _bank
from livemappr.realtime import commands as _cmd
from livemappr.realtime import looper as _loop
from livemappr.realtime import meters as _m
from livemappr.realtime import voices as _v
from livemappr.realtime.atomics import (
    address_to_voidptr,
    monotonic_ns,
    store_release,
    voidptr_to_address,
)
from livemappr.realtime.jit import audio_kernel
from livemappr.realtime.ring import ring_write

# Every array the audio thread touches, in table order (see ``state_table``).
EngineState = namedtuple(
    "EngineState",
    [
        "ring_buf", "ring_state",
        "cmd_ints", "cmd_floats", "cmd_state",
        "evt_ints", "evt_state",
        "pend_ints", "pend_floats", "pend_state",
        "pool", "slot_state", "slot_start", "slot_len", "slot_voices", "slot_scale",
        "v_ints", "v_floats",
        "mix", "params", "config", "meters", "hist",
        "loop_buf", "loop_ints", "loop_floats", "loop_global",
        "inj_buf", "inj_state", "out_buf", "out_state",
        "in_pick",
    ],
)

# params (float64): set with CMD_SET_PARAM unless marked audio-owned
P_MASTER_GAIN, P_FADE_FRAMES, P_STEAL_MODE, P_MAX_VOICES, P_MASTER_NOW, P_LEVEL_DECAY = range(6)
N_PARAMS = 8
SETTABLE_PARAMS = 4  # params below this index may be set by commands
# config (int64): fixed when the state is allocated, but for the device's
# input layout, set before a stream opens: its channels (0: as many as the
# engine's) and the first of them the engine records (``--input-channel``)
CFG_SAMPLERATE, CFG_IN_CHANNELS, CFG_OUT_CHANNELS, CFG_DEVICE_IN_CHANNELS, CFG_DEVICE_IN_FIRST = range(5)
N_CONFIG = 5
PEND_COUNT = 0  # pend_state index: commands waiting for their frame
PEND_DROPPED = 1  # pend_state index: commands given up because the table was full (only grows)
# inj_state (int64): the input player, a file played as the mic
INJ_POS, INJ_FRAMES, INJ_ACTIVE, INJ_SILENCE_AFTER = range(4)
N_INJ = 4


@audio_kernel
def _apply(st, k, frame, block_start):
    """Apply pending command ``k`` at ``frame``."""
    ints, floats = st.pend_ints, st.pend_floats
    kind = ints[k, _cmd.C_KIND]
    target = ints[k, _cmd.C_TARGET]
    meters = st.meters
    if target >= 0 and target < block_start:
        meters[_m.M_LATE_COMMANDS] += 1
        _cmd.push_event(st.evt_ints, st.evt_state, _cmd.EVT_LATE_COMMAND, kind, block_start - target, frame)
    fade = max(st.params[P_FADE_FRAMES], 1.0)
    if kind == _cmd.CMD_PLAY:
        slot = ints[k, _cmd.C_SLOT]
        if not _bank.slot_playable(st.slot_state, slot):
            meters[_m.M_IGNORED_COMMANDS] += 1
            return
        max_voices = int(min(max(st.params[P_MAX_VOICES], 1.0), st.v_ints.shape[1] // 2))
        voice, stolen, freed = _v.start_voice(
            st.v_ints, st.v_floats, st.slot_state, st.slot_len, st.slot_scale, st.slot_voices, slot,
            ints[k, _cmd.C_TAG], ints[k, _cmd.C_CHOKE], (ints[k, _cmd.C_FLAGS] & _cmd.FLAG_REVERSE) != 0,
            floats[k, _cmd.C_GAIN], floats[k, _cmd.C_RATE], floats[k, _cmd.C_OFFSET],
            frame, max_voices, int(st.params[P_STEAL_MODE]), fade)
        if voice < 0:
            meters[_m.M_IGNORED_COMMANDS] += 1
            return
        if stolen:
            meters[_m.M_STEALS] += 1
        if freed >= 0:
            _cmd.push_event(st.evt_ints, st.evt_state, _cmd.EVT_SLOT_RELEASED, freed, 0, frame)
    elif kind == _cmd.CMD_STOP or kind == _cmd.CMD_STOP_ALL:
        tag = ints[k, _cmd.C_TAG]
        for v in range(st.v_ints.shape[1]):
            if kind == _cmd.CMD_STOP_ALL or st.v_ints[_v.V_TAG, v] == tag:
                _v.release_voice(st.v_floats, st.v_ints, v, fade)
    elif kind == _cmd.CMD_SET_PARAM:
        p = ints[k, _cmd.C_PARAM]
        value = floats[k, _cmd.C_VALUE]
        if p >= 0 and p < SETTABLE_PARAMS and np.isfinite(value):
            st.params[p] = value
        else:
            meters[_m.M_IGNORED_COMMANDS] += 1
            return
    elif kind == _cmd.CMD_LOOP:
        if not _loop.loop_command(st.loop_buf, st.loop_ints, st.loop_floats, st.loop_global,
                                  ints[k, _cmd.C_SLOT], ints[k, _cmd.C_PARAM], ints[k, _cmd.C_FLAGS],
                                  floats[k, _cmd.C_VALUE], frame):
            meters[_m.M_IGNORED_COMMANDS] += 1
            return
        _cmd.push_event(st.evt_ints, st.evt_state, _cmd.EVT_LOOP, ints[k, _cmd.C_SLOT],
                        ints[k, _cmd.C_PARAM], frame)
    elif kind == _cmd.CMD_RELEASE_SLOT:
        slot = ints[k, _cmd.C_SLOT]
        for v in range(st.v_ints.shape[1]):
            if st.v_ints[_v.V_STATE, v] != _v.IDLE and st.v_ints[_v.V_SLOT, v] == slot:
                _v.release_voice(st.v_floats, st.v_ints, v, fade)
        if _bank.retire_slot(st.slot_state, st.slot_voices, slot):
            _cmd.push_event(st.evt_ints, st.evt_state, _cmd.EVT_SLOT_RELEASED, slot, 0, frame)
    else:
        meters[_m.M_IGNORED_COMMANDS] += 1
        return
    meters[_m.M_COMMANDS] += 1


@audio_kernel
def _next_due(st, chunk_end, block_start):
    """Index of the pending command due first before ``chunk_end``, and its frame."""
    best, best_frame, best_seq = -1, 0, 0
    for k in range(st.pend_state[PEND_COUNT]):
        frame = max(st.pend_ints[k, _cmd.C_TARGET], block_start)
        if frame >= chunk_end:
            continue
        seq = st.pend_ints[k, _cmd.C_SEQ]
        if best < 0 or frame < best_frame or (frame == best_frame and seq < best_seq):
            best, best_frame, best_seq = k, frame, seq
    return best, best_frame


@audio_kernel
def _remove_pending(st, k):
    last = st.pend_state[PEND_COUNT] - 1
    for i in range(st.pend_ints.shape[1]):
        st.pend_ints[k, i] = st.pend_ints[last, i]
    for i in range(st.pend_floats.shape[1]):
        st.pend_floats[k, i] = st.pend_floats[last, i]
    st.pend_state[PEND_COUNT] = last


@audio_kernel
def _latest_pending(st, block_start):
    """Index of the pending command due last (ties: the newest), and its frame."""
    best, best_frame, best_seq = -1, 0, 0
    for k in range(st.pend_state[PEND_COUNT]):
        frame = max(st.pend_ints[k, _cmd.C_TARGET], block_start)
        seq = st.pend_ints[k, _cmd.C_SEQ]
        if best < 0 or frame > best_frame or (frame == best_frame and seq > best_seq):
            best, best_frame, best_seq = k, frame, seq
    return best, best_frame


@audio_kernel
def _take_commands(st, block_start, block_end):
    """Move the queued commands into the pending table (see the module's
    contract for a full table). Bounded: at most the queue's capacity."""
    capacity = st.pend_ints.shape[0]
    while True:
        n = st.pend_state[PEND_COUNT]
        if n < capacity:
            if not _cmd.pop_command(st.cmd_ints, st.cmd_floats, st.cmd_state, st.pend_ints, st.pend_floats, n):
                return
            st.pend_state[PEND_COUNT] = n + 1
            continue
        if _cmd.queue_length(st.cmd_state) == 0:
            return
        latest, latest_frame = _latest_pending(st, block_start)
        if latest_frame < block_end:
            return  # all due in this block: their rows free up now; the rest waits a block
        # The queue's oldest record, read in place (the consumer owns it until popped).
        row = st.cmd_state[_cmd.POPPED] & (st.cmd_ints.shape[0] - 1)
        incoming = max(st.cmd_ints[row, _cmd.C_TARGET], block_start)
        if incoming < latest_frame:
            _remove_pending(st, latest)  # the later one gives way
            st.pend_state[PEND_DROPPED] += 1
            n = st.pend_state[PEND_COUNT]
            _cmd.pop_command(st.cmd_ints, st.cmd_floats, st.cmd_state, st.pend_ints, st.pend_floats, n)
            st.pend_state[PEND_COUNT] = n + 1
        else:  # the arriving command is the later one: it is dropped (consumed unread)
            store_release(st.cmd_state, _cmd.POPPED, st.cmd_state[_cmd.POPPED] + 1)
            st.pend_state[PEND_DROPPED] += 1


@audio_kernel
def _render_voices(st, mix_offset, frames, frame):
    fade = max(st.params[P_FADE_FRAMES], 1.0)
    decay = st.params[P_LEVEL_DECAY]
    for v in range(st.v_ints.shape[1]):
        if st.v_ints[_v.V_STATE, v] == _v.IDLE:
            continue
        if _v.render_voice(st.v_ints, st.v_floats, v, st.pool, st.slot_start, st.slot_len,
                           st.mix, mix_offset, frames, fade, decay):
            slot = st.v_ints[_v.V_SLOT, v]
            _cmd.push_event(st.evt_ints, st.evt_state, _cmd.EVT_VOICE_DONE,
                            st.v_ints[_v.V_TAG, v], slot, frame + frames)
            if _v.end_voice(st.v_ints, st.slot_state, st.slot_voices, v):
                _cmd.push_event(st.evt_ints, st.evt_state, _cmd.EVT_SLOT_RELEASED, slot, 0, frame + frames)


@audio_kernel
def _write_output(st, out, mix_offset, out_frame, frames):
    """Master gain (smoothed), non-finite guard, and every output channel for
    ``mix[mix_offset:mix_offset + frames]`` into output frame ``out_frame``."""
    channels = st.config[CFG_OUT_CHANNELS]
    target = st.params[P_MASTER_GAIN]
    if not np.isfinite(target):
        target = 0.0
    gain = st.params[P_MASTER_NOW]
    coef = 1.0 / max(st.params[P_FADE_FRAMES], 1.0)
    bad = 0
    for i in range(frames):
        gain += (target - gain) * coef
        y = st.mix[mix_offset + i] * gain
        if not np.isfinite(y):
            y = 0.0
            bad += 1
        base = (out_frame + i) * channels
        for c in range(channels):
            out[base + c] = y
    st.params[P_MASTER_NOW] = gain
    st.meters[_m.M_NONFINITE] += bad


@audio_kernel
def _run_loops(st, inp, mix_offset, in_offset, frame, frames):
    """Add the looper's tracks into the mix (after the voices, which a track
    may be recording)."""
    if st.loop_global[_loop.G_LENGTH] == 0 and st.loop_global[_loop.G_FIRST_TRACK] < 0:
        return
    channels = st.config[CFG_IN_CHANNELS]
    fade = max(st.params[P_FADE_FRAMES], 1.0)
    for i in range(frames):
        mic = 0.0
        if inp.shape[0] != 0:
            for c in range(channels):
                mic += inp[(in_offset + i) * channels + c]
            mic /= channels
        st.mix[mix_offset + i] += _loop.loop_frame(st.loop_buf, st.loop_ints, st.loop_floats, st.loop_global,
                                                   frame + i, mic, st.mix[mix_offset + i], fade)


@audio_kernel
def _run_segment(st, inp, out, chunk_start, block_start, frame, end):
    """Render voices and loops and write output for frames ``[frame, end)``."""
    _render_voices(st, frame - chunk_start, end - frame, frame)
    _run_loops(st, inp, frame - chunk_start, frame - block_start, frame, end - frame)
    _write_output(st, out, frame - chunk_start, frame - block_start, end - frame)


@audio_kernel
def activate_input(inj_state):
    """Start the input player once its buffer is filled (release ordering
    publishes the samples with the flag). Runs on: the control side."""
    store_release(inj_state, INJ_ACTIVE, 1)


@audio_kernel
def _injected(st, inp, frames):
    """The input player's next ``frames`` frames, in place of the device's.

    The buffer is padded with silence (one largest block), so a block that
    runs past the file's end reads zeros; the player then stops.
    """
    channels = st.config[CFG_IN_CHANNELS]
    pos = st.inj_state[INJ_POS]
    end = pos + frames
    held = st.inj_buf.shape[0] // channels
    st.inj_state[INJ_POS] = end
    if end >= st.inj_state[INJ_FRAMES]:
        store_release(st.inj_state, INJ_ACTIVE, 0)
    if end > held:
        return inp[:0]  # a block longer than the padding: silence
    return st.inj_buf[pos * channels:end * channels]


@audio_kernel
def process(st, inp, out, frames, status):
    """One callback's work over ``frames`` frames.

    Parameters
    ----------
    st : EngineState
    inp : ndarray of shape (frames * in_channels,), float32
        Interleaved input; empty for an output-only stream (silence is recorded).
    out : ndarray of shape (frames * out_channels,), float32
        Interleaved output, always completely written.
    frames : int
    status : int
        PortAudio status flags of this callback.
    """
    start_ns = monotonic_ns()
    meters = st.meters
    block_start = meters[_m.M_FRAMES]
    _m.publish_clock(meters, block_start, start_ns)
    _m.meter_status(meters, status)
    if status != 0:
        _cmd.push_event(st.evt_ints, st.evt_state, _cmd.EVT_XRUN, status, 0, block_start)
    if st.inj_state[INJ_ACTIVE] != 0:
        inp = _injected(st, inp, frames)
    elif st.inj_state[INJ_SILENCE_AFTER] != 0:
        inp = inp[:0]  # the file was the mic; after it, silence
    ring_write(st.ring_buf, st.ring_state, inp, frames)

    _take_commands(st, block_start, block_start + frames)

    chunk = st.mix.shape[0]
    done = 0
    while done < frames:
        n = min(chunk, frames - done)
        chunk_start = block_start + done
        chunk_end = chunk_start + n
        for i in range(n):
            st.mix[i] = 0.0
        frame = chunk_start
        while True:
            k, due = _next_due(st, chunk_end, block_start)
            if k < 0:
                break
            if due > frame:
                _run_segment(st, inp, out, chunk_start, block_start, frame, due)
                frame = due
            _apply(st, k, frame, block_start)
            _remove_pending(st, k)
        if chunk_end > frame:
            _run_segment(st, inp, out, chunk_start, block_start, frame, chunk_end)
        done += n

    ring_write(st.out_buf, st.out_state, out, frames)
    voices = 0
    for v in range(st.v_ints.shape[1]):
        if st.v_ints[_v.V_STATE, v] == _v.PLAYING:
            voices += 1
    meters[_m.M_VOICES] = voices
    if voices > meters[_m.M_VOICES_MAX]:
        meters[_m.M_VOICES_MAX] = voices
    meters[_m.M_PENDING] = st.pend_state[PEND_COUNT]
    store_release(meters, _m.M_FRAMES, block_start + frames)
    _m.meter_callback(meters, st.hist, start_ns, monotonic_ns(), frames, st.config[CFG_SAMPLERATE])
    return 0


# -- the C entry point -------------------------------------------------------

TABLE_COLUMNS = 3  # address, dim 0, dim 1


@audio_kernel(inline="always")
def _f32_1d(t, i):
    return carray(address_to_voidptr(t[i, 0]), (t[i, 1],), np.float32)


@audio_kernel(inline="always")
def _f32_2d(t, i):
    return carray(address_to_voidptr(t[i, 0]), (t[i, 1], t[i, 2]), np.float32)


@audio_kernel(inline="always")
def _f64_1d(t, i):
    return carray(address_to_voidptr(t[i, 0]), (t[i, 1],), np.float64)


@audio_kernel(inline="always")
def _f64_2d(t, i):
    return carray(address_to_voidptr(t[i, 0]), (t[i, 1], t[i, 2]), np.float64)


@audio_kernel(inline="always")
def _i16_1d(t, i):
    return carray(address_to_voidptr(t[i, 0]), (t[i, 1],), np.int16)


@audio_kernel(inline="always")
def _i64_1d(t, i):
    return carray(address_to_voidptr(t[i, 0]), (t[i, 1],), np.int64)


@audio_kernel(inline="always")
def _i64_2d(t, i):
    return carray(address_to_voidptr(t[i, 0]), (t[i, 1], t[i, 2]), np.int64)


@audio_kernel
def state_from_table(t):
    """Rebuild :class:`EngineState` views from the userData table (no copy)."""
    return EngineState(
        _f32_2d(t, 0), _i64_1d(t, 1),
        _i64_2d(t, 2), _f64_2d(t, 3), _i64_1d(t, 4),
        _i64_2d(t, 5), _i64_1d(t, 6),
        _i64_2d(t, 7), _f64_2d(t, 8), _i64_1d(t, 9),
        _i16_1d(t, 10), _i64_1d(t, 11), _i64_1d(t, 12), _i64_1d(t, 13), _i64_1d(t, 14), _f64_1d(t, 15),
        _i64_2d(t, 16), _f64_2d(t, 17),
        _f32_1d(t, 18), _f64_1d(t, 19), _i64_1d(t, 20), _i64_1d(t, 21), _i64_1d(t, 22),
        _f32_2d(t, 23), _i64_2d(t, 24), _f64_2d(t, 25), _i64_1d(t, 26),
        _f32_1d(t, 27), _i64_1d(t, 28), _f32_2d(t, 29), _i64_1d(t, 30),
        _f32_1d(t, 31),
    )


_TABLE_DTYPES = [
    (np.float32, 2), (np.int64, 1),
    (np.int64, 2), (np.float64, 2), (np.int64, 1),
    (np.int64, 2), (np.int64, 1),
    (np.int64, 2), (np.float64, 2), (np.int64, 1),
    (np.int16, 1), (np.int64, 1), (np.int64, 1), (np.int64, 1), (np.int64, 1), (np.float64, 1),
    (np.int64, 2), (np.float64, 2),
    (np.float32, 1), (np.float64, 1), (np.int64, 1), (np.int64, 1), (np.int64, 1),
    (np.float32, 2), (np.int64, 2), (np.float64, 2), (np.int64, 1),
    (np.float32, 1), (np.int64, 1), (np.float32, 2), (np.int64, 1),
    (np.float32, 1),
]


N_FIELDS = len(_TABLE_DTYPES)


def state_table(st):
    """The userData table for :func:`callback`: address and shape of each array.

    The arrays must stay alive (and unmoved) as long as the table is in use;
    :class:`livemappr.audio.engine.Engine` holds both.
    """
    table = np.zeros((len(st), TABLE_COLUMNS), np.int64)
    for i, (name, (dtype, ndim)) in enumerate(zip(EngineState._fields, _TABLE_DTYPES)):
        a = getattr(st, name)
        if a.dtype != dtype or a.ndim != ndim or not a.flags.c_contiguous:
            raise TypeError(f"engine state field {name} must be a C-contiguous {ndim}-D {np.dtype(dtype)} array")
        table[i, 0] = a.ctypes.data
        table[i, 1] = a.shape[0]
        table[i, 2] = a.shape[1] if ndim == 2 else 0
    return table


PA_CALLBACK_SIGNATURE = types.int32(
    types.voidptr,  # const void *input
    types.voidptr,  # void *output
    types.uint64,  # unsigned long frameCount (64-bit on Linux x86-64 and aarch64)
    types.voidptr,  # const PaStreamCallbackTimeInfo *timeInfo
    types.uint64,  # PaStreamCallbackFlags statusFlags
    types.voidptr,  # void *userData
)


@audio_kernel
def _device_channels(st):
    wide = st.config[CFG_DEVICE_IN_CHANNELS]
    return wide if wide > 0 else st.ring_buf.shape[1]


@audio_kernel
def _device_input(st, dev, frames):
    """The engine's input channels out of the device's interleaved ``dev``.

    A device opened wider than the engine (``--input-channel 2`` of a
    2-channel interface opens both) gives its channels from
    ``CFG_DEVICE_IN_FIRST`` on, copied into ``in_pick``; a block longer than
    that buffer is recorded as silence.
    """
    ch = st.ring_buf.shape[1]
    wide = _device_channels(st)
    if wide == ch:
        return dev
    if frames * ch > st.in_pick.shape[0]:
        return dev[:0]
    first = st.config[CFG_DEVICE_IN_FIRST]
    for i in range(frames):
        for c in range(ch):
            st.in_pick[i * ch + c] = dev[i * wide + first + c]
    return st.in_pick[:frames * ch]


def _callback(inp, out, frames, time_info, status, user):
    t = carray(user, (N_FIELDS, TABLE_COLUMNS), np.int64)
    st = state_from_table(t)
    n = np.int64(frames)
    in_view = carray(out, (0,), np.float32)  # no input: record silence
    if voidptr_to_address(inp) != 0:
        in_view = _device_input(st, carray(inp, (n * _device_channels(st),), np.float32), n)
    out_view = carray(out, (n * st.config[CFG_OUT_CHANNELS],), np.float32)
    return process(st, in_view, out_view, n, np.int64(status))


_compiled = None


def compile_callback():
    """Compile (or load from the numba cache) the C callback. Returns the cfunc.

    Call before opening a stream: compiling takes seconds cold.
    """
    global _compiled
    if _compiled is None:
        _compiled = cfunc(PA_CALLBACK_SIGNATURE, nopython=True, cache=True)(_callback)
    return _compiled
