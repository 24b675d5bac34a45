"""Barnes-Hut t-SNE in 2-D: quadtree, gradient and one optimiser step, in numba.

Runs on: map worker (all kernels are ``nogil``, so the GIL is free while they run).

The gradient of KL(P || Q) for a 2-D embedding ``Y`` is::

    dC/dy_i = 4 * (exaggeration * sum_j P_ij q_ij (y_i - y_j)
                   - sum_j q_ij^2 (y_i - y_j) / Z)

with ``q_ij = 1 / (1 + |y_i - y_j|^2)`` and ``Z = sum_{k != l} q_kl``. The
attractive sum walks the directed k-NN rows of
:class:`livemappr.mapping.affinity.Affinities` (see there for why that equals
the symmetric ``P``); the repulsive sum and ``Z`` come from a Barnes-Hut
quadtree, where a cell of width ``w`` at distance ``d`` stands for all its points
once ``w / d < theta``.

Everything that is summed in parallel is summed in a fixed partition and order, so
a run is bit-for-bit reproducible for a given seed and machine.
"""

from __future__ import annotations

import numba
import numpy as np

_MAX_DEPTH = 48
# Parallel loops run over this many fixed chunks of rows. Attraction is scattered
# to both ends of an edge, so each chunk gets its own buffer. Fixed (not the
# thread count) so results do not depend on how many threads run.
_N_CHUNKS = 8


@numba.njit(cache=True, nogil=True)
def _build_tree(Y, capacity):
    # Quadtree over Y. Returns (ok, cx, cy, hw, mass, sx, sy, child, leaf_of, n_nodes);
    # ok is False when `capacity` nodes were not enough (caller retries bigger).
    n = Y.shape[0]
    cx = np.empty(capacity)
    cy = np.empty(capacity)
    hw = np.empty(capacity)
    mass = np.zeros(capacity)
    sx = np.zeros(capacity)
    sy = np.zeros(capacity)
    child = np.full(capacity, -1, np.int64)  # first of 4 consecutive children
    rep = np.full(capacity, -1, np.int64)  # a point of a non-empty leaf
    leaf_of = np.empty(n, np.int64)
    xmin, xmax, ymin, ymax = np.inf, -np.inf, np.inf, -np.inf
    for i in range(n):
        xmin = min(xmin, Y[i, 0])
        xmax = max(xmax, Y[i, 0])
        ymin = min(ymin, Y[i, 1])
        ymax = max(ymax, Y[i, 1])
    cx[0] = 0.5 * (xmin + xmax)
    cy[0] = 0.5 * (ymin + ymax)
    hw[0] = 0.5 * max(xmax - xmin, ymax - ymin) * (1.0 + 1e-6) + 1e-12
    n_nodes = 1
    for p in range(n):
        x = Y[p, 0]
        y = Y[p, 1]
        node = 0
        depth = 0
        while True:
            if child[node] == -1:
                if mass[node] == 0.0:
                    rep[node] = p
                    mass[node] = 1.0
                    sx[node] = x
                    sy[node] = y
                    break
                q = rep[node]
                if depth >= _MAX_DEPTH or (Y[q, 0] == x and Y[q, 1] == y):
                    # Coincident points (or too deep): share the leaf.
                    mass[node] += 1.0
                    sx[node] += x
                    sy[node] += y
                    break
                if n_nodes + 4 > capacity:
                    return False, cx, cy, hw, mass, sx, sy, child, leaf_of, n_nodes
                c0 = n_nodes
                n_nodes += 4
                child[node] = c0
                h = 0.5 * hw[node]
                for c in range(4):
                    cx[c0 + c] = cx[node] + (h if c & 1 else -h)
                    cy[c0 + c] = cy[node] + (h if c & 2 else -h)
                    hw[c0 + c] = h
                # Move the leaf's points (all at q's position) down one level.
                qc = c0 + (1 if Y[q, 0] >= cx[node] else 0) + (2 if Y[q, 1] >= cy[node] else 0)
                mass[qc] = mass[node]
                sx[qc] = sx[node]
                sy[qc] = sy[node]
                rep[qc] = q
                rep[node] = -1
            mass[node] += 1.0
            sx[node] += x
            sy[node] += y
            node = child[node] + (1 if x >= cx[node] else 0) + (2 if y >= cy[node] else 0)
            depth += 1
    # Leaves may have been split after points were filed in them: refile by descent.
    for p in range(n):
        node = 0
        while child[node] != -1:
            node = child[node] + (1 if Y[p, 0] >= cx[node] else 0) + (2 if Y[p, 1] >= cy[node] else 0)
        leaf_of[p] = node
    return True, cx, cy, hw, mass, sx, sy, child, leaf_of, n_nodes


@numba.njit(cache=True, nogil=True)
def _pack(cx, cy, hw, mass, sx, sy, child, leaf_of, n_nodes):
    # One contiguous row per node (centre of mass, mass, squared cell width) so a
    # traversal touches one cache line per node, and a spatial (depth-first) order
    # of the points so consecutive points walk nearly the same nodes.
    nodes = np.empty((n_nodes, 4))
    for k in range(n_nodes):
        m = mass[k]
        nodes[k, 0] = sx[k] / m if m > 0 else cx[k]
        nodes[k, 1] = sy[k] / m if m > 0 else cy[k]
        nodes[k, 2] = m
        nodes[k, 3] = 4.0 * hw[k] * hw[k]
    rank = np.empty(n_nodes, np.int64)
    stack = np.empty(4 * _MAX_DEPTH + 8, np.int64)
    stack[0] = 0
    top = 1
    r = 0
    while top > 0:
        top -= 1
        k = stack[top]
        rank[k] = r
        r += 1
        if child[k] != -1:
            for c in range(3, -1, -1):
                stack[top] = child[k] + c
                top += 1
    key = np.empty(leaf_of.shape[0], np.int64)
    for p in range(leaf_of.shape[0]):
        key[p] = rank[leaf_of[p]]
    order = np.argsort(key, kind="mergesort")
    return nodes, child[:n_nodes].copy(), order


def _check_positions(Y, name="Y"):
    if not (isinstance(Y, np.ndarray) and Y.ndim == 2 and Y.shape[1] == 2
            and Y.dtype == np.float64 and Y.flags.c_contiguous):
        shape = getattr(Y, "shape", None)
        dtype = getattr(Y, "dtype", type(Y).__name__)
        raise ValueError(f"{name} must be a C-contiguous float64 array of shape (n, 2), "
                         f"got shape {shape} dtype {dtype}")


def build_tree(Y):
    """Quadtree of 2-D points.

    Parameters
    ----------
    Y : ndarray of shape (n, 2), float64, C-contiguous

    Returns
    -------
    tree : tuple (nodes, child, leaf_of, order)
        ``nodes`` of shape (n_nodes, 4): centre of mass x, y, mass, squared cell
        width; ``child`` of shape (n_nodes,): index of the first of four children
        or -1 for a leaf; ``leaf_of`` of shape (n,): each point's leaf;
        ``order`` of shape (n,): points in depth-first (spatial) order.
    """
    _check_positions(Y)
    cap = 4 * Y.shape[0] + 64
    while True:
        out = _build_tree(Y, cap)
        if out[0]:
            break
        cap *= 2
    _, cx, cy, hw, mass, sx, sy, child, leaf_of, n_nodes = out
    nodes, child, order = _pack(cx, cy, hw, mass, sx, sy, child, leaf_of, n_nodes)
    return nodes, child, leaf_of, order


@numba.njit(cache=True, nogil=True, fastmath=True)
def _repulse_one(yx, yy, self_leaf, theta2, nodes, child, stack):
    # Repulsive force (unnormalised) and sum of q on one point from the whole tree.
    fx = 0.0
    fy = 0.0
    sq = 0.0
    stack[0] = 0
    top = 1
    while top > 0:
        top -= 1
        node = stack[top]
        m = nodes[node, 2]
        if m == 0.0:
            continue
        dx = yx - nodes[node, 0]
        dy = yy - nodes[node, 1]
        d2 = dx * dx + dy * dy
        leaf = child[node] == -1
        if leaf or nodes[node, 3] < theta2 * d2:
            if leaf and node == self_leaf:
                m -= 1.0  # the point itself; any others are coincident (d2 == 0)
                if m == 0.0:
                    continue
            q = 1.0 / (1.0 + d2)
            sq += m * q
            mq2 = m * q * q
            fx += mq2 * dx
            fy += mq2 * dy
        else:
            c0 = child[node]
            for c in range(4):
                stack[top] = c0 + c
                top += 1
    return fx, fy, sq


@numba.njit(cache=True, nogil=True, parallel=True)
def _repulsion(Y, theta, nodes, child, leaf_of, order, rep, sumq):
    n = Y.shape[0]
    theta2 = theta * theta
    # More chunks than threads: a thread delayed by another process then holds
    # up less of the step (the machine is shared).
    n_chunks = min(_N_CHUNKS, n)
    for ch in numba.prange(n_chunks):
        stack = np.empty(4 * _MAX_DEPTH + 8, np.int64)
        for r in range(ch * n // n_chunks, (ch + 1) * n // n_chunks):
            i = order[r]
            fx, fy, sq = _repulse_one(Y[i, 0], Y[i, 1], leaf_of[i], theta2, nodes, child, stack)
            rep[i, 0] = fx
            rep[i, 1] = fy
            sumq[i] = sq


@numba.njit(cache=True, nogil=True, parallel=True)
def _attraction(Y, idx, P, scale, out):
    # out[i] = scale * sum over directed edges touching i of p * q * (y_i - y_j).
    n = Y.shape[0]
    k = idx.shape[1]
    n_chunks = min(_N_CHUNKS, n)
    buf = np.zeros((n_chunks, n, 2))
    for ch in numba.prange(n_chunks):
        b = buf[ch]
        for i in range(ch * n // n_chunks, (ch + 1) * n // n_chunks):
            for c in range(k):
                j = idx[i, c]
                if j < 0:
                    break
                dx = Y[i, 0] - Y[j, 0]
                dy = Y[i, 1] - Y[j, 1]
                w = scale * P[i, c] / (1.0 + dx * dx + dy * dy)
                b[i, 0] += w * dx
                b[i, 1] += w * dy
                b[j, 0] -= w * dx
                b[j, 1] -= w * dy
    for i in numba.prange(n):
        ax = 0.0
        ay = 0.0
        for ch in range(n_chunks):
            ax += buf[ch, i, 0]
            ay += buf[ch, i, 1]
        out[i, 0] = ax
        out[i, 1] = ay


def gradient(Y, indices, P, exaggeration=1.0, theta=0.5, tree=None):
    """Barnes-Hut gradient of the t-SNE objective.

    Parameters
    ----------
    Y : ndarray of shape (n, 2), float64, C-contiguous
    indices, P : ndarray of shape (n, k)
        Directed affinities (``Affinities.indices`` / ``.P``), rows summing to 1.
    exaggeration : float
    theta : float
        Barnes-Hut accuracy; 0.5 is the usual trade-off.
    tree : tuple or None
        A tree of ``Y`` from :func:`build_tree`, built here when None.

    Returns
    -------
    grad : ndarray of shape (n, 2)
    Z : float
        Sum of the unnormalised q over all ordered pairs.
    tree : tuple
        The quadtree used (for placing new points before the next step).
    """
    _check_positions(Y)
    n = Y.shape[0]
    if indices.shape != P.shape or indices.shape[0] != n:
        raise ValueError(f"indices {indices.shape} and P {P.shape} must both have {n} rows "
                         "and equal shapes")
    if not 0 < theta <= 1.5:
        raise ValueError(f"theta must be in (0, 1.5], got {theta!r}")
    if tree is None:
        tree = build_tree(Y)
    nodes, child, leaf_of, order = tree
    rep = np.empty((n, 2))
    sumq = np.empty(n)
    _repulsion(Y, theta, nodes, child, leaf_of, order, rep, sumq)
    Z = max(float(sumq.sum()), 1e-12)
    grad = 4.0 * (exaggeration * attraction(Y, indices, P) - rep / Z)
    return grad, Z, tree


def attraction(Y, indices, P):
    """The attractive sums ``sum_j P_ij q_ij (y_i - y_j)`` of every point (symmetric ``P``
    from the directed rows, see :func:`gradient`)."""
    n = Y.shape[0]
    attr = np.empty((n, 2))
    _attraction(Y, indices, P, 1.0 / (2.0 * n), attr)
    return attr


@numba.njit(cache=True, nogil=True, parallel=True)
def _step(Y, grad, update, gains, lr, momentum, max_step):
    # Delta-bar-delta gains, momentum, then an optional cap on each point's move.
    n = Y.shape[0]
    cap2 = max_step * max_step
    for i in numba.prange(n):
        ux = 0.0
        uy = 0.0
        for c in range(2):
            g = gains[i, c]
            if (grad[i, c] > 0.0) != (update[i, c] > 0.0):
                g += 0.2
            else:
                g *= 0.8
            g = max(g, 0.01)
            gains[i, c] = g
            u = momentum * update[i, c] - lr * g * grad[i, c]
            if c == 0:
                ux = u
            else:
                uy = u
        if max_step > 0.0:
            m2 = ux * ux + uy * uy
            if m2 > cap2:
                s = max_step / np.sqrt(m2)
                ux *= s
                uy *= s
        update[i, 0] = ux
        update[i, 1] = uy
        Y[i, 0] += ux
        Y[i, 1] += uy


def step(Y, grad, update, gains, learning_rate, momentum, max_step=0.0):
    """One in-place optimiser step: gains, momentum, optional per-point move cap.

    Parameters
    ----------
    Y, grad, update, gains : ndarray of shape (n, 2), float64
        Positions, gradient, last update (momentum state), per-coordinate gains.
    learning_rate, momentum : float
    max_step : float
        When > 0, no point moves farther than this in the step.
    """
    _check_positions(Y)
    for name, a in (("grad", grad), ("update", update), ("gains", gains)):
        if a.shape != Y.shape:
            raise ValueError(f"{name} must have shape {Y.shape} like Y, got {a.shape}")
    if max_step < 0:
        raise ValueError(f"max_step must be >= 0 (0: no cap), got {max_step!r}")
    _step(Y, grad, update, gains, float(learning_rate), float(momentum), float(max_step))


@numba.njit(cache=True, nogil=True)
def _point_gradient(yx, yy, nbr_pos, nbr_w, Z, theta2, nodes, child, stack):
    ax = 0.0
    ay = 0.0
    for c in range(nbr_w.shape[0]):
        dx = yx - nbr_pos[c, 0]
        dy = yy - nbr_pos[c, 1]
        w = nbr_w[c] / (1.0 + dx * dx + dy * dy)
        ax += w * dx
        ay += w * dy
    fx, fy, _ = _repulse_one(yx, yy, -1, theta2, nodes, child, stack)
    return 4.0 * (ax - fx / Z), 4.0 * (ay - fy / Z)


@numba.njit(cache=True, nogil=True)
def _refine_point(y0, nbr_pos, nbr_w, Z, theta, lr, n_iter, max_move, nodes, child):
    # Gradient descent on one new point against a frozen map (others do not move).
    stack = np.empty(4 * _MAX_DEPTH + 8, np.int64)
    x = y0[0]
    y = y0[1]
    theta2 = theta * theta
    for _ in range(n_iter):
        gx, gy = _point_gradient(x, y, nbr_pos, nbr_w, Z, theta2, nodes, child, stack)
        ux = -lr * gx
        uy = -lr * gy
        m = np.sqrt(ux * ux + uy * uy)
        if m > max_move:
            ux *= max_move / m
            uy *= max_move / m
        x += ux
        y += uy
    return x, y


def refine_point(y0, neighbor_positions, weights, Z, tree, theta=0.5,
                 learning_rate=1.0, n_iter=10, max_move=np.inf):
    """Refine one new point's position with the rest of the map held fixed.

    Parameters
    ----------
    y0 : ndarray of shape (2,)
        Start, usually the median of its neighbours' positions.
    neighbor_positions : ndarray of shape (m, 2)
    weights : ndarray of shape (m,)
        Joint affinities ``P_ij`` of the point to those neighbours.
    Z : float
        Normaliser from the last whole-map gradient.
    tree : tuple
        Quadtree of the map from :func:`build_tree` (it need not contain the point).

    Returns
    -------
    ndarray of shape (2,)
    """
    neighbor_positions = np.ascontiguousarray(neighbor_positions, dtype=np.float64)
    weights = np.ascontiguousarray(weights, dtype=np.float64)
    if neighbor_positions.shape != (weights.shape[0], 2):
        raise ValueError(f"neighbor_positions must have shape ({weights.shape[0]}, 2) to match "
                         f"weights, got {neighbor_positions.shape}")
    nodes, child, _, _ = tree
    x, y = _refine_point(np.asarray(y0, np.float64), neighbor_positions, weights,
                         float(Z), float(theta),
                         float(learning_rate), int(n_iter), float(max_move), nodes, child)
    return np.array([x, y])
