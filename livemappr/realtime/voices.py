"""Voice pool: a fixed number of sample players as a struct of arrays.

Runs on: audio thread.

Each voice reads one bank slot at a playback rate (negative plays in reverse)
with 4-point cubic (Catmull-Rom) interpolation, which returns the sample
itself at whole positions: at rate 1 a voice copies its slot exactly (the
slot's int16 samples times its scale, which the voice folds into its gain
when it starts). Nothing clicks: a voice that starts inside a sound (start
offset, or reverse from the end) fades in, a voice that is stopped, choked or
stolen fades out, and the last ``fade`` frames before a sound's end fade to
zero. The pool has twice as many entries as the voice limit so that a stolen
voice can fade out while the new one starts at once; only voices that are not
fading count against the limit.
"""

import numpy as np

from livemappr.realtime.bank import slot_voice_ended
from livemappr.realtime.jit import audio_kernel

# Voice int fields (rows of v_ints, one column per voice)
V_STATE, V_SLOT, V_TAG, V_CHOKE, V_SEQ = range(5)
N_VOICE_INTS = 5
# Voice float fields (V_GAIN: the command's gain times the slot's scale)
V_POS, V_RATE, V_GAIN, V_ENV, V_ENV_STEP, V_LEVEL = range(6)
N_VOICE_FLOATS = 6

IDLE, PLAYING, RELEASING = 0, 1, 2
STEAL_OLDEST, STEAL_QUIETEST = 0, 1
MAX_RATE = 16.0


def allocate_voices(max_voices):
    """Returns ``(v_ints, v_floats)`` for ``2 * max_voices`` pool entries."""
    n = 2 * max_voices
    return np.zeros((N_VOICE_INTS, n), np.int64), np.zeros((N_VOICE_FLOATS, n), np.float64)


@audio_kernel
def release_voice(v_floats, v_ints, v, fade):
    """Start the fade-out of voice ``v`` (from its current envelope)."""
    if v_ints[V_STATE, v] == PLAYING:
        v_ints[V_STATE, v] = RELEASING
        v_floats[V_ENV_STEP, v] = -1.0 / fade


@audio_kernel
def end_voice(v_ints, slot_state, slot_voices, v):
    """Free voice ``v`` at once; True if that freed a retiring slot."""
    v_ints[V_STATE, v] = IDLE
    return slot_voice_ended(slot_state, slot_voices, v_ints[V_SLOT, v])


@audio_kernel
def _pick_victim(v_ints, v_floats, mode):
    victim = -1
    best = 0.0
    for v in range(v_ints.shape[1]):
        if v_ints[V_STATE, v] != PLAYING:
            continue
        if mode == STEAL_QUIETEST:
            key = v_floats[V_LEVEL, v]
        else:
            key = float(v_ints[V_SEQ, v])
        if victim < 0 or key < best:
            victim, best = v, key
    return victim


@audio_kernel
def start_voice(v_ints, v_floats, slot_state, slot_len, slot_scale, slot_voices, slot, tag, choke,
                reverse, gain, rate, offset, seq, max_voices, steal_mode, fade):
    """Start a voice now. Returns ``(voice, stolen, freed_slot)``.

    ``freed_slot`` is a slot a hard-cut voice left free (else -1), so the
    caller can post ``EVT_SLOT_RELEASED``; ``voice`` is -1 when the arguments
    are unusable.
    """
    length = slot_len[slot]
    if not (rate > 0.0 and rate <= MAX_RATE) or not (gain >= 0.0 and gain <= 16.0):
        return -1, False, -1
    if not (offset >= 0.0 and offset < length):
        return -1, False, -1
    n = v_ints.shape[1]
    playing = 0
    for v in range(n):
        if v_ints[V_STATE, v] == PLAYING:
            if choke > 0 and v_ints[V_CHOKE, v] == choke:
                release_voice(v_floats, v_ints, v, fade)
            else:
                playing += 1
    stolen = False
    if playing >= max_voices:
        victim = _pick_victim(v_ints, v_floats, steal_mode)
        if victim >= 0:
            release_voice(v_floats, v_ints, victim, fade)
            stolen = True
    voice = -1
    quietest = -1
    for v in range(n):
        if v_ints[V_STATE, v] == IDLE:
            voice = v
            break
        if quietest < 0 or v_floats[V_ENV, v] < v_floats[V_ENV, quietest]:
            quietest = v
    freed = -1
    if voice < 0:  # every entry busy: cut the quietest fading voice
        voice = quietest
        if end_voice(v_ints, slot_state, slot_voices, voice):
            freed = v_ints[V_SLOT, voice]
    v_ints[V_STATE, voice] = PLAYING
    v_ints[V_SLOT, voice] = slot
    v_ints[V_TAG, voice] = tag
    v_ints[V_CHOKE, voice] = choke
    v_ints[V_SEQ, voice] = seq
    v_floats[V_RATE, voice] = -rate if reverse else rate
    v_floats[V_POS, voice] = (length - 1 - offset) if reverse else offset
    v_floats[V_GAIN, voice] = gain * slot_scale[slot]
    if reverse or offset > 0.0:
        v_floats[V_ENV, voice] = 0.0
        v_floats[V_ENV_STEP, voice] = 1.0 / fade
    else:
        v_floats[V_ENV, voice] = 1.0
        v_floats[V_ENV_STEP, voice] = 0.0
    v_floats[V_LEVEL, voice] = 0.0
    slot_voices[slot] += 1
    return voice, stolen, freed


@audio_kernel(inline="always")
def _sample(pool, start, length, i):
    if i < 0 or i >= length:
        return 0.0
    return float(pool[start + i])  # int16; the scale is in the voice's gain


@audio_kernel
def render_voice(v_ints, v_floats, v, pool, slot_start, slot_len, mix, mix_offset, frames, fade, decay):
    """Add ``frames`` frames of voice ``v`` into ``mix[mix_offset:]``.

    ``decay`` is the per-frame factor of the level follower that "quietest"
    stealing compares; it runs per sample so stealing does not depend on how
    a block is cut.

    Returns True when the voice has finished (its sound ended or its fade-out
    reached zero); the caller then ends it.
    """
    slot = v_ints[V_SLOT, v]
    start = slot_start[slot]
    length = slot_len[slot]
    last = length - 1
    pos = v_floats[V_POS, v]
    rate = v_floats[V_RATE, v]
    gain = v_floats[V_GAIN, v]
    env = v_floats[V_ENV, v]
    step = v_floats[V_ENV_STEP, v]
    level = v_floats[V_LEVEL, v]
    speed = abs(rate)
    done = False
    for k in range(frames):
        if pos < 0.0 or pos > last:
            done = True
            break
        if step != 0.0:  # step first, so a fade-out's last frame is exactly 0
            env += step
            if env >= 1.0:
                env = 1.0
                step = 0.0
            elif env < 0.0:
                env = 0.0
        i = int(np.floor(pos))
        t = pos - i
        x0 = _sample(pool, start, length, i - 1)
        x1 = _sample(pool, start, length, i)
        x2 = _sample(pool, start, length, i + 1)
        x3 = _sample(pool, start, length, i + 2)
        if t == 0.0:
            y = x1
        else:
            y = x1 + 0.5 * t * (x2 - x0 + t * (2.0 * x0 - 5.0 * x1 + 4.0 * x2 - x3
                                               + t * (3.0 * (x1 - x2) + x3 - x0)))
        # Frames left before the sound's end, in output frames.
        remaining = (last - pos) / speed if rate > 0.0 else pos / speed
        tail = remaining / fade if remaining < fade else 1.0
        y = y * gain * env * tail
        mix[mix_offset + k] += y
        level = max(abs(y), level * decay)
        pos += rate
        if env == 0.0 and step < 0.0:
            done = True
            break
    v_floats[V_POS, v] = pos
    v_floats[V_ENV, v] = env
    v_floats[V_ENV_STEP, v] = step
    v_floats[V_LEVEL, v] = level
    return done
