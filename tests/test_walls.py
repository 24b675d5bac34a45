"""The folder says which thread runs the code: keep the walls between them."""

import ast
import pathlib
import sys

PACKAGE = pathlib.Path(__file__).resolve().parent.parent / "livemappr"

# What each folder may import. Every folder of the package is listed: the
# folder says which part (and thread) runs the code, so a folder's code may use
# only the parts beneath it. "stdlib" is Python's standard library; the
# audio thread's folder may not use it beyond typing and collections (no
# locks, no I/O, no allocation it does not control).
ALL = ("realtime", "analysis", "mapping", "audio", "control", "files", "web", "session", "commands")
WALLS = {
    # the audio thread: numba-compiled, preallocated, lock-free
    "realtime": {"numpy", "numba", "llvmlite", "typing", "collections", "livemappr.realtime"},
    # the analysis worker: slicing, features, the bank it fills
    "analysis": {"stdlib", "numpy", "numba", "livemappr.analysis", "livemappr.realtime",
                 "livemappr.errors", "livemappr.threads", "livemappr.validate"},
    # the map worker: k-NN, t-SNE, clusters, the snippet table
    "mapping": {"stdlib", "numpy", "numba", "pynndescent", "livemappr.mapping", "livemappr.analysis",
                "livemappr.errors", "livemappr.threads", "livemappr.validate"},
    # the control side's handle on the engine: engine state, stream, offline renderer, config
    "audio": {"stdlib", "numpy", "numba", "sounddevice", "livemappr.audio", "livemappr.realtime",
              "livemappr.errors", "livemappr.threads", "livemappr.validate"},
    # control threads: OSC, MIDI, triggers, tempo, patterns, feedback
    "control": {"stdlib", "numpy", "pythonosc", "rtmidi", "soundfile", "link", "livemappr.control",
                "livemappr.audio", "livemappr.realtime", "livemappr.errors", "livemappr.threads",
                "livemappr.validate"},
    # users' files: audio files, map.json, the map picture, text config
    "files": {"stdlib", "numpy", "soundfile", "soxr", "livemappr.files", "livemappr.errors",
              "livemappr.validate"},
    # the web thread: the map view and its WebSocket
    "web": {"stdlib", "numpy", "websockets", "livemappr.web", "livemappr.control", "livemappr.audio",
            "livemappr.files", "livemappr.errors", "livemappr.threads", "livemappr.validate"},
    # the main thread of a live session: starts and stops every part
    "session": {"stdlib", "numpy", "soundfile", "livemappr.session"}
               | {f"livemappr.{f}" for f in ALL if f not in ("session", "commands")}
               | {"livemappr.errors", "livemappr.threads", "livemappr.validate"},
    # one module a command: may use every part; map --scheduler, a Dask
    # cluster (the optional extra livemappr[dask], commands/cluster.py)
    "commands": {"stdlib", "numpy", "soundfile", "distributed", "livemappr.commands", "livemappr.session"}
                | {f"livemappr.{f}" for f in ALL} | {"livemappr.errors", "livemappr.validate"},
    # the bundled demo take and the script that made it
    "data": {"stdlib", "numpy", "soundfile"},
}
# The top floor: the entry points (the command line, the Python API), and the
# modules every part uses (threads: all but the audio thread).
TOP_FLOOR = {"__init__.py", "__main__.py", "api.py", "cli.py", "errors.py", "threads.py", "validate.py"}

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
    if "stdlib" in rules and name.split(".")[0] in sys.stdlib_module_names:
        return True
    return any(name == r or name.startswith(r + ".") for r in rules)


def wall_breaches(package):
    """Imports that cross a folder's wall, and folders no wall names, as lines."""
    bad = []
    for path in sorted(package.rglob("*.py")):
        rel = path.parent.relative_to(package).as_posix()
        if rel == ".":
            continue
        if rel not in WALLS:
            bad.append(f"{rel}/: a folder the wall table does not list")
            continue
        bad += [f"{rel}/{path.name}:{line} imports {name}"
                for line, name in imports_of(path) if not allowed(name, WALLS[rel])]
    return bad


def test_every_folder_keeps_its_walls():
    bad = wall_breaches(PACKAGE)
    assert not bad, "a folder imports what its wall does not allow (WALLS in tests/test_walls.py):\n" + "\n".join(bad)


def test_the_top_floor_holds_only_entry_points_and_shared_modules():
    loose = sorted(p.name for p in PACKAGE.glob("*.py") if p.name not in TOP_FLOOR)
    assert not loose, f"modules on the top floor that belong in a part's folder: {loose}"


def test_wall_check_catches_a_crossing_and_an_unlisted_folder(tmp_path):
    (tmp_path / "analysis").mkdir()
    (tmp_path / "analysis" / "x.py").write_text("import numpy\nfrom livemappr.control import osc\n")
    (tmp_path / "gadgets").mkdir()
    (tmp_path / "gadgets" / "y.py").write_text("import os\n")
    assert wall_breaches(tmp_path) == ["analysis/x.py:2 imports livemappr.control",
                                       "gadgets/: a folder the wall table does not list"]


def test_wall_check_catches_a_forbidden_import(tmp_path):
    # The checker itself must be able to fail.
    p = tmp_path / "x.py"
    p.write_text("import threading\nfrom queue import Queue\nimport numpy as np\n")
    names = [name for _, name in imports_of(p) if not allowed(name, WALLS["realtime"])]
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
import livemappr.cli, livemappr.session.session
from livemappr.session import session
from livemappr.audio import stream
from livemappr.analysis import warmup
stream.compile_kernels()
warmup.compile_kernels(48000)
import livemappr.session.journal, livemappr.analysis.worker, livemappr.control.playable
import livemappr.mapping.livemap, livemappr.mapping.worker, livemappr.session.resume
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
                       f"{added[:3]}...); `python -X importtime -c 'import livemappr.session.session'` "
                       "shows who imports them")


def test_heavy_import_check_catches_one():
    # The checker itself must be able to fail, on a scipy module numba does not load too.
    assert "scipy.sparse" in heavy_modules_added_by("import livemappr.session.session\nimport scipy.sparse")[1]
