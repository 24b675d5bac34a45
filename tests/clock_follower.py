"""A live engine following MIDI clock from its JACK MIDI input (the clock test
and benchmarks/bench_loop.py; tests/clock_sender.py sends the clock)."""

import rtmidi

from livemappr.audio.config import EngineConfig
from livemappr.control.midi import MidiInput
from livemappr.control.playable import SnapshotRef
from livemappr.control.transport import Transport
from livemappr.control.trigger import Trigger
from livemappr.audio.engine import Engine


def follow_midi_clock(period, bpm=90):
    """An engine of block ``period`` whose Transport follows the clock at its
    ``livemappr`` JACK MIDI port, from ``bpm`` until locked; the follower keeps
    its history (``tr.follower.history``).

    Returns
    -------
    e : Engine
    tr : Transport
    midi : MidiInput, started: close it when done
    """
    e = Engine(EngineConfig(blocksize=period, ring_seconds=1, bank_seconds=1, bank_slots=8, loop_seconds=1))
    t = Trigger(e, SnapshotRef())
    tr = Transport(t, bpm=bpm)
    tr.follower.history = []
    midi = MidiInput(t, api=rtmidi.API_UNIX_JACK, lights=False)
    tr.attach(midi)
    midi.start()
    return e, tr, midi
