"""Every numba kernel of a live session, compiled before the stream starts.

Runs on: the main thread, before any stream opens (a kernel compiled on the
audio thread or a worker would stall it for seconds).

Compiling takes about 50 s on a desktop core and several minutes on a
Raspberry Pi; numba keeps the machine code on disk (``livemappr/__init__.py``
keys that cache on the source), so later starts load it in about a second.
The first start after an install or an update says so and shows each step,
instead of a silent minute; ``livemappr warmup`` does the same on purpose.
"""

import os
import pathlib
import time

#: Written into numba's cache folder once every kernel of this version of the
#: source is in it.
MARKER = "livemappr-kernels-ready"


def _compile_audio(samplerate):
    from livemappr.audio.stream import compile_kernels

    compile_kernels()


def _compile_analysis(samplerate):
    from livemappr.analysis.warmup import compile_kernels

    compile_kernels(samplerate)


def _compile_map(samplerate):
    from livemappr.mapping.livemap import warm_up

    warm_up()  # compiling holds the GIL: never once the stream runs


STEPS = (("the audio callback", _compile_audio), ("the analysis kernels", _compile_analysis),
         ("the map kernels", _compile_map))


def _marker():
    directory = os.environ.get("NUMBA_CACHE_DIR")
    return pathlib.Path(directory) / MARKER if directory else None


def cached():
    """True when every kernel of this source is in numba's cache already."""
    marker = _marker()
    return marker is not None and marker.exists()


def compile_all(samplerate=48000, log=None, hint=True):
    """Compile (or load from the cache) every kernel a live session runs.

    Parameters
    ----------
    samplerate : int
        The stream's rate: the analysis plans for it are built too.
    log : callable(str) or None
        Told before each step and after it when the cache was cold.
    hint : bool
        Say that ``livemappr warmup`` does this ahead of a performance.

    Returns
    -------
    float
        Seconds it took.
    """
    cold = not cached()
    t0 = time.monotonic()
    if cold and log:
        log("livemappr: compiling the engine's kernels, once after an install or an update "
            "(about a minute; several on a Raspberry Pi)"
            + ("; `livemappr warmup` does it ahead of a performance" if hint else ""))
    for i, (what, step) in enumerate(STEPS, 1):
        t = time.monotonic()
        if cold and log:
            log(f"livemappr: [{i}/{len(STEPS)}] {what}...")
        step(samplerate)
        if cold and log:
            log(f"livemappr: [{i}/{len(STEPS)}] {what}: {time.monotonic() - t:.1f} s")
    marker = _marker()
    if cold and marker is not None:
        try:
            marker.touch()
        except OSError:
            pass  # an unwritable cache: numba falls back too; the next start says it again
    return time.monotonic() - t0
