import numpy as np
import pytest
import soundfile

from livemappr.files import audiofile
from livemappr.files.audiofile import AudioFileError
from livemappr.audio.config import EngineConfig
from livemappr.audio.engine import Engine
from livemappr.audio.offline import render


def write(tmp_path, name, data, sr, **kw):
    p = tmp_path / name
    soundfile.write(p, data, sr, **kw)
    return p


def test_reads_float_wav_exactly(tmp_path):
    data = (np.random.default_rng(0).standard_normal((1000, 2)) * 0.1).astype(np.float32)
    a = audiofile.read(write(tmp_path, "x.wav", data, 48000, subtype="FLOAT"))
    assert a.samplerate == 48000 and a.nonfinite == 0
    np.testing.assert_array_equal(a.samples, data)


def test_mixes_down_and_repeats_channels(tmp_path):
    data = np.stack([np.full(100, 0.5), np.full(100, -0.25)], axis=1).astype(np.float32)
    p = write(tmp_path, "st.wav", data, 48000, subtype="FLOAT")
    np.testing.assert_allclose(audiofile.read(p, channels=1).samples[:, 0], 0.125)
    mono = write(tmp_path, "mono.wav", data[:, :1], 48000, subtype="FLOAT")
    assert audiofile.read(mono, channels=2).samples.shape == (100, 2)


def test_other_sample_rate_is_resampled_keeping_pitch(tmp_path):
    sr = 44100
    t = np.arange(sr) / sr
    p = write(tmp_path, "a440.flac", (0.5 * np.sin(2 * np.pi * 440 * t)).astype(np.float32), sr)
    a = audiofile.read(p, samplerate=48000, channels=1)
    assert a.samplerate == 48000 and a.source_samplerate == 44100
    assert abs(a.samples.shape[0] - 48000) <= 1
    spectrum = np.abs(np.fft.rfft(a.samples[:, 0]))
    assert abs(np.argmax(spectrum) * 48000 / a.samples.shape[0] - 440) < 2


def test_nan_and_inf_become_zero_and_are_counted(tmp_path):
    data = np.zeros(100, np.float32)
    data[[3, 50]] = [np.nan, np.inf]
    a = audiofile.read(write(tmp_path, "bad.wav", data, 48000, subtype="FLOAT"))
    assert a.nonfinite == 2 and np.isfinite(a.samples).all()


@pytest.mark.parametrize("content, message", [
    (b"", "not a readable audio file"),
    (b"RIFF\x10\x00\x00\x00WAVEfmt garbage", "not a readable audio file"),
    (np.random.default_rng(1).bytes(5000), "not a readable audio file"),
])
def test_broken_files_are_one_line_errors(tmp_path, content, message):
    p = tmp_path / "broken.wav"
    p.write_bytes(content)
    with pytest.raises(AudioFileError, match=message) as e:
        audiofile.read(p)
    assert "\n" not in str(e.value) and str(p) in str(e.value)


def test_missing_and_too_long_files(tmp_path):
    with pytest.raises(AudioFileError, match="no such file"):
        audiofile.read(tmp_path / "nope.wav")
    p = write(tmp_path, "long.wav", np.zeros(48000 * 3, np.float32), 48000)
    with pytest.raises(AudioFileError, match="3 s long; at most 2 s allowed"):
        audiofile.read(p, max_seconds=2)


def test_truncated_file_reads_what_is_there(tmp_path):
    data = (np.random.default_rng(2).standard_normal(10000) * 0.1).astype(np.float32)
    p = write(tmp_path, "cut.wav", data, 48000, subtype="FLOAT")
    p.write_bytes(p.read_bytes()[:-8000])  # header says more than is there
    a = audiofile.read(p)
    np.testing.assert_array_equal(a.samples[:, 0], data[:a.samples.shape[0]])


@pytest.mark.parametrize("blocksize", [1, 64, 65, 128, 8193])
def test_a_file_rendered_as_the_mic_fills_the_ring_and_output_alike_at_any_block_size(tmp_path, blocksize):
    sr = 48000
    mic = (np.random.default_rng(3).standard_normal(20000) * 0.1).astype(np.float32)
    p = write(tmp_path, "mic.wav", mic, sr, subtype="FLOAT")

    def run(bs):
        e = Engine(EngineConfig(ring_seconds=1, bank_seconds=1, bank_slots=4))
        slot = e.bank.add(mic[5000:9000])
        audio = audiofile.read(p, samplerate=sr, channels=1)
        out = render(e, input=audio.samples, blocksize=bs,
                     commands=[e.play_command(slot, at=777, rate=1.3), e.play_command(slot, at=12345, reverse=True)])
        reader = e.ring_reader(0)
        return out, reader.read().copy()

    out, ring = run(blocksize)
    np.testing.assert_array_equal(ring[:, 0], mic)
    ref, _ = run(256)
    np.testing.assert_array_equal(out, ref)
