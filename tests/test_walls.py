"""The folder says which thread runs the code: keep the walls between them."""

import ast
import pathlib

PACKAGE = pathlib.Path(__file__).resolve().parent.parent / "livemappr"

# What each folder may import besides the standard library's typing helpers.
ALLOWED = {
    "realtime": {"numpy", "numba", "llvmlite", "livemappr.realtime", "typing", "collections"},
}


def imports_of(path):
    tree = ast.parse(path.read_text(), str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                yield node.lineno, "livemappr." + path.parent.name + ("." + node.module if node.module else "")
            else:
                yield node.lineno, node.module


def allowed(name, rules):
    return any(name == r or name.startswith(r + ".") for r in rules)


def test_realtime_imports_only_numpy_numba_and_siblings():
    files = sorted((PACKAGE / "realtime").glob("*.py"))
    assert files, "livemappr/realtime/ has no modules"
    bad = [f"{p.name}:{line} imports {name}"
           for p in files for line, name in imports_of(p) if not allowed(name, ALLOWED["realtime"])]
    assert not bad, "the audio thread's code imports what it must not:\n" + "\n".join(bad)


def test_wall_check_catches_a_forbidden_import(tmp_path):
    # The checker itself must be able to fail.
    p = tmp_path / "x.py"
    p.write_text("import threading\nfrom queue import Queue\nimport numpy as np\n")
    names = [name for _, name in imports_of(p) if not allowed(name, ALLOWED["realtime"])]
    assert names == ["threading", "queue"]
