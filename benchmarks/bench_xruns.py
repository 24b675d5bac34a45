"""Xruns of the live duplex stream on a private JACK dummy server while
numba work and a pure-Python busy thread run beside it.

Counts from the first full second on (start-up excluded): callbacks that
PortAudio flagged (under/overflow), late callbacks (more than 1.5 periods
after the previous one), and JACK cycles our callback missed.

Two peers are measured in the same run:

- ``peers/jack_cycle_peer.c``, a C JACK client in the same server whose
  process callback only reads the clock (``peer_xruns``, ``peer_late_max_ms``):
  what it sees, the server or the machine did, not our callback's work. Built
  with gcc against libjack-jackd2-dev (``make bench`` installs both).
- ``cyclictest`` (Debian rt-tests), a C SCHED_FIFO thread waking every period
  outside JACK: how late this machine wakes a real-time thread at all
  (``machine_rt_wakeup_max_ms``).

    python benchmarks/bench_xruns.py --seconds 60 --blocksize 64 [--json]
"""

import json
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time

import numpy as np
from numba import njit

ROOT = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT.parent))
from _report import Report, parser  # noqa: E402

from tests.jackserver import JackServer  # noqa: E402


@njit(nogil=True, cache=True)
def _numba_work(a, rounds):
    # Memory-heavy numeric work, like the map worker's, without the GIL.
    acc = 0.0
    for _ in range(rounds):
        for i in range(a.shape[0]):
            a[i] = a[i] * 0.999 + 0.001 * a[(i * 7919) % a.shape[0]]
            acc += a[i]
    return acc


def numba_load(stop):
    a = np.random.default_rng(0).standard_normal(1 << 20)
    while not stop.is_set():
        _numba_work(a, 1)


def python_load(stop):
    x = 0
    while not stop.is_set():
        x += 1


def start_cyclictest(seconds, blocksize, samplerate=48000):
    if shutil.which("cyclictest") is None:
        return None
    interval_us = int(blocksize * 1e6 / samplerate)
    return subprocess.Popen(["cyclictest", "-m", "-p", "80", "-i", str(interval_us), "-D", str(int(seconds)),
                             "-q", "-t", "1"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def cyclictest_max_ms(proc):
    if proc is None:
        return None
    out = proc.communicate()[0]
    found = re.findall(r"Max:\s+(\d+)", out)
    return int(found[-1]) / 1000 if found else None


def build_peer(directory):
    """Compile the C JACK peer; None when gcc or the JACK headers are missing."""
    exe = pathlib.Path(directory) / "jack_cycle_peer"
    if shutil.which("gcc") is None:
        return None
    built = subprocess.run(["gcc", "-O2", "-o", str(exe), str(ROOT / "peers" / "jack_cycle_peer.c"), "-ljack"],
                           capture_output=True, text=True)
    if built.returncode != 0:
        print(f"bench_xruns: C JACK peer not built: {built.stderr.strip().splitlines()[-1:]}", file=sys.stderr)
        return None
    return exe


def peer_result(proc):
    if proc is None:
        return None
    out, _ = proc.communicate(timeout=30)
    try:
        return json.loads(out.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return None


def run(seconds, blocksize, loads, peer_exe=None):
    import jack
    import sounddevice as sd

    from livemappr.audio.config import EngineConfig
    from livemappr.audio.engine import Engine
    from livemappr.audio.stream import AudioStream

    server = JackServer(period=blocksize, name=f"livemappr-bench-{blocksize}").start()
    sd._terminate()
    sd._initialize()
    stop = threading.Event()
    threads = []
    try:
        e = Engine(EngineConfig(blocksize=blocksize, ring_seconds=8, bank_seconds=4, bank_slots=8))
        slot = e.bank.add((np.random.default_rng(1).standard_normal(3 * 48000) * 0.05).astype(np.float32))
        _numba_work(np.zeros(16), 1)  # compiled before the stream starts
        with AudioStream(e, device="system"):
            clock = jack.Client("bench-clock", no_start_server=True)
            for v in range(32):
                e.play(slot, rate=0.5 + 0.01 * v, gain=0.05)
            if "numba" in loads:
                threads.append(threading.Thread(target=numba_load, args=(stop,), daemon=True))
            if "python" in loads:
                threads.append(threading.Thread(target=python_load, args=(stop,), daemon=True))
            for t in threads:
                t.start()
            # The peer excludes its own first second; it starts counting with us.
            peer = None if peer_exe is None else subprocess.Popen(
                [str(peer_exe), str(seconds)], stdout=subprocess.PIPE, text=True)
            time.sleep(1.0)  # start-up excluded
            e.reset_maxima()
            time.sleep(0.05)
            start, jack_start = e.meters(), clock.frame_time
            machine = start_cyclictest(seconds, blocksize)
            end_at = time.monotonic() + seconds
            while time.monotonic() < end_at:
                time.sleep(0.25)
                if e.meters()["voices"] < 32:  # keep 32 voices sounding
                    for v in range(32 - e.meters()["voices"]):
                        e.play(slot, rate=0.5 + 0.01 * v, gain=0.05)
            m = e.meters(since=start)
            cycles = (clock.frame_time - jack_start) / blocksize
            clock.close()
            peer_m = peer_result(peer)
        return m, cycles, cyclictest_max_ms(machine), peer_m
    finally:
        stop.set()
        for t in threads:
            t.join()
        sd._terminate()
        server.stop()
        sd._initialize()


def main():
    p = parser(__doc__)
    p.add_argument("--seconds", type=float, default=60.0)
    p.add_argument("--blocksize", type=int, action="append", help="repeatable; default 64 and 128")
    p.add_argument("--loads", default="numba,python", help="comma list: numba, python (default both)")
    args = p.parse_args()
    r = Report("xruns", args.json)
    loads = set(filter(None, args.loads.split(",")))
    if not JackServer.available():
        raise SystemExit("bench_xruns: jackd is not installed (Debian jackd2); run make deps")
    build_dir = tempfile.TemporaryDirectory()
    peer_exe = build_peer(build_dir.name)
    for blocksize in args.blocksize or [64, 128]:
        m, cycles, machine_ms, peer_m = run(args.seconds, blocksize, loads, peer_exe)
        ctx = {"blocksize": blocksize, "seconds": args.seconds, "loads": ",".join(sorted(loads))}
        missed = max(0, int(round(cycles)) - m["callbacks"])
        r.metric("xruns", m["xruns"] + m["late_callbacks"], "count", flagged=m["xruns"],
                 late=m["late_callbacks"], **ctx)
        r.metric("late_max_ms", round(m["late_max_ms"], 3), "ms", **ctx)
        r.metric("missed_cycles", missed, "count", **ctx)
        r.metric("callback_p99_budget_share", round(m["p99_share"], 4), "share", **ctx)
        if peer_m is not None:
            r.metric("peer_xruns", peer_m["xruns"] + peer_m["late"], "count", peer="C JACK client, same server",
                     flagged=peer_m["xruns"], late=peer_m["late"], **ctx)
            r.metric("peer_late_max_ms", peer_m["late_max_ms"], "ms", peer="C JACK client, same server", **ctx)
        if machine_ms is not None:
            r.metric("machine_rt_wakeup_max_ms", machine_ms, "ms", peer="cyclictest", **ctx)


if __name__ == "__main__":
    main()
