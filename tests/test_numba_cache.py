"""numba's cache is keyed by the package's source, so an update never runs old machine code."""

import os
import pathlib
import shutil
import subprocess
import sys

import livemappr
from tests import conftest

ROOT = pathlib.Path(livemappr.__file__).resolve().parent


def cache_dir(package_parent, env_extra, code="import livemappr, os; print(os.environ.get('NUMBA_CACHE_DIR', ''))"):
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    env.update(env_extra, PYTHONPATH=str(package_parent))
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True,
                         cwd=package_parent)
    return out.stdout.strip()


def test_a_process_keeps_numbas_cache_under_the_users_cache_keyed_by_the_source(tmp_path):
    copy = tmp_path / "src"
    shutil.copytree(ROOT, copy / "livemappr", ignore=shutil.ignore_patterns("__pycache__", "*.nbi", "*.nbc"))
    cache = tmp_path / "cache"
    first = cache_dir(copy, {"XDG_CACHE_HOME": str(cache)})
    assert first == str(cache / "livemappr" / "numba" / livemappr.source_digest())
    assert pathlib.Path(first).is_dir()
    # an edit anywhere in the package (here a module the audio callback inlines) is a new cache
    bank = copy / "livemappr" / "realtime" / "bank.py"
    bank.write_text(bank.read_text() + "\n# edited\n")
    second = cache_dir(copy, {"XDG_CACHE_HOME": str(cache)})
    assert second != first and pathlib.Path(second).parent == pathlib.Path(first).parent
    # an explicit NUMBA_CACHE_DIR is left alone
    env = {"XDG_CACHE_HOME": str(cache), "NUMBA_CACHE_DIR": str(tmp_path / "mine")}
    out = subprocess.run([sys.executable, "-c", "import livemappr, os; print(os.environ['NUMBA_CACHE_DIR'])"],
                         env={**os.environ, **env, "PYTHONPATH": str(copy)}, capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == str(tmp_path / "mine")


def test_numba_imported_first_still_takes_the_keyed_cache(tmp_path):
    keyed = str(tmp_path / "livemappr" / "numba" / livemappr.source_digest())
    numba_first = "import numba, livemappr; print(numba.config.CACHE_DIR)"
    assert cache_dir(ROOT.parent, {"XDG_CACHE_HOME": str(tmp_path)}, numba_first) == keyed
    # a relative XDG_CACHE_HOME is ignored, as the XDG spec says: ~/.cache
    home = tmp_path / "home"
    got = cache_dir(ROOT.parent, {"XDG_CACHE_HOME": "relative", "HOME": str(home)})
    assert got == str(home / ".cache" / "livemappr" / "numba" / livemappr.source_digest())


def test_only_the_caches_of_the_last_three_versions_are_kept_once_unused_for_a_day(tmp_path):
    import time

    parent = tmp_path / "livemappr" / "numba"
    day = 86400
    ages = {"aaaaaaaaaaa1": 9 * day, "aaaaaaaaaaa2": 8 * day, "aaaaaaaaaaa3": 7 * day, "aaaaaaaaaaa4": 6 * day,
            "bbbbbbbbbbb1": 0.5 * day, "not-a-cache": 30 * day}
    for name, age in ages.items():
        (parent / name).mkdir(parents=True)
        os.utime(parent / name, (time.time() - age, time.time() - age))
    cache_dir(ROOT.parent, {"XDG_CACHE_HOME": str(tmp_path)})
    left = sorted(p.name for p in parent.iterdir())
    # ours, used now, and the two used last are kept; the one used hours ago
    # (a version maybe still running) too; what is not ours is never touched
    assert left == sorted(["aaaaaaaaaaa4", "bbbbbbbbbbb1", "not-a-cache", livemappr.source_digest()])


def test_the_test_run_keys_its_cache_the_same_way():
    assert os.environ["NUMBA_CACHE_DIR"].endswith(livemappr.source_digest())
    parent = pathlib.Path(os.environ["NUMBA_CACHE_DIR"]).parent
    assert parent.name in ("numba-cache", "livemappr-tests")  # a folder of the tests' own
    assert conftest._digest == livemappr.source_digest()
