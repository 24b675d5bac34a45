import os
import pathlib
import shutil
import subprocess
import sys

import numpy as np
import pytest
import soundfile

from livemappr.cli import main


def test_unknown_command_is_one_line_usage_error(capsys):
    assert main(["frobnicate"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("livemappr: error: argument COMMAND: invalid choice: 'frobnicate'")


def test_bad_option_value_is_one_line(capsys):
    assert main(["demo", "--bogus"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["livemappr: error: unrecognized arguments: --bogus"]


def test_python_dash_m_runs_the_cli():
    r = subprocess.run([sys.executable, "-m", "livemappr", "--version"], capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout.startswith("livemappr ")


def test_demo_maps_the_bundled_take_and_plays_it(tmp_path, capsys):
    from livemappr.files import mapfile

    assert main(["demo", "--out", str(tmp_path), "--no-play"]) == 0
    audio, sr = soundfile.read(tmp_path / "demo.wav")
    assert sr == 48000 and audio.shape[1] == 2 and audio.shape[0] > 8 * sr
    assert np.isfinite(audio).all() and 0.2 < np.abs(audio).max() < 0.99
    # The performance starts 0.1 s in, and it is not silent anywhere for long.
    assert np.abs(audio[int(0.09 * sr):int(0.3 * sr)]).max() > 0.01
    seconds = [np.abs(audio[i:i + sr]).max() for i in range(0, audio.shape[0] - sr, sr)]
    assert min(seconds) > 0.01
    m = mapfile.read(tmp_path / "session")
    assert len(m.snippets) >= 40
    # The take has 60 sounds: kicks, hats, snares, claps and a few sung vowels.
    # Each pad plays one of them (purity), and there are about as many pads as
    # kinds, not a pad for every blob big enough to split.
    from livemappr.data.make_demo_audio import take
    from livemappr.mapping.quality import cluster_purity

    events = []
    take(events=events)
    onsets = np.array([t for t, _ in events])
    kinds = [events[int(np.argmin(np.abs(onsets - s.start)))][1] for s in m.snippets]
    assert cluster_purity([s.cluster for s in m.snippets], kinds) >= 0.9
    assert 4 <= len(m.clusters) <= 7, [(c.key, c.size) for c in m.clusters]
    assert (tmp_path / "session" / "map.png").stat().st_size > 1000
    out = capsys.readouterr().out
    assert "hits played, 0 xruns" in out
    # A second run starts afresh (it does not resume the first one's take).
    assert main(["demo", "--out", str(tmp_path), "--no-play"]) == 0
    assert len(mapfile.read(tmp_path / "session").snippets) == len(m.snippets)


def test_devices_lists_the_jack_device(jack_server):
    env = dict(os.environ, JACK_DEFAULT_SERVER=jack_server.name)
    r = subprocess.run([sys.executable, "-m", "livemappr", "devices"], capture_output=True, text=True, env=env,
                       timeout=60)
    assert r.returncode == 0
    assert r.stdout.splitlines()[0].startswith("0 system (JACK Audio Connection Kit, 2 in, 2 out, 48000 Hz)")


def test_devices_lists_midi_ports_of_other_programs(jack_server):
    import rtmidi

    pads = rtmidi.MidiOut(rtmidi.API_UNIX_JACK, name="pads-under-test")
    pads.open_virtual_port("pads")
    lights = rtmidi.MidiIn(rtmidi.API_UNIX_JACK, name="lights-under-test")
    lights.open_virtual_port("lights")
    try:
        env = dict(os.environ, JACK_DEFAULT_SERVER=jack_server.name)
        r = subprocess.run([sys.executable, "-m", "livemappr", "devices"], capture_output=True, text=True, env=env,
                           timeout=60)
    finally:
        pads.delete()
        lights.delete()
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    midi_in, midi_out = lines.index("MIDI in (jack): "), lines.index("MIDI out (jack): ")
    # The pads send: livemappr reads them. The lights receive: livemappr sends to them.
    assert any("pads-under-test" in line for line in lines[midi_in:midi_out])
    assert not any("lights-under-test" in line for line in lines[midi_in:midi_out])
    assert any("lights-under-test" in line for line in lines[midi_out:])


@pytest.mark.parametrize("argv", [["devices"], ["demo", "--help"]])
def test_commands_do_not_print_tracebacks(argv, capsys):
    try:
        main(argv)
    except SystemExit:
        pass
    assert "Traceback" not in capsys.readouterr().err


def _hidden_portaudio_command(argv):
    """``argv`` run where the PortAudio library cannot load: in a mount
    namespace of its own, every libportaudio file is an empty one (as on a
    machine without libportaudio2), the rest of the system as it is."""
    import shlex
    import shutil

    # the files the dynamic linker would load for PortAudio (ldconfig's cache), links resolved
    cache = subprocess.run(["ldconfig", "-p"], capture_output=True, text=True).stdout.splitlines()
    libs = sorted({os.path.realpath(line.split(" => ")[-1].strip()) for line in cache if "libportaudio" in line})
    if not libs:
        pytest.skip("PortAudio is not installed, so there is nothing to hide")
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        pytest.skip("hiding a library needs root and unshare (a mount namespace)")
    hide = "; ".join(f"mount --bind /dev/null {shlex.quote(p)}" for p in libs)
    return ["unshare", "--mount", "sh", "-c", f"{hide}; exec {shlex.join(argv)}"]


def test_devices_without_portaudio_is_one_line_and_exit_1():
    r = subprocess.run(_hidden_portaudio_command([sys.executable, "-m", "livemappr", "devices"]),
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 1, r.stderr
    assert r.stderr.splitlines() == ["livemappr: error: PortAudio not found: install it with apt install libportaudio2"]


def test_the_portaudio_check_sees_a_present_library():
    # the other side: with the library there, devices runs (JACK may be absent: then no devices)
    r = subprocess.run([sys.executable, "-m", "livemappr", "devices"], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0 and "PortAudio not found" not in r.stderr


def test_warmup_shows_each_step_once_then_the_cache_is_known_warm():
    from livemappr.session import kernels

    marker = pathlib.Path(os.environ["NUMBA_CACHE_DIR"]) / kernels.MARKER  # the tests' cache (conftest)
    marker.unlink(missing_ok=True)
    first = subprocess.run([sys.executable, "-m", "livemappr", "warmup"], capture_output=True, text=True,
                           timeout=1200)
    assert first.returncode == 0, first.stderr
    lines = first.stderr.splitlines()
    assert lines[0].startswith("livemappr: compiling the engine's kernels, once after an install")
    steps = [line.split(" ", 2)[1] for line in lines if line.startswith("livemappr: [")]
    assert steps == ["[1/3]", "[1/3]", "[2/3]", "[2/3]", "[3/3]", "[3/3]"]
    assert lines[-1].startswith("livemappr: kernels ready in") and marker.exists()
    again = subprocess.run([sys.executable, "-m", "livemappr", "warmup"], capture_output=True, text=True,
                           timeout=1200)
    assert again.returncode == 0
    assert "compiled already" in again.stderr and "[1/3]" not in again.stderr


def test_warmup_refuses_a_bad_rate(capsys):
    assert main(["warmup", "--samplerate", "5"]) == 2
    assert capsys.readouterr().err.strip() == "livemappr: error: --samplerate must be in 8000..384000, got 5"


def test_make_demo_compiles_the_kernels_as_an_install_step_before_the_demo(tmp_path):
    # make's dry run in a copy of the tree with a venv it thinks is installed:
    # warmup runs before the demo, and not again until the source changes.
    root = pathlib.Path(__file__).resolve().parent.parent
    shutil.copytree(root / "livemappr", tmp_path / "livemappr",
                    ignore=shutil.ignore_patterns("__pycache__", "*.nbi", "*.nbc"))
    for name in ("Makefile", "pyproject.toml"):
        shutil.copy(root / name, tmp_path / name)
    shutil.copytree(root / "requirements", tmp_path / "requirements")
    venv = tmp_path / ".venv"
    venv.mkdir()
    for stamp in (".apt-runtime", ".installed"):
        (venv / stamp).touch()

    def dry_run():
        out = subprocess.run(["make", "-n", "demo"], cwd=tmp_path, capture_output=True, text=True,
                             timeout=60, check=True).stdout
        return [line for line in out.splitlines() if "bin/livemappr" in line]

    assert dry_run() == [".venv/bin/livemappr warmup", ".venv/bin/livemappr demo"]
    (venv / ".warm").touch()
    assert dry_run() == [".venv/bin/livemappr demo"]
    os.utime(tmp_path / "livemappr" / "cli.py")  # an update: newer than the stamp
    assert dry_run()[0] == ".venv/bin/livemappr warmup"


# -- issue 16: what no command caught is one line at the boundary, a bug stays visible ------------

@pytest.mark.parametrize("error, shown", [
    (OSError(28, "No space left on device", "/media/disk/kit/a.wav"),
     "/media/disk/kit/a.wav: No space left on device (LIVEMAPPR_TRACEBACK=1 shows where)"),
    (ValueError("bad\nvalue"), "bad value (unexpected ValueError: please report it with what LIVEMAPPR_TRACEBACK=1"),
    (OverflowError("cannot convert float infinity to integer"), "unexpected OverflowError"),
    (RecursionError("maximum recursion depth exceeded"), "nested too deeply"),
    (MemoryError(), "out of memory"),
    (OSError(2, "No such file or directory", os.fsdecode(b"/tmp/caf\xe9")), "/tmp/caf\\xe9: No such file"),
])
def test_remaining_errors_are_one_line_exit_1_and_a_traceback_on_request(monkeypatch, capsys, error, shown):
    from livemappr import cli

    def fails(args):
        raise error

    monkeypatch.setattr(cli, "_export", fails)
    monkeypatch.delenv(cli.TRACEBACK_ENV, raising=False)
    assert main(["export", "x", "--out", "y"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("livemappr: error: ") and err.count("\n") == 1 and shown in err
    monkeypatch.setenv(cli.TRACEBACK_ENV, "1")
    with pytest.raises(type(error)):
        main(["export", "x", "--out", "y"])


def test_a_bug_keeps_its_traceback(monkeypatch):
    from livemappr import cli

    def fails(args):
        raise TypeError("a bug")

    monkeypatch.setattr(cli, "_export", fails)
    with pytest.raises(TypeError):
        main(["export", "x", "--out", "y"])


def test_export_into_a_file_is_one_line(tmp_path, capsys):
    from livemappr.files import mapfile

    mapfile.write(tmp_path / "map", mapfile.MapFile(48000, (), ()))
    (tmp_path / "kit").write_text("a file, not a folder")
    code = main(["export", str(tmp_path / "map"), "--out", str(tmp_path / "kit")])
    err = capsys.readouterr().err
    assert code == 1 and err.startswith("livemappr: error: ") and err.count("\n") == 1
    assert "kit: Not a directory" in err
