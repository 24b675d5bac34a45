"""t-SNE's repulsive forces on a grid, by interpolation and FFT, for large maps.

Runs on: the main thread of ``livemappr map`` (through :mod:`embedding`'s fit);
the kernels are ``nogil``.

The repulsive half of the gradient (see :mod:`bhtsne`) needs, for every point
``i``, four sums over all points ``j`` with the kernel ``K(d) = 1 / (1 + d^2)^2``::

    phi_1 = sum K,  phi_x = sum K y_jx,  phi_y = sum K y_jy,  phi_s = sum K |y_j|^2

from which ``rep_i = y_i phi_1 - (phi_x, phi_y)`` and, since ``K (1 + d^2)``
is t-SNE's ``q``, ``Z = sum_i [(1 + |y_i|^2) phi_1 - 2 y_i . (phi_x, phi_y) +
phi_s] - n``. Barnes-Hut does that in O(n log n) a step; here (Linderman et
al., "Fast interpolation-based t-SNE", 2019, as in FIt-SNE and openTSNE) the
map is cut into square boxes with ``P`` equispaced nodes a side each, every
point spreads its four charges onto the 3 x 3 nodes of its box by Lagrange
interpolation, the nodes' potentials are one convolution with ``K`` (the
nodes are equispaced over the whole map, so it is a 2-D FFT of twice the
grid), and each point reads its potentials back with the same weights: O(n)
plus the FFT of the grid, whose size grows with the map's extent, not with n.

Measured on this 2-core VM (benchmarks/bench_library.py): at 100,000 points a
step takes a fraction of Barnes-Hut's; below about 20,000 points Barnes-Hut
is as fast and exact enough, and the live map keeps its quadtree for placing
new sounds, so :mod:`embedding` uses this for whole-library fits only.
"""

from __future__ import annotations

import numba
import numpy as np

#: Interpolation nodes a box side (3: quadratic, FIt-SNE's default).
P = 3
_N_CHUNKS = 8


@numba.njit(cache=True, nogil=True)
def _weights(u, out):
    # Lagrange weights of the 3 nodes at 0.5, 1.5, 2.5 (in node spacings) for a
    # point at u in [0, 3) of its box.
    a = u - 0.5
    b = u - 1.5
    c = u - 2.5
    out[0] = b * c / 2.0
    out[1] = -a * c
    out[2] = a * b / 2.0


@numba.njit(cache=True, nogil=True)
def _locate(yx, yy, lo, box, n_boxes, wx, wy):
    # The box of a point and its nodes' weights along x and y.
    x = (yx - lo) / box
    y = (yy - lo) / box
    bx = min(int(x), n_boxes - 1)
    by = min(int(y), n_boxes - 1)
    _weights((x - bx) * P, wx)
    _weights((y - by) * P, wy)
    return bx, by


@numba.njit(cache=True, nogil=True, parallel=True)
def _spread(Y, lo, box, n_boxes, grid):
    # grid: (n_chunks, 4, N, N); each chunk spreads its rows into its own copy.
    n = Y.shape[0]
    n_chunks = grid.shape[0]
    for ch in numba.prange(n_chunks):
        wx = np.empty(P)
        wy = np.empty(P)
        g = grid[ch]
        for i in range(ch * n // n_chunks, (ch + 1) * n // n_chunks):
            bx, by = _locate(Y[i, 0], Y[i, 1], lo, box, n_boxes, wx, wy)
            sq = Y[i, 0] * Y[i, 0] + Y[i, 1] * Y[i, 1]
            for a in range(P):
                for c in range(P):
                    w = wx[a] * wy[c]
                    gx = bx * P + a
                    gy = by * P + c
                    g[0, gx, gy] += w
                    g[1, gx, gy] += w * Y[i, 0]
                    g[2, gx, gy] += w * Y[i, 1]
                    g[3, gx, gy] += w * sq


@numba.njit(cache=True, nogil=True, parallel=True)
def _gather(Y, lo, box, n_boxes, pot, rep, zrow):
    n = Y.shape[0]
    n_chunks = min(_N_CHUNKS, n)
    for ch in numba.prange(n_chunks):
        wx = np.empty(P)
        wy = np.empty(P)
        for i in range(ch * n // n_chunks, (ch + 1) * n // n_chunks):
            bx, by = _locate(Y[i, 0], Y[i, 1], lo, box, n_boxes, wx, wy)
            p1 = 0.0
            px = 0.0
            py = 0.0
            ps = 0.0
            for a in range(P):
                for c in range(P):
                    w = wx[a] * wy[c]
                    gx = bx * P + a
                    gy = by * P + c
                    p1 += w * pot[0, gx, gy]
                    px += w * pot[1, gx, gy]
                    py += w * pot[2, gx, gy]
                    ps += w * pot[3, gx, gy]
            yx = Y[i, 0]
            yy = Y[i, 1]
            rep[i, 0] = yx * p1 - px
            rep[i, 1] = yy * p1 - py
            zrow[i] = (1.0 + yx * yx + yy * yy) * p1 - 2.0 * (yx * px + yy * py) + ps


def _fft_size(n):
    """The smallest 2^a 3^b 5^c >= n: sizes pocketfft transforms fastest."""
    best = 1 << int(np.ceil(np.log2(max(n, 1))))
    f5 = 1
    while f5 < 2 * n:
        f3 = f5
        while f3 < 2 * n:
            f2 = f3
            while f2 < n:
                f2 *= 2
            best = min(best, f2)
            f3 *= 3
        f5 *= 5
    return best


def grid_of(Y, box_width=1.0, min_boxes=40):
    """``(lo, box, n_boxes)``: a square grid of boxes covering ``Y``."""
    lo = float(Y.min()) - 1e-6
    hi = float(Y.max()) + 1e-6
    n_boxes = max(min_boxes, int(np.ceil((hi - lo) / box_width)))
    return lo, (hi - lo) / n_boxes, n_boxes


def repulsion(Y, box_width=1.0, min_boxes=40):
    """``(rep, Z)``: the unnormalised repulsive sums ``sum_j q_ij^2 (y_i - y_j)`` of every
    point and t-SNE's normaliser ``Z``, by interpolation on a grid of boxes about
    ``box_width`` wide (map units; the kernel's scale is 1)."""
    n = Y.shape[0]
    lo, box, n_boxes = grid_of(Y, box_width, min_boxes)
    N = n_boxes * P
    h = box / P  # node spacing
    grid = np.zeros((min(_N_CHUNKS, n), 4, N, N))
    _spread(Y, lo, box, n_boxes, grid)
    charges = grid.sum(axis=0)
    M = _fft_size(2 * N)
    offs = np.arange(M, dtype=np.float64)
    offs = np.where(offs < M - N + 1, offs, offs - M) * h  # circular offsets, wrap past N-1 unused
    d2 = offs[:, None] ** 2 + offs[None, :] ** 2
    # float32 transforms: twice as fast as float64 here, and their rounding
    # (1e-7 of the largest potential) is far below the interpolation's error
    kernel = np.fft.rfft2((1.0 / (1.0 + d2) ** 2).astype(np.float32))
    pot = np.fft.irfft2(np.fft.rfft2(charges.astype(np.float32), s=(M, M)) * kernel, s=(M, M))[:, :N, :N]
    rep = np.empty((n, 2))
    zrow = np.empty(n)
    _gather(Y, lo, box, n_boxes, np.ascontiguousarray(pot, dtype=np.float64), rep, zrow)
    return rep, max(float(zrow.sum()) - n, 1e-12)


def gradient(Y, indices, P, exaggeration=1.0, box_width=1.0):
    """The t-SNE gradient as :func:`bhtsne.gradient` gives it, with the repulsion
    from the grid: ``(grad, Z)``."""
    from .bhtsne import attraction

    rep, Z = repulsion(Y, box_width)
    return 4.0 * (exaggeration * attraction(Y, indices, P) - rep / Z), Z
