"""Time and loops: MIDI clock following jitter, loop drift after 10 simulated
minutes, and the callback's share of its budget with 4 looping tracks.

- ``clock_jitter_ms``: a JACK client (tests/clock_sender.py) sends MIDI clock
  at 120 BPM, every tick at its exact frame, into the live engine's MIDI input
  on a private JACK dummy server (asynchronous mode, as the benchmarks run it).
  After two beats of lock, the tempo grid's frame for each tick is compared
  with a straight line through the ticks of the two beats either side (the
  sender's ticks are exactly evenly spaced; a line per neighbourhood because
  an xrun moves engine frames against JACK's for good): the standard
  deviation of that difference. The peer in the
  same run is the jitter of the raw arrival stamps the follower fits (what a
  follower that trusted each tick would show), and xruns are reported: this
  VM delays real-time threads by milliseconds when busy.
- ``loop_drift_samples``: a 2-bar loop recorded through the OSC surface at an
  awkward tempo (123.4 BPM: 23338.7 frames a beat), then 10 minutes rendered
  offline; the largest distance between a loop boundary (a click recorded on
  its downbeat) and the tempo grid's bar line.
- ``callback_p99_budget_share``: bench_callback's measurement with 4 looping
  tracks (one overdubbing) and 32 voices, 64 frames.

    python benchmarks/bench_loop.py [--json] [--seconds 8]
"""

import pathlib
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))
from _report import Report, parser  # noqa: E402
from bench_callback import measure  # noqa: E402

from livemappr.audio.config import EngineConfig  # noqa: E402
from livemappr.audio.engine import Engine  # noqa: E402
from livemappr.audio.stream import compile_kernels  # noqa: E402

SR = 48000
argparse_hide = "only the MIDI clock run, printed as a dict (for tuning)"


def clock_jitter(seconds, period):
    from livemappr.audio.stream import AudioStream
    from tests.clock_follower import follow_midi_clock
    from tests.jackserver import JackServer, wait_until

    import sounddevice as sd

    with JackServer(period=period, sync=False):
        sd._terminate()
        sd._initialize()
        try:
            e, tr, midi = follow_midi_clock(period)
            try:
                with AudioStream(e, device="system"):
                    wait_until(tr.clock.running, 5)
                    sender = subprocess.Popen([sys.executable, str(HERE.parent / "tests" / "clock_sender.py"), "drum",
                                               "120", str(seconds), "bench", "livemappr:livemappr"],
                                              stdout=subprocess.DEVNULL)
                    sender.wait(seconds + 30)
                    time.sleep(0.1)
                    xruns = e.meters()["xruns"]
            finally:
                midi.close()
        finally:
            sd._terminate()  # PortAudio lets go of the server before it stops
    h = np.array(tr.follower.history[96:], np.float64)
    k = h[:, 0]

    def spread(y):
        # Residuals against a line through the 2 beats either side of each
        # tick: an xrun shifts engine frames against the sender's by a period
        # for good, which is not jitter of the clock.
        resid = np.array([y[i] - np.polyval(np.polyfit(k[max(0, i - 48):i + 49], y[max(0, i - 48):i + 49], 1), k[i])
                          for i in range(len(k))])
        return resid.std() * 1000 / SR, np.percentile(np.abs(resid), 99) * 1000 / SR

    grid_std, grid_p99 = spread(h[:, 2])
    raw_std, raw_p99 = spread(h[:, 1])
    return dict(grid_std=grid_std, grid_p99=grid_p99, raw_std=raw_std, raw_p99=raw_p99, bpm=float(np.median(h[:, 3])),
                ticks=len(h), xruns=xruns, errors=tr.errors.counts())


def loop_drift(bpm=123.4, minutes=10):
    from livemappr.control.feedback import message
    from livemappr.control.osc import OscServer
    from livemappr.control.playable import SnapshotRef
    from livemappr.control.transport import Transport
    from livemappr.control.trigger import Trigger
    from livemappr.audio.offline import render

    e = Engine(EngineConfig(ring_seconds=1, bank_seconds=1, bank_slots=8, loop_seconds=5))
    t = Trigger(e, SnapshotRef(), timing="steady")
    t.clock.now = lambda now_ns=None: float(e.frame)  # offline: now is where the render stopped
    t.clock.running = lambda: True
    with tempfile.TemporaryDirectory() as d:
        tr = Transport(t, bpm=bpm, export_dir=d)
        osc = OscServer(t, host="127.0.0.1", port=0, transport=tr)
        try:
            send = lambda path, *a: osc.handle(message(path, *a), ("127.0.0.1", 9000))  # noqa: E731
            total = minutes * 60 * SR
            mic = np.zeros(total + 10 * SR, np.float32)
            render(e, 1000)
            send("/livemappr/clock/run", 1)
            send("/livemappr/loop/bars", 2)
            render(e, 2000, input=mic[1000:3000])
            send("/livemappr/loop/0/record", 1)
            start = tr.tempo.frame_at(4)
            mic[start] = 0.5
            render(e, start + 10 - e.frame, input=mic[e.frame:start + 10])
            out = render(e, total, input=mic[e.frame:e.frame + total], blocksize=4096)[:, 0]
            clicks = np.flatnonzero(out) + start + 10
            bars = np.array([tr.tempo.frame_at(tr.tempo.beat_at(start) + 8 * k) for k in range(1, len(clicks) + 1)])
            naive = start + np.round(np.arange(1, len(clicks) + 1) * 8 * 60 * SR / bpm)
            return int(np.abs(clicks - bars).max()), int(np.abs(clicks - naive).max()), len(clicks)
        finally:
            osc.close()


def main():
    p = parser(__doc__)
    p.add_argument("--seconds", type=float, default=8.0, help="MIDI clock followed, and audio per callback run")
    p.add_argument("--period", type=int, default=128, help="JACK period for the MIDI clock run")
    p.add_argument("--only-clock", action="store_true", help=argparse_hide)
    args = p.parse_args()
    r = Report("loop", args.json)
    compile_kernels()
    if args.only_clock:
        j = clock_jitter(args.seconds, args.period)
        print(j)
        return
    j = clock_jitter(args.seconds, args.period)
    r.metric("clock_jitter_ms", round(j["grid_std"], 4), "ms", stat="std", bpm_sent=120, bpm_read=round(j["bpm"], 3),
             period=args.period, ticks=j["ticks"], xruns=j["xruns"], errors=j["errors"])
    r.metric("clock_jitter_p99_ms", round(j["grid_p99"], 4), "ms", period=args.period)
    r.metric("clock_arrival_jitter_ms", round(j["raw_std"], 4), "ms", stat="std", peer="raw tick arrival stamps",
             ratio=round(j["raw_std"] / max(j["grid_std"], 1e-9), 1))
    drift, naive, loops = loop_drift()
    r.metric("loop_drift_samples", drift, "samples", bpm=123.4, minutes=10, loops=loops,
             unlocked_grid_drift=naive)
    m = measure(64, args.seconds, loops=4)
    m0 = measure(64, args.seconds, loops=0)
    r.metric("callback_p99_budget_share", round(m["p99_share"], 4), "share", blocksize=64, voices=32, loops=4,
             callbacks=m["callbacks"], peer_no_loops=round(m0["p99_share"], 4))


if __name__ == "__main__":
    main()
