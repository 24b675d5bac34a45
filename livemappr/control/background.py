"""Slow control work (writing files) off the receive threads.

Runs on: a daemon thread of its own (``livemappr-background``); :meth:`Background.submit`
from any thread (the OSC server's).

A surface's receive thread must stay quick: a play behind an export must not
wait for a WAV file to be written. Jobs are named; a job whose name is
already waiting is folded into it (100 exports in a row write the files at
most twice: the one running and one more with the newest state), so the
queue never grows with what a client sends. The worker starts on the first
job and stops with :meth:`close`.
"""

import threading

from livemappr.threads import Daemon


class Background:
    """One worker thread running named jobs in order, one of each name waiting at most.

    Parameters
    ----------
    on_error : callable(str), optional
        Told if the worker itself stops (a job's own exception goes to its ``failed``).
    """

    def __init__(self, on_error=None, name="livemappr-background"):
        self._waiting = {}  # name -> (work, done, failed), in submission order
        self._running = None
        self._cv = threading.Condition()
        self._daemon = Daemon(name, self._run, on_error=on_error)
        self.folded = 0  # jobs folded into one already waiting
        self.ran = 0

    def submit(self, name, work, done=None, failed=None):
        """Run ``work()`` on the worker; then ``done(result)`` or ``failed(exception)``.

        Returns False if a job of that name was already waiting (this one is
        folded into it: the waiting job runs the newest ``work`` and callbacks).
        """
        with self._cv:
            folded = name in self._waiting
            self._waiting[name] = (work, done, failed)
            if folded:
                self.folded += 1
            self._cv.notify()
        self._daemon.start()
        return not folded

    @property
    def waiting(self):
        """Jobs waiting (not the one running)."""
        with self._cv:
            return len(self._waiting)

    def idle(self, timeout=None):
        """Wait until no job waits or runs; False if ``timeout`` seconds passed first."""
        with self._cv:
            return self._cv.wait_for(lambda: not self._waiting and self._running is None, timeout)

    def close(self, timeout=5.0):
        """Stop the worker after the job it runs (waiting jobs are dropped)."""
        with self._cv:
            self._waiting.clear()
            self._daemon.stopping.set()
            self._cv.notify_all()
        self._daemon.stop(timeout)

    def _run(self):
        stopping = self._daemon.stopping
        while True:
            with self._cv:
                self._cv.wait_for(lambda: self._waiting or stopping.is_set(), 0.5)
                if stopping.is_set():
                    return
                if not self._waiting:
                    continue
                name = next(iter(self._waiting))
                job = self._waiting.pop(name)
                self._running = name
            work, done, failed = job
            try:
                result = work()
            except Exception as e:  # noqa: BLE001 -- reported through the job's own callback
                if failed is not None:
                    failed(e)
            else:
                if done is not None:
                    done(result)
            finally:
                with self._cv:
                    self._running = None
                    self.ran += 1
                    self._cv.notify_all()
