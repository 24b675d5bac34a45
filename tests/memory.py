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
