"""``livemappr map`` on real drum one-shots and a drum track."""

import json
import pathlib
import struct
import zlib

import numpy as np
import pytest
import soundfile

from livemappr.files import mapfile
from livemappr.cli import main
from tests import drumkits

SR = 48000


@pytest.fixture(scope="module")
def library(tmp_path_factory):
    """Labelled one-shots from several kits as a folder, with a labels CSV."""
    shots = drumkits.one_shots(sr=SR, per_instrument=2, max_seconds=0.5)
    if not shots:
        pytest.skip("Debian hydrogen-drumkits is not installed on this platform")
    root = tmp_path_factory.mktemp("lib")
    rows = []
    for i, s in enumerate(shots[:60]):
        d = root / "kits" / drumkits_safe(s.kit)
        d.mkdir(parents=True, exist_ok=True)
        p = d / f"{i:03d}_{s.label}.wav"
        soundfile.write(p, s.audio, SR, subtype="FLOAT")
        rows.append(f"{p},{s.label}")
    (root / "kits" / "broken.wav").write_bytes(b"RIFF....WAVEnot really")
    (root / "labels.csv").write_text("\n".join(rows) + "\n")
    return root


def drumkits_safe(name):
    return "".join(c if c.isalnum() else "_" for c in name)


def read_png_size(path):
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    w, h = struct.unpack(">II", data[16:24])
    idat = data[data.index(b"IDAT") + 4:data.index(b"IEND") - 8]
    raw = zlib.decompress(idat)
    assert len(raw) == h * (1 + 3 * w)
    return w, h


def test_map_of_a_sample_folder(library, tmp_path, capsys):
    out = tmp_path / "map"
    code = main(["map", str(library / "kits"), "--out", str(out), "--clusters", "5",
                 "--report", str(library / "labels.csv")])
    assert code == 0
    m = mapfile.read(out)
    n_files = len(list((library / "kits").rglob("*.wav"))) - 1
    assert len(m.snippets) == n_files  # every readable file, once
    assert {c.key for c in m.clusters} <= set("abcde") and sum(c.size for c in m.clusters) == n_files
    assert all(not s.source.startswith("/") and (out / s.source).exists() for s in m.snippets)
    assert read_png_size(out / "map.png") == (800, 800)
    captured = capsys.readouterr()
    assert "skipped" in captured.out and "broken.wav" in captured.out
    report = json.loads((out / "report.json").read_text())
    assert report["labelled"] == n_files
    # Drum types separate on the map: neighbours agree well beyond chance (a
    # random neighbour agrees with probability sum p_label^2; 60 sounds and
    # k = 10 make this a noisy measure, hence 1.5x).
    labels = [line.rsplit(",", 1)[1] for line in (library / "labels.csv").read_text().split()]
    p = np.unique(labels, return_counts=True)[1] / len(labels)
    assert report["knn_agreement"] > 1.5 * float((p ** 2).sum())
    # a pad plays one kind of sound, and each cluster is named by the kind most of it is
    assert report["cluster_purity"] > float(p.max()) + 0.2
    label_of = {str(pathlib.Path(k).resolve()): v for k, v in
                (line.rsplit(",", 1) for line in (library / "labels.csv").read_text().split())}
    for c in m.clusters:
        held = [label_of[str((out / s.source).resolve())] for s in m.snippets if s.cluster == c.id]
        assert held.count(c.name) == max(held.count(x) for x in held), (c, held)
    assert '"name"' in (out / "map.html").read_text()


def test_map_of_a_track_cuts_it_at_the_hits(tmp_path):
    shots = drumkits.one_shots(sr=SR, per_instrument=1, max_seconds=0.4)
    if not shots:
        pytest.skip("Debian hydrogen-drumkits is not installed on this platform")
    seq = drumkits.sequence(shots, 40, SR, seed=3, min_gap_s=0.15)
    track = tmp_path / "beat.flac"
    soundfile.write(track, seq.audio, SR)
    out = tmp_path / "map"
    assert main(["map", str(track), "--out", str(out)]) == 0
    m = mapfile.read(out)
    starts = np.array([s.start * SR for s in m.snippets])
    hits = sum(np.min(np.abs(starts - t)) < 0.03 * SR for t in seq.onsets)
    assert hits >= 0.9 * len(seq.onsets) and len(m.snippets) <= 1.2 * len(seq.onsets)


def test_quiet_db_0_keeps_a_drum_tracks_ghost_notes(tmp_path):
    # The voice gate drops onsets well under the recent hits; a drummer's ghost
    # notes are such onsets, and --quiet-db 0 keeps them.
    shots = drumkits.one_shots(sr=SR, per_instrument=1, max_seconds=0.4)
    seq = drumkits.sequence(shots, 60, SR, seed=5, min_gap_s=0.2, gain_db=(-3.0, 0.0),
                            ghost_fraction=0.3, ghost_db=-18.0)
    track = tmp_path / "ghosts.flac"
    soundfile.write(track, seq.audio, SR)
    found = {}
    for quiet in ("10", "0"):
        out = tmp_path / f"map{quiet}"
        assert main(["map", str(track), "--out", str(out), "--quiet-db", quiet]) == 0
        starts = np.array([s.start * SR for s in mapfile.read(out).snippets])
        found[quiet] = sum(np.min(np.abs(starts - t)) < 0.03 * SR for t in seq.onsets)
    assert found["0"] >= 0.9 * len(seq.onsets) and found["0"] > found["10"], found


def test_grid_mode_cuts_musicmappr_chunks(tmp_path):
    y = (np.random.default_rng(0).standard_normal(16384 * 5 + 100) * 0.1).astype(np.float32)
    soundfile.write(tmp_path / "noise.wav", y, SR, subtype="FLOAT")
    out = tmp_path / "map"
    assert main(["map", str(tmp_path / "noise.wav"), "--out", str(out), "--grid", "--clusters", "2"]) == 0
    m = mapfile.read(out)
    assert [round(s.start * SR) for s in m.snippets][:5] == [0, 16384, 32768, 49152, 65536]


@pytest.mark.parametrize("argv, message", [
    (["map", "/nonexistent/x.wav", "--out", "o"], "/nonexistent/x.wav: no such file or folder"),
    (["map", ".", "--out", "o", "--clusters", "0"], "--clusters must be in 1..64, got 0"),
    (["map", ".", "--out", "o", "--quiet-db", "nan"], "--quiet-db must be in 0..100 dB, got nan"),
])
def test_bad_arguments_are_one_line_errors(tmp_path, capsys, argv, message, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "\n" not in err


def test_a_folder_of_only_broken_files_is_an_error(tmp_path, capsys):
    (tmp_path / "a.wav").write_bytes(b"junk")
    (tmp_path / "b.flac").write_bytes(b"")
    assert main(["map", str(tmp_path), "--out", str(tmp_path / "o")]) == 2
    assert "only 0 sound(s) could be read: a map needs at least 2" in capsys.readouterr().err
