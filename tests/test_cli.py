import os
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


def test_demo_writes_a_clean_wav(tmp_path, capsys):
    assert main(["demo", "--out", str(tmp_path), "--no-play"]) == 0
    audio, sr = soundfile.read(tmp_path / "demo.wav")
    assert sr == 48000 and audio.shape[1] == 2 and audio.shape[0] > 4 * sr
    assert np.isfinite(audio).all() and 0.3 < np.abs(audio).max() < 0.99
    # Sound starts on the first beat: the kick at frame 0.
    assert np.abs(audio[:64]).max() > 0
    assert "wrote" in capsys.readouterr().out


def test_devices_lists_the_jack_device(jack_server):
    env = dict(os.environ, JACK_DEFAULT_SERVER=jack_server.name)
    r = subprocess.run([sys.executable, "-m", "livemappr", "devices"], capture_output=True, text=True, env=env,
                       timeout=60)
    assert r.returncode == 0
    assert r.stdout.splitlines()[0].startswith("0 system (JACK Audio Connection Kit, 2 in, 2 out, 48000 Hz)")


@pytest.mark.parametrize("argv", [["devices"], ["demo", "--help"]])
def test_commands_do_not_print_tracebacks(argv, capsys):
    try:
        main(argv)
    except SystemExit:
        pass
    assert "Traceback" not in capsys.readouterr().err
