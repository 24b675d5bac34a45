"""Analysis: cut snippets out of the live input and describe each by a vector.

Runs on: analysis worker (call ``compile_kernels()`` once on the main thread
before the audio stream starts, so no worker ever waits for numba).
"""
