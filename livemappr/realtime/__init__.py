"""Code the audio thread runs: preallocated state and compiled kernels only.

Nothing here may import more than numpy, numba (with llvmlite, its code
generator) and sibling modules; ``tests/test_walls.py`` keeps that wall.
Every structure is single-producer/single-consumer over preallocated arrays;
the producer/consumer ends that run on other threads live beside the audio
end so the protocol of each structure can be read in one file.
"""
