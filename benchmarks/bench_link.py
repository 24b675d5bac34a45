"""Ableton Link: how closely the engine's grid follows another Link peer.

Runs only inside a network namespace of its own with loopback alone (Link
multicasts on every interface): started anywhere else, the script runs
itself again under ``unshare --net`` (root or CAP_SYS_ADMIN); where no
namespace can be had it says why on stderr and measures nothing.

The engine runs on a private JACK dummy server (asynchronous mode, as on
stage) with ``sync="link"``; a second peer (tests/link_peer.py, ``link``
used directly) shares the session. Every 10 ms the instant is read on both
clocks (CLOCK_MONOTONIC and Link's CLOCK_MONOTONIC_RAW, the tightest of 9
paired readings) and the engine's beat there (its tempo grid as it was
then, at the engine frame of that instant) is compared with the peer's beat
at that Link time. The engine frame of an instant is found afterwards from
every callback's (first frame, start time) pair, read each millisecond
through the run (:func:`device_line`): the device's rate over the whole
run, laid on the earliest pair of the 50 ms either side of the instant (a
start time is late by the audio thread's wake-up, never early), an
estimate that sees both sides, which the follower, living in the present,
cannot. Halfway, the peer changes tempo.

- ``link_phase_error_p99_ms``: the follower's beat phase minus the peer's
  (modulo the bar), 99th percentile of the absolute value, in ms, outside
  the 100 ms after the tempo change (goal: within 1 ms).
- ``link_tempo_error_bpm``: the tempo heard (the slope of the grid's beats
  against real time over each second, none across the change) minus the
  session's, largest absolute value (goal: within 0.1 BPM).
- Both with the same figure over the samples no engine xrun came within
  0.5 s of (``*_away_from_xruns``): a busy machine stalls the dummy
  server's cycles and the audio callbacks by tens of ms at times, and then
  no grid can keep the beat to a millisecond; the xruns are reported.
- ``link_tempo_settle_ms``: after the peer's tempo change, the last
  sample of the second after it whose phase is more than 1 ms off (0: none).
- ``link_peers_phase_error_p99_ms`` (the peer in the same run): the same
  comparison between the two Link peers themselves (our Link object's beat
  against the other process's), the floor a follower can reach.

    python benchmarks/bench_link.py [--json] [--seconds 10] [--period 128]
"""

import os
import pathlib
import subprocess
import sys
import time

import numpy as np

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))
from _report import Report, parser  # noqa: E402

from tests.netns import netns_command, netns_problem, only_loopback  # noqa: E402

SR = 48000
BPM, NEW_BPM, QUANTUM = 120.0, 97.3, 4


def paired():
    best = None
    for _ in range(9):
        a = time.monotonic_ns()
        r = time.clock_gettime_ns(time.CLOCK_MONOTONIC_RAW)
        b = time.monotonic_ns()
        if best is None or b - a < best[0]:
            best = (b - a, (a + b) // 2, r // 1000)
    return best[1], best[2]


def wrapped(d):
    return np.mod(np.asarray(d) + QUANTUM / 2, QUANTUM) - QUANTUM / 2


def device_line(pairs):
    """The device's rate over the run and a function from monotonic ns to the engine frame then.

    The rate (ns a frame) is the median over the run of the slope between
    pairs a second apart (an xrun steps frames against time; a median of
    one-second slopes is not moved by a few). The frame at an instant lies on
    that slope through the earliest pair of the 50 ms either side of it.
    """
    p = np.unique(np.array(pairs, np.float64), axis=0)
    f, ns = p[:, 0] - p[0, 0], p[:, 1] - p[0, 1]
    later = np.searchsorted(ns, ns + 1e9)
    ok = later < len(ns)
    slope = float(np.median((ns[later[ok]] - ns[ok]) / (f[later[ok]] - f[ok])))
    residual = ns - slope * f

    def frame_at(t_ns):
        t = t_ns - p[0, 1]
        near = np.abs(ns - t) <= 50e6
        return p[0, 0] + (t - residual[near].min()) / slope

    return slope, frame_at


class PairRecorder:
    """Every callback's (first frame, start ns), read each millisecond on a thread of its own."""

    def __init__(self, meters):
        import threading

        from livemappr.realtime.meters import read_clock

        self.pairs = []
        self._stop = threading.Event()

        def run():
            while not self._stop.wait(0.001):
                pair = read_clock(meters)
                if pair[1] and (not self.pairs or self.pairs[-1] != pair):
                    self.pairs.append(pair)

        self._thread = threading.Thread(target=run, daemon=True)
        self._thread.start()

    def close(self):
        self._stop.set()
        self._thread.join()
        return self.pairs


def run(seconds, period):
    import sounddevice as sd

    from livemappr.audio.config import EngineConfig
    from livemappr.audio.engine import Engine
    from livemappr.audio.stream import AudioStream, compile_kernels
    from livemappr.control.playable import SnapshotRef
    from livemappr.control.transport import Transport
    from livemappr.control.trigger import Trigger
    from tests.jackserver import JackServer, wait_until
    from tests.link_peer import Peer

    compile_kernels()
    with JackServer(period=period, sync=False) as server:
        sd._terminate()
        sd._initialize()
        peer = Peer(BPM)
        e = Engine(EngineConfig(blocksize=period, ring_seconds=1, bank_seconds=1, bank_slots=8, loop_seconds=1))
        tr = Transport(Trigger(e, SnapshotRef()), bpm=BPM, beats_per_bar=QUANTUM, sync="link")
        try:
            with AudioStream(e, device="system"):
                if not wait_until(tr.clock.running, 5):
                    raise RuntimeError("the engine did not start on the JACK dummy server")
                tr.start()
                if not (wait_until(lambda: tr.link.peers == 1, 5) and wait_until(lambda: tr.tempo.source == "link", 5)):
                    raise RuntimeError("the Link peers did not find each other in the namespace")
                recorder = PairRecorder(e.state.meters)
                time.sleep(1.5)
                rows = []  # (monotonic ns, Link µs, the grid then (3), our Link object's beat, the peer's)
                change_ns = None
                t_end = time.monotonic() + seconds
                while time.monotonic() < t_end:
                    if change_ns is None and time.monotonic() > t_end - seconds / 2:
                        peer.ask("tempo", NEW_BPM)
                        change_ns = time.monotonic_ns()
                    mono, raw = paired()
                    g = tr.tempo.grid
                    link_beat = tr.link.link.captureAppSessionState().beatAtTime(raw, float(QUANTUM))
                    # asked now: a Link app answers for past times on its current tempo line
                    theirs = peer.ask("beats", QUANTUM, raw)["beats"][0]
                    rows.append((mono, raw, float(g.origin_frame), float(g.origin_beat), float(g.frames_per_beat),
                                 link_beat, theirs, e.meters()["xruns"]))
                    time.sleep(0.01)
                time.sleep(1.5)
                pairs = recorder.close()
                xruns = e.meters()["xruns"]
        finally:
            tr.close()
            peer.close()
            sd._terminate()
        said = server.output()
    rows = np.array(rows, np.float64)
    _, frame_at = device_line(pairs)
    frames = np.array([frame_at(t) for t in rows[:, 0]])
    ours = rows[:, 3] + (frames - rows[:, 2]) / rows[:, 4]
    theirs = rows[:, 6]
    bpm_at = np.where(rows[:, 0] < change_ns, BPM, NEW_BPM)
    err_ms = wrapped(ours - theirs) * 60e3 / bpm_at
    peers_ms = wrapped(rows[:, 5] - theirs) * 60e3 / bpm_at
    steady = (rows[:, 0] < change_ns) | (rows[:, 0] > change_ns + 100e6)
    # Samples with no engine xrun within half a second either side: where the audio itself ran
    xrun_ns = rows[1:, 0][np.diff(rows[:, 7]) > 0]
    clean = steady & np.array([not np.any(np.abs(xrun_ns - t) < 0.5e9) for t in rows[:, 0]], bool)
    after = np.flatnonzero(rows[:, 0] >= change_ns)
    first_second = after[rows[after, 0] < change_ns + 1e9]
    off = first_second[np.abs(err_ms[first_second]) > 1.0]  # the last sample more than 1 ms off, in the second after
    settle_ms = (rows[off[-1], 0] - change_ns) / 1e6 if off.size else 0.0
    # The tempo heard: the slope of the grid's beats against real time over each second (none across the change)
    tempo_err, clean_tempo_err = [], []
    for lo in np.arange(rows[0, 0], rows[-1, 0] - 1e9, 0.5e9):
        w = (rows[:, 0] >= lo) & (rows[:, 0] < lo + 1e9)
        if w.sum() > 20 and not (lo - 100e6 <= change_ns < lo + 1e9):
            slope = np.polyfit((rows[w, 0] - lo) / 60e9, ours[w], 1)[0]
            err = slope - (BPM if lo + 1e9 <= change_ns else NEW_BPM)
            tempo_err.append(err)
            if clean[w].all():
                clean_tempo_err.append(err)
    return {
        "phase_p99_ms": float(np.percentile(np.abs(err_ms[steady]), 99)),
        "phase_median_ms": float(np.median(np.abs(err_ms[steady]))),
        "clean_p99_ms": float(np.percentile(np.abs(err_ms[clean]), 99)) if clean.any() else float("nan"),
        "clean_tempo_err_bpm": float(np.max(np.abs(clean_tempo_err))) if clean_tempo_err else float("nan"),
        "clean_samples": int(clean.sum()),
        "tempo_err_bpm": float(np.max(np.abs(tempo_err))),
        "settle_ms": float(settle_ms),
        "peers_p99_ms": float(np.percentile(np.abs(peers_ms[steady]), 99)),
        "samples": int(steady.sum()), "xruns": int(xruns),
        "server_xruns": said.count("XRun") + said.count("was not finished"),
        "followed": tr.link.followed,
    }


def main():
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--seconds", type=float, default=10.0)
    p.add_argument("--period", type=int, default=128)
    args = p.parse_args()
    if not only_loopback():
        problem = netns_problem()
        if problem:
            print(f"bench_link: not measured: Link multicasts, so it runs only in a network namespace of its "
                  f"own; {problem}", file=sys.stderr)
            return 0
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(HERE.parent),
                                                                         os.environ.get("PYTHONPATH")])))
        return subprocess.run(netns_command([sys.executable] + sys.argv), env=env).returncode
    r = run(args.seconds, args.period)
    report = Report("link", args.json)
    ctx = {"samples": r["samples"], "period": args.period, "xruns": r["xruns"], "server_xruns": r["server_xruns"]}
    clean = {"clean_samples": r["clean_samples"]}
    report.metric("link_phase_error_p99_ms", round(r["phase_p99_ms"], 4), "ms", median_ms=round(r["phase_median_ms"], 4),
                  p99_away_from_xruns_ms=round(r["clean_p99_ms"], 4), goal_ms=1.0, **ctx, **clean)
    report.metric("link_tempo_error_bpm", round(r["tempo_err_bpm"], 4), "BPM",
                  away_from_xruns_bpm=round(r["clean_tempo_err_bpm"], 4), goal_bpm=0.1, **ctx, **clean)
    report.metric("link_tempo_settle_ms", round(r["settle_ms"], 1), "ms", from_bpm=BPM, to_bpm=NEW_BPM,
                  grid_moves=r["followed"])
    report.metric("link_peers_phase_error_p99_ms", round(r["peers_p99_ms"], 4), "ms", peer="two Link peers", **ctx)
    return 0


if __name__ == "__main__":
    sys.exit(main())
