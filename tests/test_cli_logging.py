"""What the command line says: -v/-q, the C libraries kept quiet, defaults in --help."""

import argparse
import logging
import os
import subprocess
import sys
import time

import pytest

from livemappr.cli import _live_defaults, build_parser, logging_to_stderr, main
from livemappr.control.report import ErrorCounts

# libjack's and libasound's complaints when there is no server and no ALSA
# sequencer, as the MIDI probe of `livemappr devices` meets them
RAW_PROBE = """
from livemappr.control.midi import list_ports
try:
    list_ports()
except Exception:
    pass
"""


def no_jack_env():
    """The environment with no JACK server to find: a server name nobody runs."""
    return dict(os.environ, JACK_DEFAULT_SERVER=f"livemappr-nobody-{os.getpid()}",
                PYTHONPATH=os.pathsep.join(filter(None, [os.getcwd(), os.environ.get("PYTHONPATH")])))


def devices(*flags):
    return subprocess.run([sys.executable, "-m", "livemappr", *flags, "devices"], capture_output=True, text=True,
                          env=no_jack_env(), timeout=120)


def test_devices_without_jack_keeps_the_libraries_quiet_unless_verbose():
    raw = subprocess.run([sys.executable, "-c", RAW_PROBE], capture_output=True, text=True, env=no_jack_env(),
                         timeout=120).stderr.splitlines()
    raw = [line.strip() for line in raw if line.strip()]
    assert raw, "the libraries said nothing here: nothing to keep quiet"
    plain = devices()
    assert plain.returncode == 0
    assert plain.stderr == ""  # only livemappr's own lines, and it has none to say
    assert plain.stdout.splitlines()[0] == "no audio devices (no sound card, and no JACK server running)"
    verbose = devices("-v")
    assert verbose.returncode == 0
    # every line the libraries wrote, through the log, and nothing else
    assert verbose.stderr.splitlines() == [f"livemappr: info: MIDI: {line}" for line in raw]
    assert verbose.stdout == plain.stdout
    assert devices("-q").stderr == ""


@pytest.mark.parametrize("argv, shown", [
    ([], ["livemappr: warning: osc: bad packet (further ones are only counted)"]),
    (["-q"], []),
    (["-v"], ["livemappr: warning: osc: bad packet (further ones are only counted)",
              "livemappr: info: the map has 3 sounds"]),
    (["-vv"], ["livemappr: warning: osc: bad packet (further ones are only counted)",
               "livemappr: info: the map has 3 sounds", "livemappr: debug: step 1"]),
])
@pytest.mark.parametrize("where", ["before", "after"])
def test_verbosity_sets_what_the_log_shows(capsys, argv, shown, where):
    args = build_parser().parse_args(argv + ["devices"] if where == "before" else ["devices"] + argv)
    before = logging.getLogger("livemappr").level
    with logging_to_stderr(args.verbose, args.quiet):
        ErrorCounts().count("osc", "bad packet")
        logging.getLogger("livemappr.mapping").info("the map has %d sounds", 3)
        logging.getLogger("livemappr.mapping").debug("step %d", 1)
        logging.getLogger("livemappr").error("livemappr: %s", "an error, always shown")
    assert capsys.readouterr().err.splitlines() == shown + ["livemappr: error: an error, always shown"]
    # the run's logging is undone after it (a program calling main keeps its own)
    assert logging.getLogger("livemappr").level == before
    assert not [h for h in logging.getLogger("livemappr").handlers if type(h).__name__ == "_Handler"]


def test_v_and_q_together_is_one_line(capsys):
    assert main(["-v", "-q", "devices"]) == 2
    assert capsys.readouterr().err.splitlines() == [
        "livemappr: error: argument -q/--quiet: not allowed with argument -v/--verbose"]


def _commands():
    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return sub.choices


@pytest.mark.parametrize("command", sorted(_commands()))
def test_help_shows_every_default(command):
    parser = _commands()[command]
    text = " ".join(parser.format_help().split())
    shown = _live_defaults() if command == "live" else {}
    checked = 0
    for action in parser._actions:
        if not action.option_strings or action.nargs == 0 or action.default is argparse.SUPPRESS:
            continue
        default = action.default if action.default is not None else shown.get(action.dest)
        if default is None:
            continue
        line = " ".join(action.help.split())
        # said in the help text itself, or added after it
        assert f"(default: {default})" in text or ("default" in line and line in text), (action.dest, default)
        checked += 1
    # (devices and sessions have no options; export says its defaults in words: "default the map's")
    assert checked or command in ("devices", "export", "sessions"), f"{command}: no option with a default?"


def test_live_help_shows_the_config_defaults():
    r = subprocess.run([sys.executable, "-m", "livemappr", "live", "--help"], capture_output=True, text=True,
                       timeout=60)
    text = " ".join(r.stdout.split())
    assert r.returncode == 0
    for option, default in (("--samplerate N", 48000), ("--blocksize N", 128), ("--clusters N", 16),
                            ("--input-channel N", 1)):
        assert option in text and f"(default: {default})" in text.split(option, 2)[2].split(" --", 1)[0], option


def _unprivileged(argv):
    """``argv`` run where real-time scheduling is refused: RLIMIT_RTPRIO 0,
    and for root CAP_SYS_NICE dropped too (root may ignore the limit)."""
    import shutil

    if shutil.which("prlimit") is None or (os.geteuid() == 0 and shutil.which("setpriv") is None):
        pytest.skip("prlimit (and setpriv for root; Debian util-linux) are not installed")
    drop = ["setpriv", "--inh-caps=-sys_nice", "--bounding-set=-sys_nice"] if os.geteuid() == 0 else []
    return drop + ["prlimit", "--rtprio=0"] + argv


@pytest.mark.parametrize("flags, hint", [([], False), (["-v"], True)])
def test_the_real_time_priority_hint_shows_with_v(tmp_path, flags, hint):
    from tests.jackserver import wait_until
    from tests.test_live_e2e import free_udp_port

    port = free_udp_port()
    err = tmp_path / "stderr"
    with open(err, "w") as sink:
        proc = subprocess.Popen(_unprivileged([sys.executable, "-m", "livemappr", *flags, "live", "--device", "none",
                                               "--no-midi", "--web-port", "0", "--osc-port", str(port)]),
                                env=no_jack_env(), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=sink)
        try:
            # the status line comes once every part has started; the threads
            # that ask for priority get a second more to say so
            until = "OSC server thread stays" if hint else "snippets 0"
            assert wait_until(lambda: proc.poll() is not None or until in err.read_text(), 300, 0.2)
            time.sleep(0 if hint else 1.0)
        finally:
            _end(proc)
    lines = err.read_text().splitlines()
    assert proc.returncode == 0, lines
    shown = [line for line in lines if "priority" in line]
    if hint:
        assert ("livemappr: info: OSC server thread stays at normal priority ([Errno 1] Operation not permitted); "
                "set an rtprio limit for steadier triggers") in shown
    else:
        assert shown == []


def _end(proc):
    """Stop a ``livemappr live`` as Ctrl-C would (SIGTERM), killing it if it hangs."""
    proc.terminate()
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.mark.skipif(os.path.exists("/dev/snd/seq"),
                    reason="this machine has an ALSA sequencer: MIDI opens, there is no failure to see")
def test_live_without_any_midi_plays_on_and_says_midi_is_off(tmp_path):
    """No JACK server and no ALSA sequencer (a container): MIDI cannot open, the rest plays."""
    from tests.jackserver import wait_until
    from tests.test_live_e2e import free_udp_port

    err = tmp_path / "stderr"
    with open(err, "w") as sink:
        proc = subprocess.Popen([sys.executable, "-m", "livemappr", "live", "--device", "none", "--no-session",
                                 "--web-port", "0", "--osc-port", str(free_udp_port())],
                                env=no_jack_env(), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=sink)
        try:
            assert wait_until(lambda: proc.poll() is not None or "snippets 0" in err.read_text(), 300, 0.2)
        finally:
            _end(proc)
    text = err.read_text()
    assert proc.returncode == 0, text
    assert "livemappr: warning: MIDI is off:" in text and "livemappr: error" not in text, text
