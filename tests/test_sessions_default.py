"""Nothing is lost by forgetting ``--session`` (issue 19, item 5): a dated folder
under ``$XDG_DATA_HOME``, ``take.wav`` at stop, ``livemappr sessions``.

Real runs of ``livemappr live --input FILE`` (no sound card: paced by a
thread) with ``XDG_DATA_HOME`` in a temporary folder; the WAV read back with
soundfile; a tmpfs too small for the take in a private mount namespace.
"""

import datetime
import json
import re
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
import time

import numpy as np
import pytest
import soundfile

from livemappr.files import mapfile
from livemappr.session import folders, take
from tests import disk_rig
from tests.test_session_disk import last_json, needs_mount

SR = 48000


def mic(path, seconds=3.0):
    """A take of short noise bursts (sounds to cut), float32 at the engine's rate."""
    rng = np.random.default_rng(7)
    x = np.zeros(int(seconds * SR), np.float32)
    for k in range(int(seconds * 2)):
        a = k * SR // 2
        x[a:a + 4000] = rng.standard_normal(4000) * np.exp(-np.arange(4000) / 800) * (0.2 + 0.1 * (k % 4))
    soundfile.write(path, x, SR, subtype="FLOAT")
    return x


def live(tmp_path, *extra, seconds=3.0):
    """Run ``livemappr live --input`` until the take has played (and, with a
    session, is in the journal), then SIGTERM; (returncode, stderr)."""
    cfg = tmp_path / "fast.toml"
    cfg.write_text("[session]\nspeed = 4.0\n")
    env = dict(disk_rig.env(), XDG_DATA_HOME=str(tmp_path / "data"))
    proc = subprocess.Popen(
        [sys.executable, "-m", "livemappr", "live", "--input", str(tmp_path / "mic.wav"), "--device", "none",
         "--osc-port", "0", "--no-midi", "--web-port", "0", "--config", str(cfg), *extra],
        env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        cwd=disk_rig.ROOT)
    lines = []
    reader = threading.Thread(target=lambda: lines.extend(proc.stderr), daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and proc.poll() is None and not any("kernels ready" in x for x in lines):
            time.sleep(0.1)
        time.sleep(seconds / 4 + 1.0)  # the take at 4x real time, and a little more
        kept = "--no-session" not in extra and not (tmp_path / "data").is_file()
        while kept and time.monotonic() < deadline and proc.poll() is None:
            caps = list((tmp_path / "data").glob("livemappr/sessions/*/capture.f32"))
            if caps and caps[0].stat().st_size >= seconds * SR * 4:
                break
            time.sleep(0.1)
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
        reader.join(10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return proc.returncode, "".join(lines)


def sessions(tmp_path):
    env = dict(disk_rig.env(), XDG_DATA_HOME=str(tmp_path / "data"))
    r = subprocess.run([sys.executable, "-m", "livemappr", "sessions"], env=env, capture_output=True, text=True,
                       timeout=60, cwd=disk_rig.ROOT)
    return r.returncode, r.stdout, r.stderr


def test_live_without_session_keeps_a_dated_folder_with_a_take_wav_and_sessions_lists_it(tmp_path):
    x = mic(tmp_path / "mic.wav")
    rc, err = live(tmp_path)
    assert rc == 0, err[-3000:]
    root = tmp_path / "data" / "livemappr" / "sessions"
    (folder,) = list(root.iterdir())
    assert re.fullmatch(r"\d{4}-\d\d-\d\d-\d{6}", folder.name)
    assert abs(datetime.datetime.strptime(folder.name, "%Y-%m-%d-%H%M%S") - datetime.datetime.now()) < \
        datetime.timedelta(minutes=10)
    # said at start, before the kernels are compiled
    first = err.splitlines()[0]
    assert first == f"livemappr: keeping this session in {folder} (--session DIR to choose, --no-session for none)"
    # the take as a WAV a DAW opens: every frame of the input, exactly, then the silence after it
    info = soundfile.info(folder / "take.wav")
    assert (info.format, info.subtype, info.samplerate, info.channels) == ("WAV", "FLOAT", SR, 1)
    y, _ = soundfile.read(folder / "take.wav", dtype="float32")
    np.testing.assert_array_equal(y[:x.size], x)
    assert y.size * 4 == (folder / "capture.f32").stat().st_size and not y[x.size:].any()
    assert f"livemappr: wrote {folder / 'take.wav'} (0:00:0" in err
    assert not (folder / "take.wav.tmp").exists()
    n_snippets = len(mapfile.read(folder).snippets)
    assert n_snippets >= 4

    # an older copy, a folder that stopped before recording, a damaged one: newest first, the damaged named
    older = root / "2020-01-02-030405"
    shutil.copytree(folder, older)
    manifest = json.loads((older / "capture.json").read_text())
    manifest["created"] = datetime.datetime(2020, 1, 2, 3, 4, 5).timestamp()
    (older / "capture.json").write_text(json.dumps(manifest))
    with open(older / "capture.f32", "r+b") as f:
        f.truncate(SR * 4 * 65)  # 1:05
    (root / "2021-05-05-050505").mkdir()
    broken = root / "2022-01-01-000000"
    broken.mkdir()
    (broken / "capture.json").write_text('{"format": "livemappr-capture", "samplerate": 0, "channels": 1}')
    rc, out, err = sessions(tmp_path)
    assert rc == 1  # the listing went on past the damaged folder, and says one was
    assert err.splitlines() == [f"livemappr: error: {broken / 'capture.json'}: samplerate must be a whole number "
                                "in 1000..768000, got 0"]
    lines = out.splitlines()
    assert lines[0].split() == ["started", "length", "snippets", "folder"]
    rows = [line.split() for line in lines[1:]]
    assert [r[-1] for r in rows] == [str(folder), str(root / "2021-05-05-050505"), str(older)]
    length = y.size / SR
    assert rows[0][2] == f"0:00:{round(length):02d}" and rows[0][3] == str(n_snippets)
    assert rows[2][:4] == ["2020-01-02", "03:04:05", "0:01:05", str(n_snippets)]
    assert rows[1][2:4] == ["0:00:00", "0"]


def test_no_session_keeps_nothing_and_session_and_no_session_together_are_refused(tmp_path):
    mic(tmp_path / "mic.wav", 1.0)
    rc, err = live(tmp_path, "--no-session", seconds=1.0)
    assert rc == 0, err[-3000:]
    assert not (tmp_path / "data").exists() and "keeping this session" not in err
    r = subprocess.run([sys.executable, "-m", "livemappr", "live", "--session", str(tmp_path / "s"), "--no-session"],
                       env=disk_rig.env(), capture_output=True, text=True, timeout=60, cwd=disk_rig.ROOT)
    assert r.returncode == 2 and r.stderr == "livemappr: error: --session and --no-session: use one of them\n"
    rc, out, err = sessions(tmp_path)
    assert rc == 0 and out == f"no sessions in {tmp_path / 'data' / 'livemappr' / 'sessions'}\n" and err == ""


def test_the_data_directory_follows_xdg_and_a_folder_is_never_reused(tmp_path):
    assert folders.sessions_root({"XDG_DATA_HOME": "/x/y", "HOME": "/h"}) == \
        folders.pathlib.Path("/x/y/livemappr/sessions")
    # unset or relative: ~/.local/share, as the XDG base directory spec says
    for data in ("", "rel/dir"):
        assert folders.sessions_root({"XDG_DATA_HOME": data, "HOME": "/h"}) == \
            folders.pathlib.Path("/h/.local/share/livemappr/sessions")
    now = datetime.datetime(2026, 12, 3, 14, 5, 6)
    made = [folders.new_folder(tmp_path / "r", now) for _ in range(3)]
    assert [p.name for p in made] == ["2026-12-03-140506", "2026-12-03-140506-2", "2026-12-03-140506-3"]
    (tmp_path / "file").write_text("")
    with pytest.raises(folders.FolderError, match="cannot make a session folder in .*file/r: Not a directory"):
        folders.new_folder(tmp_path / "file" / "r", now)


def test_a_data_directory_that_cannot_be_written_runs_the_engine_anyway(tmp_path):
    mic(tmp_path / "mic.wav", 1.0)
    (tmp_path / "data").write_text("a file where the data directory should be")
    rc, err = live(tmp_path, seconds=1.0)
    assert rc == 0, err[-3000:]
    assert err.splitlines()[0] == (f"livemappr: cannot make a session folder in {tmp_path}/data/livemappr/sessions: "
                                   "Not a directory; this session is not kept (--session DIR to choose a folder)")


def _journal(directory, seconds, channels=2, rate=SR):
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "capture.json").write_text(json.dumps({"format": "livemappr-capture", "version": 1,
                                                        "samplerate": rate, "channels": channels,
                                                        "dtype": "float32", "created": time.time(), "runs": []}))
    frames = int(seconds * rate)
    rng = np.random.default_rng(3)
    with open(directory / "capture.f32", "wb") as f:
        for a in range(0, frames, 1 << 20):
            f.write((rng.standard_normal((min(1 << 20, frames - a), channels)) * 0.1).astype(np.float32).tobytes())
    return frames


def test_a_big_take_is_streamed_not_read_into_memory(tmp_path):
    # 12 minutes of stereo: 276 MB of journal. Written in a fresh process, whose
    # peak resident size must stay far under the take's size.
    frames = _journal(tmp_path / "s", 12 * 60)
    script = textwrap.dedent(f"""
        import resource, sys
        from livemappr.session.take import write_take
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        told = []
        assert write_take({str(tmp_path / 's')!r}, told.append) is not None, told
        print(before, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    """)
    r = subprocess.run([sys.executable, "-c", script], env=disk_rig.env(), capture_output=True, text=True,
                       timeout=300, cwd=disk_rig.ROOT)
    assert r.returncode == 0, r.stderr[-3000:]
    before, after = map(int, r.stdout.split())
    size = frames * 2 * 4
    assert (after - before) * 1024 < size / 8, (before, after, size)
    with soundfile.SoundFile(tmp_path / "s" / "take.wav") as f:
        assert (f.frames, f.channels, f.subtype) == (frames, 2, "FLOAT")
        f.seek(frames - 1000)
        tail = f.read(1000, dtype="float32")
    raw = np.memmap(tmp_path / "s" / "capture.f32", np.float32, "r", shape=(frames, 2))
    np.testing.assert_array_equal(tail, raw[-1000:])


SMALL_DISK = r'''
mnt = sys.argv[1]
mount_tmpfs(mnt, "12m")
import numpy as np
from livemappr.session.take import write_take
d = os.path.join(mnt, "s")
os.makedirs(d)
open(os.path.join(d, "capture.json"), "w").write(json.dumps({"format": "livemappr-capture", "samplerate": 48000,
                                                              "channels": 1, "created": 0, "runs": []}))
np.full(48000 * 20, 0.25, np.float32).tofile(os.path.join(d, "capture.f32"))  # 3.7 MB
told = []
path = write_take(d, told.append)
print(json.dumps({"path": str(path), "told": told, "files": sorted(os.listdir(d)),
                  "size": os.path.getsize(os.path.join(d, "capture.f32"))}), flush=True)
unmount_all()
'''


def test_a_disk_without_room_for_the_take_says_so_and_keeps_the_journal(tmp_path):
    needs_mount()
    rc, out, err = disk_rig.run_private(SMALL_DISK, [tmp_path / "mnt"])
    assert rc == 0, err[-3000:]
    r = last_json(out)
    d = tmp_path / "mnt" / "s"
    assert r["path"] == "None" and r["files"] == ["capture.f32", "capture.json"] and r["size"] == 48000 * 20 * 4
    (line,) = r["told"]
    assert re.fullmatch(rf"livemappr: {d}/take.wav not written: it needs 3.7 MB and 8 MB to spare, the disk has "
                        r"8\.\d MB free \(the journal keeps the take; the session's next stop writes it\)", line), line


def test_take_seconds_reads_the_journal_length_without_reading_the_audio(tmp_path):
    _journal(tmp_path / "s", 2.5, channels=2, rate=44100)
    assert take.seconds(tmp_path / "s") == pytest.approx(2.5, abs=1 / 44100)
    assert take.seconds(tmp_path) == 0.0


def test_a_run_that_never_starts_leaves_no_empty_dated_folder(tmp_path):
    env = dict(disk_rig.env(), XDG_DATA_HOME=str(tmp_path / "data"))
    r = subprocess.run([sys.executable, "-m", "livemappr", "live", "--input", str(tmp_path / "missing.wav"),
                        "--device", "none", "--osc-port", "0", "--no-midi", "--web-port", "0"],
                       env=env, capture_output=True, text=True, timeout=120, cwd=disk_rig.ROOT)
    assert r.returncode == 2 and r.stderr.splitlines()[-1].startswith("livemappr: error: "), r.stderr[-2000:]
    assert "missing.wav" in r.stderr.splitlines()[-1]
    assert list((tmp_path / "data" / "livemappr" / "sessions").iterdir()) == []
