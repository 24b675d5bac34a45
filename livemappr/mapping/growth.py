"""How the map's per-snippet arrays grow: in steps of 1,024 rows or an eighth.

Runs on: map worker.

Doubling wastes up to half of what it holds (a map of 4,200 snippets in arrays of
8,192 rows); a live session is a map that only grows, at a few snippets a second,
so a step of 1,024 rows (four minutes at four snippets a second) wastes at most
that, and past 8,192 rows an eighth of the size keeps copies rare for large
libraries (a library's :meth:`fit` reserves its room up front anyway). Growing
copies what is held, a few milliseconds at 7,000 snippets, on the map worker.
"""

from __future__ import annotations

GROWTH_ROWS = 1024


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
