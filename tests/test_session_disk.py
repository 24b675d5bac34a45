"""The session directory on disks that fail, fill up or are shared (issue 16, findings 6-9).

Real filesystems: a loop-mounted ext4 image forced read-only by a filesystem
error, a tmpfs of a few MB that fills, read-only mounts, two processes on one
directory. Mounts live in a private mount namespace (see ``tests/disk_rig.py``)
and are skipped, with the reason, where the platform cannot mount.
"""

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import soundfile

from livemappr.audio.config import EngineConfig
from livemappr.audio.engine import Engine
from livemappr.audio.stream import PacedStream
from livemappr.session import journal
from tests import disk_rig

SR = 48000


def needs_mount():
    reason = disk_rig.cannot_mount()
    if reason:
        pytest.skip(reason)


def last_json(out):
    lines = [line for line in out.splitlines() if line.startswith("{")]
    assert lines, "the scenario printed no result"
    return json.loads(lines[-1])


def live_args(session, *extra):
    return [sys.executable, "-m", "livemappr", "live", "--session", str(session), "--device", "none",
            "--osc-port", "0", "--no-midi", "--web-port", "0", "--samplerate", str(SR), *extra]


def one_error_line(stderr):
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert "Traceback" not in stderr, stderr[-3000:]
    assert len(lines) == 1 and lines[0].startswith("livemappr: error: "), stderr[-3000:]
    return lines[0]


# -- finding 6: a disk that turns read-only; a reader that stops reading ------------------

def test_the_stream_plays_on_past_a_reader_that_stopped_reading():
    engine = Engine(EngineConfig(samplerate=SR, ring_seconds=1.0, bank_seconds=0.1, bank_slots=2))
    dead = engine.ring_reader(0)  # a journal whose thread died: never reads again
    told = []
    stream = PacedStream(engine, speed=8.0, readers=[dead])
    stream.on_stall = told.append
    stream.start()
    try:
        deadline = time.monotonic() + 20
        while engine.frame < 4 * dead.capacity and time.monotonic() < deadline:
            time.sleep(0.05)
        assert engine.frame >= 4 * dead.capacity, f"the engine stopped at frame {engine.frame}"
    finally:
        stream.stop()
    assert stream.stalls == 1 and len(told) == 1 and "reader 0 has not read for 1 s" in told[0], told
    read = dead.read()  # what it lost is counted when it reads again
    assert read.missed >= 2 * dead.capacity


FS_ERROR_SESSION = r'''
image, mnt = sys.argv[1], sys.argv[2]
result = {}
try:
    mount_ext4(image, mnt, 16, "errors=remount-ro")
    from livemappr.audio.config import EngineConfig
    from livemappr.session.session import Session, SessionConfig
    told = []
    s = Session(EngineConfig(samplerate=48000, blocksize=256, ring_seconds=2.0),
                SessionConfig(directory=mnt + "/session", device="none", osc_port=0, midi=False, web_port=0,
                              speed=4.0), log=told.append)
    s.start()
    try:
        j = dict(s.parts)["journal"]
        deadline = time.monotonic() + 60
        while j.frames_on_disk < 48000 and time.monotonic() < deadline:
            time.sleep(0.05)
        result["on_disk_before"] = j.frames_on_disk
        fs_error(mnt)
        at = s.engine.frame
        capacity = j.reader.capacity
        deadline = time.monotonic() + 30
        while s.engine.frame - at < 3 * capacity and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(1.5)  # a few of the journal's tries
        result.update(advanced=s.engine.frame - at, capacity=capacity, alive=j._thread.alive,
                      held=j.pending_frames, errors=j.errors)
    finally:
        s.stop()
    result.update(unsaved=getattr(s, "unsaved_frames", None), saved=getattr(s, "saved_frames", None),
                  frame=s.engine.frame, reason=getattr(s, "unsaved_reason", None),
                  told=told, size=os.path.getsize(mnt + "/session/capture.f32"))
finally:
    print(json.dumps(result), flush=True)
    unmount_all()
'''


def test_the_journal_survives_a_disk_that_turns_read_only_and_the_engine_plays_on(tmp_path):
    reason = disk_rig.cannot_fail_ext4()
    if reason:
        pytest.skip(reason)
    image = tmp_path / "disk.img"
    try:
        rc, out, err = disk_rig.run_private(FS_ERROR_SESSION, [image, tmp_path / "mnt"])
        assert rc == 0, err[-3000:]
        r = last_json(out)
    finally:
        disk_rig.detach_loops(image)
    # The engine went on well past the ring (the old stream waited for ever on the dead journal).
    assert r["advanced"] >= 3 * r["capacity"], r
    # The journal thread is alive, holding the capture in memory, and said so once.
    assert r["alive"] and r["held"] >= 3 * r["capacity"], r
    disk = [m for m in r["told"] if "capture.f32" in m]
    assert disk == [f"livemappr: cannot write {tmp_path / 'mnt' / 'session' / 'capture.f32'}: Read-only file "
                    "system; recording goes on in memory"], r["told"]
    assert r["errors"]["disk"] >= 2 and not any("stopped" in m or "has not read" in m for m in r["told"]), r
    # At stop: what could not be saved is counted, and the file holds whole frames.
    assert r["reason"] == "Read-only file system", json.dumps(r)
    assert r["saved"] + r["unsaved"] == r["frame"] and r["unsaved"] >= 3 * r["capacity"], r
    assert r["size"] == 4 * r["saved"]


# -- finding 8: a disk that fills -------------------------------------------------------------------

def take(path, seconds, seed=0):
    audio = (np.random.default_rng(seed).standard_normal(int(seconds * SR)) * 0.1).astype(np.float32)
    soundfile.write(path, audio, SR, subtype="FLOAT")
    return audio


FULL_THEN_SPACE = r'''
mic, mnt = sys.argv[1], sys.argv[2]
result = {}
try:
    mount_tmpfs(mnt, "4m")
    os.makedirs(mnt + "/session")
    fill(mnt, leave=256 << 10)  # room for about a second of capture
    from livemappr.audio.config import EngineConfig
    from livemappr.session.session import Session, SessionConfig
    told = []
    s = Session(EngineConfig(samplerate=48000, blocksize=256),
                SessionConfig(directory=mnt + "/session", input=mic, device="none", osc_port=0, midi=False,
                              web_port=0, speed=2.0), log=told.append)
    s.start()
    try:
        j = dict(s.parts)["journal"]
        deadline = time.monotonic() + 60
        while s.engine.input_active and time.monotonic() < deadline:
            time.sleep(0.05)
        result["held_when_full"] = j.pending_frames
        os.remove(mnt + "/ballast")  # space again
        deadline = time.monotonic() + 20
        while j.pending_frames and time.monotonic() < deadline:
            time.sleep(0.05)
        result["held_after"] = j.pending_frames
    finally:
        s.stop()
    result.update(unsaved=getattr(s, "unsaved_frames", None), told=told)
    from livemappr.session import journal
    captured, _ = journal.load(mnt + "/session")
    np.save(sys.argv[3], np.asarray(captured[:, 0]))
finally:
    print(json.dumps(result), flush=True)
    unmount_all()
'''


def test_a_full_disk_holds_the_capture_in_memory_and_writes_it_all_when_space_comes_back(tmp_path):
    needs_mount()
    audio = take(tmp_path / "take.wav", 6.0)
    rc, out, err = disk_rig.run_private(
        "import numpy as np\n" + FULL_THEN_SPACE, [tmp_path / "take.wav", tmp_path / "mnt", tmp_path / "got.npy"])
    assert rc == 0, err[-3000:]
    r = last_json(out)
    path = tmp_path / "mnt" / "session" / "capture.f32"
    full = [m for m in r["told"] if "cannot write" in m]
    back = [m for m in r["told"] if "the journal writes" in m]
    assert full == [f"livemappr: cannot write {path}: No space left on device; recording goes on in memory"]
    assert len(back) == 1 and back[0].startswith(f"livemappr: the journal writes to {path} again: the "), r["told"]
    assert r["held_when_full"] > 3 * SR and r["held_after"] == 0 and r["unsaved"] == 0, r
    got = np.load(tmp_path / "got.npy")
    start = int(np.flatnonzero(got)[0])
    np.testing.assert_array_equal(got[start:start + audio.shape[0]], audio)  # every frame, in its place


FULL_LIVE = r'''
mic, mnt, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
args = json.loads(sys.argv[4])
result = {}
proc = None
try:
    mount_tmpfs(mnt, "1m")
    proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True)
    deadline = time.monotonic() + 120
    while not os.path.exists(mnt + "/session/capture.json") and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(seconds + 2.0)  # the take, and a little more
    proc.send_signal(15)
    err = proc.communicate(timeout=60)[1]
    result.update(rc=proc.returncode, stderr=err, size=os.path.getsize(mnt + "/session/capture.f32"))
finally:
    if proc is not None and proc.poll() is None:
        proc.kill()
        proc.wait()
    print(json.dumps(result), flush=True)
    unmount_all()
'''


def test_live_on_a_disk_that_fills_says_how_much_was_not_saved_and_exits_1(tmp_path):
    needs_mount()
    seconds = 8.0
    take(tmp_path / "take.wav", seconds)
    session = tmp_path / "mnt" / "session"
    rc, out, err = disk_rig.run_private(FULL_LIVE, [tmp_path / "take.wav", tmp_path / "mnt", seconds,
                                                    json.dumps(live_args(session, "--input", str(tmp_path / "take.wav")))])
    assert rc == 0, err[-3000:]
    r = last_json(out)
    assert "Traceback" not in r["stderr"], r["stderr"][-3000:]
    assert r["rc"] == 1, r["stderr"][-3000:]
    told = r["stderr"].splitlines()
    full = [m for m in told if "cannot write" in m and "capture.f32" in m]
    assert len(full) == 1 and "No space left on device" in full[0], told
    last = told[-1]
    prefix = "livemappr: error: "
    assert last.startswith(prefix) and f"could not be saved in {session} (No space left on device)" in last, told
    lost = float(last[len(prefix):].split(" s ", 1)[0])
    held = float(last.rsplit("holds ", 1)[1].split(" s")[0])
    assert abs(held - r["size"] / 4 / SR) < 0.06
    assert lost >= seconds - held - 0.5 and lost + held >= seconds, told


# -- finding 7: two sessions on one directory ---------------------------------------------------------

def test_a_second_session_on_a_directory_in_use_fails_naming_the_other_process(tmp_path):
    session = tmp_path / "session"
    first = subprocess.Popen(live_args(session), env=disk_rig.env(), stdin=subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=disk_rig.ROOT)
    second = None
    try:
        deadline = time.monotonic() + 120
        while not (session / "capture.json").exists() and first.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        assert first.poll() is None, first.stderr.read()[-3000:]
        assert (session / "capture.json").exists()
        second = subprocess.Popen(live_args(session), env=disk_rig.env(), stdin=subprocess.DEVNULL,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=disk_rig.ROOT)
        try:
            err = second.communicate(timeout=60)[1]
        except subprocess.TimeoutExpired:
            second.kill()
            second.wait()
            raise AssertionError("the second session on the same directory ran") from None
        line = one_error_line(err)
        assert second.returncode == 1
        assert line == (f"livemappr: error: the session directory {session} is in use by another livemappr "
                        f"(pid {first.pid}); stop it or use another --session")
        manifest = journal.load_manifest(session)
        assert len(manifest["runs"]) == 1  # the second did not touch the journal
        # kill -9 leaves no stale lock: the directory is free at once.
        os.kill(first.pid, signal.SIGKILL)
        first.wait()
        journal.SessionLock(session).release()
    finally:
        for p in (first, second):
            if p is not None and p.poll() is None:
                p.kill()
                p.wait()


def test_the_session_lock_is_exclusive_and_let_go_at_release(tmp_path):
    held = journal.SessionLock(tmp_path / "s")
    with pytest.raises(journal.SessionDirError, match=f"in use by another livemappr \\(pid {os.getpid()}\\)"):
        journal.SessionLock(tmp_path / "s")
    held.release()
    journal.SessionLock(tmp_path / "s").release()


# -- finding 9: a --session path that cannot be used -------------------------------------------------

def run_live(args, timeout=60):
    proc = subprocess.Popen(args, env=disk_rig.env(), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True, cwd=disk_rig.ROOT)
    try:
        err = proc.communicate(timeout=timeout)[1]
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        raise AssertionError("livemappr live ran on a --session it should have refused") from None
    return proc.returncode, err


def test_a_session_path_that_is_a_file_is_one_line_and_exit_2(tmp_path):
    (tmp_path / "notes.txt").write_text("not a folder")
    rc, err = run_live(live_args(tmp_path / "notes.txt"))
    assert one_error_line(err) == f"livemappr: error: --session {tmp_path / 'notes.txt'} is not a directory"
    assert rc == 2


def test_a_session_path_whose_parent_is_missing_is_one_line_and_exit_2(tmp_path):
    session = tmp_path / "usb-stick" / "gig"  # e.g. a stick that is not mounted
    rc, err = run_live(live_args(session))
    assert one_error_line(err) == f"livemappr: error: --session {session}: {session.parent} does not exist"
    assert rc == 2 and not session.parent.exists()


BAD_PATHS = r'''
base, args = sys.argv[1], json.loads(sys.argv[2])
results = {}
try:
    mount_tmpfs(base + "/ro", "1m", "ro")
    mount_tmpfs(base + "/full", "1m")
    fill(base + "/full", 0)
    for name in ("ro", "full"):
        session = base + "/" + name + "/session"
        p = subprocess.run([a.replace("SESSION", session) for a in args], stdin=subprocess.DEVNULL,
                           capture_output=True, text=True, timeout=90)
        results[name] = [p.returncode, p.stderr]
finally:
    print(json.dumps(results), flush=True)
    unmount_all()
'''


def test_a_read_only_or_full_session_path_is_one_line_and_exit_1(tmp_path):
    needs_mount()
    rc, out, err = disk_rig.run_private(BAD_PATHS, [tmp_path, json.dumps(live_args("SESSION"))], timeout=240)
    assert rc == 0, err[-3000:]
    r = last_json(out)
    ro_rc, ro_err = r["ro"]
    assert one_error_line(ro_err) == (f"livemappr: error: cannot make the session directory "
                                      f"{tmp_path / 'ro' / 'session'}: Read-only file system")
    assert ro_rc == 1
    full_rc, full_err = r["full"]
    line = one_error_line(full_err)
    assert str(tmp_path / "full" / "session") in line and line.endswith("No space left on device"), line
    assert full_rc == 1
