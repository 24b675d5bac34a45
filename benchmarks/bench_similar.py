"""Search by example in a live session: a library loaded, a sound's nearest found and answered over OSC.

Usage: python benchmarks/bench_similar.py [--json] [--quick]

For a library of n sounds (10,000 and 100,000; --quick: 10,000) of random
clustered vectors in an index written by files/library.py (what ``livemappr
map --out LIB`` keeps), beside a session map of 7,200 sounds (a 30-minute set):

- ``library_load_s``: ``live --library`` reading the index (session/library.py);
- ``search_ms_p50`` / ``_p99``: one search of session/neighbours.py, the map's
  and the library's 10 nearest to a snippet of the map, on the calling thread;
- ``search_ratio_vs_numpy``: that against numpy's brute force over the same
  vectors in the same run (distances, argpartition, sort of the 10), p50 over p50;
- ``osc_answer_ms_p50`` / ``_p99``: ``/livemappr/similar id 10`` sent over UDP
  on loopback to a real OSC server, until its ``/livemappr/similar/done`` came
  back to a subscribed socket: the worker's hand-over and the feedback tick
  (every 50 ms) included.
"""

from __future__ import annotations

import socket
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
from _report import Report, parser  # noqa: E402

from livemappr.analysis.features import FeatureExtractor  # noqa: E402
from livemappr.audio.config import EngineConfig  # noqa: E402
from livemappr.audio.engine import Engine  # noqa: E402
from livemappr.files.library import Entry, Library, library_key  # noqa: E402
from livemappr.session.neighbours import Neighbours  # noqa: E402

MAP_SOUNDS = 7200
QUERIES = 300


def clustered(n, d, seed):
    """``n`` vectors of ``d`` features in 40 clusters (sounds of a library come in kinds)."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(scale=4.0, size=(40, d))
    return (centres[rng.integers(0, 40, n)] + rng.normal(size=(n, d))).astype(np.float32)


def write_library(folder, n, extractor, seed=0):
    X = clustered(n, extractor.n_features, seed)
    entries = [Entry(f"/library/sound_{i:06d}.wav", (1000, 1), "shot", None, X[i:i + 1],
                     np.zeros(1, np.int64), np.full(1, 48000, np.int64)) for i in range(n)]
    Library(folder, library_key(extractor, 48000)).commit(entries)


def numpy_nearest(X, x, k):
    d = np.sqrt(((X - x) ** 2).sum(axis=1))
    part = np.argpartition(d, k)[:k]
    return part[np.argsort(d[part])]


def osc_round_trips(near, queries):
    from pythonosc.osc_message_builder import OscMessageBuilder

    from livemappr.control.osc import OscServer
    from livemappr.control.playable import SnapshotRef
    from livemappr.control.trigger import Trigger

    trigger = Trigger(near.engine, SnapshotRef())
    server = OscServer(trigger, host="127.0.0.1", port=0, priority=0,
                       hooks={"similar": near.ask, "similar_play": near.ask_play}).start()
    sub = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sub.bind(("127.0.0.1", 0))
    sub.settimeout(5.0)
    send = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)

    def dgram(path, *args):
        b = OscMessageBuilder(path)
        for a in args:
            b.add_arg(a)
        return b.build().dgram

    try:
        send.sendto(dgram("/livemappr/subscribe", sub.getsockname()[1]), ("127.0.0.1", server.port))
        time.sleep(0.3)
        out = []
        for i in queries:
            t = time.perf_counter()
            send.sendto(dgram("/livemappr/similar", int(i), 10), ("127.0.0.1", server.port))
            while True:
                data, _ = sub.recvfrom(65536)
                if data.startswith(b"/livemappr/similar/done"):
                    break
            out.append((time.perf_counter() - t) * 1000)
        return np.array(out)
    finally:
        server.close()
        sub.close()
        send.close()


def bench(n, report, tmp):
    extractor = FeatureExtractor()
    folder = tmp / f"lib{n}"
    write_library(folder, n, extractor)
    engine = Engine(EngineConfig(ring_seconds=1.0, bank_seconds=1.0, bank_slots=8, loop_tracks=1, loop_seconds=0.01))
    t = time.perf_counter()
    near = Neighbours(engine, extractor, folder, log=lambda m: None)
    load_s = time.perf_counter() - t
    near.catch_up(clustered(MAP_SOUNDS, extractor.n_features, seed=1))
    rng = np.random.default_rng(2)
    queries = rng.integers(0, MAP_SOUNDS, QUERIES)
    near.find(int(queries[0]), 10)  # compiled
    ours, peer = [], []
    X = near.library.vectors
    for i in queries:
        t = time.perf_counter()
        near.find(int(i), 10)
        ours.append((time.perf_counter() - t) * 1000)
        x = near.mirror.vector(int(i))
        t = time.perf_counter()
        numpy_nearest(X, x, 10)
        peer.append((time.perf_counter() - t) * 1000)
    ours, peer = np.array(ours), np.array(peer)
    osc = osc_round_trips(near, queries[:100])
    near.close()
    report.metric("library_load_s", round(load_s, 3), "s", n=n)
    report.metric("search_ms_p50", round(float(np.percentile(ours, 50)), 3), "ms", n=n, map=MAP_SOUNDS)
    report.metric("search_ms_p99", round(float(np.percentile(ours, 99)), 3), "ms", n=n, map=MAP_SOUNDS)
    report.metric("search_ratio_vs_numpy", round(float(np.percentile(ours, 50) / np.percentile(peer, 50)), 3),
                  "ratio", n=n, numpy_ms_p50=round(float(np.percentile(peer, 50)), 3))
    report.metric("osc_answer_ms_p50", round(float(np.percentile(osc, 50)), 2), "ms", n=n)
    report.metric("osc_answer_ms_p99", round(float(np.percentile(osc, 99)), 2), "ms", n=n)


def main():
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="10,000 sounds only")
    args = p.parse_args()
    report = Report("similar", args.json)
    with tempfile.TemporaryDirectory() as tmp:
        for n in (10000,) if args.quick else (10000, 100000):
            bench(n, report, Path(tmp))


if __name__ == "__main__":
    main()
