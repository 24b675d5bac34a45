"""``livemappr similar --play`` and ``--mic`` through a private JACK server.

--play: the sounds found come out of the engine's output ports, nearest
first, each bit for bit (within the bank's 16 bits) where it was scheduled.
--mic: a library file played into the engine's input port is heard as one
sound, and the library's sound nearest it is that very file.
"""

import threading

import numpy as np
import pytest
import soundfile

from livemappr.cli import main
from livemappr.commands.audition import GAP_SECONDS, MAX_SECONDS, audition
from livemappr.commands.listen import one_sound
from livemappr.commands.similar import describe_heard, open_library, similar
from livemappr.files import audiofile
from tests.similar_rig import one_shot_library
from tests.jackserver import Player, Recorder, engine_ports, wait_until

SR = 48000


@pytest.fixture(scope="module")
def library(tmp_path_factory):
    """24 labelled one-shots of one onset each, mapped into a library."""
    return one_shot_library(tmp_path_factory.mktemp("similar-audio"), 24, only_single_onset=True)


def files_of(library):
    return sorted((library / "shots").iterdir())


def where(recorded, sound):
    """The frame of ``recorded`` where ``sound`` lies best (cross-correlation), and how well (0..1)."""
    n = recorded.shape[0] + sound.shape[0]
    size = 1 << (n - 1).bit_length()
    c = np.fft.irfft(np.fft.rfft(recorded, size) * np.conj(np.fft.rfft(sound, size)), size)[:recorded.shape[0]]
    at = int(np.argmax(c))
    seg = recorded[at:at + sound.shape[0]]
    fit = float(np.dot(seg, sound[:seg.shape[0]]) / (np.linalg.norm(seg) * np.linalg.norm(sound) + 1e-20))
    return at, fit


def test_play_sends_the_found_sounds_out_nearest_first(jack_server, library):
    sr = jack_server.samplerate
    files = files_of(library)
    found = similar(files[5], library / "lib", n=4)
    assert len(found) == 4 and all(m.whole for m in found)
    rec, told = {}, []

    def ready(engine):
        rec["speaker"] = Recorder("speaker", engine_ports("out")[:1], 10.0, sr)

    starts = audition([(m.path, m.start_s, None) for m in found], on_play=told.append, ready=ready,
                      log=lambda m: None)
    recorded = rec["speaker"].close()[:, 0]
    assert told == [0, 1, 2, 3]
    sounds = [audiofile.read(m.path, samplerate=sr, channels=1).samples[:int(MAX_SECONDS * sr), 0]
              for m in found]
    # the sounds follow each other, each after the last has ended and a short silence
    gaps = np.diff(starts)
    assert all(g == s.shape[0] + int(GAP_SECONDS * sr) for g, s in zip(gaps, sounds))
    first, fit = where(recorded, sounds[0])
    assert fit > 0.999, fit
    assert not recorded[:first].any()  # nothing before the nearest sound
    for k, s in enumerate(sounds):
        at = first + starts[k] - starts[0]  # where the schedule put it, on the recording's clock
        body = s.shape[0] - int(0.002 * sr) - 1  # the engine fades the last 2 ms
        got = recorded[at:at + body]
        tol = float(np.abs(s).max()) / 32768 * 1.01  # the bank holds 16 bits scaled to each sound's peak
        np.testing.assert_allclose(got, s[:body], atol=tol, rtol=0, err_msg=f"sound {k}")
        assert not recorded[at + s.shape[0]:at + s.shape[0] + int(GAP_SECONDS * sr) - 1].any()


def test_the_command_prints_a_line_as_each_sound_plays(jack_server, library, capsys):
    files = files_of(library)
    assert main(["similar", str(files[2]), "--library", str(library / "lib"), "-n", "2", "--play"]) == 0
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert [line.split()[0] for line in lines] == ["1", "2"]
    assert "auditioning 2 sound(s)" in captured.err and "JACK" in captured.err


@pytest.mark.parametrize("argv, message", [
    (["FILE", "--play", "--device", "no-such-device"], "no device name contains 'no-such-device'"),
    (["FILE", "--play", "-n", "101"], "--play auditions at most 100 sounds"),
    (["FILE", "--mic"], "a FILE or --mic, not both"),
    ([], "a FILE to compare, or --mic"),
    (["--mic", "--seconds", "0"], "--seconds must be in 0.5..3600"),
])
def test_bad_play_and_mic_options_are_one_line(library, capsys, argv, message):
    query = str(files_of(library)[0])
    code = main(["similar", "--library", str(library / "lib")] + [query if a == "FILE" else a for a in argv])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and err.startswith("livemappr: error:") and message in err, err


def play_into_the_input(signal, delay_s=0.3):
    """A JACK client that plays ``signal`` into the engine's input port once it exists."""
    holder = {}

    def run():
        if wait_until(lambda: len(engine_ports("in")) > 0, 60, 0.05):
            player = Player("mic", signal, engine_ports("in")[-1:])
            holder["player"] = player
            player.armed.set()

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t, holder


def test_mic_hears_a_library_file_and_its_nearest_sound_is_that_file(jack_server, library):
    sr = jack_server.samplerate
    lib, describe = open_library(library / "lib")
    files = files_of(library)
    kinds = {}
    for f in files:  # a sound of each kind: kick, snare, hihat...
        kinds.setdefault(f.stem.split("_", 1)[1], f)
    for f in list(kinds.values())[:3]:
        y = audiofile.read(f, samplerate=sr, channels=1).samples[:, 0]
        take = np.concatenate([np.zeros(int(0.3 * sr), np.float32), y, np.zeros(sr, np.float32)])
        holder = {}

        def ready(engine):
            holder["player"] = Player("mic", take, engine_ports("in")[-1:])
            holder["player"].armed.set()

        heard = one_sound(ready=ready, seconds=20, log=lambda m: None)
        holder["player"].close()
        # the sound heard is the file (give or take the slicer's pre-roll and end)
        assert abs(heard.audio.shape[0] - y.shape[0]) < 0.25 * sr
        nearest = lib.nearest(heard.vector, 3)
        assert nearest[0].path == str(f), (f, [m.path for m in nearest])
        # what the command does with it: the library's own way of describing a file, on the sound
        assert np.allclose(describe_heard(heard, describe), heard.vector, atol=1e-4)


def similar_at_the_mic(sr, library, f, capsys, *options):
    """``livemappr similar --mic`` with library file ``f`` played into the input port once the
    command's stream exists (after its compile); returns its lines and what it said on stderr."""
    y = audiofile.read(f, samplerate=sr, channels=1).samples[:, 0]
    t, holder = play_into_the_input(np.concatenate([np.zeros(int(0.5 * sr), np.float32), y,
                                                    np.zeros(sr, np.float32)]))
    try:
        assert main(["similar", "--mic", "--library", str(library / "lib"), "--seconds", "60", *options]) == 0
    finally:
        t.join(5)
        if "player" in holder:
            holder["player"].close()
    captured = capsys.readouterr()
    return captured.out.splitlines(), captured.err


def test_similar_mic_on_the_command_line(jack_server, library, capsys):
    f = files_of(library)[9]
    lines, err = similar_at_the_mic(jack_server.samplerate, library, f, capsys, "-n", "3")
    assert len(lines) == 3 and lines[0].split(None, 2)[2] == str(f), lines
    assert "listening for one sound" in err and "heard a sound" in err


def test_mic_gives_up_in_one_line_when_nothing_is_heard(jack_server, library, capsys):
    code = main(["similar", "--mic", "--library", str(library / "lib"), "--seconds", "1"])
    err = capsys.readouterr().err
    assert code == 1 and err.splitlines()[-1].startswith("livemappr: error: no sound heard on the input in 1 s")


def test_a_library_file_gone_since_is_said_and_skipped_the_others_play(jack_server, library, tmp_path):
    sr = jack_server.samplerate
    gone = tmp_path / "gone.wav"
    soundfile.write(gone, np.zeros(100, np.float32), sr)
    files = files_of(library)
    sounds = [(str(files[0]), 0.0, None), (str(gone), 0.0, None), (str(files[1]), 0.0, None)]
    gone.unlink()
    said, told = [], []
    starts = audition(sounds, on_play=told.append, log=said.append)
    assert told == [0, 1, 2] and len(starts) == 3
    assert [line for line in said if "not played" in line] == [f"livemappr: not played: {gone}: no such file"], said


def test_similar_mic_play_hears_a_sound_then_plays_its_neighbours(jack_server, library, capsys):
    f = files_of(library)[4]
    lines, err = similar_at_the_mic(jack_server.samplerate, library, f, capsys, "-n", "2", "--play")
    assert len(lines) == 2 and lines[0].split(None, 2)[2] == str(f), lines
    assert err.index("heard a sound") < err.index("auditioning 2 sound(s)")
