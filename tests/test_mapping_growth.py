"""How the map's arrays grow, and how a session takes their memory up front."""

import mmap

import numpy as np
import pytest
from tests.memory import resident_mb

from livemappr.mapping.growth import grown_capacity, prefault


def test_growth_steps_by_1024_rows_then_an_eighth():
    assert grown_capacity(256, 257) == 1280
    assert grown_capacity(16384, 16385) == 16384 + 2048
    assert grown_capacity(10, 5000) == 5000


def test_prefault_makes_every_page_resident_and_keeps_the_values():
    # Fresh pages of its own (a small array may come from memory the allocator
    # already holds); under 2 MiB, so no huge page makes it resident at once.
    buf = mmap.mmap(-1, 1900 * 1024)
    a = np.frombuffer(buf, np.float32).reshape(-1, 400)
    a[::100, 3] = 5.0  # one page in 10
    # (not read yet: reading a page never written maps one too)
    assert resident_mb(a) < 0.3 * a.nbytes / 2 ** 20  # only the pages written so far
    prefault(a)
    assert resident_mb(a) >= a.nbytes / 2 ** 20
    kept = np.zeros_like(a)
    kept[::100, 3] = 5.0
    np.testing.assert_array_equal(a, kept)
    del a
    buf.close()


def test_prefault_refuses_a_strided_view():
    with pytest.raises(ValueError, match="C-contiguous"):
        prefault(np.zeros((100, 100))[:, ::2])
