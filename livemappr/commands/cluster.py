"""``livemappr map --scheduler ADDRESS``: the per-file features on a Dask cluster.

Runs on: the main thread of ``livemappr map`` (the client); the functions
whose names start with ``_on_worker`` run in the Dask workers' processes.

Only the feature extraction leaves this machine: each file's job
(``read_shot`` or ``_track`` of commands/map.py) runs on a worker and its rows
come back here, where the library index, the layout (t-SNE) and the map files
are written as without a cluster. :class:`DaskPool` is a
``concurrent.futures.Executor``, so ``map`` only chooses which pool it submits
to.

The workers read the audio files themselves, by the paths this machine gives
them: the files must be at the same paths on every worker (a shared file
system: NFS, a cluster file system, or the same folder copied everywhere).
:func:`dask_pool` checks the first file up front on every worker and stops
with one line when a worker cannot see it. The workers need livemappr
installed (the same version: the vectors must be made by the same code).

distributed is an optional extra (``pip install 'livemappr[dask]'``),
imported only here and only when ``--scheduler`` is given.
"""

import concurrent.futures
import os

from livemappr.errors import LivemapprError, MissingExtra, UsageError

#: Per worker process: (config, projection digest) -> FeatureExtractor. An
#: extractor holds thread-local buffers (it cannot be pickled), so a worker
#: builds its own once from the recipe scattered to it.
_EXTRACTORS = {}


def _import_distributed():
    try:
        import distributed
    except ImportError:
        raise MissingExtra("--scheduler", "distributed", "dask") from None
    return distributed


def _recipe_key(recipe):
    config, projection = recipe
    return config, projection.digest if projection is not None else None


def _extractor_of(recipe):
    key = _recipe_key(recipe)
    extractor = _EXTRACTORS.get(key)
    if extractor is None:
        from livemappr.analysis.features import FeatureExtractor

        extractor = _EXTRACTORS[key] = FeatureExtractor(recipe[0], projection=recipe[1])
    return extractor


def _on_worker(fn, path, samplerate, recipe, *rest):
    """``fn(path, samplerate, extractor, *rest)`` with this worker's extractor."""
    return fn(path, samplerate, _extractor_of(recipe), *rest)


def _on_worker_warm_up(recipe, samplerate):
    """Build the extractor and run it once: the numba kernels compile (or load
    from their cache, ``cache=True``) now, before the files arrive."""
    import numpy as np

    _extractor_of(recipe).vector(np.zeros(samplerate // 10, np.float32), samplerate)
    return os.getpid()


def _on_worker_sees(path):
    return os.path.isfile(path) and os.access(path, os.R_OK)


class DaskPool(concurrent.futures.Executor):
    """A ``concurrent.futures`` executor whose jobs run on a Dask cluster.

    ``submit(fn, path, samplerate, extractor, *rest)`` as the thread pool of
    ``map`` takes it; the extractor is replaced by its recipe, sent to every
    worker once (scattered), not once a file. Futures are
    ``concurrent.futures.Future`` (``as_completed`` works on them).
    Shutting it down closes the connection to the scheduler.
    """

    def __init__(self, client, recipe_future, address):
        from distributed import KilledWorker
        from distributed.comm import CommClosedError

        self.client, self.address = client, address
        self._recipe = recipe_future
        self._executor = client.get_executor(pure=False)
        # The cluster's failures, not the file's: a file's own errors (OSError,
        # ValueError) are remembered in the index as unreadable, these must not be.
        self._lost = (KilledWorker, CommClosedError)

    def submit(self, fn, path, samplerate, extractor, *rest):
        inner = self._executor.submit(_on_worker, fn, path, samplerate, self._recipe, *rest)
        outer = concurrent.futures.Future()
        outer.set_running_or_notify_cancel()
        inner.add_done_callback(lambda f: self._relay(f, outer, path))
        return outer

    def _relay(self, inner, outer, path):
        if inner.cancelled():
            error = None
        else:
            error = inner.exception()
            if error is None:
                outer.set_result(inner.result())
                return
            if not isinstance(error, self._lost):
                outer.set_exception(error)
                return
        reason = "its job was cancelled" if error is None else " ".join(str(error).split())[:200]
        outer.set_exception(LivemapprError(
            f"the Dask cluster at {self.address} lost {path} ({reason}); the files analysed so far are kept "
            "in the index: run again"))

    def __exit__(self, exc_type, exc, tb):
        # Ctrl-C or a failure: cancel the files not done rather than wait for them.
        self.shutdown(wait=exc_type is None)
        return False

    def shutdown(self, wait=True, *, cancel_futures=False):
        try:
            self._executor.shutdown(wait=wait and not cancel_futures)
        finally:
            self.client.close()


def dask_pool(address, extractor, samplerate, first_path=None, log=None):
    """Connect to the scheduler at ``address`` and get its workers ready.

    Parameters
    ----------
    address : str
        The scheduler (``tcp://host:8786``). How long to try is Dask's
        ``distributed.comm.timeouts.connect`` (30 s unless configured, e.g.
        ``DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT=5s``).
    extractor : FeatureExtractor
        What makes the vectors here; the workers make theirs the same way.
    samplerate : int
        The map's rate (the warm-up runs at it).
    first_path : path or None
        A file every worker must be able to read (the shared paths rule).
    log : callable(str) or None

    Returns
    -------
    DaskPool

    Raises
    ------
    MissingExtra
        distributed is not installed.
    UsageError
        The scheduler cannot be reached, it has no workers, or a worker
        cannot see ``first_path``.
    """
    distributed = _import_distributed()
    try:
        client = distributed.Client(address, set_as_default=False)
    except (OSError, TimeoutError, ValueError, TypeError) as e:
        reason = " ".join(str(e).split()) or type(e).__name__
        raise UsageError(f"--scheduler {address}: cannot reach a Dask scheduler there ({reason[:200]})") from None
    try:
        workers = client.nthreads()  # {address: threads}
        if not workers:
            raise UsageError(f"--scheduler {address}: the scheduler has no workers (start some: "
                             f"dask worker {address})")
        if first_path is not None:
            seen = client.run(_on_worker_sees, os.path.abspath(first_path))
            blind = sorted(w for w, ok in seen.items() if not ok)
            if blind:
                raise UsageError(f"Dask worker {blind[0]} cannot read {os.path.abspath(first_path)}"
                                 f"{f' (nor can {len(blind) - 1} more)' if len(blind) > 1 else ''}: "
                                 "the workers must see the files at the same paths (a shared file system)")
        recipe = (extractor.config, extractor.projection)
        client.run(_on_worker_warm_up, recipe, int(samplerate))
        recipe_future = client.scatter(recipe, broadcast=True, hash=False)
        if log:
            log(f"features on the Dask cluster at {address}: {len(workers)} workers, "
                f"{sum(workers.values())} threads")
        return DaskPool(client, recipe_future, address)
    except BaseException:
        client.close()
        raise
