"""``livemappr similar --play``: the sounds found, one after another, on the audio output.

Runs on: the main thread (it reads the sounds, opens the stream, schedules
each sound and waits); PortAudio's audio thread runs the engine's compiled
callback, as in ``livemappr live``.

The sounds go through the engine every other command uses: each is read
(resampled to the output's rate, cut from its track where it is one sound
of a track: :class:`~livemappr.session.sources.MapSources`, as ``--corpus``
and ``export`` read theirs) into the engine's sample bank before the stream
opens, then played with a frame-timed play command, nearest first, with a
short silence between them. The output device is chosen as ``live`` chooses
it: JACK's when a JACK server runs (its rate is the stream's), else the
system's default; ``--device`` names another. Without any output it is a
one-line error before anything is read. Each sound plays for at most
:data:`MAX_SECONDS` (a long file fades out there); one that can no longer be
read (moved since the library was made) is said so in a line and skipped.
"""

from __future__ import annotations

import sys
import time

import numpy as np

from livemappr.errors import UsageError

__all__ = ["audition", "MAX_SOUNDS", "MAX_SECONDS"]

#: Sounds one ``--play`` auditions at most (their audio is read before the stream opens).
MAX_SOUNDS = 100
#: Seconds of each sound played at most.
MAX_SECONDS = 4.0
#: Silence before the first sound (the stream settles) and between two.
LEAD_SECONDS = 0.3
GAP_SECONDS = 0.25
#: How far ahead of its frame a play command is sent (well under the engine's 4 s look-ahead).
AHEAD_SECONDS = 0.2


def output_choice(device=None):
    """The output a ``--play`` opens (a :class:`~livemappr.audio.devices.Choice`), or a
    one-line :class:`~livemappr.errors.DeviceError` when there is none."""
    from livemappr.audio.devices import choose

    return choose(device, need_input=False, in_channels=1, out_channels=2)


def audition(sounds, device=None, on_play=None, ready=None, log=None):
    """Play ``sounds`` in order on the audio output; returns when the last has played.

    Parameters
    ----------
    sounds : sequence of (path, start_s, end_s)
        A whole file where ``end_s`` is None; else the part of it between the times.
    device : int or str, optional
        The output device (``--device``); default as ``live`` chooses.
    on_play : callable(i), optional
        Told as sound ``i`` is sent to the engine (``similar`` prints its line then).
    ready : callable(engine), optional
        Called once the stream runs, before the first sound is scheduled
        (a test connects its recorder there).
    log : callable(str), optional
        Told which device plays, in one line.

    Returns
    -------
    list of int
        The engine frame each sound started at.
    """
    from livemappr.audio.config import EngineConfig
    from livemappr.audio.engine import Engine
    from livemappr.audio.stream import AudioStream
    from livemappr.session.sources import MapSources

    log = log or (lambda message: print(message, file=sys.stderr, flush=True))
    if len(sounds) > MAX_SOUNDS:
        raise UsageError(f"--play auditions at most {MAX_SOUNDS} sounds, got -n {len(sounds)}")
    choice = output_choice(device)
    sr = int(round(choice.output["samplerate"]))
    sources = MapSources(".", sr, sr)
    cap = int(MAX_SECONDS * sr)
    audio, unreadable = [], {}
    for i, (path, start, end) in enumerate(sounds):
        try:
            y = sources.cut(str(path), start, end) if end is not None else sources.cut(str(path), 0.0, MAX_SECONDS)
        except UsageError as e:  # a library file moved or deleted since it was indexed: the others still play
            unreadable[i] = str(e)
            y = np.zeros(0, np.float32)
        audio.append(np.ascontiguousarray(y[:cap], np.float32))
    total = sum(a.shape[0] for a in audio)
    engine = Engine(EngineConfig(samplerate=sr, ring_seconds=1.0, bank_seconds=max(total / sr, 0.01) + 0.1,
                                 bank_slots=max(1, len(audio)), loop_tracks=1, loop_seconds=0.01,
                                 output_ring_seconds=0.5))
    slots = [engine.bank.add(a) if a.shape[0] else -1 for a in audio]
    stream = AudioStream(engine, device=device, need_input=False)
    log(f"livemappr: auditioning {len(sounds)} sound(s): {stream.choice.describe()}")
    starts = []
    with stream:
        if ready is not None:
            ready(engine)
        at = engine.frame + int(LEAD_SECONDS * sr)
        for i, (slot, a) in enumerate(zip(slots, audio)):
            _wait_for(engine, at - int(AHEAD_SECONDS * sr))
            if on_play is not None:
                on_play(i)
            if i in unreadable:
                log(f"livemappr: not played: {unreadable[i]}")
            starts.append(at)
            if slot >= 0:
                engine.play(slot, at=at, tag=i + 1)
            at += a.shape[0] + int(GAP_SECONDS * sr)
        _wait_for(engine, at)
    return starts


def _wait_for(engine, frame, poll=0.01):
    """Sleep until the engine's clock reaches ``frame`` (a stream that stopped is an error)."""
    last, still = engine.frame, time.monotonic()
    while engine.frame < frame:
        time.sleep(poll)
        now = engine.frame
        if now != last:
            last, still = now, time.monotonic()
        elif time.monotonic() - still > 2.0:
            from livemappr.errors import LivemapprError

            raise LivemapprError("the audio output stopped running (was the JACK server stopped?)")
