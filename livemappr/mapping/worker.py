"""MapWorker: the thread that owns the map.

Runs on: its own thread, the map worker. ``submit`` and ``snapshot`` may be called
from any thread.

Feature vectors arrive on a queue; each tick the worker puts every waiting snippet
on the map (each visible at once, in a newly published snapshot) and then takes
one settling step of the whole map. Ticks run at ``steps_per_second``, so the map
moves at most ``steps_per_second * max_step * radius`` per second (``max_step``
of :class:`~livemappr.mapping.embedding.IncrementalTSNE`), however much arrives.
The heavy kernels release the GIL, so the worker runs beside the other workers.
After ``settle_steps`` ticks without a new snippet the worker stops stepping (a
t-SNE map never quite stops expanding, and an idle Raspberry Pi should stay idle)
until the next snippet arrives.
"""

from __future__ import annotations

import queue
import threading
import time

import numpy as np

from .livemap import LiveMap, warm_up


class MapWorker:
    """Drive a :class:`~livemappr.mapping.livemap.LiveMap` from a background thread.

    Parameters
    ----------
    live : LiveMap or None
        The map to own (fitted or empty); default ``LiveMap()``.
    steps_per_second : float, default 30
        Settling steps per second (the animation rate).
    max_batch : int, default 64
        Most snippets added per tick, so a burst cannot starve the settling.
    settle_steps : int or None, default 300
        Steps taken after the last new snippet before the map rests (10 s at
        30 steps/s); None: never rest.
    warm : bool, default True
        Load every numba kernel on the worker thread before the first snippet
        (:func:`~livemappr.mapping.livemap.warm_up`), so the first insert is as
        fast as the rest. ``ready`` is set once that is done.
    """

    def __init__(self, live=None, steps_per_second=30.0, max_batch=64, settle_steps=300,
                 warm=True):
        if not steps_per_second > 0:
            raise ValueError(f"steps_per_second must be > 0, got {steps_per_second!r}")
        if max_batch < 1:
            raise ValueError(f"max_batch must be >= 1, got {max_batch!r}")
        self.live = live if live is not None else LiveMap()
        self.steps_per_second = float(steps_per_second)
        self.max_batch = int(max_batch)
        if settle_steps is not None and settle_steps < 0:
            raise ValueError(f"settle_steps must be None or >= 0, got {settle_steps!r}")
        self.settle_steps = settle_steps
        self.warm = warm
        self.ready = threading.Event()
        self._inbox = queue.SimpleQueue()
        self._stop = threading.Event()
        self._thread = None
        self.error = None  # the exception that stopped the worker, if any

    @property
    def snapshot(self):
        """Latest published :class:`~livemappr.mapping.snapshot.MapSnapshot` (lock-free)."""
        return self.live.snapshot

    def submit(self, features):
        """Queue one snippet's feature vector, shape (n_features,). Any thread.

        Snippets get map indices in submission order (the n-th submitted is row
        n of the snapshots, counting any points the map already had).
        """
        self._inbox.put(np.array(features, dtype=np.float64, copy=True))

    def start(self):
        if self._thread is not None and self._thread.is_alive():
            raise RuntimeError("MapWorker is already running")
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="livemappr-map", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout=5.0):
        """Ask the thread to finish its tick and end; wait up to ``timeout`` s."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self):
        period = 1.0 / self.steps_per_second
        try:
            if self.warm:
                warm_up()
            self.ready.set()
            next_tick = time.perf_counter()
            budget = self.settle_steps
            while not self._stop.is_set():
                for _ in range(self.max_batch):
                    try:
                        x = self._inbox.get_nowait()
                    except queue.Empty:
                        break
                    self.live.add(x)
                    budget = self.settle_steps
                if budget is None or budget > 0:
                    self.live.step()
                    if budget is not None:
                        budget -= 1
                next_tick += period
                delay = next_tick - time.perf_counter()
                if delay > 0:
                    self._stop.wait(delay)
                else:
                    next_tick = time.perf_counter()  # behind: do not try to catch up
        except Exception as exc:  # surfaced to the owner; the map stays as published
            self.error = exc
            self.ready.set()
