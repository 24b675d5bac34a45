"""Whole tracks on a map: does ``map --tracks`` group songs by style? (issue 18 item 5)

Usage: python benchmarks/bench_tracks.py [--json] [--seconds 20,40]

On two sets of development tracks of tests/trackcorpus.py (built on demand
and cached, never committed): ``drums``, 7 drum styles each played by every
Hydrogen kit and every GM kit of the TimGM6mb, csound and OPL-3 soundfonts
(rendered with fluidsynth), the styles differing in rhythm only; ``band``,
the GM kits' tracks with a bass and a second part (chords, stabs, a tune)
of each style's instruments from the same soundfont, held out a soundfont
at a time. Each mapped by ``livemappr map``'s own code and scored
leave-one-source-out (tests/tracks_quality.py: a track's neighbours count only
from another kit or soundfont). The peer, in the same run, is the same files
mapped as one-shots (``map FOLDER`` without ``--tracks``: each file's first
second). Rows:

- map_knn10_agreement, feature_knn10_agreement: share of a track's 10 nearest
  other-source tracks (on the map / in the space it is made from) of its
  style; each with ``_vs_oneshot`` (ours over the peer's), the map's with
  ``_source_spread`` (the standard deviation of its mean over held-out groups);
- cluster_purity, cluster_ari: as many clusters as styles;
- features_ms_per_minute: the analysis of one minute of track (decoding,
  resampling and features, one thread), and its ratio to the one-shot
  analysis of the same files;
- peak_memory_ratio_vs_whole_read: the most memory (Python-traced) taken
  while a 10-minute file is described, over what reading it whole (the
  one-shot path's audiofile.read) takes.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
from _report import Report, parser  # noqa: E402

from tests import trackcorpus, tracks_quality  # noqa: E402


def quality(report, folder, tracks, kind):
    ours = tracks_quality.score(folder, tracks, whole=True)
    peer = tracks_quality.score(folder, tracks, whole=False)
    ctx = {"set": kind, "n": ours["n"], "sources": len({t.source for t in tracks}),
           "groups": len({t.group for t in tracks})}
    for name, key in (("map_knn10_agreement", "map_knn10"), ("feature_knn10_agreement", "feature_knn10"),
                      ("cluster_purity", "cluster_purity"), ("cluster_ari", "cluster_ari")):
        report.metric(name, round(ours[key], 4), "share", oneshot=round(peer[key], 4), **ctx)
        if key.endswith("knn10"):
            report.metric(name + "_vs_oneshot", round(ours[key] / peer[key], 3), "x", **ctx)
    report.metric("map_knn10_agreement_source_spread", round(ours["map_knn10_source_spread"], 4), "share",
                  oneshot=round(peer["map_knn10_source_spread"], 4), **ctx)
    labels = ours["labels"]
    report.metric("chance_knn10_agreement", round(float(sum(np.mean(labels == lab) ** 2 for lab in set(labels))), 4),
                  "share", **ctx)


def speed(report, tracks):
    import soundfile

    from livemappr.analysis.features import FeatureConfig, FeatureExtractor
    from livemappr.analysis.trackfeatures import TrackExtractor
    from livemappr.commands.map import read_shot
    from livemappr.commands.tracks import read_track

    paths = [t.path for t in tracks[:40]]
    minutes = sum(soundfile.info(p).duration for p in paths) / 60
    tx, fx = TrackExtractor(), FeatureExtractor(FeatureConfig())
    read_track(paths[0], 48000, tx), read_shot(paths[0], 48000, fx)  # compiled, loaded
    t0 = time.perf_counter()
    for p in paths:
        read_track(p, 48000, tx)
    ours = time.perf_counter() - t0
    t0 = time.perf_counter()
    for p in paths:
        read_shot(p, 48000, fx)
    peer = time.perf_counter() - t0
    report.metric("features_ms_per_minute", round(1e3 * ours / minutes, 2), "ms",
                  oneshot_ms=round(1e3 * peer / minutes, 2), files=len(paths))
    report.metric("features_time_ratio_vs_oneshot", round(ours / peer, 3), "x", files=len(paths))


def memory(report):
    import soundfile

    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory(prefix="livemappr-bench-") as tmp:
        path = os.path.join(tmp, "ten-minutes.flac")
        with soundfile.SoundFile(path, "w", 44100, 2, subtype="PCM_16") as f:
            for _ in range(60):
                f.write((0.2 * rng.normal(size=(441000, 2))).astype(np.float32))
        ours, whole, _, spent = tracks_quality.peak_memory(path)
    report.metric("peak_memory_mb_10min", round(ours / 1e6, 2), "MB", whole_read_mb=round(whole / 1e6, 1),
                  seconds=round(spent, 2), file="44.1 kHz stereo FLAC")
    report.metric("peak_memory_ratio_vs_whole_read", round(ours / whole, 4), "x")


def main(argv=None):
    p = parser(__doc__.split("\n")[0])
    p.add_argument("--seconds", default="20,40", help="track lengths drawn from this range (default 20,40)")
    args = p.parse_args(argv)
    lo, hi = (float(v) for v in args.seconds.split(","))
    report = Report("tracks", args.json)
    t0 = time.perf_counter()
    folder, tracks = trackcorpus.cached(seconds=(lo, hi))
    report.note(f"{len(tracks)} drum tracks in {folder} ({time.perf_counter() - t0:.0f} s)")
    quality(report, folder, tracks, "drums")
    t0 = time.perf_counter()
    band_folder, band = trackcorpus.cached(kits=[], with_band=True, seconds=(lo, hi))
    report.note(f"{len(band)} band tracks in {band_folder} ({time.perf_counter() - t0:.0f} s)")
    quality(report, band_folder, band, "band")
    speed(report, tracks)
    memory(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
