"""Onset slicer on a voice (issue #15 item 5): mouth noises under the running
level of the hits start no snippet, two-part sounds stay one snippet, drums
keep their onsets. The voice is tests/vocal_take.py's espeak-ng proxy take."""

import numpy as np
import pytest

import tests.drumkits as drumkits
import tests.vocal_take as vocal_take
from livemappr.analysis.slicer import OnsetSlicer, SlicerConfig
from tests.test_slicer import run

pytestmark = pytest.mark.skipif(not vocal_take.have_espeak(), reason="espeak-ng not installed")


def matched(det, gt, tol):
    """Number of ``gt`` times with a detection within ``tol`` (one-to-one)."""
    det = np.sort(np.asarray(det))
    used = np.zeros(len(det), bool)
    tp = 0
    for g in gt:
        free = [k for k in range(np.searchsorted(det, g - tol), np.searchsorted(det, g + tol, "right"))
                if not used[k]]
        if free:
            used[min(free, key=lambda k: abs(det[k] - g))] = True
            tp += 1
    return tp


def prf(det, gt, tol):
    tp = matched(det, gt, tol)
    p, r = tp / max(1, len(det)), tp / max(1, len(gt))
    return p, r, 2 * p * r / max(1e-12, p + r)


@pytest.fixture(scope="module", params=[(48000, 0), (22050, 1)], ids=["48k", "22k"])
def voice(request):
    sr, seed = request.param
    tk = vocal_take.take(sr=sr, n_hits=60, seed=seed)
    sl = OnsetSlicer(SlicerConfig(sample_rate=sr))
    return tk, sl, run(sl, tk.audio, len(tk.audio))


def test_voice_gives_one_snippet_per_hit(voice):
    tk, sl, sn = voice
    assert len(tk.noises) >= 30 and tk.two_part.sum() >= 8  # the take is what it says
    onsets = [s.onset for s in sn]
    assert len(sn) <= 1.1 * len(tk.hits), (len(sn), len(tk.hits))
    assert matched(onsets, tk.hits, round(0.03 * tk.sr)) >= 0.95 * len(tk.hits)


def test_quiet_mouth_noises_are_not_snippets(voice):
    tk, sl, sn = voice
    onsets = np.array([s.onset for s in sn])
    tol = round(0.03 * tk.sr)
    noisy = [n for n in tk.noises if np.any(np.abs(onsets - n) <= tol)]
    assert len(noisy) <= 0.05 * len(tk.noises), (len(noisy), len(tk.noises))
    assert sl.n_quiet >= 0.8 * len(tk.noises)
    # A hit's snippet ends no later than the next noise: breaths are not in it.
    for s in sn:
        later = tk.noises[tk.noises > s.onset + tol]
        if later.size:
            assert s.end <= later[0] + tol


def test_two_part_sounds_stay_one_snippet(voice):
    tk, sl, sn = voice
    onsets = np.array([s.onset for s in sn])
    tol = round(0.015 * tk.sr)
    for hit, second, end in zip(tk.hits[tk.two_part], tk.second[tk.two_part],
                                tk.hit_ends[tk.two_part]):
        inside = onsets[(onsets > hit + tol) & (onsets < end)]
        assert inside.size == 0, (hit, second, inside)
        own = [s for s in sn if abs(s.onset - hit) <= 2 * tol]
        assert len(own) == 1 and own[0].end >= second + tol, (hit, second, own)
    assert sl.n_merged > 0  # (some fricatives raise no onset of their own)


def test_voice_chunking_does_not_change_snippets():
    sr = 22050
    tk = vocal_take.take(sr=sr, n_hits=16, seed=5)
    cfg = SlicerConfig(sample_rate=sr)
    ref = OnsetSlicer(cfg)
    whole = run(ref, tk.audio, len(tk.audio), start=333)
    assert ref.n_quiet >= 5 and ref.n_merged >= 1
    for chunk in [1000, 4096, 8193, [1, 7, 300, 64, 4097, 2, 255]]:
        sl = OnsetSlicer(cfg)
        assert run(sl, tk.audio, chunk, start=333) == whole, chunk
        assert (sl.n_quiet, sl.n_merged) == (ref.n_quiet, ref.n_merged)


def test_running_level_follows_the_performer_and_starts_ungated():
    sr = 22050
    # 30 dB softer over the take, hits 0.4 s apart: the gate must follow.
    tk = vocal_take.take(sr=sr, n_hits=40, seed=2, drift_db=0.0, noise_per_gap=0.0)
    y = tk.audio * np.logspace(0, -30 / 20, tk.audio.size).astype(np.float32)
    sn = run(OnsetSlicer(SlicerConfig(sample_rate=sr)), y, 4096)
    assert matched([s.onset for s in sn], tk.hits, round(0.03 * sr)) >= 0.95 * len(tk.hits)
    # The first onset has no running level: a soft one is a hit. So is the
    # first one after flush (a new performance), however loud the last was.
    shot = vocal_take.phoneme("k", sr)
    y = np.zeros(2 * sr, np.float32)
    y[1000:1000 + shot.size] += 0.03 * shot
    y[sr:sr + shot.size] += 0.8 * shot
    y[sr + 8000:sr + 8000 + shot.size] += 0.03 * shot
    sl = OnsetSlicer(SlicerConfig(sample_rate=sr))
    first = run(sl, y, 4096)
    assert len(first) == 2 and sl.n_quiet == 1
    assert len(run(sl, y[sr + 4000:], 4096)) == 1
    assert len(run(OnsetSlicer(SlicerConfig(sample_rate=sr, quiet_gate=False)), y, 4096)) == 3


def test_voice_config_is_validated():
    with pytest.raises(ValueError, match=r"SlicerConfig.quiet_db must be in 0.0..100.0, got -1"):
        SlicerConfig(quiet_db=-1)
    with pytest.raises(ValueError, match="SlicerConfig.quiet_gate must be True or False, got 'yes'"):
        SlicerConfig(quiet_gate="yes")
    with pytest.raises(ValueError, match="SlicerConfig.merge_seconds must be in 0.0..1.0"):
        SlicerConfig(merge_seconds=2.0)


@pytest.mark.parametrize("ghosts", [0.0, 0.1])
def test_drums_keep_their_onsets(ghosts):
    """Onset F >= 0.95 (30 ms) on hydrogen drums. Ghost notes are 12 dB soft
    real notes, which a 10 dB gate takes for noise: a drum input sets a wider
    one (quiet_db=16, measured in benchmarks/bench_slicer.py)."""
    sr = 44100
    shots = drumkits.one_shots(sr=sr, per_instrument=3, only_single_onset=True)
    seq = drumkits.sequence(shots, 240, sr, seed=21, gain_db=(-6.0, 0.0), ghost_fraction=ghosts)
    cfg = SlicerConfig(sample_rate=sr, quiet_db=16.0 if ghosts else 10.0)
    sn = run(OnsetSlicer(cfg), seq.audio, len(seq.audio))
    p, r, f = prf([s.onset for s in sn], seq.onsets, round(0.03 * sr))
    assert f >= 0.95, (p, r, f)
