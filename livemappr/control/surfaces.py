"""Every control surface around one trigger path, started and stopped together.

Runs on: the main thread (start, close); it starts the OSC server thread, the
feedback thread, the MIDI poller and the trigger's stepper.

This is what a live session wires: it owns the :class:`SnapshotRef` the map
worker publishes into (with bank slots attached), starts the audio stream,
then the surfaces. Order matters only in one place: the stream should run
before the first hit, since steady timing and bundle timetags read the audio
thread's clock (before that, hits play as soon as the stream starts).
"""

import logging

from livemappr.control.midi import MidiInput
from livemappr.control.osc import OscServer
from livemappr.control.report import ErrorCounts
from livemappr.control.playable import SnapshotRef
from livemappr.control.transport import Transport
from livemappr.control.trigger import Trigger
from livemappr.errors import UsageError

log = logging.getLogger("livemappr.control")


class Surfaces:
    """OSC, MIDI and the trigger path for one engine.

    Parameters
    ----------
    engine : livemappr.audio.engine.Engine
    snapshots : SnapshotRef, optional
        Where the session publishes map snapshots; a new empty one if omitted.
    osc_host, osc_port : str, int
        Where the OSC server listens (``--osc-port``); port None for no OSC.
    allow : sequence of str, optional
        OSC client allow-list (see :mod:`livemappr.control.osc`).
    midi : bool
        Open the virtual ``livemappr`` MIDI port (and pad lights).
    midi_in : sequence of str
        Hardware MIDI inputs to connect by name substring (``--midi-in``).
    midi_api : str, optional
        "jack" or "alsa"; default: JACK where a server runs, else ALSA.
    hooks : dict, optional
        ``record`` (and ``midi_learn``) callables for the OSC server.
    trigger_options : dict, optional
        Passed to :class:`Trigger` (choice, retrigger, timing, blocksize ...).
    time : bool
        Build the Time and loops :class:`Transport` (tempo clock, quantise,
        patterns, audio loop control, MIDI clock in and out): ``self.transport``.
    time_options : dict, optional
        Passed to :class:`Transport` (bpm, quantize, export_dir, clock_out ...).
    """

    def __init__(self, engine, snapshots=None, *, osc_host="0.0.0.0", osc_port=8000, allow=None, midi=True,
                 midi_in=(), midi_api=None, hooks=None, trigger_options=None, time=True, time_options=None):
        self.errors = ErrorCounts()
        self.snapshots = snapshots if snapshots is not None else SnapshotRef()
        self.trigger = Trigger(engine, self.snapshots, **(trigger_options or {}))
        self.midi = None
        if midi or midi_in:
            from livemappr.control.midi import choose_api

            try:
                api = choose_api(midi_api)
            except UsageError as e:
                if midi_in or midi_api:
                    raise
                log.warning("MIDI is off: %s", e)  # OSC still plays
                api = None
            if api is not None:
                import rtmidi

                try:
                    self.midi = MidiInput(self.trigger, api=api, connect=midi_in, errors=self.errors)
                except rtmidi.RtMidiError as e:  # no ALSA sequencer (a container), a dead JACK server
                    if midi_in or midi_api:
                        raise UsageError(f"MIDI cannot be opened: {e}") from None
                    log.warning("MIDI is off: %s", e)  # OSC and the map view still play
        self.transport = Transport(self.trigger, self.errors, **(time_options or {})) if time else None
        if self.transport is not None and self.midi is not None:
            self.transport.attach(self.midi)
        hooks = dict(hooks or {})
        if self.midi is not None:
            hooks.setdefault("midi_learn", self.midi.learn)
            self.midi.pad_learn = hooks.get("pad_learn")  # the teach pedal holds pads for teaching
        self.osc = None
        if osc_port is not None:
            self.osc = OscServer(self.trigger, host=osc_host, port=osc_port, allow=allow,
                                 errors=self.errors, hooks=hooks, transport=self.transport)

    def start(self):
        """Start the stepper, the OSC server (and its feedback) and the MIDI poller. Returns self."""
        self.trigger.start()
        if self.transport is not None:
            self.transport.start()
        if self.osc is not None:
            self.osc.start()
        if self.midi is not None:
            self.midi.start()
        return self

    def close(self):
        """Stop every surface thread (the engine and its stream are the caller's)."""
        if self.midi is not None:
            self.midi.close()
        if self.osc is not None:
            self.osc.close()
        if self.transport is not None:
            self.transport.close()
        self.trigger.close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.close()
