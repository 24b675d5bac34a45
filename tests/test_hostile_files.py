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


# -- finding 11: map.json and capture.json through export and a resume -----------------------

def _session_dir(tmp_path, manifest=None, frames=4800):
    """A session folder: a journal of silence (or the given capture.json) and no map yet."""
    import json

    from livemappr.session import journal

    d = tmp_path / "session"
    d.mkdir()
    (d / journal.AUDIO_FILE).write_bytes(np.zeros(frames, np.float32).tobytes())
    (d / journal.MANIFEST).write_text(manifest if manifest is not None else json.dumps(
        {"format": journal.FORMAT, "version": 1, "samplerate": 48000, "channels": 1, "dtype": "float32",
         "runs": [{"file_frame": 0, "stream_frame": 0}]}))
    return d


def _one_line_error(capsys, code, status=2):
    err = capsys.readouterr().err.strip()
    assert code == status, err
    assert err.startswith("livemappr: error: ") and "\n" not in err and "Traceback" not in err
    return err


@pytest.mark.parametrize("case", sorted(crafted.BAD_MAPS))
def test_export_of_a_crafted_map_json_is_one_line(tmp_path, capsys, case):
    from livemappr.cli import main

    d = tmp_path / "map"
    d.mkdir()
    (d / "map.json").write_text(crafted.BAD_MAPS[case])
    err = _one_line_error(capsys, main(["export", str(d), "--out", str(tmp_path / "kit")]))
    assert "map.json" in err and len(err) < 400
    assert not (tmp_path / "kit").exists()


class _Engine:
    """What a resume uses of the engine, before any snippet is cut."""

    class config:
        samplerate = 48000

    class bank:
        @staticmethod
        def add(y):
            return 0


@pytest.mark.parametrize("case", sorted(crafted.BAD_MAPS))
def test_a_resume_with_a_crafted_map_json_cuts_the_journal_again_and_says_so(tmp_path, case):
    from livemappr.session.resume import resume

    d = _session_dir(tmp_path)
    (d / "map.json").write_text(crafted.BAD_MAPS[case])
    said = []
    assert resume(d, _Engine, None, 0, log=said.append) == []  # silence: nothing to cut
    assert len(said) == 1 and "map.json" in said[0] and "cut again from the journal" in said[0]


@pytest.mark.parametrize("case", sorted(crafted.BAD_CAPTURES))
def test_a_resume_with_a_crafted_capture_json_is_one_line(tmp_path, case):
    from livemappr.errors import UsageError
    from livemappr.session.resume import resume

    d = _session_dir(tmp_path, crafted.BAD_CAPTURES[case])
    with pytest.raises(UsageError) as e:
        resume(d, _Engine, None, 0, log=lambda m: None)
    assert "capture.json" in str(e.value) and "\n" not in str(e.value) and len(str(e.value)) < 300


@pytest.mark.parametrize("case", sorted(crafted.BAD_CAPTURES))
def test_export_of_a_session_with_a_crafted_capture_json_is_one_line(tmp_path, capsys, case):
    from livemappr.cli import main
    from livemappr.files import mapfile
    from livemappr.session import journal

    d = _session_dir(tmp_path, crafted.BAD_CAPTURES[case])
    mapfile.write(d, mapfile.MapFile(48000, (mapfile.SnippetEntry(0, journal.AUDIO_FILE, 0.0, 0.05, 0, 0, 0),),
                                     (mapfile.ClusterEntry.of(0, 1),)))
    assert main(["export", str(d), "--out", str(tmp_path / "kit")]) == 0
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    # the snippet whose audio is in the broken journal is skipped, the journal named
    skipped = [line for line in captured.out.splitlines() if "skipped snippet 0" in line]
    assert len(skipped) == 1 and "capture.json" in skipped[0] and "wrote 0 sounds" in captured.out


# -- finding 11: a file name that is not UTF-8 ----------------------------------------------------

def test_a_wav_whose_name_is_not_utf8_is_mapped_and_exported(tmp_path, capsys):
    import json

    import soundfile

    from livemappr.cli import main
    from livemappr.files import mapfile

    shots = tmp_path / "shots"
    shots.mkdir()
    raw = os.fsencode(shots) + b"/caf\xe9 kick.wav"  # Latin-1, as an old drive or a zip gives it
    try:
        open(raw, "wb").close()
    except OSError:
        pytest.skip("this file system takes only UTF-8 names")
    sr = 48000
    t = np.arange(int(0.3 * sr)) / sr
    for name, freq in ((raw, 100), (os.fsencode(shots / "snare.wav"), 500), (os.fsencode(shots / "hat.wav"), 900)):
        y = (np.sin(2 * np.pi * freq * t) * np.exp(-t * 10)).astype(np.float32)
        with open(name, "wb") as f:
            soundfile.write(f, y, sr, format="WAV")
    out = tmp_path / "map"
    assert main(["map", str(shots), "--out", str(out)]) == 0
    printed = capsys.readouterr()
    assert "skipped" not in printed.out + printed.err
    # map.json stays ASCII JSON: the byte 0xE9 as the escape \udce9 (docs/map-json.md)
    text = (out / "map.json").read_bytes().decode("ascii")
    assert '"../shots/caf\\udce9 kick.wav"' in text
    sources = {s.source for s in mapfile.read(out).snippets}
    assert os.fsencode(out / "../shots/caf\udce9 kick.wav") == os.fsencode(out) + b"/../shots/caf\xe9 kick.wav"
    assert "../shots/caf\udce9 kick.wav" in sources and json.loads(text)["snippets"]
    kit = tmp_path / "kit"
    assert main(["export", str(out), "--out", str(kit)]) == 0
    assert len(list(kit.rglob("*.wav"))) == 3
