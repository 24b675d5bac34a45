"""``livemappr map --tracks``: whole tracks, one point a file, summarised over all of it (issue 18 item 5)."""

import json
import pathlib
import shutil

import numpy as np
import pytest
import soundfile

from livemappr.analysis.trackfeatures import WEIGHTS, TrackExtractor
from livemappr.cli import main
from livemappr.commands.map import make_map
from livemappr.commands.similar import similar
from livemappr.commands.tracks import read_track
from livemappr.files import audioblocks, audiofile, mapfile
from tests import crafted, trackcorpus, tracks_quality

SR = 22050
#: A small set of the development tracks: 7 styles on 4 Hydrogen kits and 3 GM
#: kits of 2 soundfonts (6 groups held out in turn), 12-16 s each.
SMALL = {"kits": ("GMRockKit", "TR808EmulationKit", "Audiophob", "Millo_MultiLayered2"),
         "soundfonts": ("TimGM6mb", "OPL-3_FM_128M"), "programs": (0, 25), "seconds": (12.0, 16.0)}
#: Band tracks (a bass and a second part of each style's instruments too) on
#: the GM kits 0 and 25 of the 3 soundfonts: 5 kits, held out a soundfont at a time.
SMALL_BAND = {"kits": (), "programs": (0, 25), "seconds": (12.0, 16.0), "with_band": True}


@pytest.fixture(scope="module")
def tracks():
    try:
        return trackcorpus.cached(**SMALL)
    except FileNotFoundError as e:  # drumkits.kit_files names the missing Debian packages
        pytest.skip(str(e))


def clicks(bpm, seconds, sr=SR, seed=0):
    """A click a beat at ``bpm``: a decaying noise burst, the first one 50 ms in."""
    rng = np.random.default_rng(seed)
    y = np.zeros(int(seconds * sr), np.float32)
    burst = (rng.normal(size=sr // 20) * np.exp(-np.arange(sr // 20) / (sr / 400))).astype(np.float32)
    for t in np.arange(0.05, seconds - 0.06, 60.0 / bpm):
        i = int(t * sr)
        y[i:i + burst.size] += 0.5 * burst
    return y


def test_the_vector_does_not_depend_on_the_blocks():
    x = TrackExtractor()
    y = clicks(100, 3.0) + 0.01 * np.sin(np.arange(3 * SR) * 0.05).astype(np.float32)
    whole = x.vector(y)
    for size in (1, 64, 65, 511, 2048, 8193):
        a = x.analysis()
        for i in range(0, y.size if size > 1 else SR, size):  # one sample at a time: the first second
            a.feed(y[i:i + size])
        if size == 1:
            a.feed(y[SR:])
        assert np.allclose(a.vector(), whole, rtol=1e-5, atol=1e-5), size


def test_silence_nan_and_one_window_give_a_defined_vector_and_less_is_an_error():
    x = TrackExtractor()
    for y in (np.zeros(5 * SR, np.float32), np.full(SR, np.nan, np.float32), np.ones(2048, np.float32)):
        v = x.vector(y)
        assert v.shape == (x.n_features,) and np.all(np.isfinite(v))
    with pytest.raises(ValueError, match="at least 2048"):
        x.vector(np.zeros(2047, np.float32))


@pytest.mark.parametrize("bpm", [84, 100, 128, 150])
def test_a_click_track_gives_its_tempo(bpm):
    v = TrackExtractor().vector(clicks(bpm, 20.0))
    tempo = 120 * 2 ** (v[-2] / WEIGHTS["tempo"])  # the tempo block: log2 bpm re 120, weighted
    assert abs(tempo / bpm - 1) < 0.02, tempo


def test_a_ten_minute_file_is_analysed_in_blocks(tmp_path):
    # 10 minutes at 44.1 kHz mono: the whole-file read (the one-shot path, the
    # peer) holds every decoded and resampled sample; the track path one block.
    path = tmp_path / "long.wav"
    beat = clicks(120, 10.0, sr=44100)
    soundfile.write(path, np.tile(beat, 60), 44100, subtype="PCM_16")
    ours, whole, row, _ = tracks_quality.peak_memory(path)
    assert row[1:3] == (0, 600 * 48000)
    assert ours < 0.05 * whole, (ours, whole)
    # and the summary of ten minutes is the summary of its ten seconds repeated
    short = tmp_path / "short.wav"
    soundfile.write(short, beat, 44100, subtype="PCM_16")
    assert abs(read_track(short, 48000, TrackExtractor())[0][3][-2] - row[3][-2]) < 0.05


def test_blocks_match_the_whole_file_read(tmp_path):
    path = tmp_path / "stereo.flac"
    rng = np.random.default_rng(3)
    y = (0.3 * rng.normal(size=(44100 * 3, 2))).astype(np.float32)
    soundfile.write(path, y, 44100)
    whole = audiofile.read(path, samplerate=22050, channels=1).samples[:, 0]
    streamed = np.concatenate(list(audioblocks.blocks(path, 22050, block_frames=10007)))
    assert abs(streamed.size - whole.size) <= 2
    n = min(streamed.size, whole.size)
    assert np.max(np.abs(streamed[100:n - 100] - whole[100:n - 100])) < 2e-3


def test_map_tracks_one_point_a_file_reported_and_kept(tracks, tmp_path, capsys):
    folder, found = tracks
    out = tmp_path / "map"
    labels = folder / "labels.csv"
    assert main(["map", str(folder), "--tracks", "--out", str(out), "--report", str(labels),
                 "--clusters", "7"]) == 0
    m = mapfile.read(out)
    assert len(m.snippets) == len(found)
    for s in m.snippets:  # each a whole file
        info = soundfile.info(out / s.source)
        assert s.start == 0 and abs(s.end - info.frames / info.samplerate) < 1e-3
    report = json.loads((out / "report.json").read_text())
    chance = sum(np.mean([t.label == lab for t in found]) ** 2 for lab in {t.label for t in found})
    assert report["labelled"] == len(found) and report["knn_agreement"] > 2 * chance, report
    # a rerun takes every vector from the index
    capsys.readouterr()
    summary = make_map([folder], out, whole=True, clusters=7, log=print, progress=False)
    assert summary["analysed"] == 0 and summary["from_index"] == len(found)
    # the same files as one-shots are other vectors: all analysed again, none taken for a track's
    lines = []
    shots = make_map([folder], out, clusters=7, log=lines.append, progress=False)
    assert shots["analysed"] == len(found) and shots["from_index"] == 0
    assert any("made with other features (layout" in line for line in lines), lines


@pytest.mark.parametrize("which", ["drums", "band"])
def test_tracks_map_by_style_better_than_their_first_second(tracks, which):
    try:
        folder, found = tracks if which == "drums" else trackcorpus.cached(**SMALL_BAND)
    except FileNotFoundError as e:  # fluidsynth or a soundfont missing: make test-deps installs them
        pytest.skip(str(e))
    ours = tracks_quality.score(folder, found, whole=True)
    peer = tracks_quality.score(folder, found, whole=False)
    assert ours["n"] == peer["n"] == len(found)
    # leave-one-group-out: only neighbours from another kit or soundfont count
    assert ours["feature_knn10"] > peer["feature_knn10"] + 0.1, (ours["feature_knn10"], peer["feature_knn10"])
    assert ours["map_knn10"] > peer["map_knn10"] + 0.1, (ours["map_knn10"], peer["map_knn10"])


def test_broken_and_short_files_are_skipped_in_one_line(tracks, tmp_path):
    folder, found = tracks
    mine = tmp_path / "songs"
    mine.mkdir()
    for t in found[:6]:
        shutil.copy(t.path, mine / t.path.name)
    (mine / "broken.wav").write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk" * 10)
    crafted.wav(mine / "rate5.wav", 5, 1000)  # a header claiming 5 Hz: 200 s for 2 kB
    soundfile.write(mine / "blip.wav", np.zeros(500, np.float32), SR)
    soundfile.write(mine / "empty.wav", np.zeros(0, np.float32), SR)
    lines = []
    summary = make_map([mine], tmp_path / "map", whole=True, clusters=3, log=lines.append, progress=False)
    assert summary["snippets"] == 6 and summary["skipped"] == 4
    skipped = [line for line in lines if line.startswith("  skipped ")]
    assert len(skipped) == 4 and all("\n" not in line for line in skipped)
    assert any("rate5.wav" in line and "5 Hz" in line for line in skipped)
    assert any("blip.wav" in line and "too short" in line for line in skipped)
    assert any("empty.wav" in line and "no audio" in line for line in skipped)


def test_a_file_of_many_channels_is_read_in_smaller_blocks(tmp_path):
    path = tmp_path / "many.wav"
    soundfile.write(path, np.full((SR, 256), 0.01, np.float32), SR, subtype="PCM_16")
    sizes = [b.size for b in audioblocks.blocks(path, SR)]
    assert sum(sizes) == SR and max(sizes) == audioblocks.BLOCK_SAMPLES // 256
    assert read_track(path, SR, TrackExtractor())[0][1:3] == (0, SR)


def test_a_file_longer_than_allowed_is_refused_before_decoding(tmp_path):
    path = tmp_path / "long.wav"
    soundfile.write(path, np.zeros(3 * SR, np.float32), SR)
    with pytest.raises(audiofile.AudioFileError, match="3 s long; at most 2 s allowed"):
        next(audioblocks.blocks(path, SR, max_seconds=2.0))


def test_similar_on_a_track_library_analyses_the_query_as_a_track(tracks, tmp_path, capsys):
    folder, found = tracks
    lib = tmp_path / "lib"
    make_map([folder], lib, whole=True, clusters=7, log=lambda m: None, progress=False)
    copy = tmp_path / "query.wav"
    shutil.copy(found[9].path, copy)
    hits = similar(copy, lib, n=5)
    assert hits[0].path == str(found[9].path) and hits[0].distance < 1e-3 and hits[0].whole
    x = TrackExtractor()
    q = read_track(copy, 48000, x)[0][3].astype(np.float64)
    for h in hits:
        v = read_track(pathlib.Path(h.path), 48000, x)[0][3].astype(np.float64)
        assert abs(np.sqrt(((v - q) ** 2).sum()) - h.distance) < 1e-3
    # the same track at another rate and format is still itself, far nearer than any other track
    y, rate = soundfile.read(found[9].path, dtype="float32")
    other = tmp_path / "query-44k.flac"
    soundfile.write(other, audiofile.resample(y, rate, 44100), 44100, subtype="PCM_24")
    again = similar(other, lib, n=2)
    assert again[0].path == str(found[9].path) and again[0].distance < 0.05 * again[1].distance, again
    assert main(["similar", str(copy), "--library", str(lib), "-n", "3"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3 and " @ " not in lines[0] and lines[0].endswith(found[9].path.name)


@pytest.mark.parametrize("extra", [["--grid"], ["--teach", "x.csv"]])
def test_options_tracks_does_not_go_with_are_one_line(tracks, tmp_path, capsys, extra):
    folder, _ = tracks
    code = main(["map", str(folder), "--tracks", "--out", str(tmp_path / "m"), *extra])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "--tracks" in err and "Traceback" not in err, err


def test_the_python_api_maps_tracks_too(tracks):
    import livemappr
    from livemappr.errors import UsageError

    folder, found = tracks
    m = livemappr.map_folder(folder, tracks=True, clusters=7, progress=False)
    assert len(m) == len(found)
    with pytest.raises(UsageError):
        livemappr.map_folder(folder, tracks=True, slicing="grid", progress=False)


def test_tracks_on_a_dask_cluster_give_the_same_map(tracks, tmp_path):
    pytest.importorskip("distributed", reason="distributed (livemappr[dask]) is not installed here")
    from tests.daskcluster import local_cluster

    folder, found = tracks
    here = make_map([folder], tmp_path / "here", whole=True, clusters=7, log=lambda m: None, progress=False)
    lines = []
    with local_cluster(n_workers=2, threads_per_worker=1) as cluster:
        there = make_map([folder], tmp_path / "there", whole=True, clusters=7, log=lines.append, progress=False,
                         scheduler=cluster.scheduler_address)
    assert any("features on the Dask cluster" in line for line in lines), lines
    assert here["snippets"] == there["snippets"] == len(found)
    # the same vectors, the same seed: the same map, byte for byte
    assert (tmp_path / "there" / "map.json").read_bytes() == (tmp_path / "here" / "map.json").read_bytes()
