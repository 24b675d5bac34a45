"""MIDI clock in and out: a JACK client sending 120 BPM at exact frames is
followed (0.1 BPM on exact stamps, locked live), in phase; odd clocks are counted and never followed
blindly; our clock out runs at the tempo grid's rate."""

import subprocess
import sys
import time

import numpy as np
import pytest
import rtmidi

from livemappr.audio.config import EngineConfig
from livemappr.control.midi import MidiInput
from livemappr.control.midiclock import CONTINUE, SPP, START, STOP, TICK, ClockFollower
from livemappr.control.report import ErrorCounts
from livemappr.control.playable import SnapshotRef
from livemappr.control.tempo import TempoClock
from livemappr.control.transport import Transport
from livemappr.control.trigger import Trigger
from livemappr.audio.engine import Engine
from livemappr.audio.stream import AudioStream
from tests.clock_follower import follow_midi_clock
from tests.jackserver import MidiMonitor, wait_until

SR = 48000


def follower(bpm=90.0):
    t = TempoClock(SR, bpm)
    errors = ErrorCounts()
    # frames stand in for nanoseconds here: frame_of_ns is the identity
    return t, ClockFollower(t, lambda ns: float(ns), errors, history=True), errors


def ticks(f, frames):
    for x in frames:
        f.realtime(TICK, x)


def test_late_stamped_clock_is_followed_in_tempo_and_phase():
    t, f, errors = follower()
    rng = np.random.default_rng(0)
    f.realtime(START, 0)
    true = 5000 + 1000 * np.arange(24 * 16)  # 120 BPM: 1000 frames a tick
    ticks(f, true + rng.exponential(48, true.size))  # stamps late by 1 ms on average, never early
    assert abs(t.bpm - 120) < 0.3 and t.source == "midi" and t.running
    for k in range(4, 16):  # beat k falls on the sender's tick 24k
        assert abs(t.frame_at(k) - true[24 * k]) < 40
    assert errors.counts() == {}


def test_missing_ticks_are_bridged_and_counted():
    t, f, errors = follower()
    f.realtime(START, 0)
    frames = [1000 * i for i in range(200) if not 100 <= i < 103]
    ticks(f, frames)
    assert errors.counts() == {"midi_clock_missing": 1}
    assert t.beat_at(199000) == pytest.approx(199 / 24, abs=1e-3)
    assert abs(t.bpm - 120) < 0.01


def test_stop_mid_bar_then_song_position_and_continue():
    t, f, errors = follower()
    f.realtime(START, 0)
    ticks(f, [1000 * i for i in range(30)])  # stops 6 ticks into beat 1
    f.realtime(STOP, 30000)
    assert not t.running
    f.song_position(8)  # two beats
    f.realtime(CONTINUE, 500000)
    ticks(f, [500000 + 1000 * i for i in range(48)])
    assert t.running and t.beat_at(500000) == pytest.approx(2.0, abs=1e-6)
    assert errors.counts() == {}


def test_tempo_0_and_1000_are_not_followed_and_are_counted():
    t, f, errors = follower()
    f.realtime(START, 0)
    ticks(f, [1000 * i for i in range(48)])
    assert abs(t.bpm - 120) < 1e-6
    ticks(f, [48000 + 120 * i for i in range(96)])  # 1000 BPM
    assert errors.counts()["midi_clock_tempo"] >= 1 and abs(t.bpm - 120) < 0.5  # never goes to 1000
    assert "must be in 20..400 BPM, got 1000.0" in errors.first_messages()["midi_clock_tempo"]
    ticks(f, [5e9 + 1500 * i for i in range(3)])  # tempo 0: a clock that stopped ticking for seconds
    assert errors.counts()["midi_clock_gap"] == 1 and t.bpm == pytest.approx(80)  # then a new one at 80


def test_song_position_and_realtime_bytes_reach_the_follower_through_the_parser(jack_server):
    e = Engine(EngineConfig(ring_seconds=1, bank_seconds=1, bank_slots=8, loop_seconds=1))
    t = Trigger(e, SnapshotRef())
    tr = Transport(t)
    midi = MidiInput(t, api=rtmidi.API_UNIX_JACK, lights=False)
    tr.attach(midi)
    try:
        midi.handle([START, TICK])
        midi.handle([SPP, 0x10, 0x01])  # 144 sixteenths
        assert tr.follower.index == 144 * 6 and tr.follower.received == 2
        midi.handle([SPP, 0x10])
        assert midi.errors.counts() == {"midi_malformed": 1}
    finally:
        midi.close()


def run_sender(bpm, seconds, target):
    return subprocess.Popen([sys.executable, "tests/clock_sender.py", "drum", str(bpm), str(seconds), "odd", target],
                            stdout=subprocess.PIPE, text=True)


@pytest.mark.jack_period(128)
def test_midi_clock_from_a_jack_client_at_120_bpm(jack_server):
    e, tr, midi = follow_midi_clock(jack_server.period)
    sender = None
    jack_server.output()  # what jackd says from here on
    try:
        with AudioStream(e, device="system"):
            assert wait_until(tr.clock.running, 5)
            sender = run_sender(120, 5, "livemappr:livemappr")
            sender.wait(30)
    finally:
        if sender is not None and sender.poll() is None:
            sender.kill()
            sender.wait()
        midi.close()
    said = jack_server.output()
    # Cycles the server ran late (this VM stalls real-time threads for up to
    # tens of ms at times): a tick the sender sends a cycle late may be
    # bridged as lost, rightly. Without one, no tick may be.
    server_xruns = said.count("XRun") + said.count("was not finished")
    assert tr.tempo.source == "midi"
    h = np.array(tr.follower.history[96:], np.float64)  # locked after four beats
    # the tempo read, tick after tick, centres within 0.1 BPM; no single
    # reading strays far though this VM delays real-time threads by ms
    # 0.1 BPM is asserted on exact stamps above (test_missing_ticks...) and
    # measured live by benchmarks/bench_loop.py (119.999 on a quiet run);
    # live here, this VM wakes real-time threads up to ~9 ms late, which moved
    # the median by 0.57 BPM in one CI run: this test asserts the lock.
    assert abs(np.median(h[:, 3]) - 120) < 1.0, np.median(h[:, 3])
    # single readings stray with the VM's late wake-ups; an unlocked follower
    # would sit near its 90 BPM start
    assert np.percentile(np.abs(h[:, 3] - 120), 90) < 2.0 and abs(tr.tempo.bpm - 120) < 2.0
    assert len(h) > 100
    err = h[:, 2] - h[:, 1]  # where the grid put each tick minus where it arrived
    assert abs(np.median(err)) < 0.005 * SR  # in phase (a period typical; the VM adds wake-up lateness)
    assert np.percentile(np.abs(err), 95) < 0.010 * SR  # the VM's wake-up lateness (~9 ms) bounds the tail
    # Start made the first tick beat 0 (followed from the third tick on, index 2), none lost
    jumps = np.diff(np.array(tr.follower.history, np.float64)[:, 0]) - 1
    assert tr.follower.history[0][0] == 2 and np.all(jumps >= 0)
    bridged = midi.errors.counts().get("midi_clock_missing", 0)
    if server_xruns == 0:
        assert jumps.sum() == 0 and bridged == 0
    else:
        assert jumps.sum() <= 2 * server_xruns, (jumps.sum(), server_xruns)


@pytest.mark.jack_period(64)
def test_midi_clock_out_runs_at_the_tempo_and_starts_on_beat_0(jack_server):
    e = Engine(EngineConfig(blocksize=64, ring_seconds=1, bank_seconds=1, bank_slots=8, loop_seconds=1))
    t = Trigger(e, SnapshotRef())
    tr = Transport(t, bpm=120, midi_api=rtmidi.API_UNIX_JACK)
    try:
        with AudioStream(e, device="system"):
            assert wait_until(tr.clock.running, 5)
            tr.clock_out(True)
            mon = MidiMonitor("clock-monitor", "livemappr-clock:clock")
            tr.run(True)
            time.sleep(3.0)
            tr.run(False)
            time.sleep(0.2)
            mon.close()
    finally:
        tr.close()
    kinds = [d[0] for _, d in mon.events]
    assert kinds[0] == START and kinds[-1] == STOP
    tick_frames = np.array([f for f, d in mon.events if d[0] == TICK], np.float64)
    assert len(tick_frames) > 100
    k = np.arange(tick_frames.size)
    # Median of the slopes over 3 beats (robust to a late send), in JACK
    # frames; an engine xrun (counted) moves JACK's frames against the
    # engine's, whose grid the ticks follow, so the bound allows for a few.
    slope = float(np.median((tick_frames[72:] - tick_frames[:-72]) / 72))
    xruns = e.meters()["xruns"]
    # (measured 1.6 BPM off with one xrun on a loaded CI run of this VM)
    assert abs(60 * SR / (slope * 24) - 120) < 2.0 + 0.5 * xruns, (slope, xruns)
    resid = tick_frames - (np.median(tick_frames - slope * k) + slope * k)
    # One period typical; ticks leave from a sleeping thread, which this VM
    # wakes up to ~9 ms late (cyclictest): 10 ms is the bound it can keep.
    assert np.median(np.abs(resid)) < 0.010 * SR
