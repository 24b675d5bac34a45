"""Onset and grid slicers: known onsets, gate, chunking independence, real drums."""

import drumkits
import numpy as np
import pytest

from livemappr.analysis.slicer import GridConfig, GridSlicer, OnsetSlicer, SlicerConfig

CHUNKS = [1, 2, 3, 7, 64, 127, 128, 255, 256, 1000, 1023, 4096, 8191, 8193]


def run(slicer, y, chunk, start=0):
    """Feed ``y`` in chunks of ``chunk`` frames (a list: cycled sizes)."""
    sizes = chunk if isinstance(chunk, list) else [chunk]
    out, pos, k = [], 0, 0
    while pos < len(y):
        n = sizes[k % len(sizes)]
        out += slicer.feed(y[pos:pos + n], start + pos)
        pos += n
        k += 1
    return out + slicer.flush()


def clicks(sr, times, n, amp=0.8, noise_db=None, seed=0):
    y = np.zeros(n, np.float32)
    if noise_db is not None:
        y += (np.random.default_rng(seed).standard_normal(n) * 10 ** (noise_db / 20)).astype(np.float32)
    for t in times:
        y[t] += amp
        y[t + 1] -= amp / 2
    return y


def fmeasure(det, gt, tol):
    det = np.sort(np.asarray(det))
    used = np.zeros(len(det), bool)
    tp = 0
    for g in gt:
        cand = [k for k in range(np.searchsorted(det, g - tol), np.searchsorted(det, g + tol, "right"))
                if not used[k]]
        if cand:
            used[min(cand, key=lambda k: abs(det[k] - g))] = True
            tp += 1
    p, r = tp / max(1, len(det)), tp / len(gt)
    return 2 * p * r / max(1e-9, p + r)


@pytest.mark.parametrize("sr", [22050, 48000])
def test_clicks_give_onsets_within_one_hop(sr):
    cfg = SlicerConfig(sample_rate=sr)
    times = [int(sr * t) for t in (0.1, 0.35, 0.52, 1.0013)]
    sn = run(OnsetSlicer(cfg), clicks(sr, times, int(1.5 * sr), noise_db=-80), 4096)
    assert [s.onset for s in sn] == pytest.approx(times, abs=cfg.hop_length)
    pre = round(cfg.pre_roll_seconds * sr)
    assert [s.start for s in sn] == [t - pre for t in (s.onset for s in sn)]
    assert all(a.end <= b.start for a, b in zip(sn, sn[1:]))


def test_silence_and_noise_under_the_gate_give_nothing():
    sr = 48000
    assert run(OnsetSlicer(SlicerConfig(sample_rate=sr)), np.zeros(sr * 2, np.float32), 1000) == []
    noise = clicks(sr, [], 2 * sr, noise_db=-60)
    bursts = noise.copy()
    bursts[sr // 2: sr // 2 + 2000] *= 8  # a -42 dB burst: under a -30 dB gate
    assert run(OnsetSlicer(SlicerConfig(sample_rate=sr, gate_db=-30.0)), bursts, 1000) == []
    assert run(OnsetSlicer(SlicerConfig(sample_rate=sr)), noise, 1000) == []
    # The same burst above the gate is found.
    assert len(run(OnsetSlicer(SlicerConfig(sample_rate=sr, gate_db=-50.0)), bursts, 1000)) == 1


def test_chunking_does_not_change_snippets():
    sr = 22050
    shots = drumkits.one_shots(sr=sr, per_instrument=1, only_single_onset=True)
    seq = drumkits.sequence(shots, 12, sr, seed=3, max_gap_s=0.15)
    y = np.concatenate([seq.audio[: sr], clicks(sr, [300, 4000], sr // 2)])
    cfg = SlicerConfig(sample_rate=sr, max_seconds=0.2)
    whole = run(OnsetSlicer(cfg), y, len(y), start=777)
    assert len(whole) >= 6
    assert {s.ended_by for s in whole} == {"onset", "max_length", "silence"}
    for chunk in CHUNKS + [[5, 1, 300, 2, 4097]]:
        assert run(OnsetSlicer(cfg), y, chunk, start=777) == whole, chunk


def test_grid_slicer_cells_and_chunking():
    y = clicks(48000, [100, 20000, 40000], 50000)
    whole = run(GridSlicer(), y, len(y), start=1000)
    assert [(s.start, s.end) for s in whole] == [(1000, 16384), (16384, 32768), (32768, 49152),
                                                (49152, 51000)]
    for chunk in CHUNKS:
        assert run(GridSlicer(), y, chunk, start=1000) == whole
    gated = run(GridSlicer(GridConfig(length=10000, gate_db=-20.0)), y, 333)
    assert [s.start for s in gated] == [0, 20000, 40000]


def test_gaps_overlaps_and_bad_samples():
    sr = 22050
    sl = OnsetSlicer(SlicerConfig(sample_rate=sr))
    y = clicks(sr, [2000], sr)
    y[2002:] = 0.1 * np.sin(np.arange(sr - 2002) * 0.3)  # held: no silence
    assert sl.feed(y, 0) == []
    cut = sl.feed(y, sr + 500)  # 500 frames were dropped
    assert len(cut) == 1 and cut[0].ended_by == "gap" and cut[0].end == sr and sl.n_gaps == 1
    with pytest.raises(ValueError, match="start_frame must be >= "):
        sl.feed(y, 10)
    bad = clicks(sr, [5000], sr)
    bad[100:110] = np.nan
    bad[7000] = np.inf
    sl2 = OnsetSlicer(SlicerConfig(sample_rate=sr))
    sn = run(sl2, bad, 999)
    assert sl2.n_nonfinite == 11 and [s.onset for s in sn] == pytest.approx([5000], abs=64)
    with pytest.raises(ValueError, match="1-D"):
        sl2.feed(np.zeros((3, 2), np.float32), 0)
    with pytest.raises(ValueError, match="SlicerConfig.delta_db"):
        SlicerConfig(delta_db=-1.0)


def test_snippets_end_by_silence_and_max_length():
    sr = 22050
    y = clicks(sr, [1000, 15000], sr)
    y[15000:] = 0.3  # a held tone: never silent
    y[15000:] *= np.sin(np.arange(sr - 15000) * 0.1).astype(np.float32)
    sn = run(OnsetSlicer(SlicerConfig(sample_rate=sr, max_seconds=0.2)), y, 512)
    assert [s.ended_by for s in sn] == ["silence", "max_length"]
    assert sn[0].end - sn[0].onset < 0.05 * sr
    assert sn[1].end - sn[1].start == round(0.2 * sr)


@pytest.mark.parametrize("sr", [22050, 44100])
def test_real_drum_sequences(sr):
    shots = drumkits.one_shots(sr=sr, per_instrument=2, only_single_onset=True)
    assert len({s.kit for s in shots}) >= 10
    seq = drumkits.sequence(shots, 120, sr, seed=11, gain_db=(-6.0, 0.0))
    cfg = SlicerConfig(sample_rate=sr)
    whole = run(OnsetSlicer(cfg), seq.audio, len(seq.audio))
    assert run(OnsetSlicer(cfg), seq.audio, [4097, 1, 513, 64]) == whole
    assert fmeasure([s.onset for s in whole], seq.onsets, round(0.01 * sr)) >= 0.9
