"""Mapping: k-NN, affinities, incremental Barnes-Hut t-SNE, stable clusters, snapshots.

Runs on: map worker (the approximate k-NN index builds on its own thread).
Imports numpy, numba and its own modules only; pynndescent inside the functions
that build an approximate index (a map past ``ann_threshold``). Never
scikit-learn or scipy: they would cost a live session ~70 MB and half a second.

Modules, in pipeline order: ``neighbors`` (exact and background pynndescent k-NN),
``affinity`` (perplexity-calibrated, grown one point at a time), ``bhtsne``
(quadtree, gradient, optimiser step), ``fftrep`` (the repulsion on an
interpolation grid, for whole-library fits), ``embedding`` (``IncrementalTSNE``),
``kmeans`` (k-means++ and Lloyd), ``clusters`` (``StableKMeans``), ``snapshot``
(immutable published state), ``livemap`` (``LiveMap``: all of it together),
``quality`` (trustworthiness, k-NN label agreement, ARI); ``params``
(get_params / set_params for the estimators); ``growth`` (how the per-snippet
arrays grow).
"""

import os

# numba's OpenMP layer lets idle worker threads spin (libgomp's default, ACTIVE).
# On a machine whose cores are shared (the audio thread, the analysis worker,
# other programs) a spinning thread steals the core its sibling needs, and every
# parallel region waits a scheduler slice. Measured on 2 busy cores, N = 5000:
# one refinement step 24-30 ms with 2 threads spinning, 4.6 ms with PASSIVE
# (6.6 ms single-threaded); a full fit 23-30 s vs 9 s. libgomp reads this when it
# loads, so it only helps if set before numba or scikit-learn start OpenMP; the
# program's entry point is the reliable place, this is the fallback.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
