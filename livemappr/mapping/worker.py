"""The map worker: analysed snippets onto the live map, the map settling.

Runs on: the map worker thread (one), the only user of its ``LiveMap``.

Each pass takes the snippets the analysis worker has queued (a bounded batch,
so settling never stops for long), puts each on the map at once (near its
nearest neighbours), then runs one settling step and publishes. Passes run at
most ``steps_per_second`` times a second (30: the map animates at 30 frames a
second) and sleep in between, which leaves the cores to the audio thread and
the analysis worker. With ``cpu_share`` the settling steps take at most that
share of a core, timed on the worker's own thread (its numba kernels run
on one thread): a step over thousands of snippets costs milliseconds (12
ms at 7,200 here), so a large map settles a step or two a second instead of
30. New snippets still go on the map at once, whatever they cost. After
``settle_steps`` passes without a new snippet the map rests (a t-SNE map never quite stops expanding, and an idle Raspberry Pi
should stay idle) until the next snippet arrives. Every publication goes to ``on_publish(snapshot, items)``
(the session turns it into what the control surfaces play and into
map.json). A failing pass is counted, reported once per kind, and the worker
goes on.

The map's neighbour index keeps the one copy of each snippet's feature vector
(``LiveMap.features``); the worker keeps the snippets in ``items``, a
:class:`~livemappr.mapping.snippettable.SnippetTable` (columns, without the vector).
"""

import queue
import time

import numba
import numpy as np

from livemappr.mapping.snippettable import SnippetTable
from livemappr.threads import Daemon


class MapWorker:
    """Drives a :class:`livemappr.mapping.livemap.LiveMap` from a queue.

    Parameters
    ----------
    snippets : queue.Queue
        Of :class:`livemappr.analysis.worker.AnalysedSnippet`.
    live_map : LiveMap
    on_publish : callable(snapshot, items), optional
        ``items`` is the worker's :class:`~livemappr.mapping.snippettable.SnippetTable`,
        snippets in map order (index ``i`` is row ``i`` of the snapshot); it
        only grows: its length now is what the snapshot covers.
    steps_per_second : float
    max_batch : int
        Snippets added per pass at most.
    on_error : callable(str), optional
    items : sequence, optional
        Snippets ``live_map`` already holds, in map order (kept without their
        ``vector``): a resumed map, which rests until a new snippet comes.
    settle_steps : int or None
        Settling steps after the last new snippet before the map rests; None: never.
    cpu_share : float or None
        Share of one core the settling steps (with their publications) may use
        on average, counted as their wall time on the worker's thread (numba on
        one thread there); a step waits while it is spent. None: no limit.
    """

    #: CPU seconds a resting map may save up for a burst of steps.
    CREDIT_MAX_S = 0.1

    def __init__(self, snippets, live_map, on_publish=None, steps_per_second=30.0, max_batch=64, on_error=None,
                 items=(), settle_steps=300, cpu_share=None):
        if not 0 < steps_per_second <= 1000:
            raise ValueError(f"steps_per_second must be in (0, 1000], got {steps_per_second}")
        if cpu_share is not None and not 0 < cpu_share <= 1:
            raise ValueError(f"cpu_share must be None or in (0, 1], got {cpu_share}")
        self.snippets = snippets
        self.map = live_map
        self.on_publish = on_publish or (lambda snapshot, items: None)
        self.period = 1.0 / steps_per_second
        self.max_batch = max_batch
        self.settle_steps = settle_steps
        # A resumed map rests as it was left (cluster ids and all) until a new
        # snippet comes; a new map settles from its first snippet.
        self._budget = 0 if items and settle_steps is not None else settle_steps
        self.on_error = on_error or (lambda message: None)
        self.items = SnippetTable(items)  # already on the map (a resumed session)
        self.cpu_share = cpu_share
        self._credit = self.CREDIT_MAX_S  # CPU seconds the settling may still spend
        self._credit_at = time.monotonic()
        self.stats = {"added": 0, "steps": 0, "errors": 0, "step_ms_max": 0.0, "steps_waited": 0}
        self.errors = {}
        self._step_ms = []
        self._thread = Daemon("livemappr-map", self._run, on_error=lambda message: self._error("thread", message))
        self._stop = self._thread.stopping
        #: the pad (0-based) held to teach: each new snippet becomes one of its
        #: examples (set from any thread; read once a snippet)
        self.learning = None
        self._calls = queue.SimpleQueue()

    def call(self, fn):
        """Run ``fn(live_map)`` on the worker's thread at its next pass (forget
        or name a pad from a control thread: the map has one user)."""
        self._calls.put(fn)

    def _run_calls(self):
        ran = False
        while True:
            try:
                fn = self._calls.get_nowait()
            except queue.Empty:
                return ran
            try:
                fn(self.map)
                ran = True
            except Exception as e:  # one bad request; the map goes on
                self._error(type(e).__name__, f"map request failed: {e}")

    def reserve(self, capacity, n_features):
        """Take the memory for ``capacity`` snippets of ``n_features`` now, the
        map's and the list's, before the worker starts (a live session does,
        for as many snippets as the bank has slots): it then stays the same
        while the session is played, until that many are on the map."""
        self.map.reserve(capacity, n_features)
        self.items.reserve(capacity)
        return self

    def start(self):
        self._thread.start()

    def stop(self):
        """Add what is queued, publish, stop."""
        self._thread.stop()
        self.run_once(block=False)

    def _run(self):
        from livemappr.mapping.livemap import warm_up

        if self.cpu_share is not None:
            # the map's kernels on this thread alone, where its share is counted
            # (numba's thread count is the calling thread's; one costs the same CPU)
            numba.set_num_threads(1)
        warm_up()  # the first insert as fast as the rest (the session compiled these already)
        next_at = time.monotonic()
        while not self._stop.is_set():
            self.run_once(block=True, timeout=max(0.0, next_at - time.monotonic()))
            # With the share spent, wait on the queue until it is earned back:
            # waking every period only to find it spent costs CPU of its own
            # (at 1000 steps a second, more than a 3 % share).
            next_at = max(next_at + self.period, time.monotonic() + self._credit_wait_s())

    def run_once(self, block=False, timeout=0.0):
        """One pass: add queued snippets, one settling step, publish.

        Returns the number of snippets added.
        """
        batch = self._take(block, timeout)
        step0 = None
        added = 0
        try:
            t0 = time.perf_counter()
            asked = self._run_calls()
            for item in batch:
                try:
                    row = self.items.row(item)  # checked before the map takes it: the two stay in step
                    i = self.map.add(item.vector)
                    pad = self.learning
                    if pad is not None:
                        self.map.teach(pad, index=i, attack=getattr(item, "attack", None))
                except Exception as e:  # this snippet only: the rest of the batch goes on
                    self._error(type(e).__name__, f"map update failed: {e}")
                    continue
                self.items.append_row(row)
                added += 1
            self.stats["added"] += added
            if batch:
                self._budget = self.settle_steps
            resting = self._budget is not None and self._budget <= 0
            stepped = False
            if self.items and not resting:
                if self._may_spend():
                    step0 = time.perf_counter()  # the step and its publication count against the share
                    self.map.step()
                    stepped = True
                    self.stats["steps"] += 1
                    if self._budget is not None:
                        self._budget -= 1
                else:
                    self.stats["steps_waited"] += 1
            ms = (time.perf_counter() - t0) * 1e3
            self._step_ms.append(ms)
            if len(self._step_ms) > 1000:
                del self._step_ms[:500]
            self.stats["step_ms_max"] = max(self.stats["step_ms_max"], ms)
            if batch or stepped or asked:
                self.on_publish(self.map.snapshot, self.items)
        except Exception as e:  # one failing pass must not stop the map
            self._error(type(e).__name__, f"map update failed: {e}")
        finally:
            if step0 is not None and self.cpu_share is not None:
                # Wall time of the step on one numba thread: its CPU time, or
                # more when the machine is busy (then the map settles less),
                # whichever threading layer numba runs (workqueue's pool
                # threads would escape thread_time). A debt of at most what may
                # be saved up, or one step: a slow pass holds the settling back
                # for a few seconds, not for minutes.
                spent = time.perf_counter() - step0
                self._credit = max(self._credit - spent, -max(self.CREDIT_MAX_S, spent))
        return len(batch)

    def _may_spend(self):
        """Whether the settling may take a step now (its CPU share not spent)."""
        if self.cpu_share is None:
            return True
        now = time.monotonic()
        self._credit = min(self._credit + (now - self._credit_at) * self.cpu_share, self.CREDIT_MAX_S)
        self._credit_at = now
        return self._credit > 0

    def _credit_wait_s(self):
        """Seconds until the settling's share is earned back (0 when it has some)."""
        if self.cpu_share is None or self._credit > 0:
            return 0.0
        return -self._credit / self.cpu_share

    def step_ms_p99(self):
        return float(np.percentile(self._step_ms, 99)) if self._step_ms else float("nan")

    def _take(self, block, timeout):
        batch = []
        try:
            if block:
                batch.append(self.snippets.get(timeout=max(timeout, 1e-3)))
            while len(batch) < self.max_batch:
                batch.append(self.snippets.get_nowait())
        except queue.Empty:
            pass
        return batch

    def _error(self, kind, message):
        self.stats["errors"] += 1
        self.errors[kind] = self.errors.get(kind, 0) + 1
        if self.errors[kind] == 1:
            self.on_error(message)

