"""How the map's per-snippet arrays grow (steps of 1,024 rows or an eighth) and
how a live session takes their memory up front.

Runs on: map worker.

Doubling wastes up to half of what it holds (a map of 4,200 snippets in arrays of
8,192 rows); a live session is a map that only grows, at a few snippets a second,
so a step of 1,024 rows (four minutes at four snippets a second) wastes at most
that, and past 8,192 rows an eighth of the size keeps copies rare for large
libraries (a library's :meth:`fit` reserves its room up front anyway). Growing
copies what is held, a few milliseconds at 7,000 snippets, on the map worker.
"""

from __future__ import annotations

import mmap

import numpy as np

GROWTH_ROWS = 1024
_PAGE = mmap.PAGESIZE


def grown_capacity(capacity, need):
    """Rows to allocate when ``need`` rows do not fit in ``capacity``.

    Parameters
    ----------
    capacity : int
        Rows allocated now.
    need : int
        Rows that must fit.

    Returns
    -------
    int : at least ``need``.
    """
    return max(int(need), int(capacity) + max(GROWTH_ROWS, int(capacity) // 8))


def prefault(*arrays):
    """Make every page of each array resident now, keeping its values.

    A fresh array's pages (``np.empty``, ``np.zeros``) only take memory when
    first written: a map reserved for a whole session would still grow by a
    page now and then while it is played. Writing one value back per page takes
    the memory at once, so the session's memory is what it is from the start.

    Parameters
    ----------
    *arrays : ndarray, C-contiguous
    """
    for a in arrays:
        if a.size == 0:
            continue
        if not a.flags.c_contiguous:
            raise ValueError("prefault needs C-contiguous arrays")
        flat = a.reshape(-1).view(np.uint8)
        flat[::_PAGE] = flat[::_PAGE].copy()  # (a view assigned to itself wrote no page)
        flat[-1:] = flat[-1:].copy()  # the last page, when the array does not start on a page
