import errno
import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

from livemappr.session import journal
from livemappr.audio.config import EngineConfig
from livemappr.audio.engine import Engine
from livemappr.audio.offline import render


def small_engine():
    return Engine(EngineConfig(ring_seconds=2, bank_seconds=0.1, bank_slots=2, in_channels=1))


def test_everything_captured_is_on_disk_after_stop(tmp_path):
    e = small_engine()
    j = journal.Journal(tmp_path, e.ring_reader(0), 48000)
    j.start(e.frame)
    mic = (np.random.default_rng(0).standard_normal(48000 * 3) * 0.1).astype(np.float32)
    for k in range(3):  # the ring holds 2 s; the journal keeps up
        render(e, input=mic[k * 48000:(k + 1) * 48000])
        j.flush()
    j.stop()
    samples, manifest = journal.load(tmp_path)
    np.testing.assert_array_equal(samples[:, 0], mic)
    assert manifest["samplerate"] == 48000 and manifest["runs"] == [{"file_frame": 0, "stream_frame": 0}]


def test_a_second_run_appends_and_a_torn_last_frame_is_cut(tmp_path):
    e = small_engine()
    j = journal.Journal(tmp_path, e.ring_reader(0), 48000)
    j.start(0)
    render(e, input=np.ones(1000, np.float32))
    j.stop()
    with open(tmp_path / journal.AUDIO_FILE, "ab") as f:
        f.write(b"\x00\x00")  # half a frame, as a kill mid-write leaves
    e2 = small_engine()
    j2 = journal.Journal(tmp_path, e2.ring_reader(0), 48000)
    j2.start(0)
    render(e2, input=np.full(500, 2.0, np.float32))
    j2.stop()
    samples, manifest = journal.load(tmp_path)
    assert samples.shape == (1500, 1)
    assert np.all(samples[:1000] == 1.0) and np.all(samples[1000:] == 2.0)
    assert manifest["runs"][1] == {"file_frame": 1000, "stream_frame": 0}


def test_other_sample_rate_in_the_same_directory_is_refused(tmp_path):
    e = small_engine()
    first = journal.Journal(tmp_path, e.ring_reader(0), 48000)
    first.start(0)
    first.stop()
    with pytest.raises(ValueError, match="holds a session at 48000 Hz, 1 channel\\(s\\); this run is 44100 Hz"):
        journal.Journal(tmp_path, e.ring_reader(0), 44100).start(0)


def test_full_disk_is_reported_once_and_recording_goes_on_in_memory(tmp_path):
    e = small_engine()
    told = []
    j = journal.Journal(tmp_path, e.ring_reader(0), 48000, on_error=told.append)
    j.start(0)
    real = j._file

    class FullDisk:
        def write(self, data):
            raise OSError(errno.ENOSPC, "No space left on device")

        def flush(self):
            pass

        def fileno(self):
            return real.fileno()

        def close(self):
            pass

    j._file = FullDisk()
    j._recover = lambda: None  # keep the full disk in place
    for k in range(3):
        render(e, input=np.full(1000, float(k), np.float32))
        j.flush()
    assert j.frames_on_disk == 0 and j.pending_frames == 3000
    assert told == [f"cannot write {tmp_path / journal.AUDIO_FILE}: No space left on device; "
                    "recording goes on in memory"]
    assert j.errors["disk"] == 3
    j._file = real  # space again
    j.stop()
    samples, _ = journal.load(tmp_path)
    np.testing.assert_array_equal(samples[:, 0], np.repeat([0.0, 1.0, 2.0], 1000))


def test_kill_dash_nine_loses_at_most_the_last_second(tmp_path):
    script = textwrap.dedent(f"""
        import sys, time, numpy as np
        sys.path.insert(0, {str(os.getcwd())!r})
        from livemappr.session import journal
        from livemappr.audio.config import EngineConfig
        from livemappr.audio.engine import Engine
        from livemappr.audio.offline import render
        e = Engine(EngineConfig(ring_seconds=4, bank_seconds=0.1, bank_slots=2))
        j = journal.Journal({str(tmp_path)!r}, e.ring_reader(0), 48000, flush_seconds=0.5)
        j.start(0)
        n = 0
        while True:  # the mic in real time: 10 ms blocks numbered by frame
            render(e, input=(np.arange(n, n + 480) % 1000003).astype(np.float32))
            n += 480
            print(n, flush=True)
            time.sleep(0.01)
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    captured = int(proc.stdout.readline())  # after its start-up (compiling can take a while)
    start = time.monotonic()
    while time.monotonic() - start < 3.0:
        captured = int(proc.stdout.readline())
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    samples, _ = journal.load(tmp_path)
    n = samples.shape[0]
    # Frames are exact and in order, and at most a second of capture is missing.
    np.testing.assert_array_equal(samples[:, 0], (np.arange(n) % 1000003).astype(np.float32))
    assert captured - n <= 48000
    assert n > 48000


class _OverwrittenWhileCopied:
    """A ring reader whose first read is overwritten in part while the journal
    copies it (``during`` renders more input at that moment)."""

    def __init__(self, reader, during):
        self._reader, self._during = reader, during

    def read(self):
        read = self._reader.read()
        if self._during is not None:
            self._during, during = None, self._during
            during()
        return read

    def __getattr__(self, name):
        return getattr(self._reader, name)


def test_frames_overwritten_while_copied_become_silence_in_their_place(tmp_path):
    e = small_engine()  # a ring of 2 s
    mic = (np.random.default_rng(1).standard_normal(48000 * 3) * 0.1).astype(np.float32)
    render(e, input=mic[:72000])  # 1.5 s waiting to be read
    reader = _OverwrittenWhileCopied(e.ring_reader(0), lambda: render(e, input=mic[72000:129600]))
    j = journal.Journal(tmp_path, reader, 48000)
    j.start(0)
    j.flush()  # the 1.5 s read, while 1.2 s more went in: its first 0.7 s or so were overwritten
    lost = j.missed
    assert 0 < lost < 72000
    j.flush()
    assert j.unsaved_frames == lost  # the overwritten frames are counted once, as lost
    j.stop()
    samples, _ = journal.load(tmp_path)
    # the file keeps the stream's time: as long as what was played in, silence where the ring lost it
    assert samples.shape[0] == 129600
    assert not samples[:lost].any()
    np.testing.assert_array_equal(samples[lost:, 0], mic[lost:129600])
