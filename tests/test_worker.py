"""The analysis worker: ring -> slicer -> features -> bank -> queue."""

import queue

import numpy as np
import pytest

from livemappr.analysis.slicer import OnsetSlicer, SlicerConfig
from livemappr.analysis.worker import AnalysisWorker
from livemappr.audio.config import EngineConfig
from livemappr.audio.engine import Engine
from livemappr.audio.offline import render
from tests import drumkits

SR = 48000


@pytest.fixture(scope="module")
def drum_sequence():
    shots = drumkits.one_shots(sr=SR, per_instrument=2, max_seconds=0.6)
    if not shots:
        pytest.skip("Debian hydrogen-drumkits is not installed on this platform")
    kits = sorted({s.kit for s in shots})
    assert len(kits) >= 3
    return drumkits.sequence(shots, 60, SR, seed=11)


def drain(worker):
    out = []
    while True:
        try:
            out.append(worker.snippets.get_nowait())
        except queue.Empty:
            return out


def feed_live(engine, worker, audio, block=4096, step_every=3):
    """Render the audio as the mic, block by block, letting the worker read
    every few blocks as its thread would."""
    got = []
    for k, pos in enumerate(range(0, audio.shape[0], block)):
        render(engine, input=audio[pos:pos + block], blocksize=128)
        if k % step_every == 0:
            worker.step()
            got += drain(worker)
    return got


def test_live_snippets_through_the_ring_equal_the_file_sliced_offline(drum_sequence):
    seq = drum_sequence
    e = Engine(EngineConfig(ring_seconds=30, bank_seconds=60, bank_slots=1024))
    w = AnalysisWorker(e, start_frame=0)
    got = feed_live(e, w, seq.audio)
    w.stop()
    got += drain(w)
    offline = OnsetSlicer(SlicerConfig(sample_rate=SR))
    expected = offline.feed(seq.audio, 0) + offline.flush()
    assert [(s.start, s.end, s.onset) for s in got] == [(s.start, s.end, s.onset) for s in expected]
    assert [s.id for s in got] == list(range(len(got)))
    # The hits were found (the slicer's own accuracy is benchmarked in bench_slicer).
    found = np.array([s.onset for s in got])
    matched = sum(np.min(np.abs(found - t)) <= 0.01 * SR for t in seq.onsets)
    assert matched >= 0.9 * len(seq.onsets)
    # Each snippet's audio is in the bank as captured, to within half a step of
    # its 16 bits (scaled to the snippet's own peak).
    for s in got[:20]:
        captured = seq.audio[s.start:s.end]
        half_step = np.abs(captured).max() / 32767 / 2
        np.testing.assert_allclose(e.bank.samples(s.slot), captured, rtol=0, atol=half_step * 1.01)
        assert s.vector.shape == (w.extractor.n_features,) and np.isfinite(s.vector).all()
    assert w.stats["snippets"] == len(got) and w.stats["errors"] == 0 and w.stats["missed_frames"] == 0


def test_backpressure_is_counted_and_nothing_is_lost(drum_sequence):
    e = Engine(EngineConfig(ring_seconds=30, bank_seconds=60, bank_slots=1024))
    w = AnalysisWorker(e, start_frame=0, queue_size=4)
    render(e, input=drum_sequence.audio[:SR * 4])
    import threading

    t = threading.Thread(target=w.step)
    t.start()
    t.join(timeout=0.5)
    assert t.is_alive()  # waiting for the map worker
    got = []
    while t.is_alive() or not w.snippets.empty():
        try:
            got.append(w.snippets.get(timeout=0.2))
        except queue.Empty:
            pass
    assert w.stats["backpressure"] >= 1
    assert [s.id for s in got] == list(range(len(got))) and len(got) > 4


def test_falling_a_ring_behind_is_counted_and_analysis_goes_on():
    e = Engine(EngineConfig(ring_seconds=1, bank_seconds=10, bank_slots=64))
    told = []
    w = AnalysisWorker(e, start_frame=0, on_error=told.append)
    noise = (np.random.default_rng(0).standard_normal(SR * 3) * 0.2).astype(np.float32)
    render(e, input=noise)  # 3 s into a ring of ~1.4 s before the worker reads
    w.step()
    assert w.stats["missed_frames"] > SR
    assert told and "analysis fell behind" in told[0]
    render(e, input=noise[:SR])
    assert w.step() == SR


def test_nan_inf_and_silence_never_stop_the_worker():
    e = Engine(EngineConfig(ring_seconds=8, bank_seconds=10, bank_slots=64))
    w = AnalysisWorker(e, start_frame=0)
    bad = np.zeros(SR * 2, np.float32)
    bad[SR // 2:SR // 2 + 2000] = np.random.default_rng(1).standard_normal(2000).astype(np.float32)
    bad[SR // 2 + 100] = np.nan
    bad[SR // 2 + 200] = np.inf
    bad[SR + 1000:SR + 1200] = 1.0  # clipped DC burst
    render(e, input=bad)
    w.step()
    w.stop()
    items = drain(w)
    assert all(np.isfinite(s.vector).all() for s in items)
    assert w.stats["errors"] == 0


def test_slicer_rate_must_match_the_engine():
    e = Engine(EngineConfig(samplerate=48000, ring_seconds=1, bank_seconds=1, bank_slots=4))
    with pytest.raises(ValueError, match="slicer sample_rate must be the engine's \\(48000\\), got 44100"):
        AnalysisWorker(e, slicer_config=SlicerConfig(sample_rate=44100))
