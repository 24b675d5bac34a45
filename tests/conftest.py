import hashlib
import os
import pathlib

# numba's cache does not notice edits to a module a cached kernel calls into,
# so a test run uses a cache keyed by the package's source (the digest of
# livemappr.source_digest, computed here before livemappr is imported: that
# import would choose the user's cache): stale machine code can never pass or
# fail a test.
_src = pathlib.Path(__file__).resolve().parent.parent / "livemappr"
_digest = hashlib.sha1(b"".join(p.read_bytes() for p in sorted(_src.rglob("*.py")))).hexdigest()[:12]
# (under a NUMBA_CACHE_DIR given from outside, e.g. a CI cache, in a folder of
# the tests' own: only there are old versions dropped)
_outside = os.environ.get("NUMBA_CACHE_DIR")
os.environ["NUMBA_CACHE_DIR"] = str((pathlib.Path(_outside) / "livemappr-tests" if _outside
                                     else _src.parent / ".venv" / "numba-cache") / _digest)

import livemappr  # noqa: E402  (now: it keeps the cache above, and drops old versions' next to it)

os.makedirs(os.environ["NUMBA_CACHE_DIR"], exist_ok=True)
livemappr._prune_old_caches(os.path.dirname(os.environ["NUMBA_CACHE_DIR"]), keep=_digest)

import pytest  # noqa: E402

from tests.jackserver import JackServer  # noqa: E402

# A live session without --session keeps a dated folder under XDG_DATA_HOME:
# the tests' sessions (and their subprocesses') go to a folder of the run's
# own, never into the user's ~/.local/share. Tests of that folder set their own.
import tempfile  # noqa: E402

_data_home = tempfile.mkdtemp(prefix="livemappr-test-data-")
os.environ["XDG_DATA_HOME"] = _data_home


def pytest_sessionfinish(session, exitstatus):
    import shutil

    shutil.rmtree(_data_home, ignore_errors=True)


@pytest.fixture
def jack_server(request):
    """A private JACK dummy server in synchronous mode (period from
    ``@pytest.mark.jack_period``), stopped by its pid after the test."""
    if not JackServer.available():
        pytest.skip("jackd (Debian jackd2) is not installed on this platform")
    marker = request.node.get_closest_marker("jack_period")
    period = marker.args[0] if marker else 128
    server = JackServer(period=period, sync=True).start()
    import sounddevice as sd

    sd._terminate()  # PortAudio lists devices at initialisation
    sd._initialize()
    try:
        yield server
    finally:
        # PortAudio must let go of the server before it stops: its JACK host
        # API asserts (and aborts the process) if the server is gone first.
        sd._terminate()
        server.stop()
        sd._initialize()
