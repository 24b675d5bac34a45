"""``livemappr live`` end to end on a private JACK server.

A drum performance built from Debian's hydrogen one-shots (several kits,
known hit times and drum types) is played into the live process's input
ports; the session must cut the hits, map and cluster them, keep map.json
current, play a cluster on an OSC message and on a MIDI note, and survive
``kill -9``: the next run on the same directory has every hit, in its cluster.
"""

import os
import signal
import socket
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

from livemappr.session import journal

from livemappr.files import mapfile
from livemappr.mapping.quality import cluster_ari
from tests import drumkits
from tests.jackserver import Player, Recorder, engine_ports, wait_until

SR = 48000


def free_udp_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_live(session_dir, osc_port, env):
    return subprocess.Popen(
        [sys.executable, "-m", "livemappr", "live", "--device", "system", "--session", str(session_dir),
         "--osc-port", str(osc_port), "--clusters", "8", "--web-port", "0"],
        env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def jack_ports(pattern):
    import jack

    c = jack.Client("e2e-query", no_start_server=True)
    try:
        return [p.name for p in c.get_ports(pattern)]
    finally:
        c.close()


def wait_for_live(proc, timeout=180):
    ok = wait_until(lambda: proc.poll() is not None or (jack_ports("PortAudio[^:]*:in_") and
                                                         jack_ports("livemappr:livemappr")), timeout, 0.2)
    if proc.poll() is not None or not ok:
        proc.kill()
        raise AssertionError("livemappr live did not come up: " + proc.stderr.read()[-2000:])


def stable_snippets(session_dir, settle=3.0, timeout=60):
    """map.json's snippets once their number has not changed for ``settle`` s."""
    last, since, end = -1, time.monotonic(), time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            n = len(mapfile.read(session_dir).snippets)
        except mapfile.MapFileError:
            n = -1
        if n != last:
            last, since = n, time.monotonic()
        elif n > 0 and time.monotonic() - since >= settle:
            return mapfile.read(session_dir)
        time.sleep(0.2)
    raise AssertionError(f"map.json did not settle (last count {last})")


MIDI_NOTE = textwrap.dedent("""
    import time, rtmidi
    out = rtmidi.MidiOut(rtmidi.API_UNIX_JACK, name="pads")
    out.open_port(out.get_ports().index("livemappr:livemappr"))
    time.sleep(0.3)
    out.send_message([0x99, 36, 120])  # channel 10, note 36: cluster 0
    time.sleep(0.3)
    out.send_message([0x89, 36, 0])
    time.sleep(0.2)
""")


def f_measure(found, truth, tolerance):
    found, truth = sorted(found), sorted(truth)
    used, hits = set(), 0
    for t in truth:
        best = min((abs(f - t), i) for i, f in enumerate(found) if i not in used) if len(used) < len(found) else None
        if best is not None and best[0] <= tolerance:
            used.add(best[1])
            hits += 1
    precision, recall = hits / max(len(found), 1), hits / max(len(truth), 1)
    return 2 * precision * recall / max(precision + recall, 1e-9)


@pytest.mark.jack_period(256)
def test_live_session_end_to_end(jack_server, tmp_path):
    shots = drumkits.one_shots(sr=SR, per_instrument=2, max_seconds=0.5)
    if not shots:
        pytest.skip("Debian hydrogen-drumkits is not installed on this platform")
    seq = drumkits.sequence(shots, 50, SR, seed=5, min_gap_s=0.15, max_gap_s=0.35)
    session_dir = tmp_path / "session"
    port = free_udp_port()
    env = dict(os.environ, JACK_DEFAULT_SERVER=jack_server.name)
    proc = start_live(session_dir, port, env)
    player = recorder = None
    try:
        wait_for_live(proc)
        player = Player("performer", seq.audio, engine_ports("in"))
        recorder = Recorder("speaker", engine_ports("out")[:1], 120.0, SR)
        player.armed.set()
        assert wait_until(lambda: player.done, 60)
        m = stable_snippets(session_dir)

        # The hits were cut where they are (times in the capture file).
        captured, _ = journal.load(session_dir)
        offset = int(np.flatnonzero(captured[:, 0])[0])  # where the performance began in the file
        np.testing.assert_array_equal(captured[offset:offset + seq.audio.shape[0], 0], seq.audio)
        pre_roll = int(0.005 * SR)
        found = [round(s.start * SR) + pre_roll for s in m.snippets]
        score = f_measure(found, list(offset + seq.onsets), 0.02 * SR)
        assert score >= 0.9, f"onset F-measure {score:.3f}"

        # Clusters against drum types, for the report.
        labels, ids = [], []
        for s in m.snippets:
            d = np.abs(offset + seq.onsets - (round(s.start * SR) + pre_roll))
            if d.min() <= 0.02 * SR:
                labels.append(seq.labels[int(d.argmin())])
                ids.append(s.cluster)
        ari = cluster_ari(np.array(ids), np.array(labels))
        print(f"e2e: {len(m.snippets)} snippets for {len(seq.onsets)} hits, F {score:.3f}, "
              f"{len(m.clusters)} clusters, ARI {ari:.3f}")
        assert len(m.clusters) >= 2

        # An OSC message and a MIDI note each play a cluster.
        quiet_until = recorder.n
        subprocess.run(["oscsend", "127.0.0.1", str(port), "/livemappr/cluster/play", "f", "0.0"], check=True)
        assert wait_until(lambda: np.abs(recorder.data[quiet_until:recorder.n, 0]).max(initial=0) > 1e-3, 5)
        time.sleep(1.0)
        before_midi = recorder.n
        assert not np.abs(recorder.data[before_midi - 2000:before_midi, 0]).max() > 0.5  # sanity: not stuck loud
        subprocess.run([sys.executable, "-c", MIDI_NOTE], check=True, timeout=30, env=env)
        assert wait_until(lambda: np.abs(recorder.data[before_midi:recorder.n, 0]).max(initial=0) > 1e-3, 5)
        recorder.close()
        player.close()
        recorder = player = None

        # kill -9, then the same session again: every hit (all recorded more
        # than a second before the kill) is back, where it was, in its cluster.
        hits = len(mapfile.read(session_dir).snippets)
        time.sleep(1.5)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        # What the kill left on disk (the map kept settling until then).
        before = {s.id: (s.start, s.end, s.cluster) for s in mapfile.read(session_dir).snippets}
        assert len(before) == hits
        proc = start_live(session_dir, port, env)
        wait_for_live(proc)
        resumed = stable_snippets(session_dir)
        after = {s.id: (s.start, s.end, s.cluster) for s in resumed.snippets}
        assert {k: after.get(k) for k in before} == before
        captured_again, _ = journal.load(session_dir)
        np.testing.assert_array_equal(captured_again[offset:offset + seq.audio.shape[0], 0], seq.audio)
    finally:
        # JACK clients closed while their server runs: one left to the garbage
        # collector after the server stops crashes the test process
        for client in (recorder, player):
            if client is not None:
                client.close()
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGTERM)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait()
    assert proc.returncode == 0, proc.stderr.read()[-2000:]
