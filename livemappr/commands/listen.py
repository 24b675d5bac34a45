"""``livemappr similar --mic``: listen on the input device until one sound is heard.

Runs on: the main thread (it opens the stream, reads the capture ring and
slices it); PortAudio's audio thread runs the engine's compiled callback, as
in ``livemappr live``, and only copies the input into the capture ring.

The input is cut by the onset slicer a live session uses
(:class:`~livemappr.analysis.slicer.OnsetSlicer`, its default settings): the
first snippet it closes (at the next onset, after 0.1 s of silence, or at 2 s)
is the sound. It is analysed as ``livemappr map`` analyses a one-shot (its
vector at the library's rate, 48 kHz: resampled where the device runs at
another), so it can be compared with a library's sounds. The device is chosen
as ``live`` chooses it: JACK's when a JACK server runs, else the system's.
"""

from __future__ import annotations

import sys
import time
from typing import NamedTuple

import numpy as np

from livemappr.errors import LivemapprError, UsageError

__all__ = ["one_sound", "Heard"]

#: The rate library vectors are made at (``livemappr map``'s default).
VECTOR_RATE = 48000


class Heard(NamedTuple):
    """The sound heard: its ``audio`` (mono, at ``samplerate``), its ``vector``
    (made at :data:`VECTOR_RATE`) and the level of its loudest sample (dBFS)."""

    audio: np.ndarray
    samplerate: int
    vector: np.ndarray
    peak_db: float


def one_sound(device=None, seconds=30.0, extractor=None, ready=None, log=None):
    """Listen on the input until the slicer closes one sound; return it.

    Parameters
    ----------
    device : int or str, optional
        The audio device (``--device``); default as ``live`` chooses.
    seconds : float
        Give up (a one-line error) when no sound has been heard in this long.
    extractor : livemappr.analysis.features.FeatureExtractor, optional
        Makes the vector (default: the one ``livemappr map`` uses).
    ready : callable(engine), optional
        Called once the stream runs (a test starts playing into it there).
    log : callable(str), optional
        Told which device listens, and when a sound was heard, in a line each.

    Returns
    -------
    Heard
    """
    from livemappr.analysis.features import FeatureConfig, FeatureExtractor
    from livemappr.analysis.slicer import OnsetSlicer, SlicerConfig
    from livemappr.analysis.warmup import compile_kernels
    from livemappr.audio.config import EngineConfig
    from livemappr.audio.devices import choose
    from livemappr.audio.engine import Engine
    from livemappr.audio.stream import AudioStream
    from livemappr.files.audiofile import resample

    if not 0.5 <= seconds <= 3600:
        raise UsageError(f"--seconds must be in 0.5..3600, got {seconds}")
    log = log or (lambda message: print(message, file=sys.stderr, flush=True))
    extractor = extractor or FeatureExtractor(FeatureConfig())
    choice = choose(device, need_input=True, in_channels=1, out_channels=2)
    sr = int(round(choice.input["samplerate"]))
    engine = Engine(EngineConfig(samplerate=sr, ring_seconds=8.0, bank_seconds=0.01, bank_slots=1,
                                 loop_tracks=1, loop_seconds=0.01, output_ring_seconds=0.5))
    config = SlicerConfig(sample_rate=sr)
    # Every kernel compiled (or loaded) before the stream runs: a first-use
    # compile holds the interpreter for seconds, and a JACK client of this
    # process (or a test's player) must not wait that long in the graph.
    compile_kernels(sr, slicer=config)
    slicer = OnsetSlicer(config)
    stream = AudioStream(engine, device=device)
    log(f"livemappr: listening for one sound ({stream.choice.describe()}); make it now")
    with stream:
        reader = engine.ring_reader(engine.captured)
        if ready is not None:
            ready(engine)
        deadline = time.monotonic() + seconds
        sound = None
        while sound is None:
            if time.monotonic() > deadline:
                raise LivemapprError(f"no sound heard on the input in {seconds:g} s (is the mic on, and loud "
                                     "enough? livemappr devices lists the inputs)")
            time.sleep(0.02)
            read = reader.read()
            chunk = read.copy()[:, 0]
            if reader.release(read):
                continue  # overwritten while read: the ring is 8 s, so only after a stall
            found = slicer.feed(chunk, read.start) if chunk.size else []
            if found:
                s = found[0]
                audio = reader.copy_range(s.start, s.end)
                sound = audio[:, 0] if audio is not None else None
    audio = np.ascontiguousarray(sound, np.float32)
    vector = extractor.vector(resample(audio, sr, VECTOR_RATE) if sr != VECTOR_RATE else audio, VECTOR_RATE)
    peak = float(np.abs(audio).max()) if audio.size else 0.0
    peak_db = 20 * np.log10(peak) if peak > 0 else float("-inf")
    log(f"livemappr: heard a sound of {audio.shape[0] / sr:.2f} s, peak {peak_db:.0f} dBFS")
    return Heard(audio, sr, np.asarray(vector, np.float32), peak_db)
