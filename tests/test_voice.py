"""Playing by voice, without a sound card: the fast onset detector and the
decision (analysis/ampslice.py, analysis/voice.py)."""

import numpy as np
import pytest

from livemappr.analysis.ampslice import AmpSliceConfig, AmpSlicer
from livemappr.analysis.attack import attack_extractor, attack_frames
from livemappr.analysis.teach import PadExamples
from livemappr.analysis.voice import VoiceTrigger
from tests import vocal_take

SR = 48000


def bursts(at, levels, sr=SR, seconds=3.0, seed=0):
    """Decaying noise bursts starting exactly at ``at`` (frames), at ``levels`` (peak)."""
    rng = np.random.default_rng(seed)
    y = np.zeros(int(seconds * sr), np.float32)
    for a, level in zip(at, levels):
        n = int(0.08 * sr)
        y[a:a + n] += (level * rng.uniform(-1, 1, n) * np.exp(-np.arange(n) / (0.02 * sr))).astype(np.float32)
    return y


def test_onsets_are_found_within_a_millisecond_whatever_the_chunking():
    at = [4800, 30000, 52000, 90000]
    y = bursts(at, [0.5, 0.2, 0.05, 0.5])
    whole = AmpSlicer().feed(y, 0)
    assert len(whole) == 4
    assert np.all((whole >= at) & (whole <= np.array(at) + 0.001 * SR)), whole
    for size in (1, 64, 65, 128, 8193):
        s = AmpSlicer()
        got = np.concatenate([s.feed(y[a:a + size], a) for a in range(0, y.size, size)])
        np.testing.assert_array_equal(got, whole)


def test_the_detector_ignores_what_is_under_its_gate_and_refuses_bad_settings():
    y = bursts([4800, 30000], [0.002, 0.5])  # -54 dBFS: under the -45 dB gate
    assert AmpSlicer().feed(y, 0).tolist() == [pytest.approx(30000, abs=48)]
    y[40000:40010] = np.nan  # silence, not a crash
    AmpSlicer().feed(y, 0)
    with pytest.raises(ValueError, match="before the previous one ended"):
        s = AmpSlicer()
        s.feed(y[:100], 0)
        s.feed(y[:100], 50)
    for bad in ({"on_db": 3.0, "off_db": 4.0}, {"gate_db": 5.0}, {"slow_s": 0.0}, {"sample_rate": 10}):
        with pytest.raises(ValueError):
            AmpSliceConfig(**bad)


@pytest.mark.skipif(not vocal_take.have_espeak(), reason="espeak-ng (make test-deps) is not installed")
def test_a_voice_plays_its_taught_pad_and_mouth_noises_play_nothing():
    fe = attack_extractor()
    w = attack_frames(SR)
    pads = PadExamples(16, like_no_pad=fe.projection.info.get("like_no_pad"))
    for kind, pad in (("k", 2), ("t", 5)):
        x = vocal_take.phoneme(kind, SR)
        on = vocal_take.attack_index(x)
        for gain in (0.3, 0.5, 0.7, 0.9):
            pads.teach(pad, fe.vector(np.ascontiguousarray(x[on:on + w] * gain), SR))
    take = vocal_take.take(sr=SR, n_hits=40, seed=1, two_part_fraction=0.0)
    played = []
    v = VoiceTrigger(SR, lambda pad, vel, onset: played.append((onset, pad, vel)))
    v.pads = lambda: pads
    v.feed(take.audio[:SR].astype(np.float32), 0)
    assert played == [] and v.stats["onsets"] == 0  # off until enabled
    v.enabled = True
    y = take.audio.astype(np.float32)
    for a in range(SR, y.size, 128):
        v.feed(y[a:a + 128], a)
    hits = {int(h): name for h, name in zip(take.hits, take.names) if h >= SR + 0.05 * SR}
    want = {h: {"k": 2, "t": 5}.get(name, -1) for h, name in hits.items()}
    got = {}
    for onset, pad, vel in played:
        near = min(hits, key=lambda h: abs(h - onset))
        assert abs(near - onset) < 0.01 * SR, "a sound played where no hit is (a mouth noise?)"
        got[near] = pad
        assert 0.2 <= vel <= 1.0
    taught = [h for h in hits if want[h] >= 0]
    assert np.mean([got.get(h) == want[h] for h in taught]) >= 0.85
    assert v.stats["quiet"] >= 10  # the take's mouth noises, 12-20 dB under the hits
