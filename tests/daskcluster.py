"""A Dask LocalCluster for tests (livemappr[dask]); test helper, never imported by livemappr."""

import contextlib
import os


@contextlib.contextmanager
def local_cluster(**kwargs):
    """A LocalCluster of worker processes on loopback whose start leaves our
    environment as it was: distributed writes its workers' settings into
    ``os.environ`` (MALLOC_TRIM_THRESHOLD_, OMP_NUM_THREADS=1,
    PYTHONHASHSEED...), and every later test's subprocess would inherit them
    (glibc's malloc, the numba threads)."""
    import distributed

    saved = dict(os.environ)
    try:
        with distributed.LocalCluster(processes=True, host="127.0.0.1", dashboard_address="127.0.0.1:0",
                                      **kwargs) as c:
            os.environ.clear()
            os.environ.update(saved)
            yield c
    finally:
        os.environ.clear()
        os.environ.update(saved)
