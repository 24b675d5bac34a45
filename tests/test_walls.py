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


# A live session must not load these: scikit-learn and scipy cost ~70 MB and half a
# second at start, librosa more; pynndescent only once a map passes its threshold.
HEAVY = ("sklearn", "scipy", "librosa", "pynndescent")

# numba loads part of scipy by itself whenever scipy is installed (librosa and
# pynndescent need it): the first compile or cache load imports
# scipy.linalg.cython_blas (numba's np.linalg support) and, through rocket-fft's
# numba extension, scipy.fft and scipy.special; ~22 MB and ~0.3 s, measured with
# scipy hidden. We cannot stop that; so a fresh interpreter first makes numba do
# it, and the live path may add nothing to what that left.
NUMBA_ITSELF = "import numba\nnumba.njit(lambda x: x + 1)(1)\n"

# What `livemappr live` loads, in Session.start's order, short of opening a sound
# card, a port or a thread: kernels compiled (stream, analysis, map), then the
# modules of the journal, workers, map, resume, control and web view.
LIVE_PATH = """
import livemappr.cli, livemappr.session
from livemappr import session, stream
from livemappr.analysis import warmup
stream.compile_kernels()
warmup.compile_kernels(48000)
import livemappr.journal, livemappr.analysis.worker, livemappr.control.snapshot
import livemappr.mapping.livemap, livemappr.mapworker, livemappr.resume
import livemappr.control.surfaces, livemappr.web
import numpy as np
from livemappr.mapping.livemap import LiveMap, warm_up
warm_up()  # what the session runs before the stream (and the map worker again)
# a few hundred snippets in 8 groups: enough for several clusters, so the
# k-means behind StableKMeans.fit runs
rng = np.random.default_rng(0)
X = rng.normal(scale=6.0, size=(8, 24))[rng.integers(0, 8, 400)] + rng.normal(size=(400, 24))
live = LiveMap(16, random_state=0).fit(X[:300])
assert live.snapshot.n_clusters > 1, live.snapshot.n_clusters
for x in X[300:]:
    live.add(x)
    live.step()
live.clusters.refit(live.tsne.embedding_)
"""


def heavy_modules_added_by(code):
    """Run NUMBA_ITSELF, then ``code``, in a fresh interpreter.

    Returns
    -------
    numba_itself, added : lists of HEAVY module names, loaded by NUMBA_ITSELF and
    added by ``code``.
    """
    import json
    import os
    import subprocess
    import sys

    env = dict(os.environ)
    # this checkout's livemappr, whatever is installed
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PACKAGE.parent), env.get("PYTHONPATH")]))
    heavy = f"sorted(m for m in sys.modules if m.startswith({HEAVY!r}))"
    probe = (f"import json, sys\n{NUMBA_ITSELF}\nbefore = {heavy}\n{code}\n"
             f"print(json.dumps([before, sorted(set({heavy}) - set(before))]))\n")
    out = subprocess.run([sys.executable, "-c", probe], env=env, cwd=PACKAGE.parent, check=True,
                         capture_output=True, text=True, timeout=600).stdout
    return json.loads(out.strip().splitlines()[-1])


def test_live_session_loads_no_sklearn_scipy_librosa_pynndescent():
    numba_itself, added = heavy_modules_added_by(LIVE_PATH)
    # the allowance is scipy's and nothing else's
    assert {m.split(".")[0] for m in numba_itself} <= {"scipy"}, numba_itself
    packages = sorted({m.split(".")[0] for m in added})
    assert not added, (f"the live path loads {', '.join(packages)} ({len(added)} modules, "
                       f"{added[:3]}...); `python -X importtime -c 'import livemappr.session'` "
                       "shows who imports them")


def test_heavy_import_check_catches_one():
    # The checker itself must be able to fail, on a scipy module numba does not load too.
    assert "scipy.sparse" in heavy_modules_added_by("import livemappr.session\nimport scipy.sparse")[1]
