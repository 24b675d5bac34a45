"""The library index of ``livemappr map``: analyse only what changed, grow the map, survive kills and damage."""

import os
import pathlib
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import soundfile

from livemappr.cli import main
from livemappr.commands.map import make_map
from livemappr.files import mapfile
from livemappr.files.library import FOLDER
from tests import drumkits

SR = 48000
ROOT = pathlib.Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def shots():
    found = drumkits.one_shots(sr=SR, per_instrument=1, max_seconds=0.3)
    if len(found) < 30:
        pytest.skip("Debian hydrogen-drumkits is not installed on this platform")
    return found


def write_folder(folder, shots, n, first=0):
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(first, first + n):
        s = shots[i % len(shots)]
        soundfile.write(folder / f"{i:04d}_{s.label}.wav", s.audio, SR, subtype="FLOAT")


def run(folder, out, **kw):
    lines = []
    summary = make_map([folder], out, clusters=4, log=lines.append, progress=False, **kw)
    return summary, lines


def positions(out):
    m = mapfile.read(out)
    return {pathlib.Path(s.source).name: (s.x, s.y, s.cluster) for s in m.snippets}


def test_second_run_analyses_nothing_and_keeps_every_place(shots, tmp_path):
    folder, out = tmp_path / "shots", tmp_path / "map"
    write_folder(folder, shots, 24)
    first, _ = run(folder, out)
    assert first["analysed"] == 24 and first["from_index"] == 0 and not first["grown"]
    before = positions(out)
    second, lines = run(folder, out)
    assert second["analysed"] == 0 and second["from_index"] == 24 and second["grown"]
    assert positions(out) == before  # places and clusters, exactly
    assert "library: 0 files analysed, 24 from the index, 0 removed" in lines
    # the batches were folded into one index file
    assert sorted(p.name for p in (out / FOLDER).iterdir()) == ["index.npz"]


def test_added_changed_and_removed_files(shots, tmp_path):
    folder, out = tmp_path / "shots", tmp_path / "map"
    write_folder(folder, shots, 24)
    run(folder, out)
    before = positions(out)
    write_folder(folder, shots, 3, first=24)  # 3 new
    changed = sorted(folder.iterdir())[5]
    audio, _ = soundfile.read(changed, dtype="float32")
    soundfile.write(changed, audio[: len(audio) // 2] * 0.5, SR, subtype="FLOAT")  # 1 changed
    removed = sorted(folder.iterdir())[:2]
    for p in removed:
        p.unlink()  # 2 removed
    summary, _ = run(folder, out)
    assert summary["analysed"] == 4 and summary["from_index"] == 21 and summary["removed"] == 2
    assert summary["grown"] and summary["snippets"] == 25
    after = positions(out)
    assert not {p.name for p in removed} & set(after)
    assert {f"{i:04d}_{shots[i].label}.wav" for i in range(24, 27)} <= set(after)
    kept = set(before) - {p.name for p in removed} - {changed.name}
    assert len(kept) == 21
    for name in kept:  # where the user learned them, with their clusters
        assert after[name] == before[name], name
    # --refit lays the whole map out again: the old sounds move
    summary, _ = run(folder, out, refit=True)
    assert summary["analysed"] == 0 and not summary["grown"]
    refitted = positions(out)
    assert sum(refitted[n][:2] != after[n][:2] for n in kept) > len(kept) // 2


def test_a_new_feature_layout_is_analysed_again(shots, tmp_path):
    folder, out = tmp_path / "shots", tmp_path / "map"
    write_folder(folder, shots, 12)
    run(folder, out)
    # a samplerate of its own is another layout of the vectors: nothing may be reused
    summary, lines = run(folder, out, samplerate=44100)
    assert summary["analysed"] == 12 and summary["from_index"] == 0
    assert any("other features (samplerate changed)" in line for line in lines), lines
    summary, _ = run(folder, out, samplerate=44100)
    assert summary["analysed"] == 0


@pytest.mark.parametrize("damage", ["truncate", "garbage", "empty", "a folder"])
def test_a_damaged_index_is_one_line_and_a_rebuild(shots, tmp_path, capsys, damage):
    folder, out = tmp_path / "shots", tmp_path / "map"
    write_folder(folder, shots, 12)
    assert main(["map", str(folder), "--out", str(out), "--clusters", "4"]) == 0
    index = out / FOLDER / "index.npz"
    data = index.read_bytes()
    if damage == "truncate":
        index.write_bytes(data[: len(data) // 2])
    elif damage == "garbage":
        index.write_bytes(bytes(range(256)) * 40)
    elif damage == "empty":
        index.write_bytes(b"")
    else:
        index.unlink()
        index.mkdir()
    capsys.readouterr()
    code = main(["map", str(folder), "--out", str(out), "--clusters", "4"])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err + captured.out
    if damage == "a folder":  # not ours to remove: a one-line error, the map and the audio untouched
        errors = [line for line in captured.err.splitlines() if line.startswith("livemappr:")]
        assert code == 2 and len(errors) == 1 and "not a library index file" in errors[0], captured.err
        assert len(mapfile.read(out).snippets) == 12
    else:
        assert code == 0
        damaged = [line for line in captured.out.splitlines() if "is damaged" in line]
        assert len(damaged) == 1, captured.out
        assert "library: 12 files analysed, 0 from the index" in captured.out
        assert len(mapfile.read(out).snippets) == 12
    assert len(list(folder.iterdir())) == 12  # the audio is never touched


def test_a_file_where_the_index_goes_is_one_line(shots, tmp_path, capsys):
    folder, out = tmp_path / "shots", tmp_path / "map"
    write_folder(folder, shots, 4)
    out.mkdir()
    (out / FOLDER).write_text("mine")
    assert main(["map", str(folder), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "library index goes" in err
    assert (out / FOLDER).read_text() == "mine"


def test_a_damaged_batch_costs_only_its_files(shots, tmp_path):
    folder, out = tmp_path / "shots", tmp_path / "map"
    write_folder(folder, shots, 8)
    run(folder, out)
    index = out / FOLDER / "index.npz"
    # a batch of another run, cut short on disk: left out, in one line
    (out / FOLDER / "batch-000001.npz").write_bytes(index.read_bytes()[:100])
    write_folder(folder, shots, 2, first=8)
    summary, lines = run(folder, out)
    assert summary["analysed"] == 2 and summary["from_index"] == 8
    assert sum("is damaged" in line for line in lines) == 1
    assert sorted(p.name for p in (out / FOLDER).iterdir()) == ["index.npz"]
    summary, lines = run(folder, out)
    assert summary["analysed"] == 0 and summary["from_index"] == 10 and not any("is damaged" in x for x in lines), lines


def batches(out):
    return list((out / FOLDER).glob("batch-*.npz")) if (out / FOLDER).is_dir() else []


def test_a_killed_run_resumes_where_it_stopped(shots, tmp_path):
    folder, out = tmp_path / "shots", tmp_path / "map"
    # many small distinct files, so the kill lands while features are computed
    rng = np.random.default_rng(0)
    folder.mkdir()
    n = 1500
    for i in range(n):
        s = shots[i % len(shots)]
        y = s.audio[: int(0.08 * SR)] * rng.uniform(0.3, 1.0)
        soundfile.write(folder / f"{i:05d}.wav", y, SR, subtype="PCM_16")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, "-m", "livemappr", "map", str(folder), "--out", str(out),
                             "--clusters", "4"], env=env, cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 300
        while not batches(out):
            assert proc.poll() is None, proc.stdout.read().decode()
            assert time.monotonic() < deadline
            time.sleep(0.005)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert not (out / mapfile.FILENAME).exists()  # it really died before its map
    # what the killed run had written: whole batches, read back as they are
    from livemappr.analysis.features import FeatureConfig, FeatureExtractor
    from livemappr.files.library import library_key
    from livemappr.files.library import Library

    saved = len(Library(out / FOLDER, library_key(FeatureExtractor(FeatureConfig()), SR), read_only=True).entries)
    summary, lines = run(folder, out)
    kept = summary["from_index"]
    assert 0 < kept < n and kept == saved and summary["analysed"] == n - kept, lines
    assert summary["snippets"] == n
    again, _ = run(folder, out)
    assert again["analysed"] == 0


ROCK = pathlib.Path("/usr/share/hydrogen/data/drumkits/GMRockKit")


@pytest.mark.skipif(not ROCK.is_dir(), reason="hydrogen-data's GMRockKit (make test-deps) is not installed")
def test_taught_pads_hold_when_the_library_grows(tmp_path):
    import shutil

    folder, out = tmp_path / "rock", tmp_path / "map"
    folder.mkdir()
    held_back = {"Kick-Med.wav", "Snare-Med.wav"}
    for p in ROCK.glob("*.wav"):
        if p.name not in held_back:
            shutil.copy(p, folder / p.name)
    ex = tmp_path / "examples.csv"
    ex.write_text(f"example,pad\n{ROCK}/Kick-Hard.wav,kick\n{ROCK}/Kick-Soft.wav,kick\n"
                  f"{ROCK}/Snare-Hard.wav,snare\n{ROCK}/Snare-Soft.wav,snare\n")

    def pads():
        m = mapfile.read(out)
        return {pathlib.Path(s.source).name: (s.x, s.y, m.pad_labels().get(s.cluster)) for s in m.snippets}

    first, _ = run(folder, out, teach=ex)
    before = pads()
    assert before["Kick-Hard.wav"][2] == "kick" and before["Snare-Soft.wav"][2] == "snare"
    for name in held_back:
        shutil.copy(ROCK / name, folder / name)
    summary, _ = run(folder, out, teach=ex)
    assert summary["analysed"] == 2 and summary["grown"]
    after = pads()
    assert after["Kick-Med.wav"][2] == "kick" and after["Snare-Med.wav"][2] == "snare"
    assert all(after[n] == before[n] for n in before)


def test_an_index_of_another_projection_is_not_used(tmp_path):
    # the vectors of another learned projection mean other things: keyed by its digest
    from livemappr.files.library import Entry, Library

    key = {"layout": "L", "samplerate": 48000, "space": "abc123", "n_features": 3}
    lib = Library(tmp_path, key)
    e = Entry(str(tmp_path / "a.wav"), (10, 20), "shot", None, np.ones((1, 3), np.float32),
              np.array([0]), np.array([100]))
    lib.add_batch([e])
    lib.commit([e], np.zeros((1, 2)), np.zeros(1, np.int64), {"clusters": 1})
    assert Library(tmp_path, key).get(e.path, (10, 20), "shot") is not None
    assert Library(tmp_path, key).get(e.path, (10, 21), "shot") is None  # touched since
    assert Library(tmp_path, key).get(e.path, (10, 20), "onset quiet_db=10") is None  # cut otherwise
    lines = []
    other = Library(tmp_path, dict(key, space="def456"), lines.append)
    assert other.entries == {} and lines == [
        f"library index {tmp_path / 'index.npz'} was made with other features (space changed): "
        "its sounds are analysed again"]


def test_progress_says_files_a_second_and_time_left():
    import io

    from livemappr.commands.map import Progress

    stream = io.StringIO()
    bar = Progress("features", 100, stream=stream)
    bar._t0 -= 2.0  # as if 2 s had passed before the first 40
    bar.step(40)
    line = stream.getvalue().splitlines()[-1]
    assert line.startswith("features: 40/100  ") and "/s, " in line and line.endswith(" s left")
    per_s, left = bar.rate()
    assert 15 < per_s <= 20 and 2.9 < left <= 4.0


def tamper(path, field, value):
    """``path`` (an .npz) with the first number of ``field`` set to ``value``."""
    import io

    with np.load(path) as z:
        arrays = {k: z[k].copy() for k in z.files}
    arrays[field].flat[0] = value
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    path.write_bytes(buf.getvalue())


@pytest.mark.parametrize("field, value", [("labels", 10 ** 12), ("starts", -5), ("vectors", np.nan)])
def test_hostile_numbers_in_an_index_are_refused_in_one_line(tmp_path, field, value):
    from livemappr.files.library import Entry, Library

    key = {"layout": "L", "samplerate": 48000, "space": None, "n_features": 2}
    lib = Library(tmp_path, key)
    e = Entry("/x.wav", (1, 2), "shot", None, np.ones((2, 2), np.float32), np.array([0, 0]), np.array([9, 9]))
    lib.commit([e], np.zeros((2, 2)), np.zeros(2, np.int64), {"clusters": 1})
    tamper(tmp_path / "index.npz", field, value)
    lines = []
    assert Library(tmp_path, key, lines.append).entries == {}
    assert len(lines) == 1 and "is damaged" in lines[0]


def test_a_grown_library_reuses_its_neighbour_graph_until_a_kept_file_goes(shots, tmp_path, monkeypatch):
    import livemappr.mapping.embedding as embedding

    folder, out = tmp_path / "shots", tmp_path / "map"
    write_folder(folder, shots, 120)  # more sounds than a row's 90 neighbours: the graph is kept
    run(folder, out)
    with np.load(out / FOLDER / "index.npz") as z:
        assert z["graph_indices"].shape == z["graph_distances"].shape == (120, 90)
    found = []
    real_knn = embedding.exact_knn

    def counted(X, k):
        found.append(X.shape[0])
        return real_knn(X, k)

    monkeypatch.setattr(embedding, "exact_knn", counted)
    write_folder(folder, shots, 2, first=120)
    grown, _ = run(folder, out)
    assert grown["grown"] and grown["analysed"] == 2 and found == []  # the kept rows' graph was read back
    with np.load(out / FOLDER / "index.npz") as z:
        assert z["graph_indices"].shape == (122, 90)  # and the grown map's written
    sorted(folder.iterdir())[3].unlink()
    shrunk, _ = run(folder, out)
    assert shrunk["removed"] == 1 and found == [121]  # a kept row is gone: found again


@pytest.mark.parametrize("field, value", [("graph_indices", 7), ("graph_indices", -1), ("graph_distances", np.nan)])
def test_a_hostile_neighbour_graph_is_not_used_and_the_sounds_are_kept(tmp_path, field, value):
    from livemappr.files.library import Entry, Library

    key = {"layout": "L", "samplerate": 48000, "space": None, "n_features": 2}
    lib = Library(tmp_path, key)
    e = Entry("/x.wav", (1, 2), "shot", None, np.ones((2, 2), np.float32), np.array([0, 0]), np.array([9, 9]))
    graph = (np.array([[1], [0]]), np.array([[0.5], [0.5]]))
    lib.commit([e], np.zeros((2, 2)), np.zeros(2, np.int64), {"clusters": 1}, graph)
    kept = Library(tmp_path, key)
    assert kept.graph_of([kept.entries["/x.wav"]])[0].tolist() == [[1], [0]]
    tamper(tmp_path / "index.npz", field, value)
    again = Library(tmp_path, key)
    assert list(again.entries) == ["/x.wav"] and again.graph_of([again.entries["/x.wav"]]) is None
