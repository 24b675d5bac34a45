"""SnippetTable: the map worker's snippets as columns read back as the snippets."""

import threading

import numpy as np
import pytest

from livemappr.analysis.worker import AnalysedSnippet
from livemappr.mapping.snippettable import SnippetTable
from tests.memory import reachable_arrays


def snippet(i, ended_by="onset"):
    return AnalysedSnippet(i, 10_000_000 + i * 1000, 10_000_000 + i * 1000 + 700, 10_000_000 + i * 1000 + 20,
                           i if i % 5 else -1, np.ones(8, np.float32), -6.0 - i, -20.5 - i / 3, ended_by)


def test_rows_read_back_as_the_snippets_without_their_vector():
    reasons = ["onset", "silence", "max_length", "gap", "flush", "grid", "resumed", "something new"]
    items = [snippet(i, reasons[i % len(reasons)]) for i in range(20)]
    t = SnippetTable(items[:3], capacity=4)
    for it in items[3:]:
        t.append(it)  # grows past its capacity
    assert len(t) == 20 and t.capacity >= 20
    want = [AnalysedSnippet(it.id, it.start, it.end, it.onset, it.slot, None, it.peak_db, it.rms_db, it.ended_by)
            for it in items]
    assert list(t) == want and t[-1] == want[-1] and t[7] == want[7]
    assert all(type(v) in (int, float, str, type(None)) for v in vars(t[3]).values())
    with pytest.raises(IndexError):
        t[20]


def test_columns_and_slices_are_arrays_of_the_rows_below_the_length():
    t = SnippetTable([snippet(i) for i in range(10)])
    np.testing.assert_array_equal(t.slot, [it.slot for it in map(snippet, range(10))])
    np.testing.assert_allclose(t.rms_db, [snippet(i).rms_db for i in range(10)])
    part = t[4:7]
    assert len(part) == 3 and list(part.id) == [4, 5, 6] and part[0] == t[4]
    assert list(t[8:].id) == [8, 9] and len(t[11:]) == 0
    with pytest.raises(AttributeError):
        t.vector


def test_a_reserved_table_takes_its_memory_once():
    t = SnippetTable().reserve(5000)
    before = sorted((id(a), a.nbytes) for a in reachable_arrays(t))
    for i in range(5000):
        t.append(snippet(i))
    assert sorted((id(a), a.nbytes) for a in reachable_arrays(t)) == before
    assert sum(n for _, n in before) / 5000 < 64  # bytes a snippet


def test_a_reader_on_another_thread_sees_whole_rows_while_the_table_grows():
    t = SnippetTable(capacity=1)
    done, bad = threading.Event(), []

    def read():
        while not done.is_set():
            n = len(t)
            part = t[:n]
            # every row a reader can count is whole: start and end belong together
            if n and not np.array_equal(part.end - part.start, np.full(n, 700)):
                bad.append(n)

    r = threading.Thread(target=read)
    r.start()
    for i in range(20000):
        t.append(snippet(i))
    done.set()
    r.join()
    assert not bad
