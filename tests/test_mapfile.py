"""map.json: what is written reads back the same, from entries or columns, at any size."""

import json

import numpy as np
import pytest

from livemappr.files import mapfile

CLUSTERS = (mapfile.ClusterEntry(0, "a", 36, 2), mapfile.ClusterEntry(3, "d", 39, 1))


def columns(n, source="capture.f32", seed=0):
    rng = np.random.default_rng(seed)
    start = np.sort(rng.uniform(0, 1800, n))
    return mapfile.SnippetColumns(source, np.arange(n), start, start + rng.uniform(0.05, 0.5, n),
                                  rng.normal(0, 30, n), rng.normal(0, 30, n), rng.integers(0, 16, n))


def same(a, b):
    """Entries equal to what map.json keeps: times to the microsecond, positions to 7 digits."""
    assert len(a) == len(b)
    for x, y in zip(a, b):
        assert (x.id, x.source, x.cluster) == (y.id, y.source, y.cluster)
        assert abs(x.start - y.start) <= 5e-7 and abs(x.end - y.end) <= 5e-7
        np.testing.assert_allclose([x.x, x.y], [y.x, y.y], rtol=1e-6, atol=0)
    return True


def test_entries_read_back_whatever_their_source_names(tmp_path):
    entries = (mapfile.SnippetEntry(0, "kits/ü 100%d.wav", 0.1, 0.2, 1.5, -2.0, 0),
               mapfile.SnippetEntry(1, 'say "hi"\\.flac', 1 / 3, 2 / 3, 1e-20, 3.0, 3),
               mapfile.SnippetEntry(2, "capture.f32", 12.345666666666666, 1e6 + 0.5, -0.0, 7e300, 0))
    m = mapfile.MapFile(48000, entries, CLUSTERS)
    mapfile.write(tmp_path, m)
    back = mapfile.read(tmp_path)
    assert same(back.snippets, entries) and back.clusters == CLUSTERS and back.sample_rate == 48000
    # a frame's time comes back as that frame, at any rate
    for rate in (44100, 48000, 96000, 192000):
        frames = np.array([1, 12345, 86_400 * rate - 1])
        cols = mapfile.SnippetColumns("c", np.arange(3), frames / rate, (frames + 1) / rate, np.zeros(3),
                                      np.zeros(3), np.zeros(3, int))
        mapfile.write(tmp_path, mapfile.MapFile(rate, cols, ()))
        got = [round(s.start * rate) for s in mapfile.read(tmp_path).snippets]
        assert got == frames.tolist()
    data = json.loads((tmp_path / "map.json").read_text())
    assert data["format"] == "livemappr-map" and data["version"] == 1 and len(data["snippets"]) == 3


@pytest.mark.parametrize("n", [0, 1, 511, 512, 513, 2000])
def test_columns_read_back_as_the_entries_they_stand_for(tmp_path, n):
    cols = columns(n)
    mapfile.write(tmp_path, mapfile.MapFile(44100, cols, CLUSTERS if n else ()))
    back = mapfile.read(tmp_path)
    assert same(back.snippets, tuple(cols)) and back.sample_rate == 44100


def test_numpy_numbers_in_entries_are_written_as_plain_numbers(tmp_path):
    e = mapfile.SnippetEntry(np.int64(4), "x.wav", np.float32(0.5), np.float64(0.75), np.float32(1.25),
                             np.float64(2.0), np.int32(1))
    mapfile.write(tmp_path, mapfile.MapFile(48000, (e,), CLUSTERS))
    assert mapfile.read(tmp_path).snippets == (mapfile.SnippetEntry(4, "x.wav", 0.5, 0.75, 1.25, 2.0, 1),)
    assert '"x": 1.25,' in (tmp_path / "map.json").read_text()


@pytest.mark.parametrize("bad", ["entry", "column"])
def test_a_nan_is_an_error_naming_the_snippet_and_the_old_map_stays(tmp_path, bad):
    good = mapfile.MapFile(48000, columns(3), CLUSTERS)
    mapfile.write(tmp_path, good)
    if bad == "entry":
        snippets = (mapfile.SnippetEntry(7, "x.wav", 0.1, 0.2, float("nan"), 0.0, 0),)
    else:
        c = columns(3)
        c.y[1] = np.inf
        snippets = c
    with pytest.raises(ValueError, match=r"snippet .*(7|id=1).*finite"):
        mapfile.write(tmp_path, mapfile.MapFile(48000, snippets, CLUSTERS))
    back = mapfile.read(tmp_path)
    assert same(back.snippets, tuple(good.snippets)) and back.clusters == CLUSTERS
    assert not (tmp_path / "map.json.tmp").exists()


def test_columns_of_different_lengths_are_refused():
    with pytest.raises(ValueError, match="different lengths"):
        mapfile.SnippetColumns("c", np.arange(3), np.zeros(3), np.zeros(3), np.zeros(3), np.zeros(3), np.zeros(2))
