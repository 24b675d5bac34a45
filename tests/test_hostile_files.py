"""Issue 16, findings 10 and 11: crafted files are one-line errors, never a traceback or gigabytes."""

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from tests import crafted

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_capped(code, extra_bytes=1024 ** 3):
    """``code`` in a fresh Python whose address space may grow by ``extra_bytes`` (after imports):
    a regression fails the test, it cannot take the machine down."""
    prelude = textwrap.dedent(f"""
        import resource, sys
        import numpy, soundfile, soxr
        from livemappr.files import audiofile
        size = next(int(l.split()[1]) * 1024 for l in open("/proc/self/status") if l.startswith("VmSize:"))
        cap = size + {extra_bytes}
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    """)
    env = dict(os.environ, PYTHONPATH=ROOT, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    return subprocess.run([sys.executable, "-c", prelude + textwrap.dedent(code)], capture_output=True, text=True,
                          env=env, timeout=300)


def test_a_wav_claiming_14_hz_is_refused_before_decoding_under_a_memory_cap(tmp_path):
    path = crafted.wav(tmp_path / "tiny.wav", 14, 192_000)  # 384 KB; 3.8 h at 14 Hz: 5.3 GB at 48 kHz stereo
    assert 380_000 < path.stat().st_size < 400_000
    r = run_capped(f"""
        try:
            audiofile.read({str(path)!r}, samplerate=48000, channels=2)
        except audiofile.AudioFileError as e:
            print("refused:", e)
        else:
            print("decoded")
    """)
    assert r.returncode == 0, r.stderr[-2000:]
    line = r.stdout.strip()
    assert line.startswith("refused:") and "\n" not in line
    assert "tiny.wav" in line and "14 Hz" in line and "1000..768000 Hz" in line


def test_the_size_check_counts_channels_and_the_resample_ratio_before_decoding(tmp_path):
    from livemappr.files import audiofile

    path = crafted.wav(tmp_path / "big.wav", 8000, 100_000)  # 0.2 MB of 16-bit samples, 12.5 s
    audiofile.read(path, samplerate=48000, channels=2, max_bytes=6_000_000)  # 0.4 + 0.8 + 4.8 MB
    with pytest.raises(audiofile.AudioFileError) as e:
        audiofile.read(path, samplerate=48000, channels=2, max_bytes=5_000_000)
    msg = str(e.value)
    assert "big.wav" in msg and "100000 frames at 8000 Hz" in msg and "resampled to 48000 Hz" in msg


def test_a_huge_decode_under_the_cap_is_an_audio_error_not_a_memory_error(tmp_path):
    """Past the checks, a machine short of memory still gets one line."""
    path = crafted.wav(tmp_path / "long.wav", 8000, 16_000_000)  # 32 MB; 0.77 GB at 48 kHz stereo
    r = run_capped(f"""
        try:
            audiofile.read({str(path)!r}, samplerate=48000, channels=2)
        except audiofile.AudioFileError as e:
            print("refused:", e)
        else:
            print("decoded")
    """, extra_bytes=300 * 1024 ** 2)
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.startswith("refused:") and "not enough memory" in r.stdout
