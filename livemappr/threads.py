"""A named daemon thread with a stop flag: how every part but the audio thread runs a thread.

Runs on: the thread that starts and stops it; the body on a thread of its own.

A body that raises stops its thread, and says so once, with the thread's
name, through ``on_error`` or the log, rather than only on stderr where a
live session's player never looks.
"""

import logging
import threading

log = logging.getLogger("livemappr")


class Daemon:
    """Run ``body()`` on a daemon thread named ``name``, until it returns.

    Parameters
    ----------
    name : str
        The thread's name (``livemappr-...``), as :func:`threading.enumerate` shows it.
    body : callable()
        The thread's work; it returns soon after :attr:`stopping` is set (e.g.
        by waiting on it between passes).
    on_error : callable(str), optional
        Told once, with the thread's name, when ``body`` raises; default the
        ``livemappr`` logger, with the traceback.
    """

    def __init__(self, name, body, on_error=None):
        self.name = name
        self.body = body
        self.on_error = on_error
        self.stopping = threading.Event()
        self.thread = None

    @property
    def alive(self):
        """True while the body runs."""
        return self.thread is not None and self.thread.is_alive()

    def start(self):
        """Clear :attr:`stopping` and start the thread, unless it was started
        and not stopped since. Returns self."""
        if self.thread is None:
            self.stopping.clear()
            self.thread = threading.Thread(target=self._run, name=self.name, daemon=True)
            self.thread.start()
        return self

    def stop(self, timeout=None):
        """Set :attr:`stopping` and join the thread for up to ``timeout`` seconds
        (None: until it ends). Harmless before :meth:`start` and when stopped.

        Returns
        -------
        bool
            False if the thread still runs (the timeout passed); a later call joins again.
        """
        self.stopping.set()
        if self.thread is not None:
            self.thread.join(timeout)
            if self.thread.is_alive():
                return False
            self.thread = None
        return True

    def _run(self):
        try:
            self.body()
        except Exception as e:  # told once: the thread ends here
            message = f"{self.name} stopped: {type(e).__name__}: {e}"
            if self.on_error is None:
                log.error("%s", message, exc_info=True)
            else:
                self.on_error(message)
