"""The pattern looper: N bars of triggers recorded, looped, overdubbed, undone.

Runs on: the pattern thread (``livemappr-patterns``: schedules playback a
little ahead, each hit at its exact frame); surfaces call the transport
methods and the trigger path tells it of every hit (:meth:`on_hit`).

A pattern is a list of layers, each a list of hits at exact beat positions
(fractions) within the pattern. Recording starts at the next bar line and the
first layer closes after ``bars`` bars, then plays; overdub adds a layer while
it plays; undo drops the last layer; clear empties the pattern. Several
patterns are kept; selecting another while one plays switches at the next
bar line. A pattern plays back its hits' clusters (so new sounds in a
cluster change what it plays: the map moves under it) or the very snippets
recorded (``store="snippet"``). It exports as a standard MIDI file.
"""

import threading
from dataclasses import dataclass, field
from fractions import Fraction

from livemappr.control import midifile
from livemappr.control.addresses import MIDI
from livemappr.control.priority import raise_priority
from livemappr.threads import Daemon
from livemappr.validate import whole

STORES = ("cluster", "snippet")
MAX_BARS = 64


@dataclass(frozen=True)
class Hit:
    beat: Fraction  # from the pattern's start
    cluster: int
    snippet: int
    velocity: float


@dataclass
class Pattern:
    bars: int
    layers: list = field(default_factory=list)

    def hits(self):
        return sorted((h for layer in self.layers for h in layer), key=lambda h: h.beat)


class PatternLooper:
    """Record and play patterns of triggers on the tempo clock.

    Parameters
    ----------
    trigger : livemappr.control.trigger.Trigger
    tempo : livemappr.control.tempo.TempoClock
    patterns : int, default 8
    bars : int, default 2
        Length of a new pattern.
    store : {"cluster", "snippet"}
    lookahead_ms : float
        How far ahead the thread sends hits (each carries its exact frame).
    errors : ErrorCounts, optional
    """

    def __init__(self, trigger, tempo, *, patterns=8, bars=2, store="cluster", lookahead_ms=40.0, errors=None):
        self.trigger = trigger
        self.tempo = tempo
        self.clock = trigger.clock
        self.patterns = [Pattern(bars) for _ in range(whole("patterns", patterns, 1, 128))]
        self.bars = whole("bars", bars, 1, MAX_BARS)
        self.store = trigger._pick("store", store, STORES)
        self.lookahead = lookahead_ms * tempo.samplerate / 1000.0
        self.errors = errors
        self.current = 0
        self.playing = False
        self._wake = threading.Event()  # set when playing starts: the thread idles until then
        self.recording = False  # the first layer
        self.overdubbing = False
        self.origin = Fraction(0)  # beat where the current pattern's cycle 0 starts
        self._rec_end = None  # beat where the first layer closes
        self._play_from = Fraction(0)
        self._pending = None
        self._until = None  # beat up to which playback has been sent
        self._lock = threading.RLock()
        self._interval = 0.005  # seconds between passes while playing (start's)
        report = None if errors is None else (lambda message: errors.count("patterns_thread", message))
        self._thread = Daemon("livemappr-patterns", self._run, on_error=report)
        self._stop = self._thread.stopping
        trigger.listeners.append(self.on_hit)

    @property
    def pattern(self):
        return self.patterns[self.current]

    def _length(self, p=None):
        return (p or self.pattern).bars * self.tempo.beats_per_bar

    def _next_bar_beat(self):
        """The beat of the next bar line the audio thread can still honour."""
        if not self.tempo.running:
            # a looper pedal starts the clock: the first bar begins now
            self.tempo.start(round(self.clock.now() + self.trigger.steady_frames))
        frame = self.tempo.next_bar(self.clock.now() + self.trigger.steady_frames)
        return self.tempo.beat_at(frame)

    # -- transport (surfaces call these) -----------------------------------------------
    def set_bars(self, bars):
        self.bars = whole("pattern bars", bars, 1, MAX_BARS)
        with self._lock:
            if not self.pattern.layers:
                self.pattern.bars = self.bars

    def set_store(self, store):
        self.store = self.trigger._pick("store", store, STORES)

    def record(self, on=True):
        """Start recording at the next bar line: the first layer of an empty
        pattern (``bars`` bars, then it plays), else an overdub layer. Off stops."""
        with self._lock:
            if not on:
                self.recording = self.overdubbing = False
                return
            if self.pattern.layers:
                return self.overdub(True)
            start = self._next_bar_beat()
            self.pattern.bars = self.bars
            self.pattern.layers.append([])
            self.origin, self.recording = start, True
            self._rec_end = start + self._length()
            self._play_from = self._rec_end
            self.playing, self._until = True, None
            self._wake.set()

    def overdub(self, on=True):
        """Add a layer of what is played now (while the pattern loops)."""
        with self._lock:
            if on and not self.overdubbing:
                if not self.playing:
                    self.play(True)
                self.pattern.layers.append([])
            self.overdubbing = bool(on)

    def play(self, on=True):
        """Play the current pattern from the next bar line, or stop it at once."""
        with self._lock:
            if on and not self.playing:
                self.origin = self._play_from = self._next_bar_beat()
                self.playing, self._until = True, None
                self._wake.set()
            elif not on:
                self.playing = self.recording = self.overdubbing = False

    def undo(self):
        """Drop the last layer (what the last recording or overdub added)."""
        with self._lock:
            if self.pattern.layers:
                self.pattern.layers.pop()
            if self.recording:
                self.recording = self.playing = False
            self.overdubbing = False

    def clear(self):
        with self._lock:
            self.pattern.layers.clear()
            self.recording = self.overdubbing = False

    def select(self, index):
        """Switch to pattern ``index``: now when stopped, at the next bar line while playing."""
        index = whole("pattern", index, 0, len(self.patterns) - 1)
        with self._lock:
            self.recording = self.overdubbing = False
            if self.playing:
                self._pending = index
            else:
                self.current = index

    # -- recording ----------------------------------------------------------------------
    def on_hit(self, frame, cluster, snippet, velocity, origin):
        """The trigger path played something (its listener)."""
        if origin == "pattern" or not (self.recording or self.overdubbing):
            return
        with self._lock:
            beat = self.tempo.beat_at(frame)
            if self.recording and not self.origin <= beat < self._rec_end:
                return  # before the bar line it starts on, or after it closed
            if beat < self.origin or not self.pattern.layers:
                return
            rel = (beat - self.origin) % self._length()
            self.pattern.layers[-1].append(Hit(rel, int(cluster), int(snippet), float(velocity)))

    # -- playback -----------------------------------------------------------------------
    def step(self, now=None):
        """Send the hits due before ``now`` + lookahead (the thread calls this)."""
        now = self.clock.now() if now is None else now
        with self._lock:
            if not self.playing or not self.tempo.running:
                self._until = None
                return
            b_now = self.tempo.beat_at(now)
            if self.recording and b_now >= self._rec_end:
                self.recording = False
            b0 = b_now if self._until is None or self._until < b_now else self._until
            b1 = self.tempo.beat_at(now + self.lookahead)
            while self._pending is not None:
                bar = -(-b0 // self.tempo.beats_per_bar) * self.tempo.beats_per_bar
                if bar >= b1:
                    break
                self._send(b0, bar)
                self.current, self._pending = self._pending, None
                self.origin = self._play_from = b0 = Fraction(bar)
            self._send(b0, b1)
            self._until = b1

    def _send(self, b0, b1):
        p = self.pattern
        hits = p.hits()
        if not hits or b1 <= b0:
            return
        length = self._length(p)
        k = max(0, (b0 - self.origin) // length)
        while self.origin + k * length < b1:
            for h in hits:
                beat = self.origin + k * length + h.beat
                if b0 <= beat < b1 and beat >= self._play_from:
                    self._play(h, self.tempo.frame_at(beat))
            k += 1

    def _play(self, h, frame):
        try:
            if self.store == "snippet":
                self.trigger.play_snippet(h.snippet, h.velocity, at=frame, origin="pattern")
            else:
                self.trigger.play_cluster(h.cluster, h.velocity, at=frame, origin="pattern")
        except ValueError as e:  # the map shrank under a stored snippet
            if self.errors is not None:
                self.errors.count("pattern_hit", str(e))

    def start(self, interval=0.005):
        """Start the pattern thread. Returns self."""
        if self._thread.thread is None:
            self._interval = interval
        self._thread.start()
        return self

    def close(self):
        self._stop.set()
        self._wake.set()
        self._thread.stop()

    def _run(self):
        interval = self._interval
        raise_priority("patterns")
        while not self._stop.is_set():
            if self.playing and self.clock.running():
                self.step()
                self._stop.wait(interval)
            else:  # idle: no 200 wake-ups a second while nothing plays
                self._wake.wait(0.1)
                self._wake.clear()

    # -- export -------------------------------------------------------------------------
    def midi_notes(self, index=None):
        """Pattern ``index`` (default current) as ``(beat, note, velocity, duration)`` for a MIDI file."""
        p = self.patterns[self.current if index is None else whole("pattern", index, 0, len(self.patterns) - 1)]
        out = []
        for h in p.hits():
            note = MIDI.first_note + h.cluster
            if 0 <= note <= 127:  # clusters beyond note 127 have no note
                out.append((h.beat, note, max(1, min(127, round(h.velocity * 127))), Fraction(1, 4)))
        return out, p.bars * self.tempo.beats_per_bar

    def export_midi(self, path, index=None):
        """Write pattern ``index`` as a standard MIDI file at the current tempo; returns the path."""
        notes, length = self.midi_notes(index)
        return midifile.write(path, notes, self.tempo.bpm, length_beats=length,
                              beats_per_bar=self.tempo.beats_per_bar)
