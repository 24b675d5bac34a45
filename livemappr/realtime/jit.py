"""How every kernel of the audio thread is compiled.

Runs on: import time only.

``nogil`` so nothing here ever waits for Python; ``cache`` so the stream can
start from compiled code on disk (compiling cold takes seconds: that happens
in ``livemappr.audio.stream.compile_kernels`` before a stream opens, never on the
audio thread); ``error_model="numpy"`` so a division by zero gives inf/NaN
(which the output guard removes) instead of raising, because an exception
cannot leave a C callback.
"""

from numba import njit


def audio_kernel(func=None, **options):
    """``numba.njit`` with the audio thread's options (extra ``options`` win)."""
    settings = {"nogil": True, "cache": True, "error_model": "numpy", **options}
    if func is None:
        return njit(**settings)
    return njit(**settings)(func)
