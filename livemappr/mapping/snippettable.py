"""SnippetTable: the snippets on the live map, in map order, as columns.

Runs on: the map worker appends; any thread reads the rows below a length it
was given (a publication's ``len(items)``): rows are written before the length
that covers them, and never change after.

A live session holds thousands of snippets. One Python object each (with its
ints and floats) cost ~400 B a snippet and kept the process growing while it
was played; here a snippet is one row of a few arrays (57 B), whose memory a
session takes at start for as many snippets as the bank has slots (see
:meth:`SnippetTable.reserve`). Past that the arrays grow by an eighth.

Row ``i`` reads back as an :class:`~livemappr.analysis.worker.AnalysedSnippet`
without its ``vector`` (the map keeps the features); a slice reads back as a
table over the same rows, whose columns (``table.slot``, ``table.rms_db``, ...)
are arrays. On another thread than the writer's, slice first (``table[:n]``,
``n`` a length you were given) and read the slice's columns: each column of the
table itself is as long as the table is at that instant.
"""

import numpy as np

from livemappr.analysis.worker import AnalysedSnippet
from livemappr.mapping.growth import grown_capacity, prefault

#: Column name -> dtype, in AnalysedSnippet's order (``vector`` is not kept).
COLUMNS = {"id": np.int64, "start": np.int64, "end": np.int64, "onset": np.int64, "slot": np.int64,
           "peak_db": np.float64, "rms_db": np.float64, "ended_by": np.uint8}
_INT64 = np.iinfo(np.int64)
#: What ``ended_by`` codes stand for; a reason not listed is added (up to 256).
REASONS = ["onset", "silence", "max_length", "gap", "flush", "grid", "resumed"]


class SnippetTable:
    """A growing list of snippets held as columns.

    Parameters
    ----------
    items : iterable of AnalysedSnippet, optional
        Rows to start with.
    capacity : int
        Rows to allocate now (more are added as needed).
    """

    def __init__(self, items=(), capacity=256):
        self._cols = {name: np.zeros(max(int(capacity), 1), dtype) for name, dtype in COLUMNS.items()}
        self._n = 0
        self._reasons = list(REASONS)
        for item in items:
            self.append(item)

    # -- writing (one thread) -------------------------------------------------------
    def reserve(self, capacity):
        """Room for ``capacity`` rows, resident now; rows held are kept."""
        if capacity > self.capacity:
            self._resize(int(capacity))
        prefault(*self._cols.values())
        return self

    def append(self, item):
        """Add one snippet (its ``vector`` is not kept)."""
        self.append_row(self.row(item))

    def row(self, item):
        """``item`` as the values of a row, checked (``ValueError`` or
        ``TypeError`` for a value its column cannot hold); nothing is added."""
        row = (int(item.id), int(item.start), int(item.end), int(item.onset), int(item.slot),
               float(item.peak_db), float(item.rms_db), self._code(item.ended_by))
        for name, value in zip(("id", "start", "end", "onset", "slot"), row):
            if not _INT64.min <= value <= _INT64.max:
                raise ValueError(f"snippet {row[0]}: {name} {value!r} does not fit")
        return row

    def append_row(self, row):
        """Add a row from :meth:`row`."""
        n = self._n
        if n == self.capacity:
            self._resize(grown_capacity(n, n + 1))
        for a, value in zip(self._cols.values(), row):
            a[n] = value
        self._n = n + 1  # the row is whole before a reader can count it

    def _code(self, reason):
        try:
            return self._reasons.index(reason)
        except ValueError:
            if len(self._reasons) == 256:
                raise ValueError(f"too many kinds of ended_by, cannot add {reason!r}") from None
            self._reasons.append(reason)
            return len(self._reasons) - 1

    def _resize(self, capacity):
        n = self._n
        grown = {name: np.zeros(capacity, a.dtype) for name, a in self._cols.items()}
        for name, a in self._cols.items():
            grown[name][:n] = a[:n]
        self._cols = grown  # readers holding the old columns keep valid rows

    # -- reading (any thread, rows below a length it was given) ----------------------
    @property
    def capacity(self):
        return self._cols["id"].shape[0]

    def __len__(self):
        return self._n

    def __getattr__(self, name):
        cols = self.__dict__.get("_cols")
        if cols is None or name not in cols:
            raise AttributeError(name)
        return cols[name][: self._n]

    def __getitem__(self, key):
        if isinstance(key, slice):
            start, stop, step = key.indices(self._n)
            if step != 1:
                raise ValueError("a SnippetTable slice must be contiguous")
            view = object.__new__(SnippetTable)
            view._cols = {name: a[start:stop] for name, a in self._cols.items()}
            view._n = max(stop - start, 0)
            view._reasons = self._reasons
            return view
        i = int(key)
        if i < 0:
            i += self._n
        if not 0 <= i < self._n:
            raise IndexError(f"snippet {key} of {self._n}")
        c = self._cols
        return AnalysedSnippet(int(c["id"][i]), int(c["start"][i]), int(c["end"][i]), int(c["onset"][i]),
                               int(c["slot"][i]), None, float(c["peak_db"][i]), float(c["rms_db"][i]),
                               self._reasons[c["ended_by"][i]])

    def __iter__(self):
        for i in range(self._n):
            yield self[i]
