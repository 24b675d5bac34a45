"""Mel spectrogram, dB and FFT kernels against librosa and numpy.

Relative error, as used here and by benchmarks/bench_features.py: for a
reference power spectrogram R (librosa fed the same samples as float64, so its
own rounding does not count against us) and ours S,

    rel = max |S - R| / (R + 1e-10 * max(R))

i.e. relative to each entry, except that entries more than 100 dB under the
spectrogram's peak are compared against that floor. dB outputs are compared in
dB: |dB - dB_ref| <= 10 log10(1 + 1e-4) = 4.34e-4 dB is 1e-4 relative in power.
"""

import subprocess
import sys

import librosa
import numpy as np
import pytest

from livemappr.analysis import fft
from livemappr.analysis.melbank import (
    DbConfig,
    MelConfig,
    _mel_power_into,
    mel_filterbank,
    mel_plan,
    melspectrogram,
    melspectrogram_db,
    power_to_db,
    workspace,
)

# Both FFTs the kernels can run (pocketfft only where rocket-fft is installed).
FFTS = [fft.NUMBA_FFT] + ([fft.POCKETFFT] if fft.DEFAULT_FFT is fft.POCKETFFT else [])

REL_TOL = 1e-4
DB_TOL = 10 * np.log10(1 + REL_TOL)

CONFIGS = [
    MelConfig(),
    MelConfig(sample_rate=44100, n_fft=2048, hop_length=512, n_mels=128, fmin=30.0,
              fmax=16000.0, htk=True, norm=None, power=1.0),
    MelConfig(sample_rate=16000, n_fft=512, hop_length=160, n_mels=40, window="hamming",
              center=False),
    MelConfig(sample_rate=48000, n_fft=256, hop_length=100, n_mels=20, win_length=200,
              power=1.5),
    MelConfig(sample_rate=22050, n_fft=4096, hop_length=1024, n_mels=96, window="blackman",
              fmin=100.0, fmax=8000.0),
]


def rel_err(s, r):
    return float(np.max(np.abs(s - r) / (r + 1e-10 * r.max())))


def signal(sr, n, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(n) / sr
    y = 0.05 * rng.standard_normal(n) + 0.3 * np.sin(2 * np.pi * 440 * t)
    y += 0.2 * np.sin(2 * np.pi * 3000 * t) * np.exp(-5 * t)
    y[n // 3] += 0.9
    return y.astype(np.float32)


def librosa_mel(y, c: MelConfig):
    return librosa.feature.melspectrogram(
        y=y.astype(np.float64), sr=c.sample_rate, n_fft=c.n_fft, hop_length=c.hop_length,
        win_length=c.win_length, window=c.window, center=c.center, power=c.power,
        n_mels=c.n_mels, fmin=c.fmin, fmax=c.fmax, htk=c.htk, norm=c.norm, dtype=np.float64)


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: f"sr{c.sample_rate}-n{c.n_fft}")
@pytest.mark.parametrize("n", [12345, 4097, 300])
@pytest.mark.filterwarnings("ignore:n_fft=.*too large")
def test_melspectrogram_matches_librosa(config, n):
    if not config.center and n < config.n_fft:
        n = config.n_fft + 1
    y = signal(config.sample_rate, n)
    ours = melspectrogram(y, config)
    ref = librosa_mel(y, config)
    assert ours.shape == ref.shape
    assert rel_err(ours, ref) <= REL_TOL


@pytest.mark.parametrize("marker", FFTS, ids=lambda m: str(m.dtype))
@pytest.mark.parametrize("config", CONFIGS[:4], ids=lambda c: f"sr{c.sample_rate}-n{c.n_fft}")
def test_each_fft_backend_matches_librosa(config, marker):
    y = signal(config.sample_rate, 20000, seed=5)
    plan = mel_plan(config)
    n_frames = melspectrogram(y, config).shape[1]
    out = np.empty((config.n_mels, n_frames))
    origin = -(config.n_fft // 2) if config.center else 0
    _mel_power_into(y, origin, 0, n_frames, config.hop_length, *plan.kernel_args,
                    float(config.power), out, 0, workspace(plan.work_size), marker)
    assert rel_err(out, librosa_mel(y, config)) <= REL_TOL


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: f"sr{c.sample_rate}-n{c.n_fft}")
def test_filterbank_matches_librosa(config):
    ref = librosa.filters.mel(sr=config.sample_rate, n_fft=config.n_fft, n_mels=config.n_mels,
                              fmin=config.fmin, fmax=config.fmax, htk=config.htk,
                              norm=config.norm, dtype=np.float64)
    np.testing.assert_allclose(mel_filterbank(config), ref, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("ref,amin,top_db", [(1.0, 1e-10, 80.0), ("max", 1e-10, 80.0),
                                             (0.01, 1e-5, None), ("max", 1e-8, 40.0)])
def test_power_to_db_matches_librosa(ref, amin, top_db):
    s = melspectrogram(signal(22050, 8000))
    s[3, :] = 0.0  # exercise amin
    db = DbConfig(ref=ref, amin=amin, top_db=top_db)
    expect = librosa.power_to_db(s, ref=np.max if ref == "max" else ref, amin=amin, top_db=top_db)
    assert np.max(np.abs(power_to_db(s, db) - expect)) <= DB_TOL
    fused = melspectrogram_db(signal(22050, 8000), MelConfig(), db)
    expect2 = librosa.power_to_db(librosa_mel(signal(22050, 8000), MelConfig()),
                                  ref=np.max if ref == "max" else ref, amin=amin, top_db=top_db)
    assert np.max(np.abs(fused - expect2)) <= DB_TOL


@pytest.mark.parametrize("n_fft", [16, 32, 64, 128, 256, 512, 1024, 2048, 8192])
@pytest.mark.parametrize("nb", [1, 3, 17])
def test_fft_power_matches_numpy(n_fft, nb):
    rng = np.random.default_rng(n_fft + nb)
    hop = max(1, n_fft // 3)
    seg = rng.standard_normal((nb - 1) * hop + n_fft)
    window = np.hanning(n_fft + 1)[:-1]
    tables = fft.fft_tables(n_fft)
    m = n_fft // 2
    work = [np.empty(m * nb) for _ in range(4)]
    power = np.empty((m + 1) * nb)
    fft._power_block(seg, 0, nb, hop, window, *tables, *work, power)
    frames = np.stack([seg[f * hop: f * hop + n_fft] * window for f in range(nb)])
    ref = np.abs(np.fft.rfft(frames, axis=1)) ** 2
    got = power.reshape(m + 1, nb).T
    assert np.max(np.abs(got - ref)) <= 1e-12 * ref.max()


@pytest.mark.parametrize("freq", [150.0, 1000.0, 4400.0])
def test_sine_peaks_in_its_band(freq):
    config = MelConfig()
    t = np.arange(22050) / config.sample_rate
    s = melspectrogram((0.5 * np.sin(2 * np.pi * freq * t)).astype(np.float32), config)
    # The band that holds f: the one whose triangle weighs f most (centres
    # from librosa, a peer; edges are the neighbouring centres).
    centres = librosa.mel_frequencies(config.n_mels + 2, fmin=0.0, fmax=config.sample_rate / 2)
    weight = np.maximum(0, np.minimum((freq - centres[:-2]) / (centres[1:-1] - centres[:-2]),
                                      (centres[2:] - freq) / (centres[2:] - centres[1:-1])))
    assert int(np.argmax(s.mean(axis=1))) == int(np.argmax(weight))


def test_bad_samples_read_as_zero():
    y = signal(22050, 5000)
    bad = y.copy()
    bad[[10, 2000, 4999]] = [np.nan, np.inf, -np.inf]
    clean = y.copy()
    clean[[10, 2000, 4999]] = 0.0
    np.testing.assert_array_equal(melspectrogram(bad), melspectrogram(clean))
    assert np.isfinite(melspectrogram(bad)).all()


def test_tiny_and_odd_inputs():
    for n in (1, 2, 255, 256, 257):
        s = melspectrogram(np.ones(n, dtype=np.float32))
        assert s.shape == (64, 1 + n // 256) and np.isfinite(s).all()
    ro = signal(22050, 3000)
    ro.setflags(write=False)
    strided = np.repeat(signal(22050, 3000), 2)[::2]
    np.testing.assert_array_equal(melspectrogram(ro), melspectrogram(signal(22050, 3000)))
    np.testing.assert_array_equal(melspectrogram(strided), melspectrogram(signal(22050, 3000)))


@pytest.mark.parametrize("y,match", [
    (np.zeros(0, np.float32), "at least 1 sample"),
    (np.zeros((2, 100), np.float32), "1-D"),
    (np.zeros(100, np.int16), "float32 or float64"),
    ([0.0, 1.0], "numpy array"),
])
def test_malformed_input_raises(y, match):
    with pytest.raises(ValueError, match=match):
        melspectrogram(y)


@pytest.mark.parametrize("kwargs,field", [
    ({"n_fft": 1000}, "n_fft"), ({"sample_rate": 500}, "sample_rate"), ({"hop_length": 0}, "hop_length"),
    ({"window": "kaiser"}, "window"), ({"fmin": 9000.0, "fmax": 8000.0}, "fmax"),
    ({"norm": "l2"}, "norm"), ({"power": 0.0}, "power"), ({"win_length": 2048}, "win_length"),
])
def test_config_errors_name_the_field(kwargs, field):
    with pytest.raises(ValueError, match=rf"MelConfig\.{field} must be .*got"):
        MelConfig(**kwargs)
    with pytest.raises(ValueError, match="DbConfig.top_db"):
        DbConfig(top_db=-1.0)


def test_runtime_path_does_not_import_librosa():
    # The analysis wall: numpy, numba and the standard library only.
    code = ("import sys, livemappr.analysis as a; a.compile_kernels(); "
            "bad = [m for m in ('librosa', 'sklearn', 'soundfile', 'sounddevice') "
            "if m in sys.modules]; assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=300)
