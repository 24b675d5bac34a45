"""The timbre descriptors compute what librosa computes on the same mel spectrogram."""

import librosa
import numpy as np
import pytest

from livemappr.analysis.features import FeatureConfig, FeatureExtractor
from livemappr.analysis.plan import band_centres
from livemappr.analysis.timbre import _mfcc_frames, _shape_frames, dct_matrix, n_timbre

SR = 22050


def _hit(seed=0, n=SR // 2):
    rng = np.random.default_rng(seed)
    t = np.arange(n) / SR
    y = (np.sin(2 * np.pi * 180 * t * np.exp(-t * 8)) * np.exp(-t * 12)
         + 0.3 * rng.normal(size=n) * np.exp(-t * 40))
    return y.astype(np.float32)


@pytest.fixture(scope="module")
def mel_power():
    return librosa.feature.melspectrogram(y=_hit(), sr=SR, n_fft=1024, hop_length=256, n_mels=64,
                                          fmax=SR / 2)


def test_mfcc_frames_match_librosa(mel_power):
    db = librosa.power_to_db(mel_power)
    out = np.empty((20, db.shape[1]))
    _mfcc_frames(np.ascontiguousarray(db, dtype=np.float64), dct_matrix(20, 64), out)
    want = librosa.feature.mfcc(S=db, n_mfcc=20, dct_type=2, norm="ortho")
    np.testing.assert_allclose(out, want, rtol=1e-6, atol=1e-6 * np.abs(want).max())


def test_shape_frames_match_librosa(mel_power):
    cfg = FeatureConfig().mel_config(SR)
    freqs = band_centres(cfg)
    np.testing.assert_allclose(freqs, librosa.mel_frequencies(66, fmin=0, fmax=SR / 2)[1:-1], rtol=1e-9)
    S = np.ascontiguousarray(mel_power, dtype=np.float64)
    out = np.empty((4, S.shape[1]))
    _shape_frames(S, 10 * np.log10(np.maximum(S, 1e-10)), freqs, out)
    kw = dict(S=S, freq=freqs)
    np.testing.assert_allclose(out[0], librosa.feature.spectral_centroid(**kw)[0], rtol=1e-6)
    np.testing.assert_allclose(out[1], librosa.feature.spectral_bandwidth(**kw)[0], rtol=1e-6)
    # librosa squares the magnitude it is given: hand it the power's square root
    np.testing.assert_allclose(out[2], librosa.feature.spectral_flatness(S=np.sqrt(S))[0], rtol=1e-5)
    np.testing.assert_allclose(out[3], librosa.feature.spectral_rolloff(**kw)[0], rtol=1e-6)


def test_the_vector_holds_the_mfcc_statistics_of_its_own_spectrogram():
    y = _hit(1)
    fe = FeatureExtractor(projection=None)
    v = fe.vector(y)
    assert v.shape == (fe.config.n_features,) == (144 + n_timbre(20, 16),)
    S = librosa.feature.melspectrogram(y=y - y.mean(), sr=SR, n_fft=1024, hop_length=256, n_mels=64,
                                       fmax=SR / 2, norm="slaney", htk=False)
    db = librosa.power_to_db(S, top_db=80.0)
    c = librosa.feature.mfcc(S=db - db.max(), n_mfcc=20)
    np.testing.assert_allclose(v[144:164], c.mean(axis=1), rtol=2e-3, atol=0.05)
    np.testing.assert_allclose(v[164:184], c.std(axis=1), rtol=2e-3, atol=0.05)


def test_louder_and_softer_hits_give_the_same_timbre():
    fe = FeatureExtractor(projection=None)
    y = _hit(2)
    a, b = fe.vector(y), fe.vector(y * 0.05)
    np.testing.assert_allclose(a, b, atol=0.02 * np.abs(a).max())


def test_a_bright_sound_has_a_higher_centroid_and_a_noisy_one_is_flatter():
    fe = FeatureExtractor(projection=None)
    t = np.arange(SR // 4) / SR
    low = (np.sin(2 * np.pi * 150 * t) * np.exp(-t * 10)).astype(np.float32)
    noise = (np.random.default_rng(3).normal(size=t.size) * np.exp(-t * 10)).astype(np.float32)
    o = 144 + 60  # the shape block: centroid mean, std, bandwidth..., flatness mean at +4
    vl, vn = fe.vector(low), fe.vector(noise)
    assert vn[o] > vl[o] + 3  # octaves: noise's centroid is far above 150 Hz
    assert vn[o + 4] > vl[o + 4] + 10  # dB: noise is flatter


def test_the_attack_block_sees_what_happens_in_the_first_40_ms():
    fe = FeatureExtractor(projection=None)
    n = SR // 2
    rng = np.random.default_rng(4)
    late = np.zeros(n, np.float32)
    late[int(0.06 * SR):] = rng.normal(size=n - int(0.06 * SR)) * 0.5
    early = late.copy()
    early[:int(0.03 * SR)] = rng.normal(size=int(0.03 * SR))  # a click before the noise
    o = 144 + 68
    assert fe.vector(early)[o:o + 16].mean() > fe.vector(late)[o:o + 16].mean() + 20


def test_without_mfccs_the_vector_is_the_band_block_alone():
    fe = FeatureExtractor(FeatureConfig(n_mfcc=0), projection=None)
    y = _hit(5)
    v = fe.vector(y)
    assert v.shape == (144,) and fe.config.n_features == 144
    np.testing.assert_array_equal(v, FeatureExtractor(projection=None).vector(y)[:144])
