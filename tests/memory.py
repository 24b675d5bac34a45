"""Memory held by livemappr objects, for tests and benchmarks."""

import numpy as np


def reachable_arrays(root):
    """Every ndarray reachable from ``root`` through livemappr objects and
    containers, each buffer once (views count as their base)."""
    seen, arrays, todo = set(), {}, [root]
    while todo:
        o = todo.pop()
        if id(o) in seen:
            continue
        seen.add(id(o))
        if isinstance(o, np.ndarray):
            while isinstance(o.base, np.ndarray):
                o = o.base
            arrays[id(o)] = o
        elif isinstance(o, (list, tuple, set, frozenset)):
            todo.extend(o)
        elif isinstance(o, dict):
            todo.extend(o.values())
        elif type(o).__module__.startswith("livemappr") and hasattr(o, "__dict__"):
            todo.extend(vars(o).values())
    return list(arrays.values())


def resident_mb(array):
    """How much of ``array``'s memory is in RAM, in MiB: the pages it spans
    that were written or read (a fresh array's other pages take no memory), as
    ``mincore(2)`` tells."""
    import ctypes
    import mmap

    libc = ctypes.CDLL(None, use_errno=True)
    page = mmap.PAGESIZE
    lo = array.__array_interface__["data"][0]
    start = lo - lo % page
    length = lo + array.nbytes - start
    vec = (ctypes.c_ubyte * ((length + page - 1) // page))()
    if libc.mincore(ctypes.c_void_p(start), ctypes.c_size_t(length), vec) != 0:
        raise OSError(ctypes.get_errno(), "mincore failed")
    return sum(b & 1 for b in vec) * page / 2 ** 20
