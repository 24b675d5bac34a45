"""``livemappr similar FILE --library LIB``: the library's sounds nearest to a file."""

import pathlib
import shutil

import numpy as np
import pytest
import soundfile

from livemappr.analysis.features import FeatureConfig, FeatureExtractor
from livemappr.cli import main
from livemappr.commands.map import make_map, read_shot
from livemappr.commands.similar import similar
from tests import drumkits
from tests.similar_rig import one_shot_library

SR = 48000


@pytest.fixture(scope="module")
def library(tmp_path_factory):
    """40 labelled one-shots, mapped into a library."""
    return one_shot_library(tmp_path_factory.mktemp("similar"), 40)


def label(path):
    return pathlib.Path(path).stem.split("_", 1)[1]


def test_a_copy_finds_its_original_first_and_the_order_is_by_distance(library, tmp_path):
    files = sorted((library / "shots").iterdir())
    copy = tmp_path / "elsewhere.wav"
    shutil.copy(files[7], copy)
    found = similar(copy, library / "lib", n=10)
    assert len(found) == 10
    assert found[0].path == str(files[7]) and found[0].distance < 1e-4 and found[0].whole
    # every distance is the one between the two files' vectors, analysed here anew
    extractor = FeatureExtractor(FeatureConfig())
    q = read_shot(copy, SR, extractor)[0][3].astype(np.float64)
    X = np.stack([read_shot(p, SR, extractor)[0][3] for p in files]).astype(np.float64)
    d = np.sqrt(((X - q) ** 2).sum(axis=1))
    assert [m.path for m in found] == [str(files[i]) for i in np.argsort(d, kind="stable")[:10]]
    assert np.allclose([m.distance for m in found], np.sort(d)[:10], atol=1e-3)


def test_a_library_file_is_not_its_own_neighbour(library):
    files = sorted((library / "shots").iterdir())
    found = similar(files[3], library / "lib", n=100)
    assert len(found) == len(files) - 1 and str(files[3]) not in [m.path for m in found]


def test_neighbours_are_the_same_kind_of_drum(library):
    files = sorted((library / "shots").iterdir())
    labels = [label(p) for p in files]
    p = np.unique(labels, return_counts=True)[1] / len(labels)
    agree = np.mean([label(similar(f, library / "lib", n=1)[0].path) == label(f) for f in files])
    assert agree > 1.5 * float((p ** 2).sum()), agree  # well beyond a random neighbour's chance


def test_the_command_prints_one_line_a_sound(library, capsys, monkeypatch):
    files = sorted((library / "shots").iterdir())
    monkeypatch.chdir(library)
    assert main(["similar", str(files[0]), "--library", "lib", "-n", "5"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 5 and [line.split()[0] for line in lines] == ["1", "2", "3", "4", "5"]
    distances = [float(line.split()[1]) for line in lines]
    assert distances == sorted(distances)
    assert all(pathlib.Path(line.split(None, 2)[2]).is_file() for line in lines)


@pytest.mark.parametrize("case", ["no library", "no file", "not audio", "bad n", "other features"])
def test_bad_input_is_one_line(library, tmp_path, capsys, case):
    query = sorted((library / "shots").iterdir())[0]
    lib = library / "lib"
    n = "5"
    if case == "no library":
        lib = tmp_path
    elif case == "no file":
        query = tmp_path / "nothing.wav"
    elif case == "not audio":
        query = tmp_path / "text.wav"
        query.write_text("not audio at all")
    elif case == "bad n":
        n = "0"
    else:  # a library made at another rate holds other vectors
        lib = tmp_path / "lib44"
        make_map([library / "shots"], lib, samplerate=44100, clusters=4, log=lambda m: None, progress=False)
    capsys.readouterr()
    code = main(["similar", str(query), "--library", str(lib), "-n", n])
    err = capsys.readouterr().err
    assert code in (1, 2) and err.count("\n") == 1 and err.startswith("livemappr: error:"), err
    assert "Traceback" not in err
    if case == "other features":
        assert "other features" in err and "map the folder again" in err


def test_sounds_cut_from_a_track_say_where(library, tmp_path, capsys):
    shots = drumkits.one_shots(sr=SR, per_instrument=1, max_seconds=0.3)
    seq = drumkits.sequence(shots, 12, SR, seed=1, min_gap_s=0.2)
    track = tmp_path / "beat.flac"
    soundfile.write(track, seq.audio, SR)
    make_map([track], tmp_path / "lib", clusters=4, log=lambda m: None, progress=False)
    query = sorted((library / "shots").iterdir())[0]
    found = similar(query, tmp_path / "lib", n=3)
    assert len(found) == 3 and all(not m.whole and m.path == str(track) for m in found)
    assert all(0 <= m.start_s < m.end_s <= len(seq.audio) / SR for m in found)
    assert main(["similar", str(query), "--library", str(tmp_path / "lib"), "-n", "3"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3 and all(" @ " in line and line.endswith(" s") for line in lines)
