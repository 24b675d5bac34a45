"""MIDI: the parser on every kind of bad input, and real JACK MIDI clients
(jack_midiseq, a second rtmidi process) playing the live engine."""

import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest
import rtmidi

from livemappr.control.midi import MidiInput, MidiParser, choose_api, jack_running
from livemappr.control.report import ErrorCounts
from livemappr.control.playable import SnapshotRef
from livemappr.control.trigger import Trigger
from livemappr.errors import UsageError
from livemappr.audio.stream import AudioStream
from tests.control_helpers import engine_with_snippets, grid_snapshot, level_of, onsets
from tests.jackserver import MidiMonitor, Recorder, engine_ports, wait_until


def parse(*chunks):
    errors = ErrorCounts()
    p = MidiParser(errors)
    out = [m for c in chunks for m in p.feed(list(c))]
    return out, errors.counts()


def test_running_status_across_and_within_messages():
    out, counts = parse([0x90, 36, 100], [37, 90], [38, 80, 39, 0])
    assert out == [(0x90, 36, 100), (0x90, 37, 90), (0x90, 38, 80), (0x90, 39, 0)]
    assert counts == {"midi_running_status": 3}


def test_sysex_and_realtime_are_skipped_and_sysex_counted():
    out, counts = parse([0xF0, 0x7E, 0x7F, 0x06, 0x01, 0xF7], [0x90, 0xF8, 36, 0xFA, 100], [0xB1, 7, 64])
    assert out == [(0x90, 36, 100), (0xB1, 7, 64)]
    assert counts == {"midi_sysex": 1}


def test_stray_and_cut_off_data_are_malformed_not_fatal():
    out, counts = parse([36, 100], [0x90, 36], [0xF2, 1, 2], [40, 1], [0x90, 36, 200], [0x90, 41, 2])
    assert out == [(0x90, 41, 2)]
    # stray run, cut-off note, stray run after system common, note cut by
    # status byte 200 (program change), which itself lacks its data byte
    assert counts["midi_malformed"] == 5


def test_random_bytes_never_raise():
    rng = np.random.default_rng(0)
    errors = ErrorCounts()
    p = MidiParser(errors)
    for _ in range(2000):
        for status, d1, d2 in p.feed(rng.integers(0, 256, rng.integers(0, 12)).tolist()):
            assert status >= 0x80 and d1 < 0x80 and d2 < 0x80
    assert errors.counts()["midi_malformed"] > 0


def test_choose_api_prefers_what_is_asked_and_names_bad_values(monkeypatch):
    assert choose_api("jack") == rtmidi.API_UNIX_JACK
    with pytest.raises(UsageError, match=r"MIDI API must be one of jack, alsa, got 'coreaudio'"):
        choose_api("coreaudio")


def test_choose_api_picks_jack_only_where_jack_runs(jack_server):
    assert jack_running()
    assert choose_api() == rtmidi.API_UNIX_JACK


def live_rig(jack_server, n=16):
    e, slots = engine_with_snippets(n, frames=1500, blocksize=jack_server.period, ring_seconds=4)
    t = Trigger(e, SnapshotRef(grid_snapshot(slots, n)))
    return e, t


@pytest.mark.jack_period(128)
def test_jack_midiseq_notes_sound_right_after_each_note(jack_server):
    import jack

    sr, period = jack_server.samplerate, jack_server.period
    e, t = live_rig(jack_server)
    midi = MidiInput(t, api=rtmidi.API_UNIX_JACK).start()
    seq = None
    try:
        with AudioStream(e, device="system"):
            rec = Recorder("speaker", engine_ports("out")[:1], 4.0, sr)
            # note 38 (cluster 2) at the start of every 12000-frame loop
            seq = subprocess.Popen(["jack_midiseq", "seq", "12000", "0", "38", "3000"],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            c = jack.Client("wiring", no_start_server=True)
            assert wait_until(lambda: c.get_ports("seq:out"), 5)
            mon = MidiMonitor("monitor", "seq:out")
            c.connect("seq:out", "livemappr:livemappr")
            time.sleep(1.6)
            c.disconnect("seq:out", "livemappr:livemappr")
            time.sleep(0.2)
            c.close()
            recorded = rec.close()
            mon.close()
    finally:
        if seq is not None:
            seq.terminate()
            seq.wait(5)
        midi.close()
    on_frames = [rec.start_frame + int(i) for i in onsets(recorded[:, 0])]
    notes = [f for f, d in mon.events if d[0] & 0xF0 == 0x90 and d[2] > 0]
    assert len(notes) >= 4
    # Every note that arrived while we were connected sounded once, after it, with cluster 2's sound.
    heard = [f for f in on_frames if f >= notes[0]]
    assert len(heard) >= len(notes) - 1
    for f in heard:
        note = max(n for n in notes if n <= f)
        assert 0 < f - note <= 4 * period  # usually within one period; sync mode on a busy box
        assert recorded[f - rec.start_frame + 10, 0] == pytest.approx(level_of(2) * 64 / 127, rel=1e-5)  # jack_midiseq sends velocity 64
    assert midi.errors.counts() == {}


SENDER = textwrap.dedent("""
    import sys, time, rtmidi
    out = rtmidi.MidiOut(rtmidi.API_UNIX_JACK, name="sender")
    out.open_port(out.get_ports().index("livemappr:livemappr"))
    time.sleep(0.3)
    for msg in ([0xF0, 0x7E, 0x7F, 0x06, 0x01, 0xF7], [0x90, 36, 127], [40, 127], [0xF8], [0xF6], [5, 5],
                [0xB0, 7, 64], [0x80, 36, 0]):
        out.send_message(msg)
        time.sleep(0.05)
    time.sleep(0.3)
""")


@pytest.mark.jack_period(128)
@pytest.mark.parametrize("delivery", ["poll", "callback"])
def test_second_rtmidi_process_running_status_sysex_and_cc(jack_server, delivery):
    # "callback" is the ALSA default; JACK's API runs it the same way here.
    sr = jack_server.samplerate
    e, t = live_rig(jack_server)
    midi = MidiInput(t, api=rtmidi.API_UNIX_JACK, delivery=delivery).start()
    try:
        with AudioStream(e, device="system"):
            rec = Recorder("speaker", engine_ports("out")[:1], 3.0, sr)
            subprocess.run([sys.executable, "-c", SENDER], check=True, timeout=30)
            time.sleep(0.1)
            recorded = rec.close()
            m = e.meters()
    finally:
        midi.close()
    starts = onsets(recorded[:, 0])
    # note 36 (cluster 0), then running-status note 40 (cluster 4)
    levels = [recorded[s + 10, 0] for s in starts]
    np.testing.assert_allclose(levels[:2], [level_of(0), level_of(4)], rtol=1e-5)
    assert len(starts) == 2
    counts = midi.errors.counts()
    assert counts["midi_sysex"] == 1 and counts["midi_running_status"] == 1
    # tune request (0xF6) cancels running status: [5, 5] after it is stray
    assert counts["midi_malformed"] == 1 and len(counts) == 3
    assert m["commands"] >= 3  # two notes and the volume
    assert abs(float(e.state.params[0]) - 64 / 127) < 1e-9  # CC 7 set the master volume


def _cpu_ns(thread):
    with open(f"/proc/self/task/{thread.native_id}/schedstat") as f:
        return int(f.read().split()[0])


def test_an_idle_controller_costs_callback_delivery_next_to_nothing(jack_server):
    # Polling rtmidi's queue every 0.5 ms costs ~5% of a core here (several
    # times that on a Pi); taking messages in rtmidi's callback wakes our
    # thread only for the pad lights. Same run, same machine: a ratio.
    e, t = live_rig(jack_server)
    used = {}
    for delivery in ("poll", "callback"):
        midi = MidiInput(t, api=rtmidi.API_UNIX_JACK, delivery=delivery, idle_poll_ms=0.5).start()
        try:
            time.sleep(0.2)
            windows = []
            for _ in range(2):  # the quieter of two windows: a one-off wake-up (a collection) is not the cost
                before = _cpu_ns(midi._thread.thread)
                time.sleep(1.5)
                windows.append(_cpu_ns(midi._thread.thread) - before)
            used[delivery] = min(windows)
        finally:
            midi.close()
    assert used["poll"] > 10 * used["callback"], used


def test_an_idle_jack_controller_is_polled_less_often_until_it_plays(jack_server):
    # Under JACK the queue must be polled: every 0.5 ms while messages come,
    # less often after a while without one (2 ms after 10 s by default; here 5
    # ms after 0.1 s, a ratio of 10 that wake-up delays under load cannot
    # bring near 2). Same run, same machine: a ratio.
    e, t = live_rig(jack_server)
    used = {}
    for idle_poll_ms in (0.5, 5.0):
        midi = MidiInput(t, api=rtmidi.API_UNIX_JACK, delivery="poll", lights=False,
                         idle_poll_ms=idle_poll_ms, idle_after_s=0.1).start()
        try:
            time.sleep(0.3)
            before = _cpu_ns(midi._thread.thread)
            time.sleep(1.5)
            used[idle_poll_ms] = _cpu_ns(midi._thread.thread) - before
            if idle_poll_ms == 5.0:
                assert midi.poll_interval() == 0.005
                subprocess.run([sys.executable, "-c", SENDER], check=True, timeout=30)
                # after a message: fast again, for idle_after_s
                last = midi._last_message
                assert midi.messages >= 7 and last > time.monotonic() - 5.0
                assert midi.poll_interval(last + 0.05) == 0.0005 and midi.poll_interval(last + 0.2) == 0.005
        finally:
            midi.close()
    assert used[0.5] > 2 * used[5.0], used


def test_midi_delivery_must_be_known(jack_server):
    e, t = live_rig(jack_server)
    with pytest.raises(ValueError, match="delivery"):
        MidiInput(t, api=rtmidi.API_UNIX_JACK, delivery="sometimes")


def test_midi_learn_binds_the_next_controller(jack_server):
    e, t = live_rig(jack_server)
    midi = MidiInput(t, api=rtmidi.API_UNIX_JACK, lights=False)
    try:
        midi.learn("rate")
        midi.handle([0xB3, 21, 127])
        assert midi.cc[21] == "rate" and 1 not in midi.cc
        assert t.rate == pytest.approx(2 ** (63 / 64))
        midi.handle([0xB0, 21, 64])
        assert t.rate == 1.0
    finally:
        midi.close()


def test_the_teach_pedal_holds_pads_for_teaching_instead_of_playing_them(jack_server):
    e, t = live_rig(jack_server)
    midi = MidiInput(t, api=rtmidi.API_UNIX_JACK, lights=False)
    held = []
    midi.pad_learn = lambda pad, on: held.append((pad, on))
    played = []
    t.listeners.append(lambda frame, cluster, snippet, velocity, origin: played.append(cluster))
    try:
        midi.handle([0xB0, 64, 127])  # sustain pedal down: teach
        midi.handle([0x90, 38, 100])  # pad 3 (cluster 2) held: taught, not played
        midi.handle([0x80, 38, 0])
        midi.handle([0x99, 40, 90])  # pad 5, on channel 10, held while the pedal goes up
        midi.handle([0xB0, 64, 0])
        midi.handle([0x89, 40, 0])  # its note-off after the pedal: nothing more
        assert held == [(2, True), (2, False), (4, True), (4, False)] and played == []
        midi.handle([0x90, 38, 100])  # the pedal up: a pad plays again
        assert played == [2] and held == [(2, True), (2, False), (4, True), (4, False)]
    finally:
        midi.close()
