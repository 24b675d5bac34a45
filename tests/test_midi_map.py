"""The MIDI map and the allow-list as files (issue 19, item 3): the ``[midi]``
section, MIDI learn writing it back, ``--allow`` and ``[session] allow``.

Real JACK MIDI (a private dummy server, a second rtmidi process sending),
real OSC on loopback (``oscsend``, UDP sockets bound to 127.0.0.2 that the
allow-list must refuse), real config files with absurd values.
"""

import os
import socket
import subprocess
import sys
import textwrap
import time
import tomllib

import numpy as np
import pytest
import rtmidi
from pythonosc.osc_message import OscMessage
from pythonosc.osc_message_builder import OscMessageBuilder

from livemappr.audio.stream import AudioStream
from livemappr.control.midi import MidiInput
from livemappr.control.midimap import Action, Binding, MidiMap
from livemappr.control.playable import SnapshotRef
from livemappr.control.surfaces import Surfaces
from livemappr.errors import UsageError
from livemappr.session import settings
from livemappr.session.midisave import MidiMapSaver
from livemappr.session.session import SessionConfig
from tests.control_helpers import engine_with_snippets, grid_snapshot, level_of, onsets
from tests.jackserver import Recorder, engine_ports, wait_until

SECTIONS = {"session": SessionConfig, "midi": MidiMap}
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def load_text(tmp_path, text):
    p = tmp_path / "rig.toml"
    p.write_text(text)
    return settings.load(p, SECTIONS)


# -- the [midi] section ------------------------------------------------------------------------


def test_without_a_midi_section_the_map_is_todays_fixed_map(tmp_path):
    m = load_text(tmp_path, "[session]\nclusters = 8\n")["midi"]
    assert m == MidiMap()
    for k in range(16):  # notes 36..51 play clusters 0..15 on every channel
        for ch in (0, 9, 15):
            assert m.lookup(0x90, ch, 36 + k) == Action("cluster", k)
    assert m.lookup(0x90, 0, 35) is None and m.lookup(0x90, 0, 64) is None
    assert {n: m.lookup(0xB0, 3, n).name for n in (7, 1, 74, 20, 21, 22)} == {
        7: "volume", 1: "rate", 74: "select", 20: "tempo", 21: "quantize", 22: "swing"}
    assert [m.lookup(0x90, 0, n) for n in (52, 55, 56, 60, 61, 62, 63)] == [
        Action("loop_pedal", 0), Action("loop_pedal", 3), Action("loop_mute", 0), Action("tap"),
        Action("pattern_record"), Action("pattern_play"), Action("pattern_undo")]


def test_a_midi_section_binds_per_channel_unbinds_and_can_start_from_nothing(tmp_path):
    m = load_text(tmp_path, textwrap.dedent("""
        [midi]
        "note 70 channel 10" = "cluster 3"
        "note 36" = "none"
        "cc 30" = "tempo"
        "note 40 channel 2" = "tap"
    """))["midi"]
    assert m.lookup(0x90, 9, 70) == Action("cluster", 3) and m.lookup(0x90, 8, 70) is None
    assert m.lookup(0x90, 0, 36) is None and m.lookup(0x90, 0, 37) == Action("cluster", 1)
    assert m.lookup(0xB0, 0, 30) == Action("tempo") and m.lookup(0xB0, 0, 20) == Action("tempo")
    assert m.lookup(0x90, 1, 40) == Action("tap") and m.lookup(0x90, 0, 40) == Action("cluster", 4)
    empty = load_text(tmp_path, '[midi]\ndefaults = false\n"cc 7" = "volume"\n')["midi"]
    assert empty.bindings == {Binding(0xB0, None, 7): Action("volume")}


@pytest.mark.parametrize("body, message", [
    ('"note 128" = "cluster 0"', "midi.'note 128' must be a note or controller number in 0..127, got 128"),
    ('"note 999999999999" = "tap"', "midi key must be 'note N' or 'cc N'"),
    ('"note -1" = "tap"', "midi key must be 'note N' or 'cc N', N in 0..127"),
    ('"cc 7 channel 0" = "volume"', "midi.'cc 7 channel 0' must be a channel in 1..16, got 0"),
    ('"cc 7 channel 17" = "volume"', "must be a channel in 1..16, got 17"),
    ('"pitchbend 3" = "volume"', "midi key must be 'note N' or 'cc N'"),
    ('"note 36" = "cluster 4096"', "midi.'note 36' must be 'cluster N' with N in 0..4095, got 'cluster 4096'"),
    ('"note 36" = "cluster"', "must be 'cluster N' with N in 0..4095, got 'cluster'"),
    ('"note 36" = "loop_pedal 4"', "must be 'loop_pedal N' with N in 0..3, got 'loop_pedal 4'"),
    ('"note 36" = "tap 2"', "must be 'tap' without a number, got 'tap 2'"),
    ('"note 36" = "none 2"', "must be 'none' without a number"),
    ('"note 36" = "explode"', "must be one of 'volume', 'rate'"),
    ('"note 36" = 5', "midi.'note 36' must be one of"),
    ('"note 36" = ["cluster 1"]', "midi.'note 36' must be one of"),
    ('"note 36" = "volume"', "must be a button action for a note ('volume' follows a controller"),
    ("defaults = \"yes\"", "midi.defaults must be true or false, got 'yes'"),
    ("[midi.extra]\nx = 1", "midi key must be 'note N' or 'cc N'"),
    ('"note 36" = "' + "cluster " + "9" * 5000 + '"', "midi.'note 36' must be one of"),
])
def test_absurd_midi_sections_are_one_line_naming_the_file_field_and_what_is_allowed(tmp_path, body, message):
    with pytest.raises(UsageError) as e:
        load_text(tmp_path, "[midi]\n" + body + "\n")
    text = str(e.value)
    assert message in text and "\n" not in text and str(tmp_path / "rig.toml") in text and len(text) < 700, text


# -- writing the section back ----------------------------------------------------------------------

RIG = """\
# my rig, hand-written: keep this
[engine]
blocksize = 128   # the Pi 5

[midi]
# an old comment inside the section goes with it
"note 70" = "cluster 3"

[session]
clusters = 8
allow = ["127.0.0.1", "192.168.1.0/24"]   # phone and laptop
"""


def test_learned_map_replaces_only_the_midi_section_atomically(tmp_path):
    p = tmp_path / "rig.toml"
    p.write_text(RIG)
    os.chmod(p, 0o640)
    learned = MidiMap().bind(Binding(0xB0, None, 31), Action("tempo")).bind(Binding(0x90, None, 80),
                                                                             Action("cluster", 2))
    settings.write_section(p, "midi", learned.toml_lines(), header="written by a test")
    text = p.read_text()
    # every other line of the file, comments included, as it was
    for line in RIG.splitlines():
        if "old comment" not in line and "note 70" not in line:
            assert line in text.splitlines()
    assert text.index("[engine]") < text.index("[midi]") < text.index("[session]")
    assert oct(p.stat().st_mode & 0o777) == "0o640" and sorted(os.listdir(tmp_path)) == ["rig.toml"]
    again = settings.load(p, {"midi": MidiMap, "session": SessionConfig, "engine": _engine()})
    assert again["midi"] == learned and again["session"].clusters == 8
    assert again["session"].allow == ("127.0.0.1", "192.168.1.0/24")
    section = tomllib.loads(text)["midi"]
    assert section == {"cc 20": "none", "cc 31": "tempo", "note 38": "none", "note 80": "cluster 2"}


def _engine():
    from livemappr.audio.config import EngineConfig

    return EngineConfig


def test_a_file_without_a_midi_section_gets_one_at_the_end_and_a_missing_file_is_made(tmp_path):
    p = tmp_path / "rig.toml"
    p.write_text("[session]\nclusters = 8")  # no newline at the end
    m = MidiMap().bind(Binding(0x90, 9, 70), Action("tap"))
    settings.write_section(p, "midi", m.toml_lines())
    assert p.read_text() == '[session]\nclusters = 8\n\n[midi]\n"note 60" = "none"\n"note 70 channel 10" = "tap"\n'
    q = tmp_path / "new.toml"
    settings.write_section(q, "midi", m.toml_lines())
    assert settings.load(q, {"midi": MidiMap})["midi"] == m


def test_a_layout_the_editor_cannot_change_safely_is_left_alone(tmp_path):
    p = tmp_path / "rig.toml"
    tricky = '[session]\nweb_names = """\n[midi]\n"""\nclusters = 8\n'  # a header inside a string
    p.write_text(tricky)
    with pytest.raises(settings.SettingsError, match="cannot write \\[midi\\] into it safely"):
        settings.write_section(p, "midi", MidiMap().toml_lines())
    assert p.read_text() == tricky and os.listdir(tmp_path) == ["rig.toml"]


def test_a_read_only_folder_is_a_one_line_error_and_the_file_stays(tmp_path):
    if os.geteuid() == 0:
        # root writes anywhere: a read-only bind mount is the real thing
        from tests import disk_rig

        if disk_rig.cannot_mount():
            pytest.skip(disk_rig.cannot_mount())
    p = tmp_path / "rig.toml"
    p.write_text(RIG)
    script = textwrap.dedent(f"""
        import subprocess, sys
        subprocess.run(["mount", "--bind", {str(tmp_path)!r}, {str(tmp_path)!r}], check=True)
        subprocess.run(["mount", "-o", "remount,bind,ro", {str(tmp_path)!r}], check=True)
        from livemappr.control.midimap import MidiMap, Binding, Action
        from livemappr.session.midisave import MidiMapSaver
        told = []
        s = MidiMapSaver({str(p)!r}, told.append)
        s.learned(MidiMap().bind(Binding(0xB0, None, 31), Action("tempo")))
        s.stop()
        print(told[-1])
    """)
    out = subprocess.run(["unshare", "--mount", "--propagation", "private", sys.executable, "-c", script],
                         capture_output=True, text=True, timeout=60, env=dict(os.environ, PYTHONPATH=ROOT))
    assert out.returncode == 0, out.stderr[-2000:]
    line = out.stdout.strip()
    assert line.startswith("livemappr: MIDI learn: cannot write config file") and "Read-only file system" in line
    assert "\n" not in line and p.read_text() == RIG


# -- the allow-list from the config file ---------------------------------------------------------


@pytest.mark.parametrize("value, shown", [
    ('["300.1.1.1"]', "'300.1.1.1'"), ('["10.0.0.0/33"]', "'10.0.0.0/33'"), ('[""]', "''"),
    ("[5]", "5"), ('"127.0.0.1"', "'127.0.0.1'"), ("[]", "[]"), ('["127.0.0.1", ["x"]]', "['x']"),
    ("[" + ", ".join(['"10.0.0.1"'] * 300) + "]", "['10.0.0.1',"),
])
def test_absurd_allow_lists_in_the_file_are_one_line(tmp_path, value, shown):
    with pytest.raises(UsageError) as e:
        load_text(tmp_path, f"[session]\nallow = {value}\n")
    text = str(e.value)
    assert text.startswith(f"config file {tmp_path / 'rig.toml'}: session.allow must be a list of at most 256 "
                           "addresses or networks") and f"got {shown}" in text and "\n" not in text, text


def test_allow_default_stands_for_the_private_networks(tmp_path):
    from livemappr.control.allowlist import DEFAULT_ALLOW

    cfg = load_text(tmp_path, '[session]\nallow = ["default", "100.64.0.0/10"]\n')["session"]
    assert cfg.allow == DEFAULT_ALLOW + ("100.64.0.0/10",)


def test_bad_allow_on_the_command_line_is_one_line_exit_2(capsys):
    from livemappr.cli import main

    assert main(["live", "--allow", "127.0.0.1", "--allow", "1.2.3.256/8", "--device", "none"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == ("livemappr: error: --allow '1.2.3.256/8' is not an address or network (such as "
                   "192.168.1.23, 10.0.0.0/8, fd00::/8, or default for private networks)")


# -- real JACK MIDI through a user's map ---------------------------------------------------------

SENDER = textwrap.dedent("""
    import sys, time, rtmidi
    out = rtmidi.MidiOut(rtmidi.API_UNIX_JACK, name="sender")
    out.open_port(out.get_ports().index("livemappr:livemappr"))
    time.sleep(0.3)
    for msg in eval(sys.argv[1]):
        out.send_message(msg)
        time.sleep(0.08)
    time.sleep(0.3)
""")


def send(messages):
    subprocess.run([sys.executable, "-c", SENDER, repr(messages)], check=True, timeout=30)


@pytest.mark.jack_period(128)
def test_a_users_map_plays_over_real_jack_midi(jack_server, tmp_path):
    sr = jack_server.samplerate
    e, slots = engine_with_snippets(8, frames=1500, blocksize=jack_server.period, ring_seconds=4)
    snapshots = SnapshotRef(grid_snapshot(slots, 8))
    p = tmp_path / "rig.toml"
    p.write_text('[midi]\n"note 70 channel 10" = "cluster 3"\n"note 36" = "none"\n"cc 30" = "cluster 5"\n')
    midi_map = settings.load(p, {"midi": MidiMap})["midi"]
    from livemappr.control.trigger import Trigger

    t = Trigger(e, snapshots)
    midi = MidiInput(t, api=rtmidi.API_UNIX_JACK, midi_map=midi_map).start()
    try:
        with AudioStream(e, device="system"):
            rec = Recorder("speaker", engine_ports("out")[:1], 3.5, sr)
            send([[0x90, 36, 127],  # unbound: nothing
                  [0x90, 70, 127],  # channel 1: bound only on channel 10: nothing
                  [0x99, 70, 127],  # cluster 3
                  [0xB0, 30, 127],  # a controller as a button: cluster 5
                  [0xB0, 30, 0],  # its release
                  [0x90, 37, 127]])  # the built-in map still there: cluster 1
            time.sleep(0.1)
            recorded = rec.close()
    finally:
        midi.close()
    starts = onsets(recorded[:, 0])
    levels = [recorded[s + 10, 0] for s in starts]
    assert len(starts) == 3, levels
    np.testing.assert_allclose(levels, [level_of(3), level_of(5), level_of(1)], rtol=1e-5)
    assert midi.errors.counts() == {}


@pytest.mark.jack_period(128)
def test_midi_learn_from_oscsend_binds_a_note_plays_it_and_saves_the_file(jack_server, tmp_path):
    sr = jack_server.samplerate
    e, slots = engine_with_snippets(8, frames=1500, blocksize=jack_server.period, ring_seconds=4)
    p = tmp_path / "rig.toml"
    p.write_text(RIG)
    told = []
    saver = MidiMapSaver(p, told.append)
    with AudioStream(e, device="system"):
        rec = Recorder("speaker", engine_ports("out")[:1], 4.0, sr)
        with Surfaces(e, SnapshotRef(grid_snapshot(slots, 8)), osc_host="127.0.0.1", osc_port=0,
                      midi_api="jack") as s:
            s.midi.on_learned = saver.learned
            port = str(s.osc.port)
            subprocess.run(["oscsend", "127.0.0.1", port, "/livemappr/midi/learn", "si", "cluster", "6"], check=True)
            assert wait_until(lambda: s.midi.learning == "cluster 6", 5)
            send([[0x92, 90, 100],  # learned: note 90 (any channel) now plays cluster 6, at once
                  [0x90, 42, 100],  # cluster 6's old note: no longer bound
                  [0x95, 90, 127]])  # again, another channel
            assert wait_until(lambda: saver.writes == 1, 10), told
            subprocess.run(["oscsend", "127.0.0.1", port, "/livemappr/midi/learn", "si", "loop_pedal", "9"],
                           check=True)  # no track 9: counted, nothing learned
            time.sleep(0.2)
            recorded = rec.close()
    saver.stop()
    starts = onsets(recorded[:, 0])
    levels = [recorded[s + 10, 0] for s in starts]
    np.testing.assert_allclose(levels, [level_of(6) * 100 / 127, level_of(6)], rtol=1e-5)
    assert s.midi.learning is None
    counts = s.errors.counts()
    assert counts == {"out_of_range": 1}, counts
    text = p.read_text()
    assert "# my rig, hand-written: keep this" in text and "blocksize = 128   # the Pi 5" in text
    assert '"note 90" = "cluster 6"' in text and '"note 42" = "none"' in text and '"note 70"' not in text
    assert told == [f"livemappr: MIDI learn: the map is saved in {p} ([midi])"]
    loaded = settings.load(p, {"midi": MidiMap, "session": SessionConfig, "engine": _engine()})
    assert loaded["midi"].lookup(0x90, 4, 90) == Action("cluster", 6)


def test_learn_of_a_controller_action_waits_for_a_controller_and_skips_notes(jack_server):
    from livemappr.control.trigger import Trigger

    e, slots = engine_with_snippets(4, frames=1000, blocksize=128, ring_seconds=4)
    t = Trigger(e, SnapshotRef(grid_snapshot(slots, 4)))
    midi = MidiInput(t, api=rtmidi.API_UNIX_JACK, lights=False)
    got = []
    midi.on_learned = got.append
    try:
        midi.learn("volume")
        midi.handle([0x90, 90, 100])  # a note cannot carry a level: still waiting
        assert midi.learning == "volume" and got == []
        midi.handle([0xB4, 12, 127])
        assert midi.learning is None and got[0].lookup(0xB0, 0, 12) == Action("volume")
        assert got[0].lookup(0xB0, 0, 7) is None and midi.map is got[0]
        with pytest.raises(ValueError, match="MIDI learn target must be 'cluster N' with N in 0..4095"):
            midi.learn("cluster", 5000)
    finally:
        midi.close()


# -- the allow-list in a live run: CLI over the file, OSC and the web view --------------------------


def _osc(path, *args):
    b = OscMessageBuilder(path)
    for a in args:
        b.add_arg(a)
    return b.build().dgram


def _feedback(sock, seconds=1.5):
    """OSC addresses received on ``sock`` within ``seconds``."""
    sock.settimeout(0.1)
    got, end = [], time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            got.append(OscMessage(sock.recvfrom(65536)[0]))
        except socket.timeout:
            continue
    return got


def _http_status(host_from, port):
    """The web view's answer to a GET from source address ``host_from``."""
    with socket.create_connection(("127.0.0.1", port), timeout=5, source_address=(host_from, 0)) as c:
        c.sendall(f"GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n".encode())
        return int(c.recv(64).split()[1])


def test_allow_on_the_command_line_wins_over_the_file_for_osc_and_the_web_view(jack_server, tmp_path):
    from tests.test_live_e2e import free_udp_port

    osc_port = free_udp_port()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        web_port = s.getsockname()[1]
    cfg = tmp_path / "rig.toml"
    cfg.write_text('[session]\nallow = ["10.0.0.0/8"]\nspeed = 1.0\n\n[midi]\n"cc 30" = "tempo"\n')
    proc = subprocess.Popen(
        [sys.executable, "-m", "livemappr", "live", "--device", "none", "--no-session", "--osc-port", str(osc_port),
         "--web-port", str(web_port), "--web-host", "127.0.0.1", "--allow", "127.0.0.1", "--config", str(cfg)],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    good = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    bad = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        good.bind(("127.0.0.1", 0))
        bad.bind(("127.0.0.2", 0))
        from tests.test_live_e2e import jack_ports

        assert wait_until(lambda: proc.poll() is not None or jack_ports("livemappr:livemappr"), 180, 0.2), \
            "livemappr live did not come up"
        assert proc.poll() is None, proc.stderr.read()[-3000:]
        # The MIDI port opens a moment before the OSC socket is bound: subscribe until answered.
        first, deadline = [], time.monotonic() + 20
        while not first and time.monotonic() < deadline:
            good.sendto(_osc("/livemappr/subscribe", good.getsockname()[1]), ("127.0.0.1", osc_port))
            first = _feedback(good, 0.5)
        assert any(m.address == "/livemappr/tempo/state" and m.params[0] == 120.0 for m in first), first
        bad.sendto(_osc("/livemappr/subscribe", bad.getsockname()[1]), ("127.0.0.1", osc_port))
        assert _feedback(bad, 1.0) == []  # 127.0.0.2 is not in --allow: dropped before parsing
        send([[0xB0, 30, 40]])  # the file's [midi]: cc 30 sets the tempo, 60 + 40
        got = _feedback(good)
        assert any(m.address == "/livemappr/tempo/state" and m.params[0] == 100.0 for m in got), got
        assert wait_until(lambda: _http_status("127.0.0.1", web_port) == 200, 10)
        assert _http_status("127.0.0.2", web_port) == 403
        # MIDI learn in the live process writes the --config file's [midi], the rest kept
        subprocess.run(["oscsend", "127.0.0.1", str(osc_port), "/livemappr/midi/learn", "s", "tempo"], check=True)
        time.sleep(0.3)
        send([[0xB3, 31, 80]])  # learned on channel 4, bound on every channel: tempo 140
        got = _feedback(good)
        assert any(m.address == "/livemappr/tempo/state" and m.params[0] == 140.0 for m in got), got
        assert wait_until(lambda: '"cc 31" = "tempo"' in cfg.read_text(), 10), cfg.read_text()
    finally:
        good.close()
        bad.close()
        proc.terminate()
        err = proc.communicate(timeout=60)[1]
    assert proc.returncode == 0, err[-3000:]
    assert "keeping this session" not in err  # --no-session
    assert f"livemappr: MIDI learn: the map is saved in {cfg} ([midi])" in err
    text = cfg.read_text()
    assert text.startswith('[session]\nallow = ["10.0.0.0/8"]\nspeed = 1.0\n\n[midi]\n')
    assert tomllib.loads(text)["midi"] == {"cc 20": "none", "cc 31": "tempo"}  # cc 30's binding moved
