"""Mapping: k-NN, affinities, incremental Barnes-Hut t-SNE, stable clusters, snapshots.

Runs on: map worker (the approximate k-NN index builds on its own thread).
Imports numpy, numba, scikit-learn, pynndescent and its own modules only.
"""
