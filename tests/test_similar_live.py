"""Search by example in a live session: OSC ``/livemappr/similar`` and ``live --library``.

A take of four library one-shots plays as the mic of a session on a private
JACK server; real OSC datagrams (``oscsend``) ask for the sounds nearest each,
and a real UDP client subscribed to feedback reads the answers.
"""

import queue
import socket
import subprocess
import threading
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
    """A UDP client subscribed to the session's feedback, reading on a thread of its own (a
    burst of answers must not wait in the socket's buffer), keeping one address prefix."""

    def __init__(self, port, prefix="/livemappr/similar/"):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.1)
        self.prefix = prefix.encode()
        self.got = queue.SimpleQueue()
        self.messages = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()
        osc(port, "/livemappr/subscribe", self.sock.getsockname()[1])

    def _read(self):
        while not self._stop.is_set():
            try:
                data, _ = self.sock.recvfrom(65536)
            except socket.timeout:
                continue
            except OSError:
                return
            if data.startswith(self.prefix):
                m = OscMessage(data)
                self.got.put((m.address, list(m.params)))

    def until(self, address, timeout=20.0):
        """Messages up to and including the first with ``address``."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            try:
                m = self.got.get(timeout=0.1)
            except queue.Empty:
                continue
            self.messages.append(m)
            if m[0] == address:
                out, self.messages = self.messages, []
                return out
        raise AssertionError(f"no {address} in {timeout} s; got {self.messages}")

    def close(self):
        self._stop.set()
        self._thread.join(2)
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
    """``(where, rank, id, distance, name)`` of every sound an answer gave, as its messages carry them."""
    out = []
    for a, p in messages:
        if a == "/livemappr/similar/map":
            out += [("map", k + 1, p[1 + 2 * k], p[2 + 2 * k], "") for k in range((len(p) - 1) // 2)]
        elif a == "/livemappr/similar/library":
            out += [("library", p[1] + k, p[2 + 3 * k], p[3 + 3 * k], p[4 + 3 * k]) for k in range((len(p) - 2) // 3)]
    return out


def test_similar_lists_the_map_and_the_library_nearest_first(live):
    session, port, sub, files = live
    assert len(session.neighbours.mirror) == len(PLAYED)  # the take was cut into its four sounds
    for snippet, source in enumerate(PLAYED):
        osc(port, "/livemappr/similar", snippet, 3)
        got = sub.until("/livemappr/similar/done")
        assert got[-1] == ("/livemappr/similar/done", [str(snippet), 3, 3])
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
    assert sub.until("/livemappr/similar/done")[-1][1] == ["0", 1, 1]


def test_live_with_a_folder_that_holds_no_library_is_one_line(tmp_path, capsys):
    from livemappr.cli import main

    code = main(["live", "--library", str(tmp_path), "--device", "none", "--no-session", "--osc-port", "0",
                 "--web-port", "0", "--no-midi"])
    err = capsys.readouterr().err
    assert code == 2 and err.splitlines()[-1] == (f"livemappr: error: {tmp_path}: no library index here "
                                                  f"(make one: livemappr map FOLDER --out {tmp_path})")


def test_a_flood_of_searches_is_bounded_and_every_accepted_one_is_answered(live, tmp_path):
    session, port, sub, files = live
    # first a long file, which holds the worker a while (read, resampled and analysed whole) ...
    long = tmp_path / "long.wav"
    soundfile.write(long, np.random.default_rng(0).normal(0, 0.1, 240 * 48000).astype(np.float32), 48000)
    copies = [str(long)]
    for k in range(40):  # ... then 40 different questions, each a file to analyse  # 40 different questions, each a file to analyse (milliseconds each)
        p = tmp_path / f"copy-{k:02d}.wav"
        p.write_bytes(files[PLAYED[0]].read_bytes())
        copies.append(str(p))
    from pythonosc.osc_message_builder import OscMessageBuilder

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        for p in copies:
            b = OscMessageBuilder("/livemappr/similar")
            b.add_arg(p, "s")
            s.sendto(b.build().dgram, ("127.0.0.1", port))
    errors = session.surfaces.errors
    assert wait_until(lambda: errors.counts().get("similar_busy", 0) >= 1, 10), errors.counts()
    time.sleep(0.5)
    busy = errors.counts()["similar_busy"]
    answered = set()
    while len(answered) < len(copies) - busy:
        got = sub.until("/livemappr/similar/done")
        query, on_map, in_library = got[-1][1]
        answered.add(query)
        found = results([m for m in got if m[1][0] == query])
        assert len(found) == on_map + in_library and (on_map, in_library) == (4, 10)  # the whole answer came
    assert answered <= set(copies) and len(answered) == len(copies) - busy
    assert len(session.neighbours._waiters) == 0 and session.neighbours._background.waiting == 0
    osc(port, "/livemappr/similar", 1, 1)
    assert sub.until("/livemappr/similar/done")[-1][1] == ["1", 1, 1]


def test_played_library_sounds_give_their_bank_slots_back_beyond_the_most_kept(live, monkeypatch):
    from livemappr.session import neighbours

    session, port, sub, files = live
    monkeypatch.setattr(neighbours, "MAX_LOADED", 2)
    nb = session.neighbours
    expected = [r[4] for r in results(_ask(sub, port, 0, 4)) if r[0] == "library"]
    played = []
    for rank in (1, 2, 3, 4):
        osc(port, "/livemappr/similar/play", 0, rank)
        played.append(sub.until("/livemappr/similar/played")[-1][1][4])
        assert len(nb._slots) == min(rank, 2)
    assert played == expected
    assert nb._rows == [nb.library.rows_of(expected[2])[0], nb.library.rows_of(expected[3])[0]]
    slots = list(nb._slots)
    osc(port, "/livemappr/similar/play", 0, 4)  # loaded: played again from its slot, nothing read
    sub.until("/livemappr/similar/played")
    assert nb._slots == slots


def _ask(sub, port, sound, n):
    osc(port, "/livemappr/similar", sound, n)
    return sub.until("/livemappr/similar/done")


def test_a_long_answer_comes_in_few_datagrams_that_parse_back_whole():
    from livemappr.control.osc import LIBRARY_CHUNK_BYTES, similar_answer

    found = [("map", i, i / 10, "") for i in range(100)]
    found += [("library", i, 1 + i / 10, "/samples/" + "x" * (50 + 7 * i) + f"{i}.wav") for i in range(100)]
    datagrams = similar_answer("12", found)
    assert 3 < len(datagrams) < 20
    assert all(len(d) < LIBRARY_CHUNK_BYTES + 1024 for d in datagrams)
    messages = [(m.address, list(m.params)) for m in map(OscMessage, datagrams)]
    assert messages[-1] == ("/livemappr/similar/done", ["12", 100, 100])
    back = results(messages)
    assert [(w, r, i, n) for w, r, i, d, n in back] == [
        (w, (i % 100) + 1, i, n) for w, i, d, n in found]
    assert np.allclose([d for *_, d, _ in back], [d for _, _, d, _ in found])


def test_similar_play_without_a_library_plays_the_maps_nearest_through_the_trigger():
    from livemappr.audio.offline import render
    from tests.control_helpers import onsets, which_snippet
    from tests.similar_rig import searched_snippets

    e, X, near, trigger = searched_snippets(16, seed=4)
    near.trigger = trigger
    d = np.sqrt(((X.astype(np.float64) - X[3]) ** 2).sum(axis=1))
    order = [int(j) for j in np.argsort(d, kind="stable") if j != 3]
    try:
        for rank in (1, 2):
            got = []
            assert near.ask_play(3, rank, 1.0, got.append, got.append)
            assert wait_until(lambda: got, 5)
            assert got[0][:2] == ("map", order[rank - 1])
            out = render(e, 4000)
            assert which_snippet(out, int(onsets(out[:, 0])[0]) + 10) == order[rank - 1]
        got = []
        for _ in range(3):  # three hits play three times (plays are never folded together)
            near.ask_play(3, 1, 1.0, got.append, got.append)
        assert wait_until(lambda: len(got) == 3, 5) and {g[:2] for g in got} == {("map", order[0])}
        out = render(e, 4000)
        assert len(onsets(out[:, 0])) >= 1 and e.meters()["commands"] == 5
        failed = []
        near.ask_play(3, 16, 1.0, failed.append, failed.append)  # the map holds only 15 others
        assert wait_until(lambda: failed, 5) and "has only 15 sound(s)" in str(failed[0])
    finally:
        near.close()


def test_live_with_a_library_of_whole_tracks_says_what_it_takes(library, tmp_path, capsys):
    from livemappr.cli import main
    from livemappr.commands.map import make_map

    make_map([library / "shots"], tmp_path / "tracks", clusters=2, whole=True, log=lambda m: None, progress=False)
    code = main(["live", "--library", str(tmp_path / "tracks"), "--device", "none", "--no-session",
                 "--osc-port", "0", "--web-port", "0", "--no-midi"])
    err = capsys.readouterr().err.splitlines()[-1]
    assert code == 2 and err.startswith(f"livemappr: error: --library {tmp_path / 'tracks'}: its index holds "
                                        "other vectors (layout"), err
    assert err.endswith("a live session searches a library of one-shots mapped at its rate (48000 Hz), "
                        "not one of --tracks"), err
