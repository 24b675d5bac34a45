"""Taught pads (issue #17): the nearest-example rule, the live map's pads,
``livemappr map --teach`` and the pads in map.json."""

import json
import pathlib
import subprocess
import sys

import numpy as np
import pytest
import soundfile as sf

from livemappr.analysis.features import FeatureExtractor
from livemappr.analysis.teach import MAX_EXAMPLES, PadExamples
from livemappr.files import mapfile, teachfile
from livemappr.mapping.embedding import IncrementalTSNE
from livemappr.mapping.livemap import LiveMap
from tests import corpus, pads_quality as pq

ROOT = pathlib.Path(__file__).resolve().parent.parent
ROCK = pathlib.Path("/usr/share/hydrogen/data/drumkits/GMRockKit")


# -------------------------------------------------------------- the rule
def test_a_sound_goes_to_the_pad_of_its_nearest_example_unless_it_is_like_no_pad():
    pads = PadExamples(16, like_no_pad=1.0)
    pads.teach(2, [0.0, 0.0])
    pads.teach(2, [10.0, 0.0])  # one pad, two ways of playing it
    pads.teach(5, [5.0, 0.0])
    got, dist = pads.classify(np.array([[0.4, 0.0], [9.5, 0.5], [5.2, 0.1], [2.5, 0.0], [0.0, 3.0]]))
    assert got.tolist() == [2, 2, 5, -1, -1]  # 2.5 is 2.5 from every example: like no pad
    np.testing.assert_allclose(dist[:3], [0.4, np.hypot(0.5, 0.5), np.hypot(0.2, 0.1)])
    # nearest example, not nearest mean: pad 2's mean (5, 0) is pad 5's example
    assert pads.classify([5.0, 0.0])[0][0] == 5
    assert PadExamples(16).classify(np.zeros((3, 2)))[0].tolist() == [-1, -1, -1]  # nothing taught
    pads.forget(2)
    assert pads.pads == [5] and pads.classify([0.0, 0.0])[0][0] == -1


def test_pads_keep_their_newest_examples_names_and_refuse_bad_input():
    pads = PadExamples(16)
    for i in range(MAX_EXAMPLES + 5):
        pads.teach(0, [float(i), 0.0])
    assert pads.examples(0).shape == (MAX_EXAMPLES, 2) and pads.examples(0)[0, 0] == 5.0
    pads.name(0, "  kick ")
    assert pads.names == {0: "kick"}
    for bad in ("", "x" * 41, "a\nb", 3):
        with pytest.raises(ValueError, match="pad name"):
            pads.name(1, bad)
    for bad in (-1, 16, 2.0, True):
        with pytest.raises(ValueError, match="pad must be"):
            pads.teach(bad, [0.0, 0.0])
    with pytest.raises(ValueError, match="2 values"):
        pads.teach(1, [0.0, 0.0, 0.0])
    with pytest.raises(ValueError, match="finite"):
        pads.teach(1, [np.nan, 0.0])


def test_pads_travel_as_json_and_examples_from_another_space_are_dropped():
    pads = PadExamples(16, like_no_pad=5.0)
    pads.teach(3, [1.0, 2.0])
    pads.name(3, "kick")
    pads.name(7, "later")  # named, not taught
    data = json.loads(json.dumps(pads.to_json(space="abc")))
    back = PadExamples.from_json(data, 16, 5.0, space="abc")
    assert back.pads == [3] and back.names == {3: "kick", 7: "later"}
    np.testing.assert_array_equal(back.examples(3), [[1.0, 2.0]])
    other = PadExamples.from_json(data, 16, 5.0, space="xyz")
    assert other.pads == [] and other.names == {3: "kick", 7: "later"}


# -------------------------------------------------------------- the live map
@pytest.fixture(scope="module")
def voices():
    c = corpus.load("vocal_proxy")
    Z = FeatureExtractor().projection.transform(pq.descriptors(c))
    return c, Z


def small_map():
    proj = FeatureExtractor().projection
    return LiveMap(16, tsne=IncrementalTSNE(random_state=0), random_state=0, cluster_on="features",
                   min_separation=proj.min_separation, like_no_pad=proj.like_no_pad)


def test_a_live_map_gives_taught_pads_their_kinds_and_clusters_the_rest(voices):
    c, Z = voices
    voice = np.flatnonzero(c.sources == "en+m1")  # kick 12, snare 10, hihat 7, openhat 9
    y = c.labels[voice]
    live = small_map()
    live.fit(Z[voice[:6]])
    examples = {"kick": [], "snare": []}
    for i in range(6, voice.size):
        live.add(Z[voice[i]])
        if y[i] in examples and len(examples[y[i]]) < 4:
            examples[y[i]].append(i)
    # pad 3 (id 2) is kick, pad 5 (id 4) is snare, from four of each
    for i in examples["kick"]:
        live.teach(2, index=i)
    for i in examples["snare"]:
        live.teach(4, index=i)
    live.name(2, "kick")
    live.step()
    snap = live.snapshot
    ids = np.asarray(snap.cluster_ids)
    assert snap.cluster_names == {2: "kick"}
    assert np.mean(ids[y == "kick"] == 2) >= 0.9 and np.mean(ids[y == "snare"] == 4) >= 0.9
    others = ~np.isin(y, ["kick", "snare"])
    # hats are like neither pad: they keep clusters of their own, on other pads
    assert np.mean(np.isin(ids[others], [2, 4])) <= 0.1
    assert set(ids[others]) - {2, 4, -1}
    # new sounds of another voice of the same kinds go to the taught pads as they arrive
    other = np.flatnonzero((c.sources == "en-gb-scotland+f2") & np.isin(c.labels, ["kick", "snare"]))
    for j in other:
        live.add(Z[j])
    got = np.asarray(live.snapshot.cluster_ids)[-other.size:]
    want = np.where(c.labels[other] == "kick", 2, 4)
    assert np.mean(got == want) >= 0.8, (got, want)
    # forgetting a pad gives its sounds back to the clustering
    live.forget(2)
    live.step()
    snap = live.snapshot
    assert snap.cluster_names is None
    assert np.all(np.asarray(snap.cluster_ids) >= 0)
    assert np.mean(np.asarray(snap.cluster_ids)[:voice.size][y == "snare"] == 4) >= 0.9


def test_teaching_a_pad_a_cluster_plays_moves_that_cluster_to_a_free_pad(voices):
    c, Z = voices
    voice = np.flatnonzero(c.sources == "en+m1")
    live = small_map().fit(Z[voice])
    ids = np.asarray(live.snapshot.cluster_ids)
    assert ids.max() >= 1  # more than one cluster
    victims = ids == 0
    kick = int(np.flatnonzero(c.labels[voice] == "kick")[0])
    live.teach(0, index=kick)
    after = np.asarray(live.snapshot.cluster_ids)
    taken = after == 0
    moved = victims & ~taken
    # the sounds pad 1 played that are not like the new example went to a pad of their own
    assert moved.any() and np.all(after[moved] >= 1)
    assert len(set(after[moved])) == 1


# -------------------------------------------------------------- map --teach
def run_map(*args):
    return subprocess.run([sys.executable, "-m", "livemappr", "map", *map(str, args)],
                          capture_output=True, text=True, timeout=600, cwd=ROOT)


@pytest.mark.skipif(not ROCK.is_dir(), reason="hydrogen-data's GMRockKit (make test-deps) is not installed")
def test_map_teach_a_folder_every_snippet_carries_its_pad(tmp_path):
    ex = tmp_path / "examples.csv"
    ex.write_text("example,pad\n"
                  f"{ROCK}/Kick-Hard.wav,kick\n{ROCK}/Kick-Soft.wav,kick\n"
                  f"{ROCK}/Snare-Hard.wav,snare\n{ROCK}/Snare-Soft.wav,snare\n"
                  f"{ROCK}/Tom1-Med.wav,9\n")
    r = run_map(ROCK, "--teach", ex, "--out", tmp_path / "out")
    assert r.returncode == 0, r.stderr
    assert "taught pads: kick" in r.stdout
    m = json.loads((tmp_path / "out" / "map.json").read_text())
    pad = {pathlib.Path(s["source"]).name: s["pad"] for s in m["snippets"]}
    cluster = {pathlib.Path(s["source"]).name: s["cluster"] for s in m["snippets"]}
    assert all(pad[f"Kick-{v}.wav"] == "kick" and cluster[f"Kick-{v}.wav"] == 0
               for v in ("Soft", "Softest", "Med", "Hard", "Hardest"))
    assert all(pad[f"Snare-{v}.wav"] == "snare" for v in ("Soft", "Softest", "Med", "Hard", "Hardest"))
    assert pad["Tom1-Hard.wav"] == "pad 9" and cluster["Tom1-Hard.wav"] == 8
    assert pad["Crash-Hard.wav"] is None and pad["HatClosed-Med.wav"] is None
    pads = {p["id"]: p for p in m["pads"]}
    assert pads[0]["name"] == "kick" and len(pads[0]["examples"]) == 2 and pads[1]["name"] == "snare"
    assert {c["id"]: c.get("name") for c in m["clusters"]}[0] == "kick"
    # the file reads back (and its pads with it)
    back = mapfile.read(tmp_path / "out")
    assert back.pad_labels() == {0: "kick", 1: "snare", 8: "pad 9"}
    # and the names travel into a kit
    r = subprocess.run([sys.executable, "-m", "livemappr", "export", str(tmp_path / "out"), "--out",
                        str(tmp_path / "kit")], capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    folders = {p.name for p in (tmp_path / "kit").iterdir() if p.is_dir()}
    assert {"00_a_kick", "01_b_snare"} <= folders, folders
    assert 'name="cluster 0 a kick"' in next((tmp_path / "kit").glob("*.dspreset")).read_text()


def test_map_teach_a_track_by_times(tmp_path):
    from tests import vocal_take

    if not vocal_take.have_espeak():
        pytest.skip("espeak-ng (make test-deps) is not installed")
    take = vocal_take.take(sr=48000, n_hits=48, seed=3, two_part_fraction=0.0)
    sf.write(tmp_path / "take.wav", take.audio, 48000, subtype="FLOAT")
    names = np.array(take.names)
    rows = ["example,pad"]
    taught = {}
    for kind in ("k", "t", "b@"):
        first = np.flatnonzero(names == kind)[:3]
        taught[kind] = set(first.tolist())
        rows += [f"{take.hits[i] / 48000:.3f},{kind}" for i in first]
    (tmp_path / "ex.csv").write_text("\n".join(rows) + "\n")
    r = run_map(tmp_path / "take.wav", "--teach", tmp_path / "ex.csv", "--out", tmp_path / "out")
    assert r.returncode == 0, r.stderr
    m = json.loads((tmp_path / "out" / "map.json").read_text())
    starts = np.array([s["start"] for s in m["snippets"]]) * 48000
    right = total = 0
    for i, kind in enumerate(take.names):
        if kind not in taught or i in taught[kind]:
            continue
        j = int(np.argmin(np.abs(starts - take.hits[i])))
        if abs(starts[j] - take.hits[i]) < 0.03 * 48000:
            total += 1
            right += m["snippets"][j]["pad"] == kind
    assert total >= 20 and right / total >= 0.85, (right, total)


def test_bad_examples_files_are_one_line_errors(tmp_path):
    wav = tmp_path / "a.wav"
    sf.write(wav, np.zeros(4800, np.float32), 48000)
    cases = {
        "no header": ("a.wav,kick\n", "header example,pad"),
        "pad 17": ("example,pad\na.wav,17\n", "1..16"),
        "no such file": ("example,pad\nmissing.wav,kick\n", "no such audio file"),
        "bad time": ("example,pad\n-3,kick\n", "0..10000000 seconds"),
        "one field": ("example,pad\na.wav\n", "must be example,pad"),
        "empty": ("example,pad\n", "no examples"),
        "control chars": ("example,pad\na.wav,ki\x01ck\n", "printable"),
    }
    for name, (text, message) in cases.items():
        f = tmp_path / f"{name}.csv"
        f.write_text(text)
        with pytest.raises(teachfile.TeachFileError, match=message) as e:
            teachfile.read_examples(f)
        assert "\n" not in str(e.value), name
    (tmp_path / "bin.csv").write_bytes(b"example,pad\n\xff\xfe,kick\n")
    with pytest.raises(teachfile.TeachFileError, match="UTF-8"):
        teachfile.read_examples(tmp_path / "bin.csv")
    # a time names a sound of the one mapped track: with two folders' one-shots it is an error
    (tmp_path / "t.csv").write_text("example,pad\n1.5,kick\n")
    kit = tmp_path / "kit"
    kit.mkdir()
    for k in range(3):
        sf.write(kit / f"{k}.wav", np.sin(np.arange(4800) * (0.05 + k / 10)).astype(np.float32), 48000)
    r = run_map(kit, "--teach", tmp_path / "t.csv", "--out", tmp_path / "out")
    assert r.returncode != 0 and "a time names a sound of the one mapped track" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr


def test_hostile_pads_in_map_json_are_one_line_errors(tmp_path):
    base = {"format": "livemappr-map", "version": 1, "sample_rate": 48000,
            "snippets": [{"id": 0, "source": "a.wav", "start": 0, "end": 1, "x": 0, "y": 0, "cluster": 0}],
            "clusters": [{"id": 0, "key": "a", "note": 36, "size": 1}]}
    cases = [
        ({"pads": {"id": 0}}, "pads must be a list"),
        ({"pads": [{"id": 0}, {"id": 0}]}, "listed twice"),
        ({"pads": [{"id": 5000}]}, r"pads\[0\].id must be"),
        ({"pads": [{"id": 0, "name": "a\u0007"}]}, "printable"),
        ({"pads": [{"id": 0, "examples": [[1.0, 2.0], [1.0]]}]}, "has 1 values"),
        ({"pads": [{"id": 0, "examples": [[1.0, "x"]]}]}, "finite"),
        ({"pads": [{"id": 0, "examples": [[0.0]] * 33}]}, "at most 32"),
        ({"pads": [{"id": 0, "examples": [[0.0] * 1025]}]}, "1..1024"),
    ]
    for extra, message in cases:
        (tmp_path / "map.json").write_text(json.dumps(dict(base, **extra)))
        with pytest.raises(mapfile.MapFileError, match=message) as e:
            mapfile.read(tmp_path)
        assert "\n" not in str(e.value)
    # a map.json without pads is what it was
    (tmp_path / "map.json").write_text(json.dumps(base))
    assert mapfile.read(tmp_path).pads == ()
