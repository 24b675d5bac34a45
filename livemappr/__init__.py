"""livemappr: a real-time sampler that maps what you play and lets you play the map."""

import hashlib
import os
import pathlib
import sys

__version__ = "0.1.0"
__all__ = ["SoundMap", "map_folder", "__version__"]


def __getattr__(name):
    # The Python API (livemappr.api) on first use: importing livemappr for the
    # engine or the command line loads none of the mapping code.
    if name in ("map_folder", "SoundMap"):
        from livemappr import api

        return getattr(api, name)
    raise AttributeError(f"module 'livemappr' has no attribute {name!r}")


def source_digest():
    """A hash of the package's Python source (12 hex digits)."""
    src = pathlib.Path(__file__).resolve().parent
    return hashlib.sha1(b"".join(p.read_bytes() for p in sorted(src.rglob("*.py")))).hexdigest()[:12]


def _key_numba_cache_on_the_source():
    # numba's cache checks a kernel's own file only: a kernel that calls into a
    # module edited or updated since (the audio callback inlines the command
    # queue, the bank and the voices) would run its old machine code. A cache
    # of its own for each version of the source cannot. An explicit
    # NUMBA_CACHE_DIR wins (the tests set theirs).
    if "NUMBA_CACHE_DIR" in os.environ:
        return
    base = os.environ.get("XDG_CACHE_HOME", "")
    if not os.path.isabs(base):  # unset or relative: the XDG default
        base = os.path.join(os.path.expanduser("~"), ".cache")
    if not os.path.isabs(base):
        return  # no home to keep it in: numba's own place, next to the source
    directory = os.path.join(base, "livemappr", "numba", source_digest())
    try:
        os.makedirs(directory, exist_ok=True)
    except OSError:
        return
    if not os.access(directory, os.W_OK | os.X_OK):
        return
    os.environ["NUMBA_CACHE_DIR"] = directory
    _prune_old_caches(os.path.dirname(directory), keep=os.path.basename(directory))
    numba = sys.modules.get("numba")
    if numba is not None:  # imported before us: it read its settings already
        numba.core.config.reload_config()


#: Caches of this many versions of the source are kept, the most recently used
#: (~8 MB each): going back to the version before an update compiles nothing.
#: Older ones go once unused for a day (a session or a test run of a version
#: still running keeps its cache).
KEEP_CACHES = 3
_UNUSED_FOR_S = 86400


def _prune_old_caches(parent, keep):
    import re
    import shutil
    import time

    try:
        os.utime(os.path.join(parent, keep))  # used now
        ours = [e for e in os.scandir(parent)
                if e.is_dir(follow_symlinks=False) and re.fullmatch(r"[0-9a-f]{12}", e.name)]
        ours.sort(key=lambda e: e.stat().st_mtime, reverse=True)
        old = [e for e in ours[KEEP_CACHES:] if e.name != keep and time.time() - e.stat().st_mtime > _UNUSED_FOR_S]
    except OSError:
        return
    for e in old:
        shutil.rmtree(e.path, ignore_errors=True)


_key_numba_cache_on_the_source()
