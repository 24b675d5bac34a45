"""Scheduling for the control threads that carry triggers.

Runs on: the thread that calls it (OSC server, MIDI poller, stepper).

On a busy machine the kernel's fair scheduler lets a waiting thread sit for
its whole latency target (about 24 ms with a few busy processes): measured
here, OSC triggers with p50 1.6 ms had outliers of 25-34 ms while three other
engineers' jobs kept both cores busy. A trigger thread at the lowest
real-time priority (SCHED_FIFO 1) runs as soon as its packet arrives. It stays
below JACK's threads (the server's at 10, clients' at 5 by default) and below
PortAudio's callback, so it can never delay audio; and the kernel's RT
throttling keeps a flood from starving everything else. Where real-time
scheduling is not allowed (no rtprio limit, not root), the thread runs as
before.
"""

import logging
import os

log = logging.getLogger("livemappr.control")
_warned = set()


def raise_priority(name, priority=1):
    """Put the calling thread in SCHED_FIFO at ``priority``; False if not allowed.

    Parameters
    ----------
    name : str
        The thread's role, for the one log line when this fails.
    priority : int
        1..99; 0 leaves the thread as it is.
    """
    if not priority or not hasattr(os, "sched_setscheduler"):
        return False
    try:
        # On Linux, pid 0 is the calling thread, not the whole process.
        os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(int(priority)))
        return True
    except (PermissionError, OSError) as e:
        if name not in _warned:
            _warned.add(name)
            log.info("%s thread stays at normal priority (%s); set an rtprio limit for steadier triggers",
                     name, e)
        return False
