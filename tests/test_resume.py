"""A session directory brings everything back: audio, snippets, cluster ids."""

import json
import time

import numpy as np
import pytest
import soundfile

from livemappr.session import journal

from livemappr.files import mapfile
from livemappr.audio.config import EngineConfig
from livemappr.session.session import Session, SessionConfig
from tests import drumkits

SR = 48000


def run_session(directory, mic_path, statuses=None, **engine):
    """A live session without a sound card on ``mic_path`` (or no input), until all is mapped."""
    s = Session(EngineConfig(samplerate=SR, blocksize=256, **engine),
                SessionConfig(directory=str(directory), input=str(mic_path) if mic_path else None, device="none",
                              osc_port=0, midi=False, clusters=6, speed=0, web_port=0), log=lambda m: None)
    s.start()
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if (not s.engine.input_active and s.analysis.reader.available() == 0 and s.analysis.snippets.empty()
                    and s.mapper.stats["added"] == s.analysis.stats["snippets"]):
                break
            time.sleep(0.05)
        time.sleep(0.3)
        status = s.status()
        assert status["missed_frames"] == 0 and status["backpressure"] >= 0  # the stream waited for its readers
        if statuses is not None:
            statuses.append(status)
        s.write_map()
    finally:
        s.stop()
    return mapfile.read(directory)


@pytest.fixture(scope="module")
def takes(tmp_path_factory):
    shots = drumkits.one_shots(sr=SR, per_instrument=1, max_seconds=0.4)
    if not shots:
        pytest.skip("Debian hydrogen-drumkits is not installed on this platform")
    d = tmp_path_factory.mktemp("takes")
    paths = []
    for seed in (1, 2):
        seq = drumkits.sequence(shots, 30, SR, seed=seed, min_gap_s=0.15, max_gap_s=0.3)
        p = d / f"take{seed}.wav"
        soundfile.write(p, seq.audio, SR, subtype="FLOAT")
        paths.append(p)
    return paths


def test_second_run_resumes_every_snippet_with_its_cluster_and_goes_on(tmp_path, takes):
    first = run_session(tmp_path, takes[0])
    assert len(first.snippets) >= 25
    # Right after resuming, every snippet is back with its cluster id.
    from livemappr.audio.engine import Engine
    from livemappr.mapping.livemap import LiveMap
    from livemappr.session.resume import resume

    live = LiveMap(n_clusters=6, random_state=0)
    items = resume(tmp_path, Engine(EngineConfig(samplerate=SR, bank_seconds=60, bank_slots=512)), live, 0,
                   log=lambda m: None)
    ids = dict(zip((it.id for it in items), np.asarray(live.snapshot.cluster_ids).tolist()))
    assert ids == {s.id: s.cluster for s in first.snippets}
    second = run_session(tmp_path, takes[1])
    by_id = {s.id: s for s in second.snippets}
    # The old snippets are all there, in their place. (New sounds may split
    # clusters; how many ids that moves is the map's churn, benchmarked in
    # benchmarks/bench_map.py, not resume's business.)
    assert all((by_id[s.id].start, by_id[s.id].end) == (s.start, s.end) for s in first.snippets)
    new = [s for s in second.snippets if s.id not in {o.id for o in first.snippets}]
    assert len(new) >= 25
    first_file_end = max(s.end for s in first.snippets)
    assert all(s.start >= first_file_end - 0.01 for s in new)  # the second take follows in the file
    audio, _ = journal.load(tmp_path)
    take2, _ = soundfile.read(takes[1], dtype="float32")
    assert audio.shape[0] >= take2.shape[0] + int(first_file_end * SR)


def test_snippets_the_map_had_not_written_yet_are_cut_again_from_the_journal(tmp_path, takes):
    first = run_session(tmp_path, takes[0])
    # As after kill -9: map.json one write behind the journal (its last 5 snippets missing).
    doc = json.loads((tmp_path / "map.json").read_text())
    doc["snippets"] = sorted(doc["snippets"], key=lambda s: s["id"])[:-5]
    (tmp_path / "map.json").write_text(json.dumps(doc))
    from livemappr.audio.engine import Engine
    from livemappr.mapping.livemap import LiveMap
    from livemappr.session.resume import resume

    e = Engine(EngineConfig(samplerate=SR, bank_seconds=60, bank_slots=512))
    items = resume(tmp_path, e, LiveMap(n_clusters=6, random_state=0), file_offset=0, log=lambda m: None)
    got = np.array([(it.start, it.end) for it in items])
    want = np.array([(round(s.start * SR), round(s.end * SR)) for s in sorted(first.snippets, key=lambda s: s.id)])
    # The five unwritten ones came back from the journal where they were (a
    # slicer started at the tail sees the same onsets, its end frames may sit a
    # hop (256 frames) apart).
    assert got.shape == want.shape
    np.testing.assert_array_equal(got[:-5], want[:-5])
    assert np.abs(got[-5:] - want[-5:]).max() <= 256
    captured = journal.load(tmp_path)[0]
    for it in items[-5:]:  # in the bank to within half a step of its 16 bits
        want = captured[it.start:it.end, 0]
        half_step = np.abs(want).max() / 32767 / 2
        np.testing.assert_allclose(e.bank.samples(it.slot), want, rtol=0, atol=half_step * 1.01)


def test_a_full_bank_keeps_mapping_and_says_how_many_sounds_are_silent(tmp_path, takes):
    statuses = []
    m = run_session(tmp_path, takes[0], statuses, bank_seconds=1.0)
    silent = statuses[0]["bank_full"]
    # 30 hits of up to 0.4 s do not fit in 1 s: the rest are mapped, journalled, silent
    assert silent > 0 and len(m.snippets) >= 25
    assert len(m.snippets) - silent >= 2  # the first sounds did fit


def test_a_session_takes_the_map_memory_for_as_many_sounds_as_the_bank_has_slots(tmp_path, takes):
    run_session(tmp_path, takes[0], [])  # a session to resume: its map is reserved past its snippets
    s = Session(EngineConfig(samplerate=SR, blocksize=256, bank_slots=3000),
                SessionConfig(directory=str(tmp_path), device="none", osc_port=0, midi=False, web_port=0),
                log=lambda m: None)
    s.start()
    try:
        assert len(s.mapper.items) > 0
        tsne = s.mapper.map.tsne
        assert s.mapper.items.capacity == 3000 and tsne._Y.shape[0] == 3000
        assert tsne.index_._data.shape[0] == 3000 and tsne.affinities_._idx.shape[0] == 3000
    finally:
        s.stop()


def test_a_session_on_glibc_trims_freed_memory_every_10_s(tmp_path):
    import platform

    if platform.libc_ver()[0] != "glibc":
        pytest.skip("malloc_trim is glibc's; this C library has none")
    s = Session(EngineConfig(samplerate=SR, blocksize=256),
                SessionConfig(directory=str(tmp_path), device="none", osc_port=0, midi=False, web_port=0),
                log=lambda m: None)
    s.start()
    try:
        trims = [part for name, part in s.parts if name == "memory trim"]
        assert len(trims) == 1 and trims[0].seconds == 10.0
        assert trims[0].fn() in (0, 1)  # glibc: 1 if memory was given back
    finally:
        s.stop()


_MAPPED_BLOCKS = """
import ctypes, sys
import numpy as np

class MallInfo2(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in
                ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")]

libc = ctypes.CDLL(None)
libc.mallinfo2.restype = MallInfo2
if sys.argv[1] == "session":
    from livemappr.session.session import _hold_less_freed_memory
    _hold_less_freed_memory()
big = np.ones(8 << 20, np.uint8)
del big  # glibc's own threshold rises to 8 MB here
before = libc.mallinfo2().hblks
temporary = np.ones(1 << 20, np.uint8)  # a map step's temporary
print(libc.mallinfo2().hblks - before)
"""


def test_a_session_maps_large_temporaries_for_themselves_so_they_go_back_when_freed():
    import ctypes
    import platform
    import subprocess
    import sys

    if platform.libc_ver()[0] != "glibc" or not hasattr(ctypes.CDLL(None), "mallinfo2"):
        pytest.skip("mallopt/mallinfo2 are glibc's (2.33 and later)")

    def mapped(how):  # a process of its own: mallopt is for the whole process
        out = subprocess.run([sys.executable, "-c", _MAPPED_BLOCKS, how], capture_output=True, text=True,
                             check=True)
        return int(out.stdout)

    # glibc alone cuts the 1 MB from its heap (where it stays when freed); in a session it is mapped
    assert (mapped("default"), mapped("session")) == (0, 1)


def test_a_failing_periodic_part_is_told_once_and_keeps_being_called():
    from livemappr.session.session import _Every

    calls, told = [], []

    def flaky():
        calls.append(time.monotonic())
        if len(calls) <= 3:
            raise ValueError("snippet 7: times and position must be finite")

    every = _Every(0.01, flaky, "livemappr-map-writer", told.append)
    deadline = time.monotonic() + 10
    while len(calls) < 6 and time.monotonic() < deadline:
        time.sleep(0.01)
    every.stop()
    assert len(calls) >= 6  # it went on after the failures
    assert told == ["map-writer failed (ValueError: snippet 7: times and position must be finite); trying again"]
