"""Search by example in a live session: OSC ``/livemappr/similar`` and ``live --library``.

A take of four library one-shots plays as the mic of a session on a private
JACK server; real OSC datagrams (``oscsend``) ask for the sounds nearest each,
and a real UDP client subscribed to feedback reads the answers.
"""

import socket
import subprocess
import time

import numpy as np
import pytest
import soundfile
from pythonosc.osc_message import OscMessage

from livemappr.audio.config import EngineConfig
from livemappr.files import audiofile
from livemappr.session.session import Session, SessionConfig
from tests.jackserver import Recorder, engine_ports, wait_until
from tests.similar_rig import one_shot_library

PLAYED = (1, 5, 9, 13)  # the library files the take is made of, in order


@pytest.fixture(scope="module")
def library(tmp_path_factory):
    return one_shot_library(tmp_path_factory.mktemp("similar-live"), 24, only_single_onset=True)


def files_of(library):
    return sorted((library / "shots").iterdir())


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def osc(port, path, *args):
    types = "".join("i" if isinstance(a, int) else "f" if isinstance(a, float) else "s" for a in args)
    subprocess.run(["oscsend", "127.0.0.1", str(port), path, types, *map(str, args)], check=True, timeout=10)


class Subscriber:
    """A UDP client subscribed to the session's feedback, keeping the messages of one address prefix."""

    def __init__(self, port, prefix="/livemappr/similar/"):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.1)
        self.prefix = prefix
        self.messages = []
        osc(port, "/livemappr/subscribe", self.sock.getsockname()[1])

    def until(self, address, timeout=20.0):
        """Messages up to and including the first with ``address``."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            try:
                data, _ = self.sock.recvfrom(65536)
            except socket.timeout:
                continue
            if data.startswith(self.prefix.encode()):
                m = OscMessage(data)
                self.messages.append((m.address, list(m.params)))
                if m.address == address:
                    out, self.messages = self.messages, []
                    return out
        raise AssertionError(f"no {address} in {timeout} s; got {self.messages}")

    def close(self):
        self.sock.close()


@pytest.fixture
def live(jack_server, library, tmp_path):
    """A session on JACK whose mic is a take of four library files, with --library."""
    sr = jack_server.samplerate
    files = files_of(library)
    gap = np.zeros(int(0.6 * sr), np.float32)
    take = np.concatenate([gap] + [np.concatenate([audiofile.read(files[i], samplerate=sr, channels=1)
                                                   .samples[:, 0], gap]) for i in PLAYED])
    soundfile.write(tmp_path / "take.wav", take, sr, subtype="FLOAT")
    port = free_port()
    cfg = SessionConfig(input=str(tmp_path / "take.wav"), osc_port=port, midi=False, web_port=0,
                        library=str(library / "lib"), clusters=2, quiet_db=0)
    session = Session(EngineConfig(samplerate=sr, blocksize=jack_server.period), cfg, log=lambda m: None)
    session.start()
    try:
        assert wait_until(lambda: len(session.neighbours.mirror) >= len(PLAYED), 60, 0.05)
        sub = Subscriber(port)
        time.sleep(0.2)
        yield session, port, sub, files
        sub.close()
    finally:
        session.stop()


def results(messages):
    return [(p[1], p[2], p[3], p[4], p[5]) for a, p in messages if a == "/livemappr/similar/result"]


def test_similar_lists_the_map_and_the_library_nearest_first(live):
    session, port, sub, files = live
    assert len(session.neighbours.mirror) == len(PLAYED)  # the take was cut into its four sounds
    for snippet, source in enumerate(PLAYED):
        osc(port, "/livemappr/similar", snippet, 3)
        got = sub.until("/livemappr/similar/done")
        assert got[-1] == ("/livemappr/similar/done", [str(snippet), 6])
        found = results(got)
        on_map = [r for r in found if r[0] == "map"]
        in_library = [r for r in found if r[0] == "library"]
        assert [r[1] for r in on_map] == [1, 2, 3] and [r[1] for r in in_library] == [1, 2, 3]
        assert sorted(r[2] for r in on_map) == sorted(set(range(len(PLAYED))) - {snippet})  # itself left out
        assert [r[3] for r in on_map] == sorted(r[3] for r in on_map)
        # the beatboxed sound lands on the library sound it was made of
        assert in_library[0][4] == str(files[source]), (snippet, in_library)
        assert [r[3] for r in in_library] == sorted(r[3] for r in in_library)


def test_similar_by_path_leaves_the_library_file_itself_out(live):
    session, port, sub, files = live
    osc(port, "/livemappr/similar", str(files[PLAYED[2]]), 2.0)  # Pure Data sends every number as a float
    found = results(sub.until("/livemappr/similar/done"))
    assert [r[2] for r in found if r[0] == "map"][0] == 2  # the snippet cut from that file
    assert str(files[PLAYED[2]]) not in [r[4] for r in found if r[0] == "library"]
    assert len(found) == 4


def test_similar_play_plays_the_library_sound_through_the_engine(jack_server, live):
    session, port, sub, files = live
    sr = jack_server.samplerate
    rec = Recorder("speaker", engine_ports("out")[:1], 6.0, sr)
    osc(port, "/livemappr/similar/play", 1, 1, 0.5)
    played = sub.until("/livemappr/similar/played")[-1][1]
    assert played[:2] == ["1", "library"] and played[4] == str(files[PLAYED[1]])
    time.sleep(1.0)
    recorded = rec.close()[:, 0]
    sound = audiofile.read(files[PLAYED[1]], samplerate=sr, channels=1).samples[:, 0] * 0.5
    first = int(np.flatnonzero(np.abs(recorded) > 1e-4)[0])
    lead = int(np.flatnonzero(np.abs(sound) > 1e-4)[0])
    at = first - lead
    body = sound.shape[0] - int(0.002 * sr) - 1
    tol = float(np.abs(sound).max()) / 32768 * 1.01
    np.testing.assert_allclose(recorded[at:at + body], sound[:body], atol=tol, rtol=0)
    assert not recorded[at + sound.shape[0]:].any()  # that sound once, nothing else


@pytest.mark.parametrize("args, kind", [
    (("s", ""), "out_of_range"),
    (("f", "1.5"), "out_of_range"),
    (("i", "0", "i", "0"), "out_of_range"),
    (("i", "0", "i", "101"), "out_of_range"),
    (("i", "0", "s", "x"), "wrong_argument_type"),
    ((), "wrong_argument_count"),
    (("i", "9999"), "similar_failed"),
    (("s", "/no/such/file.wav"), "similar_failed"),
])
def test_malformed_searches_are_counted_and_the_session_answers_on(live, args, kind):
    session, port, sub, files = live
    types, values = "".join(args[0::2]), args[1::2]
    subprocess.run(["oscsend", "127.0.0.1", str(port), "/livemappr/similar", types, *values], check=True)
    errors = session.surfaces.errors
    assert wait_until(lambda: errors.counts().get(kind, 0) >= 1, 10), errors.counts()
    message = errors.first_messages()[kind]
    assert "\n" not in message and "Traceback" not in message
    if kind == "similar_failed":
        failed = sub.until("/livemappr/similar/failed")[-1][1]
        assert failed[0] == values[0] and ("no snippet 9999" in failed[1] or "no such snippet" in failed[1])
    osc(port, "/livemappr/similar", 0, 1)  # still answering
    assert sub.until("/livemappr/similar/done")[-1][1] == ["0", 2]


def test_live_with_a_folder_that_holds_no_library_is_one_line(tmp_path, capsys):
    from livemappr.cli import main

    code = main(["live", "--library", str(tmp_path), "--device", "none", "--no-session", "--osc-port", "0",
                 "--web-port", "0", "--no-midi"])
    err = capsys.readouterr().err
    assert code == 2 and err.splitlines()[-1] == (f"livemappr: error: {tmp_path}: no library index here "
                                                  f"(make one: livemappr map FOLDER --out {tmp_path})")
