"""The surfaces wired as a session wires them, and the walls of control/."""

import ast
import pathlib
import subprocess

import numpy as np

from livemappr.control.playable import SnapshotRef
from livemappr.control.surfaces import Surfaces
from livemappr.audio.stream import AudioStream
from tests.control_helpers import engine_with_snippets, grid_snapshot, level_of, onsets
from tests.jackserver import Recorder, engine_ports, wait_until

CONTROL = pathlib.Path(__file__).resolve().parent.parent / "livemappr" / "control"
# control/ runs on control threads: never the stream, the analysis or the
# mapping workers' modules (snapshots reach it through SnapshotRef).
FORBIDDEN = ("livemappr.audio.stream", "livemappr.analysis", "livemappr.mapping", "sounddevice", "numba")


def test_control_imports_none_of_the_other_threads_modules():
    bad = []
    for path in sorted(CONTROL.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            bad += [f"{path.name}: {n}" for n in names if any(n == f or n.startswith(f + ".") for f in FORBIDDEN)]
    assert bad == []


def test_session_wiring_plays_from_osc_and_midi_learn_reaches_midi(jack_server):
    sr = jack_server.samplerate
    e, slots = engine_with_snippets(4, frames=1000, blocksize=jack_server.period)
    snapshots = SnapshotRef(grid_snapshot(slots, 4))
    with AudioStream(e, device="system"):
        rec = Recorder("speaker", engine_ports("out")[:1], 3.0, sr)
        with Surfaces(e, snapshots, osc_host="127.0.0.1", osc_port=0, midi_api="jack") as s:
            assert wait_until(lambda: e.frame > sr // 10, 5)
            port = str(s.osc.port)
            subprocess.run(["oscsend", "127.0.0.1", port, "/livemappr/midi/learn", "s", "rate"], check=True)
            subprocess.run(["oscsend", "127.0.0.1", port, "/livemappr/pad/2", "f", "1.0"], check=True)
            assert wait_until(lambda: s.midi.learning == "rate", 5)
            assert wait_until(lambda: e.meters()["commands"] >= 1, 5)
            import time

            time.sleep(0.1)
        recorded = rec.close()
    assert s.errors.counts() == {}
    starts = onsets(recorded[:, 0])
    assert len(starts) == 1
    np.testing.assert_allclose(recorded[starts[0] + 5, 0], level_of(2), rtol=1e-6)
