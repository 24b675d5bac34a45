"""Audio looper: tracks that record the mic or the engine and play in a loop.

Runs on: audio thread (``loop_command``, ``loop_frame``); control threads
read the state arrays (see :func:`livemappr.audio.engine.Engine.loops`).

While a track records it plays the loop as it was (nothing, for a new
recording): the new input goes into the loop, not straight to the output.

All tracks share one loop length, set by the first loop recorded (from its
record command's frame to its stop command's frame, so a control side that
quantises those frames gets whole bars), and one origin: track position is
``(frame - origin) % length`` for every track, so layers stay in phase for
ever (integer frame arithmetic: no drift).

Each track owns two preallocated buffers. A new layer (a recording, or an
overdub that sums input onto the loop times ``feedback``) is written into the
buffer that is not playing, one frame per frame played, during one pass over
the loop; what is heard during the pass is the new layer. When the pass ends
the buffers swap, so the previous layer stays intact in the other buffer and
undo is a swap back (and undo again redoes): no copying on the audio thread.
An overdub held past one pass goes on in place on the new layer, so undo
still returns to the state before the whole take. Recording copies the input
sample for sample (no fades), so a loop is an exact repeat of what went in.
"""

import numpy as np

from livemappr.realtime.jit import audio_kernel

# Track states
EMPTY, FIRST, LOOPING = 0, 1, 2
# Write modes while LOOPING
IDLE_WRITE, PASS_RECORD, PASS_OVERDUB, IN_PLACE = 0, 1, 2, 3
# Sources
SOURCE_MIC, SOURCE_ENGINE = 0, 1

# Per-track int fields (rows of loop_ints)
L_STATE, L_CUR, L_MODE, L_PASS_LEFT, L_TAKING, L_SOURCE, L_MUTED, L_HAS_UNDO, L_UNDO_STATE = range(9)
N_LOOP_INTS = 9
# Per-track float fields
L_GAIN, L_FEEDBACK, L_MUTE_NOW = range(3)
N_LOOP_FLOATS = 3
# Global ints (loop_global)
G_LENGTH, G_ORIGIN, G_FIRST_TRACK = range(3)
N_LOOP_GLOBAL = 4

# Loop actions (C_PARAM of CMD_LOOP)
LOOP_RECORD, LOOP_STOP_RECORD, LOOP_OVERDUB, LOOP_OVERDUB_OFF, LOOP_MUTE, LOOP_PLAY, LOOP_UNDO, LOOP_CLEAR, \
    LOOP_GAIN = range(1, 10)


def allocate_looper(tracks, max_frames):
    """Returns ``(loop_buf, loop_ints, loop_floats, loop_global)``.

    ``loop_buf`` has shape ``(2 * tracks, max_frames)``: track ``t`` owns rows
    ``2t`` and ``2t + 1``.
    """
    ints = np.zeros((N_LOOP_INTS, tracks), np.int64)
    floats = np.zeros((N_LOOP_FLOATS, tracks), np.float64)
    floats[L_GAIN, :] = 1.0
    floats[L_FEEDBACK, :] = 1.0
    floats[L_MUTE_NOW, :] = 1.0
    glob = np.zeros(N_LOOP_GLOBAL, np.int64)
    glob[G_FIRST_TRACK] = -1
    return np.zeros((2 * tracks, max_frames), np.float32), ints, floats, glob


@audio_kernel
def _others_have_content(ints, track):
    for t in range(ints.shape[1]):
        if t != track and ints[L_STATE, t] != EMPTY:
            return True
    return False


@audio_kernel
def _start_pass(ints, floats, track, mode, length, source, feedback):
    ints[L_UNDO_STATE, track] = ints[L_STATE, track]
    ints[L_STATE, track] = LOOPING
    ints[L_MODE, track] = mode
    ints[L_PASS_LEFT, track] = length
    ints[L_TAKING, track] = 1
    ints[L_SOURCE, track] = source
    floats[L_FEEDBACK, track] = feedback


@audio_kernel
def loop_command(buf, ints, floats, glob, track, action, source, value, frame):
    """Apply a loop action at ``frame``. Returns False if it does not apply now.

    ``value`` is the feedback for LOOP_OVERDUB and the gain for LOOP_GAIN.
    """
    tracks = ints.shape[1]
    if track < 0 or track >= tracks or not np.isfinite(value):
        return False
    state = ints[L_STATE, track]
    length = glob[G_LENGTH]
    if action == LOOP_RECORD:
        if glob[G_FIRST_TRACK] >= 0 or ints[L_MODE, track] != IDLE_WRITE:
            return False  # a first loop is still open, or this track is mid-pass
        if length == 0:
            ints[L_STATE, track] = FIRST
            ints[L_SOURCE, track] = source
            ints[L_TAKING, track] = 1
            ints[L_HAS_UNDO, track] = 0
            glob[G_ORIGIN] = frame
            glob[G_FIRST_TRACK] = track
        else:
            _start_pass(ints, floats, track, PASS_RECORD, length, source, 1.0)
        return True
    if action == LOOP_STOP_RECORD:
        if state == FIRST:
            n = frame - glob[G_ORIGIN]
            glob[G_FIRST_TRACK] = -1
            ints[L_TAKING, track] = 0
            if n <= 0:
                ints[L_STATE, track] = EMPTY
                return True
            glob[G_LENGTH] = min(n, buf.shape[1])
            ints[L_STATE, track] = LOOPING
            ints[L_UNDO_STATE, track] = EMPTY
            ints[L_HAS_UNDO, track] = 0
            return True
        if ints[L_MODE, track] == PASS_RECORD:
            ints[L_TAKING, track] = 0  # the pass finishes with silence
            return True
        return False
    if action == LOOP_OVERDUB:
        if state != LOOPING:
            return False
        floats[L_FEEDBACK, track] = value
        if ints[L_MODE, track] == IDLE_WRITE:
            _start_pass(ints, floats, track, PASS_OVERDUB, length, source, value)
        else:
            ints[L_TAKING, track] = 1
        return True
    if action == LOOP_OVERDUB_OFF:
        if ints[L_MODE, track] == IN_PLACE:
            ints[L_MODE, track] = IDLE_WRITE
        ints[L_TAKING, track] = 0
        return True
    if action == LOOP_MUTE or action == LOOP_PLAY:
        ints[L_MUTED, track] = 1 if action == LOOP_MUTE else 0
        return True
    if action == LOOP_GAIN:
        floats[L_GAIN, track] = min(max(value, 0.0), 16.0)
        return True
    if action == LOOP_UNDO:
        mode = ints[L_MODE, track]
        if mode == PASS_RECORD or mode == PASS_OVERDUB:
            ints[L_MODE, track] = IDLE_WRITE  # drop the unfinished layer
            ints[L_TAKING, track] = 0
            ints[L_STATE, track] = ints[L_UNDO_STATE, track]
        elif ints[L_HAS_UNDO, track] == 1:
            ints[L_MODE, track] = IDLE_WRITE
            ints[L_TAKING, track] = 0
            ints[L_CUR, track] = 1 - ints[L_CUR, track]
            previous = ints[L_UNDO_STATE, track]
            ints[L_UNDO_STATE, track] = ints[L_STATE, track]
            ints[L_STATE, track] = previous
        else:
            return False
        if ints[L_STATE, track] == EMPTY and not _others_have_content(ints, track):
            glob[G_LENGTH] = 0
        return True
    if action == LOOP_CLEAR:
        if state == FIRST:
            glob[G_FIRST_TRACK] = -1
        ints[L_STATE, track] = EMPTY
        ints[L_MODE, track] = IDLE_WRITE
        ints[L_TAKING, track] = 0
        ints[L_HAS_UNDO, track] = 0
        if not _others_have_content(ints, track):
            glob[G_LENGTH] = 0
        return True
    return False


@audio_kernel
def loop_frame(buf, ints, floats, glob, frame, mic, engine, fade):
    """Advance every track by one frame; returns what the loops play.

    ``mic`` and ``engine`` are this frame's input and the voices' mix (the two
    sources a track can record).
    """
    out = 0.0
    length = glob[G_LENGTH]
    coef = 1.0 / fade
    for t in range(ints.shape[1]):
        state = ints[L_STATE, t]
        if state == EMPTY:
            continue
        src = engine if ints[L_SOURCE, t] == SOURCE_ENGINE else mic
        cur = 2 * t + ints[L_CUR, t]
        if state == FIRST:
            pos = frame - glob[G_ORIGIN]
            if pos < buf.shape[1]:
                buf[cur, pos] = src
            else:  # the longest loop the buffers hold: close it here
                glob[G_LENGTH] = buf.shape[1]
                glob[G_FIRST_TRACK] = -1
                ints[L_STATE, t] = LOOPING
                ints[L_TAKING, t] = 0
                ints[L_UNDO_STATE, t] = EMPTY
            continue
        if length <= 0:
            continue
        q = (frame - glob[G_ORIGIN]) % length
        mode = ints[L_MODE, t]
        taking = ints[L_TAKING, t] == 1
        # What plays is the loop as it was; the new input goes into the loop
        # but is not echoed (the performer hears it directly).
        if mode == PASS_RECORD or mode == PASS_OVERDUB:
            other = 2 * t + 1 - ints[L_CUR, t]
            y = buf[cur, q] * floats[L_FEEDBACK, t] if mode == PASS_OVERDUB else 0.0
            buf[other, q] = y + src if taking else y
            ints[L_PASS_LEFT, t] -= 1
            if ints[L_PASS_LEFT, t] == 0:
                ints[L_CUR, t] = 1 - ints[L_CUR, t]
                ints[L_HAS_UNDO, t] = 1
                ints[L_MODE, t] = IN_PLACE if (mode == PASS_OVERDUB and taking) else IDLE_WRITE
                if mode == PASS_RECORD:
                    ints[L_TAKING, t] = 0
        elif mode == IN_PLACE:
            y = buf[cur, q] * floats[L_FEEDBACK, t]
            buf[cur, q] = y + src
        else:
            y = buf[cur, q]
        target = 0.0 if ints[L_MUTED, t] == 1 else 1.0
        g = floats[L_MUTE_NOW, t]
        if g != target:
            g += (target - g) * coef
            if abs(target - g) < 1e-6:
                g = target
            floats[L_MUTE_NOW, t] = g
        out += y * floats[L_GAIN, t] * g
    return out
