"""The web view: how fast a map change reaches the page, and what 20 clients
cost the audio.

1. ``ws_update_p99_ms``: a 5,000-point map is published again every
   ``--interval`` seconds (every point moved a little, as while t-SNE
   settles, and every fifth change a few new points); headless Debian
   chromium shows the page; the latency is from ``SnapshotRef.publish`` to
   the frame's arrival in the page's WebSocket handler (both on this
   machine's wall clock). Measured with no other client, then with 20 more
   clients (another process) reading every frame. ``page_frame_p99_ms`` is
   the page's animation frame interval while it draws the moving map.
2. ``xruns``: a live session on a private JACK dummy server (asynchronous,
   as on stage), the demo take as the mic, the map growing, the web view
   serving 20 reading clients, one client that never reads and a stream of
   garbage and hits; xruns counted over the same length of time without the
   clients first, as a peer. ``jack_driver_late`` counts the dummy driver's
   own late wake-ups (jackd's "JackTimedDriver::Process XRun"), and
   ``machine_rt_wakeup_max_ms`` is cyclictest's (Debian rt-tests) worst
   wake-up of a SCHED_FIFO thread meanwhile: lateness the machine has with
   or without us.

    python benchmarks/bench_web.py [--json] [--seconds 10] [--points 5000]
"""

import json
import pathlib
import subprocess
import sys
import time

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT.parent))
from _report import Report, parser
from bench_xruns import cyclictest_max_ms, start_cyclictest

from tests.jackserver import JackServer, wait_until
from tests.web import cdp

FRAME_TIMES = """(() => { const out = []; let last = 0; window.__frames = out;
  const f = (t) => { if (last) out.push(t - last); last = t; if (out.length < 100000) requestAnimationFrame(f); };
  requestAnimationFrame(f); })()"""


def clients_process(port, seconds, clients=20, bad_rate=0.0, stuck=False):
    args = [sys.executable, "-m", "tests.web.clients", str(port), "--clients", str(clients), "--seconds",
            str(seconds), "--bad-rate", str(bad_rate)] + ([] if stuck else ["--no-stuck"])
    return subprocess.Popen(args, cwd=ROOT.parent, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def latency(points, seconds, interval, extra_clients):
    from livemappr.audio.config import EngineConfig
    from livemappr.control.playable import PlayableMap, SnapshotRef
    from livemappr.control.trigger import Trigger
    from livemappr.audio.engine import Engine
    from livemappr.web import WebView

    rng = np.random.default_rng(0)
    engine = Engine(EngineConfig(ring_seconds=2, bank_seconds=1, bank_slots=8))
    pos = rng.standard_normal((points, 2)) * 10
    ids = rng.integers(0, 16, points)
    ref = SnapshotRef(PlayableMap(pos, ids, np.full(points, -1), 1))
    published = {}
    with WebView(Trigger(engine, ref), host="127.0.0.1", port=0) as view, cdp.Browser(1280, 800) as b:
        b.goto(view.url)
        b.wait(f"window.livemappr.n === {points}", 30)
        proc = clients_process(view.port, seconds + 2) if extra_clients else None
        if proc is not None:
            wait_until(lambda: view.clients == 1 + extra_clients, 20)
        b.eval(FRAME_TIMES)
        version = 1
        end = time.monotonic() + seconds
        next_at = time.monotonic()
        while time.monotonic() < end:
            version += 1
            pos = pos + rng.standard_normal(pos.shape) * 0.05
            if version % 5 == 0:
                pos = np.vstack([pos, rng.standard_normal((5, 2)) * 10])
                ids = np.concatenate([ids, rng.integers(0, 16, 5)])
            snap = PlayableMap(pos, ids, np.full(len(pos), -1), version)
            published[version] = time.time() * 1000.0
            ref.publish(snap)
            next_at += interval
            time.sleep(max(0.0, next_at - time.monotonic()))
        time.sleep(0.5)
        arrivals = b.eval("window.livemappr.arrivals")
        frame_ms = b.eval("window.__frames")
        if proc is not None:
            proc.communicate(timeout=60)
        stats = dict(view.stats)
    lat = np.array([t - published[v] for v, t in arrivals if v in published])
    return lat, len(published), np.array(frame_ms[5:] or [0.0]), stats


def xruns(seconds):
    import sounddevice as sd

    from livemappr.audio.config import EngineConfig
    from livemappr.control.surfaces import Surfaces
    from livemappr.session.session import Session, SessionConfig
    from livemappr.web import WebView

    demo = ROOT.parent / "livemappr" / "data" / "demo_mic.flac"
    server = JackServer(period=128, name="livemappr-bench-web").start()
    sd._terminate()
    sd._initialize()
    out = {}
    try:
        session = Session(EngineConfig(samplerate=server.samplerate, blocksize=server.period),
                          SessionConfig(device="system", input=str(demo), osc_port=0, midi=False), log=lambda m: None)
        session.start()
        surfaces = Surfaces(session.engine, session.snapshots, osc_port=None, midi=False).start()
        view = WebView(surfaces.trigger, status=session.status, host="127.0.0.1", port=0).start()
        try:
            time.sleep(1.0)  # start-up excluded
            for phase, clients in (("without clients", 0), ("20 clients", 20)):
                server.output()
                start = session.engine.meters()
                peer = start_cyclictest(seconds, 128)
                proc = clients_process(view.port, seconds, clients, bad_rate=200, stuck=True) if clients else None
                if proc is None:
                    time.sleep(seconds)
                    got = {}
                else:
                    got = json.loads(proc.communicate(timeout=seconds + 60)[0])
                m = session.engine.meters(since=start)
                said = server.output()
                out[clients] = {"xruns": m["xruns"], "late": m["late_callbacks"],
                                "driver_late": said.count("JackTimedDriver::Process XRun"),
                                "clients_late": sum("was not finished" in x for x in said.splitlines()),
                                "machine_ms": cyclictest_max_ms(peer), "got": got, "phase": phase}
            out["view"] = dict(view.stats)
        finally:
            view.close()
            surfaces.close()
            session.stop()
    finally:
        sd._terminate()
        server.stop()
        sd._initialize()
    return out


def main():
    p = parser(__doc__)
    p.add_argument("--seconds", type=float, default=10.0)
    p.add_argument("--points", type=int, default=5000)
    p.add_argument("--interval", type=float, default=0.1, help="seconds between map changes")
    p.add_argument("--skip-xruns", action="store_true")
    args = p.parse_args()
    r = Report("web", args.json)
    if not cdp.available():
        raise SystemExit("bench_web: /usr/bin/chromium is missing (Debian chromium); run make deps")
    for extra in (0, 20):
        lat, sent, frame_ms, stats = latency(args.points, args.seconds, args.interval, extra)
        ctx = {"points": args.points, "clients": 1 + extra, "changes": sent, "arrived": int(lat.size),
               "map_frames": stats.get("map_frames", 0)}
        r.metric("ws_update_p99_ms", round(float(np.percentile(lat, 99)), 2), "ms",
                 p50=round(float(np.percentile(lat, 50)), 2), max=round(float(lat.max()), 2), **ctx)
        r.metric("page_frame_p99_ms", round(float(np.percentile(frame_ms, 99)), 2), "ms",
                 p50=round(float(np.percentile(frame_ms, 50)), 2), **ctx)
    if args.skip_xruns:
        return
    if not JackServer.available():
        raise SystemExit("bench_web: jackd is not installed (Debian jackd2); run make deps")
    out = xruns(args.seconds)
    for clients in (0, 20):
        o = out[clients]
        ctx = {"clients": clients, "seconds": args.seconds, "late_callbacks": o["late"],
               "jack_driver_late": o["driver_late"], "jack_clients_late": o["clients_late"]}
        if clients:
            ctx.update(stuck_dropped=out["view"].get("dropped", 0), bad_sent=o["got"].get("bad_sent", 0),
                       frames_min=o["got"].get("frames_min", 0))
        r.metric("xruns", o["xruns"], "count", **ctx)
        if o["machine_ms"] is not None:
            r.metric("machine_rt_wakeup_max_ms", o["machine_ms"], "ms", peer="cyclictest", clients=clients)


if __name__ == "__main__":
    main()
