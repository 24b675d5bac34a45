"""MIDI in (pads, controllers, MIDI learn) and out (pad lights).

Runs on: the MIDI poller thread (parsing, triggering, pad lights).

A virtual input port named ``livemappr`` is opened through python-rtmidi,
with JACK's API where a JACK server runs and ALSA's otherwise (a desktop or
a Pi); hardware ports are connected by name substring. Messages are polled
from rtmidi's queue on our own thread rather than taken in rtmidi's callback:
under JACK that callback runs inside rtmidi's JACK process thread, and a
Python callback there waits for the GIL, which would make the JACK graph (and
so our audio) late.

Under ALSA (a Pi, a desktop without JACK) rtmidi's callback runs on
rtmidi's own input thread, which nothing real-time waits for, so messages are
taken there as they arrive (``delivery="callback"``) and an idle controller
costs nothing; polling every 0.5 ms costs ~5% of a core here, several times
that on a Pi. Under JACK the queue is polled (``delivery="poll"``): every 0.5
ms while messages come, every 2 ms after 10 s without one (a quarter of the
cost; JACK hands MIDI over once a period, 2.7 ms at 128 frames, so the first
note after a pause waits at most 1.5 ms more, 0.75 ms on average; a running
MIDI clock keeps it fast).

Raw bytes are parsed (:mod:`livemappr.control.midiparser`), not trusted:
running status, system exclusive, real-time bytes in between, stray data
bytes and cut-off messages are all handled; what is not playable is counted
per kind and reported once.

Real-time bytes (MIDI clock, Start, Stop, Continue) and Song Position go to
``clock`` (a :class:`~livemappr.control.midiclock.ClockFollower`) with their
arrival time: rtmidi's per-message delta times, summed, hung on the monotonic
clock by the earliest poll that saw them (a message cannot arrive after we
read it), so poll lateness does not become clock jitter. Notes and
controllers of the Time and loops map go to ``transport``.

What a note or controller does comes from a :class:`~livemappr.control.midimap.MidiMap`
(the ``[midi]`` section of the config file; today's fixed map by default).
MIDI learn (:meth:`MidiInput.learn`) binds the next message to an action,
swaps in a new map and hands it to ``on_learned`` (the session writes it to
the config file, off this thread).
"""

import os
import threading
import time

import rtmidi

from livemappr.control.addresses import LEARN_TARGETS, MIDI
from livemappr.control.midimap import BUTTONS, CONTINUOUS, Binding, MidiMap, make_action
from livemappr.control.midiparser import MidiParser  # noqa: F401 (public here too, as it was)
from livemappr.control.report import ErrorCounts
from livemappr.control.priority import raise_priority
from livemappr.errors import ConfigError, UsageError
from livemappr.threads import Daemon

APIS = {"jack": rtmidi.API_UNIX_JACK, "alsa": rtmidi.API_LINUX_ALSA}
# The Time and loops actions, as the built-in notes and controllers the Transport answers
# (a user's binding is handed on as the built-in message of its action).
_TRANSPORT_NOTES = {"loop_pedal": MIDI.loop_pedal_note, "loop_mute": MIDI.loop_mute_note, "tap": MIDI.tap_note,
                    "pattern_record": MIDI.pattern_record_note, "pattern_play": MIDI.pattern_play_note,
                    "pattern_undo": MIDI.pattern_undo_note}
_TRANSPORT_CCS = {"tempo": MIDI.cc_tempo, "quantize": MIDI.cc_quantize, "swing": MIDI.cc_swing}


def jack_running():
    """True if a JACK server answers (never starts one)."""
    if rtmidi.API_UNIX_JACK not in rtmidi.get_compiled_api():
        return False
    old = os.environ.get("JACK_NO_START_SERVER")
    os.environ["JACK_NO_START_SERVER"] = "1"  # libjack would otherwise start a server to probe
    try:
        probe = rtmidi.MidiIn(rtmidi.API_UNIX_JACK, name="livemappr-probe")
        probe.delete()
        return True
    except rtmidi.SystemError:
        return False
    finally:
        if old is None:
            os.environ.pop("JACK_NO_START_SERVER", None)
        else:
            os.environ["JACK_NO_START_SERVER"] = old


def choose_api(prefer=None):
    """The rtmidi API to use: ``prefer`` ("jack"/"alsa"), else JACK when a
    server runs, else ALSA. Also read from ``LIVEMAPPR_MIDI_API``."""
    prefer = prefer or os.environ.get("LIVEMAPPR_MIDI_API")
    compiled = rtmidi.get_compiled_api()
    if prefer:
        if prefer not in APIS:
            raise UsageError(f"MIDI API must be one of {', '.join(APIS)}, got {prefer!r}")
        if APIS[prefer] not in compiled:
            raise UsageError(f"this python-rtmidi was built without the {prefer} MIDI API")
        return APIS[prefer]
    if jack_running():
        return rtmidi.API_UNIX_JACK
    if rtmidi.API_LINUX_ALSA in compiled:
        return rtmidi.API_LINUX_ALSA
    raise UsageError("no MIDI API: neither a JACK server nor ALSA MIDI is available")


def list_ports(api=None):
    """MIDI ports other programs offer, as ``{"api", "inputs", "outputs"}``.

    ``inputs`` are ports livemappr can read from (a controller's pads; give a
    part of the name to ``--midi-in``), ``outputs`` ports it can send to (pad
    lights). Raises :class:`UsageError` when no MIDI API is usable.
    """
    api = choose_api() if api is None else api
    name = {v: k for k, v in APIS.items()}.get(api, str(api))
    try:
        probe_in = rtmidi.MidiIn(api, name="livemappr-list")
        probe_out = rtmidi.MidiOut(api, name="livemappr-list")
    except rtmidi.SystemError as e:
        raise UsageError(f"{name} MIDI is not available: {e}") from None
    try:
        def others(ports):
            return [p for p in ports if "livemappr-list" not in p]

        return {"api": name, "inputs": others(probe_in.get_ports()), "outputs": others(probe_out.get_ports())}
    finally:
        probe_in.delete()
        probe_out.delete()


class MidiInput:
    """Virtual ``livemappr`` input (+ hardware by name) driving the trigger path.

    Parameters
    ----------
    trigger : livemappr.control.trigger.Trigger
    api : int, optional
        rtmidi API; default :func:`choose_api`.
    connect : sequence of str
        Substrings of hardware port names to connect (``--midi-in``).
    errors : ErrorCounts, optional
    lights : bool
        Also open a ``livemappr`` output for pad lights (note-ons).
    poll_ms : float
        Poll interval of rtmidi's queue when it is empty (``delivery="poll"``),
        for ``idle_after_s`` after a message.
    idle_poll_ms : float
        Poll interval after ``idle_after_s`` without a message.
    idle_after_s : float
    delivery : {"callback", "poll"}, optional
        How messages are taken from rtmidi; default "callback" under ALSA,
        "poll" under JACK (see the module notes).
    priority : int
        SCHED_FIFO priority of the poller thread; 0 for none.
    midi_map : MidiMap, optional
        What each note and controller does; default today's fixed map.
    """

    def __init__(self, trigger, *, api=None, connect=(), errors=None, lights=True, poll_ms=0.5,
                 client_name=MIDI.virtual_port, priority=1, delivery=None, idle_poll_ms=2.0, idle_after_s=10.0,
                 midi_map=None):
        self.trigger = trigger
        self.errors = errors or ErrorCounts()
        self.api = choose_api() if api is None else api
        self.poll_s = poll_ms / 1000.0
        self.idle_poll_s = max(idle_poll_ms, poll_ms) / 1000.0
        self.idle_after_s = idle_after_s
        self._last_message = -float("inf")  # monotonic s of the last message polled
        if delivery is None:
            delivery = "poll" if self.api == rtmidi.API_UNIX_JACK else "callback"
        if delivery not in ("callback", "poll"):
            raise ValueError(f"delivery must be 'callback' or 'poll', got {delivery!r}")
        self.delivery = delivery
        self._handling = threading.Lock()  # one parser: ports' callbacks take turns
        self.parser = MidiParser(self.errors)
        self.map = midi_map or MidiMap()
        self.learning = None  # the action's text ("rate", "cluster 3") while MIDI learn waits
        self._learn_action = None
        self.on_learned = None  # callable(MidiMap), on this thread: hand it on, do not write here
        #: callable(pad, on): hold a pad for teaching (the session's); with the
        #: teach button held, pads are taught instead of played
        self.pad_learn = None
        self._teaching = False
        self._taught_keys = {}  # key -> pad held for teaching
        self.messages = 0
        self.transport = None  # Time and loops: gets notes and CCs first (see transport.py)
        self.clock = None  # a ClockFollower for MIDI clock in
        self.parser.on_realtime = self._realtime
        self.parser.on_song_position = self._song_position
        self._t_ns = 0  # arrival time of the message being handled
        self._stamps = {}  # port index -> [summed deltas ns, offset ns]
        self.priority = priority
        self.realtime = False
        self.ports = []
        port = rtmidi.MidiIn(self.api, name=client_name)
        # sysex reaches us to be counted; timing for MIDI clock in
        port.ignore_types(sysex=False, timing=False, active_sense=True)
        port.open_virtual_port(MIDI.virtual_port)
        self.ports.append(port)
        for text in connect:
            self.connect(text)
        self.lights = PadLights(self.api, client_name + "-lights") if lights else None
        self._lit_version = None
        self._lit_map = None
        self._thread = Daemon("livemappr-midi", self._run,
                              on_error=lambda message: self.errors.count("midi_thread", message))
        self._stop = self._thread.stopping

    def connect(self, text):
        """Connect every hardware input whose name contains ``text``; returns their names."""
        probe = self.ports[0]
        names = [n for n in probe.get_ports() if text.lower() in n.lower() and MIDI.virtual_port not in n]
        if not names:
            available = "; ".join(probe.get_ports()) or "none"
            raise UsageError(f"no MIDI input name contains {text!r}; available: {available}")
        for name in names:
            port = rtmidi.MidiIn(self.api, name=f"livemappr-{len(self.ports)}")
            port.ignore_types(sysex=False, timing=False, active_sense=True)
            port.open_port(probe.get_ports().index(name))
            self.ports.append(port)
        return names

    def learn(self, target, n=0):
        """The next message controls ``target`` (a name of :data:`LEARN_TARGETS`, or its
        index): a controller for the continuous ones (volume, rate, select, tempo,
        quantize, swing), a note-on or a controller for the buttons, whose index
        ``n`` is the cluster or loop track. Raises ``ValueError`` naming a bad one."""
        if target not in LEARN_TARGETS:
            target = LEARN_TARGETS[int(target)]
        try:
            action = make_action(target, int(n) if BUTTONS.get(target) else None, "MIDI learn target")
        except ConfigError as e:
            raise ValueError(str(e)) from None  # a surface's bad value: counted as out_of_range
        self._learn_action = action
        self.learning = action.text()

    @property
    def notes(self):
        """``{note: cluster}`` of the any-channel note bindings that play clusters."""
        return {note: a.index for (ch, note), a in self.map.notes_of("cluster").items() if ch is None}

    @property
    def cc(self):
        """``{controller: action}`` of the any-channel controller bindings."""
        return self.map.cc_targets()

    # -- thread ---------------------------------------------------------------------
    def start(self):
        if self.delivery == "callback":
            for k, port in enumerate(self.ports):
                port.set_callback(self._on_message, k)
        self._thread.start()
        return self

    def _on_message(self, item, k):
        """rtmidi's callback (its input thread, ``delivery="callback"``)."""
        with self._handling:
            if self._stop.is_set():
                return
            self.handle(item[0], self._arrival(k, item[1]))  # never raises

    def close(self):
        with self._handling:
            self._stop.set()
        self._thread.stop()
        for p in self.ports:
            if self.delivery == "callback":
                p.cancel_callback()
            p.close_port()
            p.delete()
        if self.lights is not None:
            self.lights.close()

    def _run(self):
        if self.delivery == "callback":  # messages come on rtmidi's thread; lights from here
            while not self._stop.wait(0.05):
                if self.lights is not None:
                    self.update_lights()
            return
        self.realtime = raise_priority("MIDI", self.priority)
        next_lights = 0.0
        while not self._stop.is_set():
            got = False
            for k, port in enumerate(self.ports):
                while True:
                    item = port.get_message()
                    if not item:
                        break
                    got = True
                    self.handle(item[0], self._arrival(k, item[1]))
            now = time.monotonic()
            if got:
                self._last_message = now
            if self.lights is not None and now >= next_lights:
                next_lights = now + 0.05
                self.update_lights()
            if not got:
                time.sleep(self.poll_interval(now))

    def poll_interval(self, now=None):
        """Seconds the poller sleeps on an empty queue now: ``poll_ms`` while
        messages come, ``idle_poll_ms`` after ``idle_after_s`` without one."""
        now = time.monotonic() if now is None else now
        return self.poll_s if now - self._last_message < self.idle_after_s else self.idle_poll_s

    def _arrival(self, port, delta):
        """Monotonic ns a message arrived, from rtmidi's delta times (see the module notes)."""
        poll = time.monotonic_ns()
        st = self._stamps.get(port)
        if st is None:
            st = self._stamps[port] = [0, poll]
        else:
            st[0] += int(delta * 1e9)
            # drift up by 2 us a message so a one-off early reading does not stick forever
            st[1] = min(st[1] + 2000, poll - st[0])
        return st[0] + st[1]

    # -- messages -------------------------------------------------------------------
    def handle(self, data, t_ns=None):
        """Parse and act on raw MIDI bytes that arrived at monotonic ``t_ns`` (default now); never raises."""
        self.messages += 1
        self._t_ns = time.monotonic_ns() if t_ns is None else t_ns
        try:
            for status, d1, d2 in self.parser.feed(data):
                self._act(status & 0xF0, status & 0x0F, d1, d2)
        except ValueError as e:
            self.errors.count("out_of_range", str(e))
        except Exception as e:  # noqa: BLE001 -- a surface must outlive its bugs
            self.errors.count("internal", f"{type(e).__name__}: {e}")

    def _realtime(self, status):
        if self.clock is not None:
            self.clock.realtime(status, self._t_ns)

    def _song_position(self, sixteenths):
        if self.clock is not None:
            self.clock.song_position(sixteenths)

    def _act(self, kind, channel, d1, d2):
        if kind == 0x90 and d2 == 0:
            kind = 0x80  # note-on with velocity 0 is a note-off
        if kind not in (0x80, 0x90, 0xB0):
            return
        if self._learn_action is not None and (kind == 0xB0 or kind == 0x90 and
                                               self._learn_action.name not in CONTINUOUS):
            self._learned(Binding(kind, None, d1))
        action = self.map.lookup(0x90 if kind == 0x80 else kind, channel, d1)
        if action is None:
            return
        name = action.name
        key = ("midi", channel, d1)  # what a note-off (or a button's 0) lets go of
        if kind == 0xB0 and name not in CONTINUOUS:  # a controller as a button: > 0 presses, 0 lets go
            kind, d2, key = (0x90 if d2 > 0 else 0x80), d2, ("midi cc", channel, d1)
        if name == "teach":
            self._teach(kind == 0x90)
        elif name == "cluster" and (self._teaching or key in self._taught_keys) and self.pad_learn is not None:
            if kind == 0x90:
                self._taught_keys[key] = action.index
                self.pad_learn(action.index, True)
            elif key in self._taught_keys:
                self.pad_learn(self._taught_keys.pop(key), False)
        elif name == "cluster":
            if kind == 0x90:
                self.trigger.play_cluster(action.index, d2 / 127.0, key=key)
            else:
                self.trigger.release(key)
        elif name == "volume":
            self.trigger.set_volume(d2 / 127.0)
        elif name == "rate":
            self.trigger.set_rate(2.0 ** ((d2 - 64) / 64.0))
        elif name == "select":
            self.trigger.set_selector(d2 / 127.0)
            self.trigger.set_choice("select")  # touching the knob means "I choose"
        elif self.transport is not None:
            if name in _TRANSPORT_CCS:
                self.transport.midi(0xB0, channel, _TRANSPORT_CCS[name], d2)
            elif kind == 0x90:
                self.transport.midi(0x90, channel, _TRANSPORT_NOTES[name] + (action.index or 0), d2)

    def _teach(self, on):
        """The teach button: held, pads are taught; let go, every pad held for it is let go."""
        self._teaching = on
        if not on and self.pad_learn is not None:
            for pad in self._taught_keys.values():
                self.pad_learn(pad, False)
            self._taught_keys.clear()

    def _learned(self, binding):
        """MIDI learn caught ``binding``: a new map, handed to ``on_learned``."""
        self.map = self.map.bind(binding, self._learn_action)
        self._learn_action = self.learning = None
        if self.on_learned is not None:
            self.on_learned(self.map)

    def update_lights(self):
        snap = self.trigger.snapshots.get()
        midi_map = self.map
        if snap.version != self._lit_version or midi_map is not self._lit_map:
            self._lit_version, self._lit_map = snap.version, midi_map
            sizes = snap.cluster_sizes()
            self.lights.show({key: a.index < sizes.size and int(sizes[a.index]) > 0
                              for key, a in midi_map.notes_of("cluster").items()})


class PadLights:
    """MIDI out: note-on velocity 127 lights a pad whose cluster has sounds, 0 darkens it.

    A pad bound on one channel lights on that channel; one bound on any channel on channel 1.
    """

    def __init__(self, api, client_name):
        self.port = rtmidi.MidiOut(api, name=client_name)
        self.port.open_virtual_port(MIDI.virtual_port)
        self.state = {}

    def show(self, lit):
        """``lit``: ``{(channel or None, note): on}``."""
        for (channel, note), on in sorted(lit.items(), key=lambda kv: (kv[0][0] or 0, kv[0][1])):
            if self.state.get((channel, note)) != on:
                self.port.send_message([0x90 | (channel or 0), note, 127 if on else 0])
                self.state[(channel, note)] = on

    def close(self):
        self.port.close_port()
        self.port.delete()
