"""The Python API (livemappr.map_folder) on real drum one-shots from the hydrogen kits."""

import pathlib
import shutil

import numpy as np
import pytest
import soundfile

import livemappr
from livemappr.cli import main
from livemappr.errors import LivemapprError
from livemappr.files import mapfile
from tests import drumkits

PER_LABEL = 5


@pytest.fixture(scope="module")
def kit_folder(tmp_path_factory):
    """30 one-shots, five of each drum type, copied under two sub-folders."""
    folder = tmp_path_factory.mktemp("api") / "shots"
    by_label = {}
    for inst in drumkits.instruments():
        by_label.setdefault(inst.label, []).extend(inst.files[:1])
    copied = []
    for label in drumkits.LABELS:
        for i, src in enumerate(by_label[label][:PER_LABEL]):
            sub = folder / ("low" if label in ("kick", "tom") else "high")
            sub.mkdir(parents=True, exist_ok=True)
            dst = sub / f"{label}{i}{src.suffix.lower()}"
            shutil.copyfile(src, dst)
            copied.append(dst)
    return folder, copied


@pytest.fixture(scope="module")
def sound_map(kit_folder):
    return livemappr.map_folder(kit_folder[0], clusters=6, progress=False)


def test_map_folder_places_every_one_shot(kit_folder, sound_map):
    folder, copied = kit_folder
    m = sound_map
    n = len(copied)
    assert len(m) == n and m.positions.shape == (n, 2) and np.isfinite(m.positions).all()
    assert m.positions.std(axis=0).min() > 0  # spread out, not one point
    assert sorted(map(str, m.paths)) == sorted(map(str, copied))
    assert m.names == [p.stem for p in m.paths]
    found = sorted(set(m.clusters.tolist()))
    assert m.clusters.shape == (n,) and 3 <= len(found) <= 6 and set(found) <= set(range(6))
    assert sorted(m.keys) == found and m.keys[0] == "a"
    assert sum(len(m.members(c)) for c in m.keys) == n
    assert m.features.shape[0] == n and m.skipped == []
    assert (m.ends > m.starts).all()
    # A cluster is a neighbourhood of the map: each sound lies nearer its own
    # cluster's centre than the mean distance to the others' centres.
    centres = np.stack([m.positions[m.members(c)].mean(axis=0) for c in found])
    d = np.linalg.norm(m.positions[:, None, :] - centres[None], axis=2)
    own = d[np.arange(n), np.searchsorted(found, m.clusters)]
    assert (own < d.mean(axis=1)).mean() > 0.9


def test_progress_false_prints_nothing_and_true_does(kit_folder, capfd):
    livemappr.map_folder(kit_folder[0], clusters=3, progress=False, jobs=1)
    quiet = capfd.readouterr()
    assert quiet.out == "" and quiet.err == ""
    livemappr.map_folder(kit_folder[0], clusters=3, progress=True, jobs=1)
    loud = capfd.readouterr()
    assert "features" in loud.err and loud.out == ""


def test_the_api_and_livemappr_map_give_the_same_map(kit_folder, sound_map, tmp_path):
    assert main(["map", str(kit_folder[0]), "--out", str(tmp_path / "cli"), "--clusters", "6"]) == 0
    cli = mapfile.read(tmp_path / "cli")
    saved = sound_map.save(tmp_path / "api")
    api = mapfile.read(saved.parent)
    assert [(tmp_path / "cli" / s.source).resolve() for s in cli.snippets] == \
        [(saved.parent / s.source).resolve() for s in api.snippets] == [p.resolve() for p in sound_map.paths]
    xy = np.array([(s.x, s.y) for s in api.snippets])
    np.testing.assert_allclose(xy, np.array([(s.x, s.y) for s in cli.snippets]), rtol=1e-6)
    np.testing.assert_allclose(xy, sound_map.positions, rtol=1e-6)
    assert [s.cluster for s in api.snippets] == sound_map.clusters.tolist()
    assert (saved.parent / "map.png").stat().st_size > 0 and (saved.parent / "map.html").stat().st_size > 0


def test_export_writes_a_kit_that_loads(sound_map, tmp_path, capfd):
    sfz = sound_map.export(tmp_path / "kit", name="my drums")
    assert capfd.readouterr().err == ""
    assert sfz == tmp_path / "kit" / "my_drums.sfz" and sfz.is_file()
    assert (tmp_path / "kit" / "my_drums.dspreset").is_file()
    regions = [line.split("sample=")[1].split()[0] for line in sfz.read_text().splitlines()
               if line.startswith("<region>")]
    assert len(regions) == len(sound_map)
    for r in regions:
        audio, rate = soundfile.read(tmp_path / "kit" / r)
        assert rate == 48000 and audio.ndim == 1 and np.abs(audio).max() > 0.01
    with pytest.raises(LivemapprError, match="not empty"):
        sound_map.export(tmp_path / "kit")
    hw = sound_map.export(tmp_path / "hw", hardware=True, rate=44100)
    assert soundfile.info(str(next((tmp_path / "hw").rglob("*.wav")))).samplerate == 44100 and hw.is_file()


@pytest.mark.parametrize("kwargs, message", [
    ({"path_or_paths": "/nonexistent/drums"}, "no such file or folder"),
    ({"path_or_paths": []}, "at least one folder"),
    ({"path_or_paths": ".", "clusters": 0}, "clusters must be"),
    ({"path_or_paths": ".", "slicing": "beats"}, "slicing must be"),
    ({"path_or_paths": ".", "samplerate": 100}, "samplerate must be"),
])
def test_bad_arguments_are_one_line_errors(kwargs, message):
    with pytest.raises(LivemapprError, match=message) as e:
        livemappr.map_folder(progress=False, **kwargs)
    assert "\n" not in str(e.value)


def test_a_home_relative_path_is_expanded(kit_folder, monkeypatch):
    folder = kit_folder[0]
    monkeypatch.setenv("HOME", str(folder.parent))
    m = livemappr.map_folder(["~/" + folder.name + "/low"], clusters=2, progress=False)
    assert len(m) == 2 * PER_LABEL and all(p.is_relative_to(folder / "low") for p in m.paths)


def test_an_empty_folder_says_so(tmp_path):
    (tmp_path / "notes.txt").write_text("no audio here")
    with pytest.raises(LivemapprError, match="no audio files found"):
        livemappr.map_folder(tmp_path, progress=False)


def test_importing_livemappr_loads_no_mapping_code():
    import subprocess
    import sys

    code = "import sys, livemappr; print(any(m.startswith('livemappr.mapping') for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=pathlib.Path(__file__).parent.parent).stdout
    assert out.strip() == "False"
    assert livemappr.map_folder.__module__ == "livemappr.api"
