"""Ableton Link: two peers in a network namespace of their own (loopback
alone; Link multicasts), the engine on a private JACK server following a
second peer that uses ``link`` directly: tempo, beat and bar phase match,
tempo changes and start/stop go both ways."""

import importlib.util
import pathlib
import signal
import socket
import subprocess
import sys
import time

import numpy as np
import pytest

from livemappr.audio.config import EngineConfig
from livemappr.audio.engine import Engine
from livemappr.audio.stream import AudioStream
from livemappr.control.link import DeviceLine
from livemappr.control.playable import SnapshotRef
from livemappr.control.transport import Transport
from livemappr.control.trigger import Trigger
from tests.jackserver import wait_until
from tests.netns import in_private_netns, only_loopback

# (the extra is in requirements/test.txt; a machine without it still tests the error that says so)
needs_link = pytest.mark.skipif(importlib.util.find_spec("link") is None,
                                reason="the link extra (LinkPython-extern) is not installed: pip install 'livemappr[link]'")

RAW = time.CLOCK_MONOTONIC_RAW


def paired_raw_ns():
    """(monotonic ns, CLOCK_MONOTONIC_RAW ns) read together, the tightest of 9 brackets."""
    best = None
    for _ in range(9):
        a = time.monotonic_ns()
        r = time.clock_gettime_ns(RAW)
        b = time.monotonic_ns()
        if best is None or b - a < best[0]:
            best = (b - a, (a + b) // 2, r)
    return best[1], best[2]


class Measure:
    """The test's own line from monotonic time to engine frames (a :class:`DeviceLine`
    apart from the follower's), read each millisecond for a second before use."""

    def __init__(self, engine):
        self.line = DeviceLine(engine.state.meters, engine.config.samplerate)
        self.pump(1.0)

    def pump(self, seconds):
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self.line.update()
            time.sleep(0.001)

    def frame_of_ns(self, t_ns):
        self.line.update()
        return self.line.frame_of_ns(t_ns)


def rate_of(measure):
    """The audio device's frames per second of the monotonic clock (its clock line)."""
    mono = time.monotonic_ns()
    return measure.frame_of_ns(mono + 10**9) - measure.frame_of_ns(mono)


def wrapped(d, quantum):
    """Beat differences ``d`` modulo the quantum, in -quantum/2..quantum/2: two
    Link apps share the phase in the bar, each numbers bars its own way."""
    return np.mod(np.asarray(d) + quantum / 2, quantum) - quantum / 2


def compare(tr, peer, measure, n=60, gap_s=0.01):
    """The follower against the peer at ``n`` instants: each read on both
    clocks, the peer asked for its beat at its CLOCK_MONOTONIC_RAW time, the
    follower's grid read at the engine frame then.

    Returns the phase errors in ms, both's beats, and the follower's tempo
    in real time (beats per minute of the monotonic clock: the audio device's
    frames may run slower or faster than their nominal rate).
    """
    times, monos, beats = [], [], []
    for _ in range(n):
        mono, raw = paired_raw_ns()
        beats.append(float(tr.tempo.beat_at(measure.frame_of_ns(mono))))
        times.append(raw // 1000)
        monos.append(mono)
        measure.pump(gap_s)
    state = peer.ask("state")
    theirs = np.array(peer.ask("beats", tr.tempo.beats_per_bar, *times)["beats"])
    ours = np.array(beats)
    bpm = np.polyfit((np.array(monos) - monos[0]) / 60e9, ours, 1)[0]
    return wrapped(ours - theirs, tr.tempo.beats_per_bar) * 60e3 / state["tempo"], ours, theirs, bpm


def test_the_missing_extra_is_one_line_saying_how_to_install():
    code = ("import sys; sys.modules['link'] = None\n"
            "from livemappr.control.link import load_link\n"
            "try:\n    load_link()\nexcept Exception as e:\n    print(type(e).__name__, e)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == ("UsageError Ableton Link needs the link extra (LinkPython-extern, GPL-2.0+): "
                           "pip install 'livemappr[link]'")


def test_sync_is_checked_on_the_command_line_and_in_the_config():
    from livemappr.errors import ConfigError
    from livemappr.session.session import SessionConfig

    with pytest.raises(ConfigError, match="session.sync"):
        SessionConfig(sync="ableton")
    assert SessionConfig(sync="link").sync == "link" and SessionConfig().sync == "internal"
    r = subprocess.run([sys.executable, "-m", "livemappr", "live", "--sync", "wifi"], capture_output=True, text=True)
    assert r.returncode == 2 and "invalid choice: 'wifi'" in r.stderr and len(r.stderr.strip().splitlines()) == 1


@needs_link
@in_private_netns
def test_link_clock_is_monotonic_raw_and_the_map_pairs_it_with_monotonic(request):
    import link

    from livemappr.control.link import ClockMap

    assert only_loopback()
    micros = link.Link(120.0).clock().micros
    a = time.clock_gettime_ns(RAW) // 1000
    m = micros()
    b = time.clock_gettime_ns(RAW) // 1000
    assert a <= m <= b + 1  # Link's clock is CLOCK_MONOTONIC_RAW in µs
    cm = ClockMap(micros)
    mono, raw = paired_raw_ns()
    assert cm.bracket_ns < 200_000
    # the map puts Link time and monotonic time together within a few µs
    assert abs(cm.to_monotonic(raw / 1000) - mono) < 50_000 + cm.bracket_ns
    assert abs(cm.to_link(mono) - raw / 1000) < 50 + cm.bracket_ns / 1000


@needs_link
@in_private_netns
def test_two_peers_in_the_namespace_share_tempo_beat_and_start_stop(request):
    import link

    from tests.link_peer import Peer

    ours = link.Link(100.0)
    ours.startStopSyncEnabled = True
    ours.enabled = True
    peer = Peer(133.0)
    try:
        assert peer.wait_for(lambda s: s["peers"] == 1)["peers"] == 1
        assert wait_until(lambda: ours.numPeers() == 1, 5)
        peer.ask("tempo", 141.5)
        assert wait_until(lambda: abs(ours.captureAppSessionState().tempo() - 141.5) < 0.01, 5)
        peer.ask("play", 1)
        assert wait_until(lambda: ours.captureAppSessionState().isPlaying(), 5)
        t = ours.clock().micros()
        theirs = peer.ask("beats", 4, t)["beats"][0]
        # each app numbers its own beats; the session shares the phase in the bar (the quantum)
        assert abs(wrapped(ours.captureAppSessionState().beatAtTime(t, 4.0) - theirs, 4)) < 1e-3
    finally:
        peer.close()
        ours.enabled = False


@needs_link
@in_private_netns
def test_the_engine_follows_a_link_peer_in_tempo_phase_and_bar(request):
    jack_server = request.getfixturevalue("jack_server")
    from tests.link_peer import Peer

    e = Engine(EngineConfig(blocksize=jack_server.period, ring_seconds=1, bank_seconds=1, bank_slots=8,
                            loop_seconds=1))
    tr = Transport(Trigger(e, SnapshotRef()), bpm=100, beats_per_bar=3, sync="link")
    peer = Peer(128.0)
    try:
        with AudioStream(e, device="system"):
            assert wait_until(tr.clock.running, 5)
            tr.start()
            assert peer.wait_for(lambda s: s["peers"] == 1)["peers"] == 1
            # one session: its tempo (ours or the peer's, Link settles which) ...
            session = peer.wait_for(lambda s: False, timeout=0.5)["tempo"]
            assert session in (100.0, 128.0)
            assert wait_until(lambda: tr.tempo.source == "link" and tr.link.session_tempo == session, 5)
            measure = Measure(e)
            errors, ours, theirs, bpm = compare(tr, peer, measure)
            # ... is the follower's in real time, and its beat within a millisecond of the peer's
            assert abs(bpm - session) < 0.1, bpm
            assert np.percentile(np.abs(errors), 90) < 1.0, errors
            # bar lines at the same instants: quantum = beats per bar (3 here)
            assert np.abs(wrapped(ours - theirs, 3)).max() < 0.01
            # the grid's next bar line (what quantised loops and patterns wait for) is a bar line of the peer
            # (read a few times: the frames of a bar a while ahead rest on the device's rate, which
            # the grid follows as it goes)
            # (after a second more: right after joining, the rate of the dummy server, as this test's
            # measure and the grid estimate it, is still settling; two fresh-clone runs saw the
            # projection 2-15 ms off, falling to 0.1-0.3 ms within 0.8 s)
            measure.pump(1.0)
            at_raw = []
            for _ in range(8):
                mono, raw = paired_raw_ns()
                now_frame = measure.frame_of_ns(mono)
                bar = tr.tempo.next_bar(now_frame + 1000)
                at_raw.append(raw + round((bar - now_frame) * 1e9 / rate_of(measure)))
                measure.pump(0.1)
            their_beats = peer.ask("beats", 3, *[t // 1000 for t in at_raw])["beats"]
            assert np.abs(wrapped(their_beats, 3)).max() * 60e3 / session < 1.0, their_beats  # ms off the peer's bar
            # the peer changes tempo: followed
            peer.ask("tempo", 90.5)
            assert wait_until(lambda: abs(tr.link.session_tempo - 90.5) < 0.01, 5), tr.link.session_tempo
            time.sleep(0.05)
            errors, _, _, bpm = compare(tr, peer, measure, n=30)
            assert abs(bpm - 90.5) < 0.1 and np.percentile(np.abs(errors), 90) < 1.0, (bpm, errors)
            # we change tempo (OSC /livemappr/tempo, a tap, a controller): the peer follows
            tr.set_tempo(104)
            assert abs(peer.wait_for(lambda s: abs(s["tempo"] - 104) < 0.01)["tempo"] - 104) < 0.01
            assert wait_until(lambda: tr.tempo.source == "link" and abs(tr.link.session_tempo - 104) < 0.01, 5)
            # start and stop, both ways
            assert not tr.tempo.running
            peer.ask("play", 1)
            assert wait_until(lambda: tr.tempo.running, 5)
            peer.ask("play", 0)
            assert wait_until(lambda: not tr.tempo.running, 5)
            tr.run(True)  # /livemappr/clock/run 1
            assert peer.wait_for(lambda s: s["playing"])["playing"]
            assert wait_until(lambda: tr.tempo.running, 5)
            tr.run(False)
            assert not peer.wait_for(lambda s: not s["playing"])["playing"]
            assert wait_until(lambda: not tr.tempo.running, 5)
            assert tr.errors.counts() == {}
    finally:
        peer.close()
        tr.close()


def live_command(tmp_path, osc_port, *extra):
    demo = pathlib.Path(__file__).resolve().parent.parent / "livemappr" / "data" / "demo_mic.flac"
    return [sys.executable, "-m", "livemappr", "live", "--session", str(tmp_path / "session"), "--device", "none",
            "--input", str(demo), "--osc-port", str(osc_port), "--no-midi", "--web-port", "0", *extra]


def test_live_sync_link_without_the_extra_is_one_line(tmp_path):
    code = "import sys; sys.modules['link'] = None; from livemappr.cli import main; sys.exit(main(sys.argv[1:]))"
    r = subprocess.run([sys.executable, "-c", code] + live_command(tmp_path, 0, "--sync", "link")[3:],
                       capture_output=True, text=True, timeout=300)
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    assert r.returncode != 0 and "Traceback" not in r.stderr, r.stderr[-3000:]
    assert lines[-1] == ("livemappr: error: Ableton Link needs the link extra (LinkPython-extern, GPL-2.0+): "
                         "pip install 'livemappr[link]'"), r.stderr[-3000:]


@needs_link
@in_private_netns
def test_livemappr_live_sync_link_joins_the_session_and_sends_its_tempo(request, tmp_path):
    from tests.link_peer import Peer

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    peer = Peer(133.0)
    live = subprocess.Popen(live_command(tmp_path, port, "--sync", "link"), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        assert peer.wait_for(lambda s: s["peers"] == 1, timeout=120)["peers"] == 1, "livemappr live never joined"
        # /livemappr/tempo from an OSC client sets the session's tempo: the peer follows
        deadline = time.monotonic() + 20
        state = peer.ask("state")
        while abs(state["tempo"] - 99.0) > 0.01 and time.monotonic() < deadline:
            subprocess.run(["oscsend", "127.0.0.1", str(port), "/livemappr/tempo", "f", "99.0"], check=True)
            state = peer.wait_for(lambda s: abs(s["tempo"] - 99.0) < 0.01, timeout=1.0)
        assert abs(state["tempo"] - 99.0) < 0.01, state
    finally:
        live.send_signal(signal.SIGTERM)
        out, err = live.communicate(timeout=60)
        peer.close()
    assert live.returncode == 0, err[-3000:]
    assert peer.proc.returncode == 0
