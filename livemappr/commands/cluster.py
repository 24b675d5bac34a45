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
        from livemappr.analysis.trackfeatures import TrackConfig, TrackExtractor

        extractor = _EXTRACTORS[key] = (TrackExtractor(recipe[0]) if isinstance(recipe[0], TrackConfig)  # --tracks
                                        else FeatureExtractor(recipe[0], projection=recipe[1]))
    return extractor


def _on_worker(jobs, samplerate, recipe):
    """``fn(path, samplerate, extractor, *rest)`` for each ``(fn, path, rest)``
    of ``jobs`` with this worker's extractor: ``(True, rows)`` or ``(False,
    the exception)`` each, so one bad file fails only itself."""
    extractor, done = _extractor_of(recipe), []
    for fn, path, rest in jobs:
        try:
            done.append((True, fn(path, samplerate, extractor, *rest)))
        except Exception as e:  # noqa: BLE001 - sent back, raised where the thread pool would raise it
            done.append((False, e))
    return done


def _on_worker_warm_up(recipe, samplerate):
    """Build the extractor and run it once: the numba kernels compile (or load
    from their cache, ``cache=True``) now, before the files arrive."""
    import numpy as np

    extractor = _extractor_of(recipe)  # a track's describes audio at its own rate
    extractor.vector(np.zeros(samplerate // 10, np.float32), getattr(extractor, "sample_rate", samplerate))
    return os.getpid()


def _on_worker_sees(path):
    return os.path.isfile(path) and os.access(path, os.R_OK)


class DaskPool(concurrent.futures.Executor):
    """A ``concurrent.futures`` executor whose jobs run on a Dask cluster.

    ``submit(fn, path, samplerate, extractor, *rest)`` as the thread pool of
    ``map`` takes it; the extractor is replaced by its recipe, sent to every
    worker once (scattered), not once a file. Files go to the cluster
    ``chunk`` at a time, one task each (a task costs the scheduler and the
    client milliseconds: one a file made 2,000 one-shots 4x slower than
    threads on this 2-core VM); the last chunk goes when the ``total``-th
    file is submitted, or at shutdown. Futures are
    ``concurrent.futures.Future``, one a file (``as_completed`` works on
    them). Shutting it down closes the connection to the scheduler.
    """

    def __init__(self, client, recipe_future, address, samplerate, chunk=1, total=0):
        from distributed import KilledWorker
        from distributed.comm import CommClosedError

        self.client, self.address, self.samplerate = client, address, samplerate
        self.chunk, self.total = max(1, int(chunk)), int(total)
        self._recipe = recipe_future
        self._executor = client.get_executor(pure=False)
        self._waiting, self._submitted = [], 0
        # The cluster's failures, not the file's: a file's own errors (OSError,
        # ValueError) are remembered in the index as unreadable, these must not be.
        self._lost = (KilledWorker, CommClosedError)

    def submit(self, fn, path, samplerate, extractor, *rest):
        outer = concurrent.futures.Future()
        outer.set_running_or_notify_cancel()
        # absolute: a worker's current folder is not ours (the shared paths rule)
        self._waiting.append((fn, os.path.abspath(path), rest, outer))
        self._submitted += 1
        if len(self._waiting) >= self.chunk or self._submitted >= self.total:
            self._send()
        return outer

    def _send(self):
        batch, self._waiting = self._waiting, []
        if batch:
            inner = self._executor.submit(_on_worker, [(fn, path, rest) for fn, path, rest, _ in batch],
                                          self.samplerate, self._recipe)
            inner.add_done_callback(lambda f: self._relay(f, batch))

    def _relay(self, inner, batch):
        if not inner.cancelled() and inner.exception() is None:
            for (ok, value), (_, _, _, outer) in zip(inner.result(), batch):
                (outer.set_result if ok else outer.set_exception)(value)
            return
        error = None if inner.cancelled() else inner.exception()
        if error is not None and not isinstance(error, self._lost):
            for *_, outer in batch:
                outer.set_exception(error)
            return
        reason = "its job was cancelled" if error is None else " ".join(str(error).split())[:200]
        for _, path, _, outer in batch:
            outer.set_exception(LivemapprError(
                f"the Dask cluster at {self.address} lost {path} ({reason}); the files analysed so far are kept "
                "in the index: run again"))

    def __exit__(self, exc_type, exc, tb):
        # Ctrl-C or a failure: cancel the files not done rather than wait for them.
        self.shutdown(wait=exc_type is None)
        return False

    def shutdown(self, wait=True, *, cancel_futures=False):
        try:
            if wait and not cancel_futures:
                self._send()
            self._executor.shutdown(wait=wait and not cancel_futures)
        finally:
            self.client.close()


#: Files a task at most: ~1,600 tasks for 100,000 files, and a worker that
#: dies loses at most this many files' work (they are sent again).
MAX_CHUNK = 64


def dask_pool(address, extractor, samplerate, paths=(), log=None):
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
    paths : sequence of path
        The files that will be submitted: the first must be readable on every
        worker (the shared paths rule); how many sets the chunk size.
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
        first_path = paths[0] if len(paths) else None
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
        # a few tasks a thread: the faster workers take more, the last ones finish together
        chunk = min(MAX_CHUNK, len(paths) // (4 * sum(workers.values())))
        return DaskPool(client, recipe_future, address, int(samplerate), chunk, len(paths))
    except BaseException:
        client.close()
        raise
