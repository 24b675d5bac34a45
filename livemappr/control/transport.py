"""Time and loops on the surfaces: tempo, tap, quantise, patterns, audio loops, MIDI clock.

Runs on: the OSC server thread and the MIDI poller (:meth:`Transport.osc`,
:meth:`Transport.midi`), the feedback thread (:meth:`Transport.feedback`);
it starts the pattern thread and, when asked, the MIDI clock sender.

One object a session builds per engine and hands to :class:`Surfaces`; the
OSC addresses and MIDI notes it answers are in the one table,
:mod:`livemappr.control.addresses`. Bad values raise ``ValueError`` naming
the field, the value and the range; the surfaces count them per kind.

``/livemappr/export`` writes files, which takes milliseconds to seconds: it
runs on the Transport's :class:`~livemappr.control.background.Background`
worker, never on the OSC thread. Exports asked for while one waits are folded
into it. Each export that ran is reported to subscribers as
``/livemappr/export/done files`` or ``/livemappr/export/failed message`` (the
failure is also counted as ``export_failed``).
"""

import pathlib
import threading

from livemappr.control import addresses as _a
from livemappr.control import feedback as _fb
from livemappr.control.background import Background
from livemappr.control.loops import LoopControl
from livemappr.control.midiclock import ClockFollower, ClockSender, open_port
from livemappr.control.patterns import PatternLooper
from livemappr.control.quantize import Quantizer
from livemappr.control.report import ErrorCounts
from livemappr.control.tempo import TapTempo, TempoClock

CC_DIVISIONS = (0, 4, 8, 16, 32, 6, 12, 24)  # the quantize knob's eight stops


class Transport:
    """The tempo clock and everything that runs on it, for one engine and trigger path.

    Parameters
    ----------
    trigger : livemappr.control.trigger.Trigger
        Its engine and frame clock are used; its quantizer is set.
    errors : ErrorCounts, optional
    bpm, beats_per_bar : float, int
    quantize : int or str
        Trigger grid (see :mod:`livemappr.control.quantize`); 0 is off.
    swing : float
        50..75 percent.
    patterns, pattern_bars, store
        See :class:`PatternLooper`.
    loop_bars : int, optional
        Close the first audio loop by itself after this many bars.
    loop_quantize : {"bar", "beat", "off"}
    loop_source : {"mic", "engine"}
    export_dir : path, optional
        Where loops (WAV) and patterns (MIDI) are exported: the session directory.
    clock_out : bool
        Send MIDI clock from a virtual port ``livemappr-clock:clock`` (needs ``midi_api``).
    midi_api : int, optional
        rtmidi API for the clock output.
    sync : {"internal", "link"}
        "link": join the Ableton Link session (:mod:`livemappr.control.link`;
        needs ``livemappr[link]``); the grid follows it and starts and stops with it.
    """

    def __init__(self, trigger, errors=None, *, bpm=120.0, beats_per_bar=4, quantize=0, swing=50.0, patterns=8,
                 pattern_bars=2, store="cluster", loop_bars=None, loop_quantize="bar", loop_source="mic",
                 export_dir=None, clock_out=False, midi_api=None, sync="internal"):
        self.trigger = trigger
        self.engine = trigger.engine
        self.errors = errors or ErrorCounts()
        self.clock = trigger.clock
        self.tempo = TempoClock(self.engine.config.samplerate, bpm, beats_per_bar)
        self.quantizer = Quantizer(self.tempo, quantize, swing)
        trigger.quantizer = self.quantizer
        self.tap = TapTempo(self.tempo, self.clock.now)
        self.patterns = PatternLooper(trigger, self.tempo, patterns=patterns, bars=pattern_bars, store=store,
                                      errors=self.errors)
        self.loops = LoopControl(self.engine, self.tempo, self.clock, margin_frames=trigger.steady_frames,
                                 quantize=loop_quantize, source=loop_source, bars=loop_bars)
        self.follower = ClockFollower(self.tempo, self.clock.frame_of_ns, self.errors)
        self.link = None
        if sync == "link":
            from livemappr.control.link import LinkSync

            self.link = LinkSync(self.tempo, self.clock, self.errors)
        elif sync != "internal":
            raise ValueError(f"sync must be 'internal' or 'link', got {sync!r}")
        self.export_dir = None if export_dir is None else pathlib.Path(export_dir)
        self.midi_api = midi_api
        self.sender = None
        self._close_port = None
        self._want_clock_out = clock_out
        self._sent_state = {}
        self.background = Background(on_error=lambda message: self.errors.count("background_thread", message))
        self._news_lock = threading.Lock()
        self._news = []  # datagrams telling how exports ended, for the next feedback

    # -- lifecycle ------------------------------------------------------------------------
    def attach(self, midi_input):
        """Take MIDI clock and the Time and loops notes from a :class:`MidiInput`."""
        midi_input.transport = self
        midi_input.clock = self.follower
        if self.midi_api is None:
            self.midi_api = midi_input.api

    def start(self):
        self.patterns.start()
        if self.link is not None:
            self.link.start()
        if self._want_clock_out:
            self.clock_out(True)
        return self

    def close(self):
        self.clock_out(False)
        if self.link is not None:
            self.link.close()
        self.patterns.close()
        self.background.close()

    def clock_out(self, on):
        """Start or stop sending MIDI clock."""
        if on and self.sender is None:
            if self.midi_api is None:
                raise ValueError("MIDI clock out needs a MIDI API (no MIDI in this session)")
            send, self._close_port = open_port(self.midi_api)
            self.sender = ClockSender(self.tempo, self.clock, send).start()
        elif not on and self.sender is not None:
            self.sender.close()
            self._close_port()
            self.sender = self._close_port = None

    def run(self, on):
        """Start the internal clock from the next block (bar 0) or stop it; under Link,
        start or stop the Link session (the grid follows it)."""
        if self.link is not None:
            self.link.play(on)
        elif on:
            self.tempo.start(round(self.clock.now() + self.trigger.steady_frames))
        else:
            self.tempo.stop()

    def set_tempo(self, bpm):
        self.tempo.set_tempo(bpm, self.clock.now())

    def export(self):
        """Loops to WAV and patterns with hits to MIDI files in ``export_dir``. Returns the paths."""
        if self.export_dir is None:
            raise ValueError("export needs a session directory (Transport export_dir), got None")
        paths = self.loops.export(self.export_dir)
        for i, p in enumerate(self.patterns.patterns):
            if p.layers and any(p.layers):
                paths.append(self.patterns.export_midi(self.export_dir / f"pattern_{i}.mid", i))
        return paths

    def request_export(self):
        """Export on the background worker (see the module's notes); returns at once.

        Returns False when an export was already waiting (this one is folded into it).
        """
        if self.export_dir is None:
            raise ValueError("export needs a session directory (Transport export_dir), got None")
        return self.background.submit("export", self.export, self._export_done, self._export_failed)

    def _export_done(self, paths):
        self._tell(_fb.message("/livemappr/export/done", len(paths)))

    def _export_failed(self, e):
        text = f"export failed: {type(e).__name__}: {e}"
        self.errors.count("export_failed", text)
        self._tell(_fb.message("/livemappr/export/failed", text[:200]))

    def _tell(self, datagram):
        with self._news_lock:
            if len(self._news) < 16:  # the worker runs at most one export at a time; never unbounded
                self._news.append(datagram)

    def _export_news(self):
        with self._news_lock:
            news, self._news = self._news, []
        return news

    # -- OSC -------------------------------------------------------------------------------
    def osc(self, path, n, args):
        """Act on a Time and loops address (already checked against the table)."""
        parts = path.strip("/").split("/")[1:]  # drop "livemappr"
        head, tail = parts[0], parts[-1]
        if head == "tempo":
            return self.set_tempo(args[0])
        if head == "tap":
            return self.tap.tap()
        if head == "quantize":
            return self.quantizer.set_division(args[0])
        if head == "swing":
            return self.quantizer.set_swing(args[0])
        if head == "clock":
            return self.run(args[0]) if tail == "run" else self.clock_out(args[0])
        if head == "export":
            return self.request_export()
        if head == "pattern":
            return self._pattern(tail, args)
        if head == "loop":
            return self._loop(0 if n is None else n, tail, args)
        raise ValueError(f"address {path!r} is not a Time and loops address")

    def _pattern(self, action, args):
        p = self.patterns
        if action in ("record", "overdub", "play"):
            return getattr(p, action)(args[0])
        if action in ("undo", "clear"):
            return getattr(p, action)()
        if action == "select":
            return p.select(args[0])
        if action == "bars":
            return p.set_bars(args[0])
        if action == "store":
            return p.set_store(args[0])

    def _loop(self, track, action, args):
        lc = self.loops
        if action == "bars":
            lc.bars = args[0] or None
        elif action == "record":
            source = args[1] if len(args) > 1 else None
            lc.record(track, args[0], source=_a.LOOP_SOURCES[source] if isinstance(source, int) else source)
        elif action == "overdub":
            lc.overdub(track, args[0], args[1])
        elif action in ("play", "mute"):
            getattr(lc, action)(track, args[0])
        elif action in ("undo", "clear", "pedal"):
            getattr(lc, action)(track)
        elif action == "gain":
            lc.gain(track, args[0])

    # -- MIDI ------------------------------------------------------------------------------
    def midi(self, kind, channel, d1, d2):
        """A note or controller of the Time and loops map; True if it was ours."""
        m = _a.MIDI
        if kind == 0x90 and d2 > 0:
            if m.loop_pedal_note <= d1 < m.loop_pedal_note + 4:
                self.loops.pedal(d1 - m.loop_pedal_note)
            elif m.loop_mute_note <= d1 < m.loop_mute_note + 4:
                t = d1 - m.loop_mute_note
                self.loops.mute(t, self.loops.states()[t] != "muted")
            elif d1 == m.tap_note:
                self.tap.tap()
            elif d1 == m.pattern_record_note:
                self.patterns.record(not (self.patterns.recording or self.patterns.overdubbing))
            elif d1 == m.pattern_play_note:
                self.patterns.play(not self.patterns.playing)
            elif d1 == m.pattern_undo_note:
                self.patterns.undo()
            else:
                return False
            return True
        if kind in (0x80, 0x90):
            return m.loop_pedal_note <= d1 <= m.pattern_undo_note  # their note-offs: nothing to do
        if kind == 0xB0:
            if d1 == m.cc_tempo:
                self.set_tempo(60 + d2)
            elif d1 == m.cc_quantize:
                self.quantizer.set_division(CC_DIVISIONS[d2 * len(CC_DIVISIONS) // 128])
            elif d1 == m.cc_swing:
                self.quantizer.set_swing(50.0 + d2 * 25.0 / 127.0)
            else:
                return False
            return True
        return False

    # -- feedback --------------------------------------------------------------------------
    def loop_position(self):
        """Loop phase 0..1, else the bar phase when a tempo runs, else None."""
        phase = self.loops.position()
        if phase is None and self.tempo.running:
            phase = self.tempo.position(self.clock.now())[2]
        return phase

    def feedback(self):
        """Datagrams for what changed since the last call (tempo, beat, track and pattern states),
        and how the exports asked for since then ended."""
        out = []
        for key, value in self._state().items():
            if self._sent_state.get(key) != value:
                self._sent_state[key] = value
                out.append(self._encode(key, value))
        return out + self._export_news()

    def full_feedback(self):
        """The whole Time and loops state, for a new subscriber (changes nothing)."""
        return [self._encode(key, value) for key, value in self._state().items()]

    def _state(self):
        t = self.tempo
        now = self.clock.now()
        p = self.patterns
        state = {"tempo": (round(t.bpm, 2), int(t.running), t.source)}
        if t.running:
            state["beat"] = t.position(now)[:2]
        for i, s in enumerate(self.loops.states()):
            state[f"loop{i}"] = s
        state["pattern"] = (p.current, int(p.playing), int(p.recording or p.overdubbing), len(p.pattern.layers))
        return state

    @staticmethod
    def _encode(key, value):
        if key == "tempo":
            return _fb.message("/livemappr/tempo/state", float(value[0]), value[1], value[2])
        if key == "beat":
            return _fb.message("/livemappr/beat", *value)
        if key == "pattern":
            return _fb.message("/livemappr/pattern/state", *value)
        return _fb.message(f"/livemappr/loop/{key[4:]}/state", value)

    def forget_sent(self):
        """A new subscriber: send the whole state on the next call."""
        self._sent_state = {}
