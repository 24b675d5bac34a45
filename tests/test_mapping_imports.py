"""livemappr/mapping imports numpy, numba, scikit-learn, pynndescent and itself only
(plus the standard library); never another livemappr package."""

import ast
import sys
from pathlib import Path

ALLOWED = {"numpy", "numba", "sklearn", "pynndescent"} | set(sys.stdlib_module_names)
MAPPING = Path(__file__).resolve().parent.parent / "livemappr" / "mapping"


def test_mapping_imports_stay_inside_the_wall():
    bad = []
    for path in sorted(MAPPING.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:  # relative: a sibling
                    continue
                names = [node.module]
            else:
                continue
            bad += [f"{path.name}: {n}" for n in names if n.split(".")[0] not in ALLOWED]
    assert not bad, bad
    assert len(list(MAPPING.glob("*.py"))) >= 8
