"""livemappr/mapping imports numpy, numba and itself only (plus the standard library);
never another livemappr package, never scikit-learn or scipy (a live session pays
~70 MB and half a second for them), and pynndescent only inside the function that
needs it (a map past ``ann_threshold``; tests/test_walls.py checks the live path)."""

import ast
import sys
from pathlib import Path

ALLOWED = {"numpy", "numba", "pynndescent"} | set(sys.stdlib_module_names)
LAZY_ONLY = {"pynndescent"}
MAPPING = Path(__file__).resolve().parent.parent / "livemappr" / "mapping"


def _imports(tree, in_function=False):
    # (name, inside a function?) of every import, relative ones excluded
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.Import):
            yield from ((a.name, in_function) for a in node.names)
        elif isinstance(node, ast.ImportFrom) and not node.level:
            yield node.module, in_function
        yield from _imports(node, in_function or isinstance(
            node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)))


def test_mapping_imports_stay_inside_the_wall():
    bad = []
    for path in sorted(MAPPING.glob("*.py")):
        for name, in_function in _imports(ast.parse(path.read_text())):
            top = name.split(".")[0]
            if top not in ALLOWED:
                bad.append(f"{path.name}: {name}")
            elif top in LAZY_ONLY and not in_function:
                bad.append(f"{path.name}: {name} at module level (import it where it is used)")
    assert not bad, bad
    assert len(list(MAPPING.glob("*.py"))) >= 8


def test_the_wall_check_can_fail():
    tree = ast.parse("import sklearn.base\nimport pynndescent\ndef f():\n    import pynndescent\n")
    assert list(_imports(tree)) == [("sklearn.base", False), ("pynndescent", False), ("pynndescent", True)]
