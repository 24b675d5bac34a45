"""OSC on the live engine (private JACK server): sound at the expected frame,
bundles at their timetag, and a flood of 10,000 messages a second with no
xrun and nothing recorded lost. (The full 30 s flood, on an asynchronous
server, is benchmarks/bench_trigger.py --flood.)"""

import pathlib
import socket
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest
from pythonosc.osc_bundle_builder import OscBundleBuilder
from pythonosc.osc_message_builder import OscMessageBuilder

from livemappr.control.osc import OscServer
from livemappr.control.playable import SnapshotRef
from livemappr.control.trigger import Trigger
from livemappr.audio.stream import AudioStream
from tests import osc_flood
from tests.control_helpers import engine_with_snippets, grid_snapshot, level_of, onsets
from tests.jackserver import Recorder, engine_ports, wait_until


def rig(jack_server, **trigger_options):
    e, slots = engine_with_snippets(8, frames=1200, blocksize=jack_server.period, ring_seconds=30)
    t = Trigger(e, SnapshotRef(grid_snapshot(slots, 8)), **trigger_options)
    return e, t


def bundle(path, when, *args):
    b = OscBundleBuilder(when)
    m = OscMessageBuilder(path)
    for a in args:
        m.add_arg(a)
    b.add_content(m.build())
    return b.build().dgram


def frame_at(clock, t, sr):
    """JACK's frame at wall-clock time ``t``, from the tightest of 20 paired readings
    (a thread preempted between the two clock reads would be off by the preemption)."""
    pairs = []
    for _ in range(20):
        a = time.time()
        f = clock.frame_time
        b = time.time()
        pairs.append((b - a, f, (a + b) / 2))
    _, f, when = min(pairs)
    return f + (t - when) * sr


@pytest.mark.jack_period(128)
def test_oscsend_sounds_within_a_few_blocks_and_bundles_land_on_their_timetags(jack_server):
    import jack

    sr, period = jack_server.samplerate, jack_server.period
    e, t = rig(jack_server)
    with AudioStream(e, device="system"), OscServer(t, host="127.0.0.1", port=0) as server:
        rec = Recorder("speaker", engine_ports("out")[:1], 4.0, sr)
        clock = jack.Client("jack-clock", no_start_server=True)
        assert wait_until(lambda: e.frame > sr // 10, 5)
        before = clock.frame_time
        subprocess.run(["oscsend", "127.0.0.1", str(server.port), "/livemappr/cluster/play", "ff", "6.0", "1.0"],
                       check=True, timeout=10)
        after = clock.frame_time
        time.sleep(0.3)
        # Two bundles a quarter second apart, half a second ahead.
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        t0 = time.time() + 0.5
        jack_at_t0 = frame_at(clock, t0, sr)
        s.sendto(bundle("/livemappr/pad/1", t0, 1.0), ("127.0.0.1", server.port))
        s.sendto(bundle("/livemappr/pad/2", t0 + 0.25, 1.0), ("127.0.0.1", server.port))
        time.sleep(1.2)
        recorded = rec.close()
        clock.close()
        m = e.meters()
    assert server.errors.counts() == {}
    starts = [rec.start_frame + int(i) for i in onsets(recorded[:, 0])]
    assert len(starts) == 3
    levels = [recorded[f - rec.start_frame + 5, 0] for f in starts]
    np.testing.assert_allclose(levels, [level_of(6), level_of(1), level_of(2)], rtol=1e-5)
    # oscsend: after it was sent; when it returns the packet is in the socket, and the OSC
    # thread still has to wake (this VM wakes threads up to 9 ms late) before the next block
    assert before <= starts[0] <= after + 2 * period + int(0.010 * sr)
    # bundles: exactly a quarter second apart (same clock), and at the timetag
    # within a block and a millisecond (the dummy driver's clock slips a little)
    assert abs((starts[2] - starts[1]) - 0.25 * sr) <= 0.001 * sr
    assert abs(starts[1] - jack_at_t0) <= period + 0.002 * sr
    assert m["late_commands"] == 0


PLAYER = textwrap.dedent("""
    # A mic in its own process: a Python JACK client in the engine's process
    # would wait for the GIL the OSC thread is busy with, and its lateness
    # (an xrun of the JACK graph) is not the engine's.
    import sys, time
    import numpy as np
    sys.path.insert(0, sys.argv[1])
    from tests.jackserver import Player
    mic = np.load(sys.argv[2])
    player = Player("mic", mic, sys.argv[3:])
    print("ready", flush=True)
    sys.stdin.readline()
    player.armed.set()
    while not player.done:
        time.sleep(0.05)
    player.close()
""")

@pytest.mark.jack_period(128)
def test_flood_of_10000_messages_a_second_no_xrun_nothing_recorded_lost(jack_server, tmp_path):
    sr = jack_server.samplerate
    seconds = 5.0
    e, t = rig(jack_server)
    mic = (np.random.default_rng(4).standard_normal(int((seconds + 1) * sr)) * 0.1).astype(np.float32)
    np.save(tmp_path / "mic.npy", mic)
    root = str(pathlib.Path(__file__).resolve().parent.parent)
    with AudioStream(e, device="system"), OscServer(t, host="127.0.0.1", port=0) as server:
        player = subprocess.Popen([sys.executable, "-c", PLAYER, root, str(tmp_path / "mic.npy"),
                                   *engine_ports("in")], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert player.stdout.readline().strip() == "ready"
        assert wait_until(lambda: e.frame > sr // 5, 5)
        time.sleep(0.3)  # the player's client joining the graph is not part of the flood
        jack_server.output()
        start = e.meters()
        player.stdin.write("go\n")
        player.stdin.flush()
        flood = subprocess.run(osc_flood.command(server.port, 10000, seconds, 8),
                               capture_output=True, text=True, timeout=seconds * 4 + 30)
        assert flood.returncode == 0, flood.stderr
        assert player.wait(15) == 0
        m = e.meters(since=start)
        said = jack_server.output()
        time.sleep(0.2)
        assert t.play_cluster(3) == 3  # still playing after the flood
    n_sent, took = flood.stdout.split()
    counts = server.errors.counts()
    print(f"flood: sent {n_sent} in {float(took):.2f}s, received {server.received}, commands {m['commands']}, "
          f"xruns {m['xruns']} (driver timer late {said.count('JackTimedDriver::Process XRun')}), late callbacks {m['late_callbacks']}, errors {counts}")
    assert int(n_sent) == 10000 * seconds and float(took) < seconds * 1.5
    # No xrun caused by us. jackd names a client that was late ("client = X
    # was not finished"); "JackTimedDriver::Process XRun" is the dummy
    # driver's own timer waking late, which on a shared VM happens with or
    # without us (measured here: 3-4 per 5 s at 100 messages/s too). Every
    # xrun the engine saw must be one of those.
    late_clients = [line for line in said.splitlines() if "was not finished" in line]
    driver_late = sum("JackTimedDriver::Process XRun" in line for line in said.splitlines())
    assert late_clients == []
    assert m["xruns"] <= driver_late, said
    # The mic was captured bit for bit while the flood went on.
    reader = e.ring_reader(0)
    captured = reader.read().copy()[:, 0]
    assert reader.missed == 0
    first = int(np.flatnonzero(captured)[0])
    np.testing.assert_array_equal(captured[first:first + mic.shape[0]], mic)
    # Bad datagrams counted by kind; the good ones played.
    assert set(counts) <= {"malformed", "queue_full"}
    assert counts["malformed"] >= 0.015 * server.received
    assert m["commands"] >= 0.5 * server.received  # most arrived and played (UDP may drop under load)
