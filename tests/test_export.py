import json
import os
import pathlib
import subprocess

import numpy as np
import pytest
import soundfile

from livemappr.session import journal

from livemappr.files import mapfile
from livemappr.cli import main
from livemappr.audio.config import EngineConfig
from livemappr.audio.engine import Engine
from livemappr.commands.export import safe_name
from livemappr.audio.offline import render

SR = 48000


def tone(seconds, freq, seed):
    t = np.arange(int(seconds * SR)) / SR
    noise = np.random.default_rng(seed).standard_normal(t.size) * 0.05
    return (0.4 * np.sin(2 * np.pi * freq * t) + noise).astype(np.float32)


def make_map(tmp_path, clusters, snippets):
    d = tmp_path / "mymap"
    d.mkdir(exist_ok=True)
    doc = {"format": "livemappr-map", "version": 1, "sample_rate": SR, "snippets": snippets, "clusters": clusters}
    (d / "map.json").write_text(json.dumps(doc))
    return d


def all_files(root):
    return {p for p in pathlib.Path(root).rglob("*") if p.is_file()}


def test_kit_holds_every_snippet_exactly_and_an_sfz_that_lints_clean(tmp_path, capsys):
    src_dir = tmp_path / "mymap" / "kit src"
    src_dir.mkdir(parents=True)
    a, b = tone(1.0, 220, 1), tone(1.0, 880, 2)
    soundfile.write(src_dir / "Kick & Snare (take 1).wav", a, SR, subtype="FLOAT")
    soundfile.write(src_dir / "CON.wav", b, SR, subtype="FLOAT")
    snippets = [
        {"id": 0, "source": "kit src/Kick & Snare (take 1).wav", "start": 0.0, "end": 0.25, "x": 0, "y": 0, "cluster": 3},
        {"id": 1, "source": "kit src/Kick & Snare (take 1).wav", "start": 0.5, "end": 0.8, "x": 1, "y": 0, "cluster": 3},
        {"id": 2, "source": "kit src/CON.wav", "start": 0.1, "end": 0.2, "x": 5, "y": 5, "cluster": 7},
    ]
    clusters = [{"id": 3, "key": "d", "note": 39, "size": 2}, {"id": 7, "key": "../../etc", "note": 36, "size": 1},
                {"id": 9, "key": "z", "note": 40, "size": 0}]
    d = make_map(tmp_path, clusters, snippets)
    before = all_files(tmp_path)
    kit = tmp_path / "kit"
    assert main(["export", str(d), "--out", str(kit)]) == 0
    new = all_files(tmp_path) - before
    assert all(kit in p.parents for p in new)  # nothing written outside the kit
    wavs = sorted(p.relative_to(kit).as_posix() for p in new if p.suffix == ".wav")
    assert wavs == ["03_d/00000_kick_snare_take_1.wav", "03_d/00001_kick_snare_take_1.wav",
                    "07_etc/00002_snippet_con.wav"]
    got, sr = soundfile.read(kit / wavs[1], dtype="float32")
    want = a[int(0.5 * SR):int(0.8 * SR)]
    fade = int(0.002 * SR)
    assert sr == SR and got.shape == want.shape
    np.testing.assert_allclose(got[:-fade], want[:-fade], atol=2 ** -22)  # 24-bit
    assert abs(got[-1]) < 1e-6  # the cut end is faded
    sfz = kit / "mymap.sfz"
    text = sfz.read_text()
    assert "<group> key=36 seq_length=1" in text and "<group> key=39 seq_length=2" in text
    assert "key=40" not in text  # an empty cluster gets no key
    lint = subprocess.run([str(pathlib.Path(os.sys.executable).parent / "sfzlint"), str(sfz)],
                          capture_output=True, text=True)
    assert lint.returncode == 0 and lint.stdout.strip() == "" and lint.stderr.strip() == ""


def test_session_journal_is_a_source(tmp_path):
    e = Engine(EngineConfig(ring_seconds=2, bank_seconds=0.1, bank_slots=2))
    sess = tmp_path / "session"
    j = journal.Journal(sess, e.ring_reader(0), SR)
    j.start(0)
    mic = tone(0.5, 440, 3)
    render(e, input=mic)
    j.stop()
    mapfile.write(sess, mapfile.MapFile(SR, (mapfile.SnippetEntry(0, journal.AUDIO_FILE, 0.1, 0.2, 0, 0, 0),),
                                        (mapfile.ClusterEntry(0, "a", 36, 1),)))
    assert main(["export", str(sess), "--out", str(tmp_path / "kit")]) == 0
    got, _ = soundfile.read(tmp_path / "kit" / "00_a" / "00000_capture.wav", dtype="float32")
    np.testing.assert_allclose(got[:4000], mic[4800:8800], atol=2 ** -22)


def test_refuses_a_kit_folder_that_is_not_empty(tmp_path, capsys):
    d = make_map(tmp_path, [], [])
    kit = tmp_path / "kit"
    kit.mkdir()
    (kit / "mine.txt").write_text("keep")
    assert main(["export", str(d), "--out", str(kit)]) == 2
    assert "is not empty; choose another --out or add --force" in capsys.readouterr().err


@pytest.mark.parametrize("patch, message", [
    ({"format": "other"}, "format must be 'livemappr-map'"),
    ({"version": 2}, "version must be 1, got 2"),
    ({"snippets": [{"id": 0, "source": "a.wav", "start": 1.0, "end": 0.5, "x": 0, "y": 0, "cluster": 0}]},
     "snippets[0].end must be a finite number >= 1.0, got 0.5"),
    ({"clusters": [{"id": 0, "key": "a", "note": 300, "size": 0}]}, "clusters[0].note must be a MIDI note 0..127"),
    ({"snippets": [{"id": 0, "source": "a.wav", "start": 0, "end": 1, "x": float("nan"), "y": 0, "cluster": 0}]},
     "snippets[0].x must be a finite number"),
])
def test_bad_map_json_names_the_field(tmp_path, capsys, patch, message):
    d = make_map(tmp_path, [], [])
    doc = json.loads((d / "map.json").read_text())
    doc.update(patch)
    (d / "map.json").write_text(json.dumps(doc))
    assert main(["export", str(d), "--out", str(tmp_path / "kit")]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "\n" not in err


def test_missing_sources_are_skipped_not_fatal(tmp_path, capsys):
    d = make_map(tmp_path, [{"id": 0, "key": "a", "note": 36, "size": 1}],
                 [{"id": 0, "source": "gone.wav", "start": 0, "end": 0.1, "x": 0, "y": 0, "cluster": 0}])
    assert main(["export", str(d), "--out", str(tmp_path / "kit")]) == 0
    out = capsys.readouterr().out
    assert "skipped snippet 0:" in out and "no such file" in out


@pytest.mark.parametrize("text, expected", [
    ("Kick 01", "kick_01"), ("../../etc/passwd", "etc_passwd"), ("CON", "x_con"), ("", "x"), ("ééé", "x"),
    ("a" * 100, "a" * 40), ("lpt1", "x_lpt1"),
])
def test_safe_names(text, expected):
    assert safe_name(text) == expected
