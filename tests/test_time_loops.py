"""The audio looper through the surfaces: OSC datagrams in, bar-quantised frames,
sample-exact loops, overdub and undo, no drift against the tempo grid, WAV export,
bad values counted while the engine plays on."""

import numpy as np
import pytest
import soundfile

from livemappr.audio.config import EngineConfig
from livemappr.control.playable import SnapshotRef
from livemappr.audio.engine import Engine
from livemappr.audio.offline import render
from tests.transport_rig import TransportRig

SR = 48000


class Rig(TransportRig):
    """An engine with a looper, rendered offline with ``mic`` as its input."""

    def __init__(self, tmp_path, bpm=120.0, loop_seconds=5.0):
        e = Engine(EngineConfig(ring_seconds=1, bank_seconds=1, bank_slots=8, loop_seconds=loop_seconds))
        super().__init__(e, SnapshotRef(), tmp_path, bpm=bpm)
        self.mic = None

    def run_to(self, frame, blocksize=128):
        return render(self.e, frame - self.e.frame, input=self.mic[self.e.frame:frame], blocksize=blocksize)[:, 0]


@pytest.fixture
def rig(tmp_path):
    r = Rig(tmp_path)
    yield r
    r.close()


def noise(n, seed):
    return (np.random.default_rng(seed).standard_normal(n) * 0.1).astype(np.float32)


def test_two_bar_loop_from_osc_is_whole_bars_and_repeats_sample_exact(rig):
    bar = 2 * SR  # 120 BPM, 4/4
    rig.mic = noise(60 * SR, 1)
    rig.run_to(1000)
    rig.send("/livemappr/clock/run", 1)
    rig.run_to(5000)
    rig.send("/livemappr/loop/0/record", 1)  # lands on the next bar line
    start = rig.tr.tempo.frame_at(4)
    rig.run_to(start + bar + bar // 2)
    assert rig.e.loops()["tracks"][0]["state"] == "recording"
    rig.send("/livemappr/loop/0/record", 0.0)  # floats from TouchOSC; closes on the next bar line
    L = 2 * bar
    out = rig.run_to(start + L + 3 * L)
    assert rig.e.loops()["length"] == L and rig.e.loops()["origin"] == start
    np.testing.assert_array_equal(out[-3 * L:], np.tile(rig.mic[start:start + L], 3))
    assert rig.tr.tempo.source == "loop" and rig.tr.tempo.bpm == 120.0
    assert rig.osc.errors.counts() == {}

    # overdub one loop from the next bar line: the layer sums, undo takes it back
    old = rig.e.loop_audio(0)
    rig.send("/livemappr/loop/0/overdub", 1)
    f0 = rig.tr.tempo.next_bar(rig.e.frame + 1)
    rig.run_to(f0 + L - bar // 2)
    rig.send("/livemappr/loop/0/overdub", 0)
    rig.run_to(f0 + L + bar)
    pos = (np.arange(f0, f0 + L) - start) % L
    want = old.copy()
    want[pos] += rig.mic[f0:f0 + L]
    np.testing.assert_allclose(rig.e.loop_audio(0), want, rtol=0, atol=1e-6)
    rig.send("/livemappr/loop/0/undo")
    rig.run_to(rig.tr.tempo.next_bar(rig.e.frame + 1) + 10)
    np.testing.assert_array_equal(rig.e.loop_audio(0), old)
    # mute on the bar line, then export to the session directory
    rig.send("/livemappr/loop/0/mute", 1)
    b = rig.tr.tempo.next_bar(rig.e.frame + 1)
    out = rig.run_to(b + 2000)
    assert not out[-100:].any()
    rig.send("/livemappr/export")
    data, sr = soundfile.read(str(rig.tr.export_dir / "loop_0.wav"), dtype="float32")
    assert sr == SR and np.array_equal(data, old)
    assert rig.tr.loops.states()[0] == "muted"


def test_loop_bars_closes_the_first_loop_by_itself_and_the_pedal_cycles(rig):
    rig.mic = noise(20 * SR, 2)
    rig.run_to(1000)
    rig.send("/livemappr/loop/bars", 1)
    rig.send("/livemappr/loop/1/pedal")  # no tempo yet: records from the steady latency
    assert rig.e.loops()["length"] == 0
    # without a running tempo a bar count cannot close it: the pedal does
    rig.run_to(40000)
    rig.send("/livemappr/loop/1/pedal")
    rig.run_to(60000)
    d = rig.e.loops()
    assert d["tracks"][1]["state"] == "playing" and d["length"] == pytest.approx(39000, abs=300)
    rig.send("/livemappr/loop/1/pedal")
    assert rig.tr.loops.states()[1] == "overdubbing"


@pytest.mark.parametrize("bpm", [123.4, 97.0])
def test_no_drift_between_tempo_grid_and_loop_after_ten_minutes(tmp_path, bpm):
    rig = Rig(tmp_path, bpm=bpm)
    try:
        rig.run_to_mic = None
        ten = 10 * 60 * SR
        rig.mic = np.zeros(ten + 10 * SR, np.float32)
        rig.run_to(1000)
        rig.send("/livemappr/clock/run", 1)
        rig.send("/livemappr/loop/bars", 2)
        rig.run_to(3000)
        rig.send("/livemappr/loop/0/record", 1)
        t = rig.tr.tempo
        start = t.frame_at(4)
        naive = [round(start + k * 8 * 60 * SR / bpm) for k in range(200)]  # the grid before the lock
        rig.mic[start] = 0.5  # a click on the loop's downbeat
        rig.run_to(start + 10)
        out = rig.run_to(start + ten, blocksize=4096)
        L = rig.e.loops()["length"]
        clicks = np.flatnonzero(out) + start + 10
        bars = [t.frame_at(t.beat_at(start) + 8 * k) for k in range(1, len(clicks) + 1)]
        assert len(clicks) == (ten - 10) // L
        np.testing.assert_array_equal(clicks, bars)  # every loop boundary is a grid bar line, 10 minutes on
        np.testing.assert_array_equal(clicks, start + L * np.arange(1, len(clicks) + 1))
        # the unlocked grid would have parted from the loop by whole frames
        assert max(abs(n - (start + k * L)) for k, n in enumerate(naive)) >= 1
        assert abs(t.bpm - bpm) < 0.01
    finally:
        rig.close()


def test_bad_osc_values_are_counted_per_kind_and_the_loop_plays_on(rig):
    rig.mic = noise(20 * SR, 3)
    rig.run_to(1000)
    rig.send("/livemappr/loop/0/record", 1)
    rig.run_to(30000)
    rig.send("/livemappr/loop/0/record", 0)
    rig.run_to(60000)
    loop = rig.e.loop_audio(0)
    assert loop.size > 0
    for path, args in [("/livemappr/tempo", (1000.0,)), ("/livemappr/tempo", (0.0,)),
                       ("/livemappr/quantize", (3.5,)), ("/livemappr/quantize", ("1/7",)),
                       ("/livemappr/swing", ()), ("/livemappr/swing", (90.0,)),
                       ("/livemappr/loop/9/record", (1,)), ("/livemappr/loop/0/record", (1, "tape")),
                       ("/livemappr/loop/0/overdub", (1, 2.0)), ("/livemappr/loop/0/gain", (float("nan"),)),
                       ("/livemappr/pattern/store", ("notes",)), ("/livemappr/pattern/select", (500,)),
                       ("/livemappr/pattern/bars", (0,)), ("/livemappr/loop/bars", (-1,))]:
        rig.send(path, *args)
    counts = rig.osc.errors.counts()
    assert counts == {"out_of_range": 12, "wrong_argument_count": 1, "wrong_argument_type": 1}, counts
    assert rig.tr.tempo.bpm == 120.0 and rig.tr.quantizer.division == 0
    first = rig.osc.errors.first_messages()["out_of_range"]
    assert "1000" in first and "400" in first  # names the value and the range
    out = rig.run_to(60000 + 3 * loop.size)
    L, origin = rig.e.loops()["length"], rig.e.loops()["origin"]
    pos = (np.arange(60000, 60000 + 3 * L) - origin) % L
    np.testing.assert_array_equal(out, loop[pos])
