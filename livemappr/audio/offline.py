"""Offline renderer: the audio callback driven by arrays instead of a device.

Runs on: the caller's thread (tests, benchmarks, ``map`` and ``demo``).

It calls the same :func:`livemappr.realtime.callback.process` the live stream
runs, block by block, and hands each command to the command queue just before
the block that holds its frame, as a control thread would in time. Because
``process`` applies commands at their exact frame, the output is the same at
any block size.
"""

import numpy as np

from livemappr.errors import UsageError
from livemappr.realtime import callback as _cb
from livemappr.realtime import commands as _cmd
from livemappr.realtime.jit import audio_kernel


@audio_kernel
def _push(st, c_ints, c_floats, r):
    return _cmd.push_command(
        st.cmd_ints, st.cmd_floats, st.cmd_state,
        c_ints[r, 0], c_ints[r, 1], c_ints[r, 2], c_ints[r, 3], c_ints[r, 4], c_ints[r, 5],
        c_ints[r, 6], c_floats[r, 0], c_floats[r, 1], c_floats[r, 2], c_floats[r, 3])


@audio_kernel
def _render(st, inp, out, frames, blocksize, in_channels, out_channels, due, c_ints, c_floats):
    """Drive ``process`` block by block; ``due[r]`` is command r's frame counted
    from the first rendered frame. Returns the first command that did not fit
    in the queue, or -1."""
    next_cmd = 0
    pos = 0
    while pos < frames:
        n = min(blocksize, frames - pos)
        while next_cmd < c_ints.shape[0] and due[next_cmd] < pos + n:
            if not _push(st, c_ints, c_floats, next_cmd):
                return next_cmd
            next_cmd += 1
        block_in = inp if inp.shape[0] == 0 else inp[pos * in_channels:(pos + n) * in_channels]
        _cb.process(st, block_in, out[pos * out_channels:(pos + n) * out_channels], n, 0)
        pos += n
    # Commands due after the rendered frames wait in the queue for the next
    # render (or stream), as a control thread's would.
    while next_cmd < c_ints.shape[0]:
        if not _push(st, c_ints, c_floats, next_cmd):
            return next_cmd
        next_cmd += 1
    return -1


def render(engine, frames=None, *, input=None, blocksize=None, commands=()):
    """Run the engine's callback over ``frames`` frames.

    Parameters
    ----------
    engine : livemappr.audio.engine.Engine
        Its state advances as if a stream had run (frame clock, ring, voices).
    frames : int, optional
        Frames to render; default the length of ``input``.
    input : ndarray of shape (frames, in_channels) or (frames,), optional
        What the mic hears; silence if omitted.
    blocksize : int, optional
        Frames per callback; default the engine's configured block size.
    commands : sequence of Command
        Each with a target frame (``at``) on the engine's clock. Those due
        after the rendered frames stay queued for the next render.

    Returns
    -------
    ndarray of shape (frames, out_channels), float32
    """
    cfg = engine.config
    blocksize = cfg.blocksize if blocksize is None else int(blocksize)
    if blocksize < 1:
        raise UsageError(f"blocksize must be at least 1, got {blocksize}")
    if input is not None:
        inp = np.ascontiguousarray(input, dtype=np.float32)
        if inp.ndim == 1:
            inp = inp[:, None]
        if inp.ndim != 2 or inp.shape[1] != cfg.in_channels:
            raise UsageError(f"input must have {cfg.in_channels} channel(s), got shape {inp.shape}")
        frames = inp.shape[0] if frames is None else int(frames)
        if frames > inp.shape[0]:
            raise UsageError(f"frames ({frames}) exceeds the input's length ({inp.shape[0]})")
        inp = inp[:frames].reshape(-1)
    else:
        if frames is None:
            raise UsageError("render needs frames or input")
        inp = np.zeros(0, np.float32)
    out = np.zeros(frames * cfg.out_channels, np.float32)
    cmds = sorted(commands, key=lambda c: c.target)
    if any(c.target < 0 for c in cmds):
        raise UsageError("offline commands need a frame (at=...), not ASAP")
    c_ints = np.array([c[:_cmd.N_CMD_INTS - 1] + (0,) for c in cmds], np.int64).reshape(-1, _cmd.N_CMD_INTS)
    c_floats = np.array([c[_cmd.N_CMD_INTS - 1:] for c in cmds], np.float64).reshape(-1, _cmd.N_CMD_FLOATS)
    due = c_ints[:, _cmd.C_TARGET] - engine.frame
    stuck = _render(engine.state, inp, out, frames, blocksize, cfg.in_channels, cfg.out_channels,
                    due, c_ints, c_floats)
    if stuck >= 0:
        raise UsageError(
            f"more commands fall in one block than the queue holds ({cfg.command_capacity}); "
            "render with a smaller blocksize")
    return out.reshape(frames, cfg.out_channels)
